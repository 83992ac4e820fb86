//! Numbers the way WSFE's .NET deserializer reads them (`XmlConvert.ToDouble` / `ToInt64`), and
//! written back the way it prints doubles. Amounts are doubles on AFIP's side, compared with the
//! manual's margin of error (0.01 absolute, or 0.01 % relative). This is the simulator's own
//! code, on purpose unrelated to the client's `Money`.

/// Why a value could not be read (the text of the SOAP fault .NET answers with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadNumber(pub String);

const XML_WS: &[char] = &[' ', '\t', '\r', '\n'];

/// `xsd:double`: `[+-]?(digits[.digits*]|.digits)([eE][+-]?digits)?`, `INF`, `-INF`, `NaN`,
/// surrounded by XML whitespace. A comma, a thousands separator or text is unreadable.
pub fn parse_double(s: &str) -> Result<f64, BadNumber> {
    let bad = || BadNumber(format!("The string '{s}' is not a valid Double value."));
    let t = s.trim_matches(XML_WS);
    match t {
        "INF" | "+INF" => return Ok(f64::INFINITY),
        "-INF" => return Ok(f64::NEG_INFINITY),
        "NaN" => return Ok(f64::NAN),
        _ => {}
    }
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(bad());
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return Err(bad());
        }
    }
    t.parse::<f64>().map_err(|_| bad())
}

/// `xsd:long` / `xsd:int` into `T`: optional sign, digits, surrounding XML whitespace.
pub fn parse_int<T: std::str::FromStr>(s: &str) -> Result<T, BadNumber> {
    let t = s.trim_matches(XML_WS);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadNumber(format!(
            "Input string '{s}' was not in a correct format."
        )));
    }
    t.strip_prefix('+')
        .unwrap_or(t)
        .parse()
        .map_err(|_| BadNumber(format!("Value '{s}' was either too large or too small.")))
}

/// A double as .NET prints it: shortest round-trip form, `122` for `122.00`, `1E+16` for large.
pub fn format_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "INF".into() } else { "-INF".into() };
    }
    if v != 0.0 && (v.abs() >= 1e15 || v.abs() < 1e-5) {
        let s = format!("{v:E}");
        return match s.split_once('E') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}E+{e:0>2}"),
            Some((m, e)) => format!("{m}E-{:0>2}", &e[1..]),
            None => s,
        };
    }
    format!("{v}")
}

/// The manual's margin of error: `|actual − expected| ≤ abs_tolerance`, or a relative error of at
/// most 0.01 %. (A tiny epsilon absorbs the binary representation of decimal cents.)
pub fn within(actual: f64, expected: f64, abs_tolerance: f64) -> bool {
    let diff = (actual - expected).abs();
    diff <= abs_tolerance + 1e-9 || (expected != 0.0 && diff / expected.abs() <= 0.0001 + 1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_dotnet_reads() {
        assert_eq!(parse_double("121.00"), Ok(121.0));
        assert_eq!(parse_double(" 121 "), Ok(121.0));
        assert_eq!(parse_double("1.21E2"), Ok(121.0));
        assert_eq!(parse_double("+.5"), Ok(0.5));
        assert_eq!(parse_double("5."), Ok(5.0));
        assert_eq!(parse_double("-INF"), Ok(f64::NEG_INFINITY));
        for bad in [
            "", "121,00", "1.000,00", "1e", "e5", "abc", "12 1", "0x10", "inf", "1_000",
        ] {
            assert!(parse_double(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_int::<u64>(" 42\n"), Ok(42));
        assert_eq!(parse_int::<i64>("+7"), Ok(7));
        assert!(parse_int::<u32>("1.0").is_err());
        assert!(parse_int::<u32>("99999999999").is_err());
    }

    #[test]
    fn prints_like_dotnet() {
        assert_eq!(format_double(122.0), "122");
        assert_eq!(format_double(121.5), "121.5");
        assert_eq!(format_double(0.1), "0.1");
        assert_eq!(format_double(1e16), "1E+16");
        assert_eq!(format_double(0.0), "0");
    }

    #[test]
    fn margin_of_error() {
        assert!(within(121.01, 121.0, 0.01));
        assert!(!within(121.03, 121.0, 0.01));
        // 0.01 % of a large total is more than a cent.
        assert!(within(1_000_000.5, 1_000_000.0, 0.01));
        assert!(!within(f64::NAN, 1.0, 0.01));
    }
}
