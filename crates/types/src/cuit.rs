//! CUIT/CUIL: Argentina's 11-digit tax id, with its mod-11 check digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Weights AFIP applies to the first ten digits to compute the check digit.
const WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/// A CUIT whose length and check digit have been verified.
///
/// Stored as the 11 digits; displayed as `20-12345678-6`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cuit(u64);

/// Why a text is not a valid CUIT. Each variant names what is wrong so the UI can say it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CuitError {
    #[error("the CUIT is empty")]
    Empty,
    #[error("the CUIT may only contain digits and dashes (found {found:?})")]
    InvalidCharacter { found: char },
    #[error("a CUIT has 11 digits, this one has {digits}")]
    WrongLength { digits: usize },
    #[error("the CUIT's check digit is wrong: for {prefix} it must be {expected}, not {found}")]
    WrongCheckDigit {
        /// The first ten digits, formatted `20-12345678`.
        prefix: String,
        expected: u32,
        found: u32,
    },
    #[error("no CUIT can start with {prefix}: its check digit would be 10")]
    NoValidCheckDigit { prefix: String },
}

impl CuitError {
    /// A short Spanish (es-AR) sentence for the person who typed it.
    pub fn message_es(&self) -> String {
        match self {
            CuitError::Empty => "Ingresá el CUIT.".to_string(),
            CuitError::InvalidCharacter { found } => {
                format!("El CUIT solo puede tener números y guiones (encontramos «{found}»).")
            }
            CuitError::WrongLength { digits } => {
                format!("El CUIT tiene 11 dígitos; este tiene {digits}.")
            }
            CuitError::WrongCheckDigit {
                prefix,
                expected,
                found,
            } => format!(
                "El dígito verificador no coincide: para {prefix} debería ser {expected}, no {found}. Revisá el número."
            ),
            CuitError::NoValidCheckDigit { prefix } => format!(
                "Ningún CUIT válido empieza con {prefix} (el dígito verificador daría 10). Revisá el número."
            ),
        }
    }
}

impl Cuit {
    /// Parses `20-12345678-6`, `20123456789` or the same with spaces around dashes.
    pub fn parse(input: &str) -> Result<Self, CuitError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(CuitError::Empty);
        }
        let mut digits = Vec::with_capacity(11);
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c as u32 - '0' as u32),
                '-' | ' ' | '.' => {}
                other => return Err(CuitError::InvalidCharacter { found: other }),
            }
        }
        if digits.len() != 11 {
            return Err(CuitError::WrongLength {
                digits: digits.len(),
            });
        }
        let prefix_digits: [u32; 10] = digits[..10].try_into().expect("length checked above");
        let found = digits[10];
        let prefix = format_prefix(&prefix_digits);
        match check_digit(&prefix_digits) {
            None => Err(CuitError::NoValidCheckDigit { prefix }),
            Some(expected) if expected != found => Err(CuitError::WrongCheckDigit {
                prefix,
                expected,
                found,
            }),
            Some(_) => Ok(Cuit(digits.iter().fold(0u64, |n, d| n * 10 + *d as u64))),
        }
    }

    /// Builds a valid CUIT from its first ten digits (type + document number), computing the check
    /// digit. `None` when no check digit exists for that prefix.
    pub fn from_prefix(prefix: u64) -> Option<Self> {
        if prefix >= 10_000_000_000 {
            return None;
        }
        let mut digits = [0u32; 10];
        let mut n = prefix;
        for d in digits.iter_mut().rev() {
            *d = (n % 10) as u32;
            n /= 10;
        }
        check_digit(&digits).map(|dv| Cuit(prefix * 10 + dv as u64))
    }

    /// The 11 digits as a number, as AFIP's web services expect (`<Cuit>20123456786</Cuit>`).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The 11 digits without dashes.
    pub fn digits(self) -> String {
        format!("{:011}", self.0)
    }
}

/// The mod-11 check digit, or `None` when it would be 10 (no valid CUIT has that prefix).
fn check_digit(prefix: &[u32; 10]) -> Option<u32> {
    let sum: u32 = prefix.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        dv => Some(dv),
    }
}

fn format_prefix(prefix: &[u32; 10]) -> String {
    let s: String = prefix
        .iter()
        .map(|d| char::from_digit(*d, 10).expect("digit"))
        .collect();
    format!("{}-{}", &s[..2], &s[2..])
}

impl fmt::Display for Cuit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.digits();
        write!(f, "{}-{}-{}", &s[..2], &s[2..10], &s[10..])
    }
}

impl fmt::Debug for Cuit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cuit({self})")
    }
}

impl FromStr for Cuit {
    type Err = CuitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cuit::parse(s)
    }
}

impl TryFrom<u64> for Cuit {
    type Error = CuitError;
    fn try_from(n: u64) -> Result<Self, Self::Error> {
        Cuit::parse(&format!("{n:011}"))
    }
}

impl Serialize for Cuit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Cuit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Cuit::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "ts")]
impl ts_rs::TS for Cuit {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }
    fn inline(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_dashed_and_plain_forms() {
        let a = Cuit::parse("20-12345678-6").unwrap();
        let b = Cuit::parse("20123456786").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "20-12345678-6");
        assert_eq!(a.digits(), "20123456786");
        assert_eq!(a.as_u64(), 20123456786);
    }

    #[test]
    fn known_real_format_cuits() {
        // AFIP's own CUIT and a typical company prefix.
        assert!(Cuit::parse("33-69345023-9").is_ok());
        assert!(Cuit::parse("30-71234567-1").is_ok());
    }

    #[test]
    fn wrong_check_digit_names_the_expected_one() {
        let err = Cuit::parse("20-12345678-9").unwrap_err();
        assert_eq!(
            err,
            CuitError::WrongCheckDigit {
                prefix: "20-12345678".into(),
                expected: 6,
                found: 9
            }
        );
        assert!(err.message_es().contains("debería ser 6"));
    }

    #[test]
    fn computed_ten_is_invalid() {
        // 20-00000001: sum = 5*2 + 4*0 + 2*1 = 12 -> 11 - 1 = 10, so no check digit works.
        let prefix = [2, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(check_digit(&prefix), None);
        for dv in 0..=9 {
            let err = Cuit::parse(&format!("2000000001{dv}")).unwrap_err();
            assert!(
                matches!(err, CuitError::NoValidCheckDigit { .. }),
                "{err:?}"
            );
        }
        assert_eq!(Cuit::from_prefix(2_000_000_001), None);
    }

    #[test]
    fn computed_eleven_means_zero() {
        // A prefix whose weighted sum is a multiple of 11 gets check digit 0, not 11.
        let cuit = (0..10_000u64)
            .filter_map(|n| Cuit::from_prefix(2_000_000_000 + n))
            .find(|c| c.as_u64() % 10 == 0)
            .expect("some prefix has check digit 0");
        assert!(Cuit::parse(&cuit.digits()).is_ok());
    }

    #[test]
    fn rejects_bad_shapes() {
        assert_eq!(Cuit::parse("  "), Err(CuitError::Empty));
        assert_eq!(
            Cuit::parse("20-1234567-6"),
            Err(CuitError::WrongLength { digits: 10 })
        );
        assert_eq!(
            Cuit::parse("20-1234a678-6"),
            Err(CuitError::InvalidCharacter { found: 'a' })
        );
    }

    #[test]
    fn serde_round_trip_validates() {
        let c = Cuit::parse("20123456786").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"20-12345678-6\"");
        assert_eq!(serde_json::from_str::<Cuit>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Cuit>("\"20123456789\"").is_err());
    }

    proptest! {
        #[test]
        fn from_prefix_always_parses(prefix in 0u64..10_000_000_000) {
            if let Some(c) = Cuit::from_prefix(prefix) {
                prop_assert_eq!(Cuit::parse(&c.to_string()), Ok(c));
                // Any other final digit is rejected.
                let other = (c.as_u64() % 10 + 1) % 10;
                let wrong = format!("{:010}{}", prefix, other);
                prop_assert!(Cuit::parse(&wrong).is_err());
            }
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = Cuit::parse(&s);
        }
    }
}
