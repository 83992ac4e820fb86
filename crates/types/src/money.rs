//! Money in integer cents, exchange rates in millionths, percentages in basis points, and ISO-like
//! currency codes. Never floating point, and every operation that can overflow is checked: it
//! returns `None` instead of panicking (debug) or wrapping (release).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in cents of its currency (the currency travels beside it, see
/// [`CurrencyCode`]). There is no `+`: use [`Money::checked_add`] or [`Money::checked_sum`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Money(i64);

/// A text that is not a decimal amount (or does not fit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a decimal amount with at most {1} decimals")]
pub struct ParseAmountError(pub String, pub u32);

impl Money {
    pub const ZERO: Money = Money(0);
    pub const MAX: Money = Money(i64::MAX);

    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    /// Whole units (pesos, dollars): `Money::units(121)` is 121.00. An `i32` cannot overflow.
    pub const fn units(units: i32) -> Money {
        Money(units as i64 * 100)
    }

    /// Whole units from a wider integer; `None` when it does not fit.
    pub fn checked_units(units: i64) -> Option<Money> {
        units.checked_mul(100).map(Money)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × n` (a quantity).
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    pub fn checked_neg(self) -> Option<Money> {
        self.0.checked_neg().map(Money)
    }

    /// The absolute difference, `None` if it does not fit.
    pub fn abs_diff(self, other: Money) -> Option<Money> {
        self.0
            .checked_sub(other.0)
            .and_then(i64::checked_abs)
            .map(Money)
    }

    /// The sum of `items`; `None` on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(items: I) -> Option<Money> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }

    /// Parses `121`, `121.5`, `121.50`, `-3.20` (at most two decimals).
    pub fn parse(s: &str) -> Result<Money, ParseAmountError> {
        parse_scaled(s, 2).map(Money)
    }

    /// Exactly two decimals (`121.00`), as AFIP's WSFE wants it.
    pub fn to_wire(self) -> String {
        self.to_string()
    }

    /// A JSON number without trailing zeros (`12100`, `121.5`), as in AFIP's QR.
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

impl FromStr for Money {
    type Err = ParseAmountError;
    fn from_str(s: &str) -> Result<Money, ParseAmountError> {
        Money::parse(s)
    }
}

/// An exchange rate (units of ARS per unit of the currency) with up to six decimals, stored in
/// millionths (AFIP's `MonCotiz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rate(i64);

impl Rate {
    pub const ONE: Rate = Rate(1_000_000);

    pub const fn from_millionths(m: i64) -> Rate {
        Rate(m)
    }

    /// Whole units; an `i32` cannot overflow.
    pub const fn units(units: i32) -> Rate {
        Rate(units as i64 * 1_000_000)
    }

    pub const fn millionths(self) -> i64 {
        self.0
    }

    pub fn parse(s: &str) -> Result<Rate, ParseAmountError> {
        parse_scaled(s, 6).map(Rate)
    }

    /// `1`, `65`, `1234.5`: no trailing zeros.
    pub fn to_wire(self) -> String {
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        trim_decimals(&format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000))
    }

    /// `amount × rate`, rounded half-even to cents; `None` when it does not fit.
    pub fn convert(self, amount: Money) -> Option<Money> {
        round_half_even_div(amount.0 as i128 * self.0 as i128, 1_000_000).map(Money)
    }
}

/// A percentage in hundredths of a percent: 21 % is `BasisPoints(2100)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct BasisPoints(pub i64);

impl BasisPoints {
    pub const fn get(self) -> i64 {
        self.0
    }

    /// `amount × self`, rounded half-even to the cent; `None` when it does not fit.
    pub fn of(self, amount: Money) -> Option<Money> {
        round_half_even_div(amount.0 as i128 * self.0 as i128, 10_000).map(Money)
    }

    /// As a percentage with two decimals (`21.00`), the way AFIP's `Alic` is written.
    pub fn to_percent_wire(self) -> String {
        Money(self.0).to_wire()
    }
}

/// A currency code: three ASCII letters or digits, as AFIP's `MonId` (`PES`, `DOL`, `060`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CurrencyCode([u8; 3]);

/// Not a three-character currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a 3-character currency code")]
pub struct InvalidCurrencyCode(pub String);

impl CurrencyCode {
    /// Argentine pesos (`PES`).
    pub const PESOS: CurrencyCode = CurrencyCode(*b"PES");

    pub fn parse(s: &str) -> Result<CurrencyCode, InvalidCurrencyCode> {
        let b = s.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_alphanumeric) {
            return Err(InvalidCurrencyCode(s.to_owned()));
        }
        Ok(CurrencyCode([b[0], b[1], b[2]]))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

impl FromStr for CurrencyCode {
    type Err = InvalidCurrencyCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CurrencyCode::parse(s)
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        CurrencyCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An amount together with its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Priced {
    pub amount: Money,
    pub currency: CurrencyCode,
}

/// `n / d` rounded half to even (the rounding AFIP's manual specifies); `None` if `d <= 0` or the
/// quotient does not fit an `i64`.
pub fn round_half_even_div(n: i128, d: i128) -> Option<i64> {
    if d <= 0 {
        return None;
    }
    let q = n.div_euclid(d);
    let twice = n.rem_euclid(d).checked_mul(2)?;
    let q = if twice > d || (twice == d && q % 2 != 0) {
        q.checked_add(1)?
    } else {
        q
    };
    i64::try_from(q).ok()
}

fn trim_decimals(s: &str) -> String {
    match s.split_once('.') {
        Some((int, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                int.to_owned()
            } else {
                format!("{int}.{frac}")
            }
        }
        None => s.to_owned(),
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
    {
        return Err(bad());
    }
    let mut v: i64 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as i64))
            .ok_or_else(bad)?;
    }
    for _ in frac.len()..scale as usize {
        v = v.checked_mul(10).ok_or_else(bad)?;
    }
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
        assert!(Money::parse("").is_err());
        assert_eq!(Money::units(12100).to_json_number(), "12100");
        assert_eq!(Money::from_cents(12150).to_json_number(), "121.5");
        assert_eq!(Rate::units(65).to_wire(), "65");
        assert_eq!(Rate::parse("1350.25").unwrap().to_wire(), "1350.25");
        assert_eq!(Rate::ONE.to_wire(), "1");
        assert_eq!(BasisPoints(300).to_percent_wire(), "3.00");
    }

    #[test]
    fn half_even() {
        assert_eq!(round_half_even_div(25, 10), Some(2));
        assert_eq!(round_half_even_div(35, 10), Some(4));
        assert_eq!(round_half_even_div(26, 10), Some(3));
        assert_eq!(round_half_even_div(-25, 10), Some(-2));
        assert_eq!(round_half_even_div(1, 0), None);
        assert_eq!(
            BasisPoints(500).of(Money::from_cents(50)),
            Some(Money::from_cents(2))
        );
        assert_eq!(
            BasisPoints(500).of(Money::from_cents(150)),
            Some(Money::from_cents(8))
        );
    }

    /// Issue 15 point 11: each of these panicked (debug) or wrapped (release) before.
    #[test]
    fn arithmetic_is_checked_and_never_panics() {
        // 15 integer digits × 10^6 overflowed i64 inside Rate::parse.
        assert!(Rate::parse("999999999999999").is_err());
        assert!(Money::parse("999999999999999999999").is_err());
        assert!(Money::parse("92233720368547758.08").is_err());
        assert_eq!(Money::MAX.checked_add(Money::from_cents(1)), None);
        assert_eq!(Money::checked_sum([Money::MAX, Money::from_cents(1)]), None);
        assert_eq!(Money::from_cents(i64::MIN).checked_neg(), None);
        assert_eq!(Money::MAX.abs_diff(Money::from_cents(-1)), None);
        assert_eq!(Money::checked_units(i64::MAX / 10), None);
        // The product fits i128 but not the result: the old `as i64` wrapped silently.
        assert_eq!(Rate::units(2).convert(Money::MAX), None);
        assert_eq!(BasisPoints(20_000).of(Money::MAX), None);
    }

    #[test]
    fn currency_codes() {
        assert_eq!(CurrencyCode::parse("PES").unwrap(), CurrencyCode::PESOS);
        assert_eq!(CurrencyCode::parse("060").unwrap().to_string(), "060");
        for bad in ["", "PE", "PESO", "P S", "ÑAN"] {
            assert!(CurrencyCode::parse(bad).is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&CurrencyCode::PESOS).unwrap();
        assert_eq!(json, "\"PES\"");
        assert!(serde_json::from_str::<CurrencyCode>("\"DOLAR\"").is_err());
    }

    proptest! {
        #[test]
        fn wire_round_trip(c in -10_000_000_000i64..10_000_000_000) {
            let m = Money::from_cents(c);
            prop_assert_eq!(Money::parse(&m.to_wire()).unwrap(), m);
            prop_assert_eq!(Money::parse(&m.to_json_number()).unwrap(), m);
        }

        #[test]
        fn parsing_any_text_never_panics(s in ".{0,40}") {
            let _ = Money::parse(&s);
            let _ = Rate::parse(&s);
        }

        #[test]
        fn checked_add_agrees_with_i128(a in any::<i64>(), b in any::<i64>()) {
            let wide = a as i128 + b as i128;
            let expected = i64::try_from(wide).ok().map(Money::from_cents);
            prop_assert_eq!(Money::from_cents(a).checked_add(Money::from_cents(b)), expected);
        }
    }
}
