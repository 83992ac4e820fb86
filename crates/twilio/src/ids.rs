//! Typed identifiers: Twilio SIDs (two letters + 32 hex digits) and E.164 phone numbers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An identifier or phone number with the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is invalid: {expected}")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

fn is_sid(v: &str, prefixes: &[&str]) -> bool {
    v.len() == 34
        && prefixes.iter().any(|p| v.starts_with(p))
        && v[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

macro_rules! sid {
    ($(#[$doc:meta])* $name:ident, $kind:literal, [$($prefix:literal),+], $expected:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(v: impl Into<String>) -> Result<Self, IdError> {
                let v = v.into();
                if is_sid(&v, &[$($prefix),+]) {
                    Ok($name(v))
                } else {
                    Err(IdError { kind: $kind, value: v, expected: $expected })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(v: String) -> Result<Self, IdError> {
                $name::new(v)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}

sid!(
    /// An account, `AC` + 32 hex digits.
    AccountSid, "Account SID", ["AC"], "expected AC followed by 32 hex digits"
);
sid!(
    /// A message, `SM` (SMS) or `MM` (MMS) + 32 hex digits.
    MessageSid, "Message SID", ["SM", "MM"], "expected SM or MM followed by 32 hex digits"
);
sid!(
    /// An API key, `SK` + 32 hex digits.
    ApiKeySid, "API key SID", ["SK"], "expected SK followed by 32 hex digits"
);
sid!(
    /// A Messaging Service, `MG` + 32 hex digits.
    MessagingServiceSid, "Messaging Service SID", ["MG"], "expected MG followed by 32 hex digits"
);

/// A phone number in E.164: `+`, a non-zero first digit, 8 to 15 digits in all.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn new(v: impl Into<String>) -> Result<Self, IdError> {
        let v = v.into();
        let ok = v.strip_prefix('+').is_some_and(|d| {
            (8..=15).contains(&d.len())
                && d.bytes().all(|b| b.is_ascii_digit())
                && !d.starts_with('0')
        });
        if ok {
            Ok(PhoneNumber(v))
        } else {
            Err(IdError {
                kind: "phone number",
                value: v,
                expected: "expected E.164, like +5491112345678",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = IdError;
    fn try_from(v: String) -> Result<Self, IdError> {
        PhoneNumber::new(v)
    }
}

impl From<PhoneNumber> for String {
    fn from(v: PhoneNumber) -> String {
        v.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids() {
        assert!(AccountSid::new("AC0123456789abcdef0123456789ABCDEF").is_ok());
        assert!(AccountSid::new("SM0123456789abcdef0123456789abcdef").is_err());
        assert!(AccountSid::new("AC0123456789abcdef0123456789abcde").is_err());
        assert!(AccountSid::new("AC0123456789abcdef0123456789abcdeg").is_err());
        assert!(MessageSid::new("SM0123456789abcdef0123456789abcdef").is_ok());
        assert!(MessageSid::new("MM0123456789abcdef0123456789abcdef").is_ok());
        assert!(MessageSid::new("XX0123456789abcdef0123456789abcdef").is_err());
        assert!(MessageSid::new("SMé123456789abcdef0123456789abcdef").is_err());
    }

    #[test]
    fn phones() {
        assert!(PhoneNumber::new("+5491112345678").is_ok());
        assert!(PhoneNumber::new("5491112345678").is_err());
        assert!(PhoneNumber::new("+0491112345678").is_err());
        assert!(PhoneNumber::new("+54 911 1234").is_err());
        assert!(PhoneNumber::new("+1234567").is_err());
        assert!(PhoneNumber::new("+1234567890123456").is_err());
    }
}
