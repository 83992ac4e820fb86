//! Amounts in integer cents and exchange rates in millionths: never floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in cents (of the invoice currency).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Money(i64);

/// A text that is not a decimal amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a decimal amount with at most {1} decimals")]
pub struct ParseAmountError(pub String, pub u32);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    /// Whole units (pesos, dollars): `Money::units(121)` is 121.00.
    pub const fn units(units: i64) -> Money {
        Money(units * 100)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// Parses `121`, `121.5`, `121.50` (what WSFE sends back, normalized or not).
    pub fn parse(s: &str) -> Result<Money, ParseAmountError> {
        parse_scaled(s, 2).map(Money)
    }

    /// The amount as WSFE wants it: exactly two decimals (`121.00`).
    pub fn to_wire(self) -> String {
        self.to_string()
    }

    /// The amount as a JSON number with no trailing zeros (`12100`, `121.5`), as in AFIP's QR.
    pub fn to_json_number(self) -> String {
        trim_decimals(&self.to_string())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

/// An exchange rate to ARS with up to six decimals (`MonCotiz`), stored in millionths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rate(i64);

impl Rate {
    pub const ONE: Rate = Rate(1_000_000);

    pub const fn from_millionths(m: i64) -> Rate {
        Rate(m)
    }

    pub const fn units(units: i64) -> Rate {
        Rate(units * 1_000_000)
    }

    pub const fn millionths(self) -> i64 {
        self.0
    }

    pub fn parse(s: &str) -> Result<Rate, ParseAmountError> {
        parse_scaled(s, 6).map(Rate)
    }

    /// `1`, `65`, `1234.5`: no trailing zeros (WSFE and the QR both accept this).
    pub fn to_wire(self) -> String {
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        trim_decimals(&format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000))
    }

    /// `amount × rate`, rounded half-even to cents (to compare against ARS thresholds).
    pub fn convert(self, amount: Money) -> Money {
        Money(round_half_even_div(
            amount.0 as i128 * self.0 as i128,
            1_000_000,
        ))
    }
}

/// Integer division rounding half to even (the rounding AFIP's manual specifies).
pub(crate) fn round_half_even_div(n: i128, d: i128) -> i64 {
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    let twice = 2 * r;
    let q = if twice > d || (twice == d && q % 2 != 0) {
        q + 1
    } else {
        q
    };
    q as i64
}

fn trim_decimals(s: &str) -> String {
    if let Some((int, frac)) = s.split_once('.') {
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            int.to_owned()
        } else {
            format!("{int}.{frac}")
        }
    } else {
        s.to_owned()
    }
}

fn parse_scaled(s: &str, scale: u32) -> Result<i64, ParseAmountError> {
    let bad = || ParseAmountError(s.to_owned(), scale);
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > scale as usize
        || int.len() > 15
    {
        return Err(bad());
    }
    let mut v: i64 = int.parse().map_err(|_| bad())?;
    let mut frac_v: i64 = 0;
    for i in 0..scale as usize {
        let d = frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i64);
        frac_v = frac_v * 10 + d;
    }
    v = v * 10i64.pow(scale) + frac_v;
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(Money::from_cents(12100).to_wire(), "121.00");
        assert_eq!(Money::from_cents(5).to_wire(), "0.05");
        assert_eq!(Money::from_cents(-5).to_wire(), "-0.05");
        assert_eq!(Money::parse("122").unwrap(), Money::from_cents(12200));
        assert_eq!(Money::parse("122.5").unwrap(), Money::from_cents(12250));
        assert!(Money::parse("1.234").is_err());
        assert!(Money::parse("1e3").is_err());
        assert_eq!(Money::units(12100).to_json_number(), "12100");
        assert_eq!(Money::from_cents(12150).to_json_number(), "121.5");
        assert_eq!(Rate::units(65).to_wire(), "65");
        assert_eq!(Rate::parse("1350.25").unwrap().to_wire(), "1350.25");
        assert_eq!(Rate::ONE.to_wire(), "1");
    }

    #[test]
    fn half_even() {
        assert_eq!(round_half_even_div(25, 10), 2);
        assert_eq!(round_half_even_div(35, 10), 4);
        assert_eq!(round_half_even_div(26, 10), 3);
        assert_eq!(round_half_even_div(-25, 10), -2);
    }

    proptest! {
        #[test]
        fn wire_round_trip(c in -10_000_000_000i64..10_000_000_000) {
            let m = Money::from_cents(c);
            prop_assert_eq!(Money::parse(&m.to_wire()).unwrap(), m);
            prop_assert_eq!(Money::parse(&m.to_json_number()).unwrap(), m);
        }
    }
}
