//! A secret value (token, app secret, private key) that cannot leak through formatting.

use std::fmt;

/// Holds a secret. `Debug` and `Display` print `***`, so a secret inside a struct that gets logged
/// or put in an error message stays hidden. It deliberately implements neither `Serialize` nor
/// `Clone`-into-string conversions: reading it is an explicit [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret's value, for the one place that must send it (an HTTP header, a signature key).
    pub fn expose(&self) -> &str {
        &self.0
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

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort: overwrite the bytes so the value does not linger in freed memory.
        // SAFETY: writing zero bytes keeps the string valid UTF-8.
        unsafe { self.0.as_bytes_mut().fill(0) };
    }
}

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
    fn hint_only_for_long_secrets() {
        assert_eq!(
            Secret::new("abcdefghijkl1234").hint().as_deref(),
            Some("1234")
        );
        assert_eq!(Secret::new("short").hint(), None);
    }
}
