//! Amounts as Stripe wants them: integers in the currency's smallest unit (cents for USD, whole yen
//! for JPY), with a lower-case ISO 4217 currency. Never floating point.

use std::fmt;

use mostrador_types::Money;
use serde::{Deserialize, Serialize};

/// A currency or amount Stripe would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not a three-letter ISO 4217 currency code")]
    Currency(String),
    #[error(
        "amount {0} must be positive (Stripe amounts are integers in the currency's smallest unit)"
    )]
    NotPositive(i64),
    #[error("{cents} cents cannot be charged in {currency}, which has no cents")]
    FractionalZeroDecimal { cents: i64, currency: String },
    #[error("amount overflows")]
    Overflow,
}

/// A lower-case three-letter currency code (`usd`, `eur`, `ars`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

/// Currencies whose smallest unit is the whole unit (Stripe's "zero-decimal" list).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];
/// Currencies with three decimals (amounts are thousandths).
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

impl Currency {
    /// Accepts any case; stored lower-case as Stripe returns it.
    pub fn new(code: &str) -> Result<Currency, MoneyError> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Currency(code.to_ascii_lowercase()))
        } else {
            Err(MoneyError::Currency(code.to_owned()))
        }
    }

    pub fn usd() -> Currency {
        Currency("usd".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point in Stripe's amounts for this currency.
    pub fn decimals(&self) -> u32 {
        if ZERO_DECIMAL.contains(&self.as_str()) {
            0
        } else if THREE_DECIMAL.contains(&self.as_str()) {
            3
        } else {
            2
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(v: String) -> Result<Self, MoneyError> {
        Currency::new(&v)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.0)
    }
}

/// An amount in the smallest unit of its currency, as every Stripe `amount` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MinorUnits(pub i64);

impl MinorUnits {
    /// A positive amount to charge or refund.
    pub fn positive(v: i64) -> Result<MinorUnits, MoneyError> {
        if v > 0 {
            Ok(MinorUnits(v))
        } else {
            Err(MoneyError::NotPositive(v))
        }
    }

    /// Our [`Money`] (always cents) in `currency`'s smallest unit: unchanged for two-decimal
    /// currencies, divided by 100 for zero-decimal ones (refused if there are cents), times 10 for
    /// three-decimal ones.
    pub fn from_money(m: Money, currency: &Currency) -> Result<MinorUnits, MoneyError> {
        let cents = m.cents();
        let v = match currency.decimals() {
            0 if cents % 100 != 0 => {
                return Err(MoneyError::FractionalZeroDecimal {
                    cents,
                    currency: currency.to_string(),
                })
            }
            0 => cents / 100,
            3 => cents.checked_mul(10).ok_or(MoneyError::Overflow)?,
            _ => cents,
        };
        MinorUnits::positive(v)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for MinorUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies() {
        assert_eq!(Currency::new("USD").unwrap().as_str(), "usd");
        assert!(Currency::new("us").is_err());
        assert!(Currency::new("u$d").is_err());
        assert!(serde_json::from_str::<Currency>("\"dollars\"").is_err());
    }

    #[test]
    fn money_to_minor_units() {
        let usd = Currency::usd();
        let jpy = Currency::new("jpy").unwrap();
        let kwd = Currency::new("kwd").unwrap();
        assert_eq!(
            MinorUnits::from_money(Money::from_cents(12_345), &usd),
            Ok(MinorUnits(12_345))
        );
        assert_eq!(
            MinorUnits::from_money(Money::units(500), &jpy),
            Ok(MinorUnits(500))
        );
        assert!(matches!(
            MinorUnits::from_money(Money::from_cents(50_050), &jpy),
            Err(MoneyError::FractionalZeroDecimal { .. })
        ));
        assert_eq!(
            MinorUnits::from_money(Money::from_cents(150), &kwd),
            Ok(MinorUnits(1_500))
        );
        assert_eq!(
            MinorUnits::from_money(Money::ZERO, &usd),
            Err(MoneyError::NotPositive(0))
        );
        assert!(MinorUnits::positive(-1).is_err());
    }
}
