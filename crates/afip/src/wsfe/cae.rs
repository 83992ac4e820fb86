//! The authorization code AFIP assigns to an invoice (CAE, or CAEA in contingency): 14 digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CAE/CAEA: exactly 14 ASCII digits. Only a value of this type can be adopted as an
/// invoice's authorization, so "approved" with an empty or truncated code cannot slip through.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cae(u64);

/// A text that is not a 14-digit CAE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a CAE (14 digits)")]
pub struct InvalidCae(pub String);

impl Cae {
    pub const DIGITS: usize = 14;

    pub fn parse(s: &str) -> Result<Cae, InvalidCae> {
        let t = s.trim();
        if t.len() != Self::DIGITS || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidCae(s.to_owned()));
        }
        t.parse().map(Cae).map_err(|_| InvalidCae(s.to_owned()))
    }

    /// As a number (the QR's `codAut` is a JSON number).
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Cae {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:014}", self.0)
    }
}

impl fmt::Debug for Cae {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cae({self})")
    }
}

impl FromStr for Cae {
    type Err = InvalidCae;
    fn from_str(s: &str) -> Result<Cae, InvalidCae> {
        Cae::parse(s)
    }
}

impl Serialize for Cae {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cae {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cae, D::Error> {
        let s = String::deserialize(d)?;
        Cae::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourteen_digits_only() {
        let c = Cae::parse("71263951827464").unwrap();
        assert_eq!(c.to_string(), "71263951827464");
        assert_eq!(
            Cae::parse("00000000000123").unwrap().to_string(),
            "00000000000123"
        );
        for bad in [
            "",
            "7126395182746",
            "712639518274641",
            "7126395182746a",
            "-1263951827464",
        ] {
            assert!(Cae::parse(bad).is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"71263951827464\"");
        assert_eq!(serde_json::from_str::<Cae>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Cae>("\"123\"").is_err());
    }
}
