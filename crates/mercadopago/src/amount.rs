//! MercadoPago writes amounts as JSON numbers (`1500.5`). They travel here as their exact decimal
//! text, never through `f64`: written with a raw JSON value, read from the raw number text and
//! rounded half to even to cents (fees can come with more decimals).

use mostrador_types::{round_half_even_div, Money};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::value::RawValue;

/// `Money` as a JSON number with two decimals.
pub fn to_raw(m: Money) -> Box<RawValue> {
    RawValue::from_string(m.to_wire()).expect("a decimal is a JSON number")
}

/// A JSON number's text (`1500`, `1500.5`, `12.345`, `-3`, `1.5e3`) in cents, rounded half to even.
pub fn parse_number(text: &str) -> Option<Money> {
    let t = text.trim();
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (neg, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 18 || int.len() > 18 {
        return None;
    }
    let all = format!("{int}{frac}");
    let n: i128 = all.parse().ok()?;
    // value = n × 10^(exp − frac.len()); cents = value × 100.
    let scale = exp - frac.len() as i32 + 2;
    let cents = if scale >= 0 {
        n.checked_mul(10i128.checked_pow(scale as u32)?)?
            .try_into()
            .ok()?
    } else {
        round_half_even_div(n, 10i128.checked_pow((-scale) as u32)?)?
    };
    let cents: i64 = if neg { -cents } else { cents };
    Some(Money::from_cents(cents))
}

pub fn serialize<S: Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&to_raw(*m), s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
    let raw = <Box<RawValue>>::deserialize(d)?;
    parse_number(raw.get())
        .ok_or_else(|| D::Error::custom(format!("{} is not an amount", raw.get())))
}

/// The same for optional (or `null`) amounts.
pub mod opt {
    use super::*;

    pub fn serialize<S: Serializer>(m: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
        match m {
            Some(m) => super::serialize(m, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
        let raw = <Option<Box<RawValue>>>::deserialize(d)?;
        match raw {
            None => Ok(None),
            Some(r) if r.get() == "null" => Ok(None),
            Some(r) => parse_number(r.get())
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("{} is not an amount", r.get()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_exact_cents() {
        let c = |s: &str| parse_number(s).map(Money::cents);
        assert_eq!(c("1500.5"), Some(150050));
        assert_eq!(c("1500"), Some(150000));
        assert_eq!(c("0.1"), Some(10));
        assert_eq!(c("-3.2"), Some(-320));
        assert_eq!(c("12.345"), Some(1234)); // half to even
        assert_eq!(c("12.355"), Some(1236));
        assert_eq!(c("1.5e3"), Some(150000));
        assert_eq!(c("abc"), None);
        assert_eq!(c("1.2.3"), None);
        assert_eq!(to_raw(Money::from_cents(150050)).get(), "1500.50");
    }
}
