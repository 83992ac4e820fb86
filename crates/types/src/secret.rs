//! A secret value (token, app secret, private key) that cannot leak through formatting.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Holds a secret. `Debug` and `Display` print `***`, so a secret inside a struct that gets logged
/// or put in an error message stays hidden. It deliberately implements neither `Serialize` nor
/// `Clone`-into-string conversions: reading it is an explicit [`Secret::expose`]. Its memory is
/// zeroed when it is dropped (`zeroize`). There is no `==`: comparing a secret with what a caller
/// sent must not take longer the more leading bytes match, so the one comparison is
/// [`Secret::ct_eq`], in constant time.
///
/// ```compile_fail,E0369
/// use mostrador_types::Secret;
/// let same = Secret::new("token") == Secret::new("token"); // no PartialEq: use ct_eq
/// ```
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret's value, for the one place that must send it (an HTTP header, a signature key).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time equality (only the length can be told apart by timing).
    pub fn ct_eq(&self, other: &Secret) -> bool {
        self.ct_eq_str(other.expose())
    }

    /// Constant-time comparison with a value received from outside (a header, a query).
    pub fn ct_eq_str(&self, other: &str) -> bool {
        self.0.as_bytes().ct_eq(other.as_bytes()).into()
    }

    /// What the UI may show: "termina en 1234" — the last four characters, only when the secret is
    /// long enough that they do not give most of it away.
    pub fn hint(&self) -> Option<String> {
        let chars: Vec<char> = self.0.chars().collect();
        (chars.len() >= 12).then(|| chars[chars.len() - 4..].iter().collect())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Zeroize for Secret {
    /// Overwrites the whole buffer (its capacity, not only its length) and empties it.
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // So the value does not linger in freed memory (the writes are not optimized away).
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_hides_the_value() {
        let s = Secret::new("EAAG-super-secret-token-1234");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Config {
            token: Secret,
        }
        let c = Config { token: s.clone() };
        assert!(!format!("{c:?}").contains("super-secret"));
        assert_eq!(s.expose(), "EAAG-super-secret-token-1234");
    }

    #[test]
    fn zeroize_wipes_and_empties_the_value() {
        let mut s = Secret::new(String::from("EAAG-super-secret-token-1234"));
        s.zeroize();
        assert_eq!(s.expose(), "");
        // Dropping runs the same wipe (ZeroizeOnDrop is only implemented alongside it).
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<Secret>();
    }

    #[test]
    fn constant_time_equality() {
        let s = Secret::new("mi-token-de-verificacion");
        assert!(s.ct_eq(&Secret::new("mi-token-de-verificacion")));
        assert!(!s.ct_eq(&Secret::new("mi-token-de-verificacioN")));
        assert!(!s.ct_eq(&Secret::new("mi-token")));
        assert!(s.ct_eq_str("mi-token-de-verificacion"));
        assert!(!s.ct_eq_str(""));
    }

    #[test]
    fn hint_only_for_long_secrets() {
        assert_eq!(
            Secret::new("abcdefghijkl1234").hint().as_deref(),
            Some("1234")
        );
        assert_eq!(Secret::new("short").hint(), None);
    }
}
