//! Lenient scalars: Meta sends timestamps and some ids as strings in one place and numbers in
//! another. These accept both, and turn a value of the wrong shape into `None` rather than failing
//! the whole item. They read the value in one pass (no buffering).

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

enum Scalar<'de> {
    /// A string without escapes, borrowed from the input (no allocation).
    Borrowed(&'de str),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// null, an array or an object: not a scalar.
    None,
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(i64::try_from(v).map_or(Scalar::Str(v.to_string()), Scalar::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::None)
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar<'de>, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

/// `"1749416383"` or `1749416383` ⇒ `Some(1749416383)`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Int(i) => Some(i),
        Scalar::Borrowed(s) => s.trim().parse().ok(),
        Scalar::Str(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// `"4096"` or `4096` ⇒ `Some(4096)` (sizes: Meta's spec says string, some answers are numbers).
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Int(i) => u64::try_from(i).ok(),
        Scalar::Borrowed(s) => s.trim().parse().ok(),
        Scalar::Str(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A string, or a number rendered as a string (ids, prices).
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Borrowed(s) => Some(s.to_owned()),
        Scalar::Str(s) => Some(s),
        Scalar::Int(i) => Some(i.to_string()),
        Scalar::Float(f) => Some(f.to_string()),
        Scalar::Bool(b) => Some(b.to_string()),
        Scalar::None => None,
    })
}

/// An id: a string, or an integer rendered as digits; other shapes give `None`.
pub(crate) fn opt_id_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Borrowed(s) => Some(s.to_owned()),
        Scalar::Str(s) => Some(s),
        Scalar::Int(i) => Some(i.to_string()),
        _ => None,
    })
}

/// `true`, `"true"` ⇒ `Some(true)`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Bool(b) => Some(b),
        Scalar::Borrowed(s) => s.parse().ok(),
        Scalar::Str(s) => s.parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "super::opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "super::opt_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "super::opt_bool")]
        b: Option<bool>,
    }

    fn t(json: &str) -> (Option<i64>, Option<String>, Option<bool>) {
        let t: T = serde_json::from_str(json).unwrap();
        (t.n, t.s, t.b)
    }

    #[test]
    fn accepts_both_shapes_and_drops_the_rest() {
        assert_eq!(
            t(r#"{"n":"17","s":17,"b":"true"}"#),
            (Some(17), Some("17".into()), Some(true))
        );
        assert_eq!(
            t(r#"{"n":17,"s":"x","b":false}"#),
            (Some(17), Some("x".into()), Some(false))
        );
        assert_eq!(
            t(r#"{"n":[1],"s":{"a":[1,{}]},"b":null}"#),
            (None, None, None)
        );
        assert_eq!(
            t(r#"{"n":"x","s":1.5,"b":3}"#),
            (None, Some("1.5".into()), None)
        );
        assert_eq!(
            t(r#"{"s":18446744073709551615}"#).1.as_deref(),
            Some("18446744073709551615")
        );
        // Escaped strings cannot be borrowed: the owned path gives the same results.
        assert_eq!(
            t(r#"{"n":"\u0031\u0037","s":"Jos\u00e9","b":"tru\u0065"}"#),
            (Some(17), Some("José".into()), Some(true))
        );
    }
}
