//! Phone numbers as WhatsApp knows them: E.164 digits without the `+` (the `wa_id` shape), with
//! Argentina's mobile rule applied.
//!
//! Argentine mobiles are dialled domestically as `0 <area> 15 <subscriber>` and internationally as
//! `+54 9 <area> <subscriber>`; WhatsApp's `wa_id` is the latter (`5491112345678`). libphonenumber's
//! AR metadata (via the `phonenumber` crate) knows the area codes and turns `0<area>15…` into
//! `9<area>…`; on top of it we add what people actually type:
//!
//! | typed | result |
//! |---|---|
//! | `011 15 1234-5678`, `+54 9 11 1234-5678`, `11 15 1234-5678` | `5491112345678` |
//! | `11 1234-5678` (no `0`, no `+54`) | `5491112345678`: written bare, a 10-digit number is a mobile |
//! | `15 1234-5678` | the shop's default area code + mobile |
//! | `011 4321-5678`, `+54 11 4321-5678` | `541143215678`: explicitly a landline, kept |
//! | `4321-5678` | the default area code + landline (how a local landline is dialled) |
//! | `+34 612 34 56 78`, `0034…` | E.164 of that country |
//!
//! A number written with neither `0` nor `+54` is taken as a mobile because that is how Argentines
//! write cell numbers today and these are WhatsApp contacts; a landline must be written with its
//! trunk `0` or `+54`.

use std::fmt;
use std::str::FromStr;

use phonenumber::country::Id as Region;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Argentina's country calling code.
const AR_CODE: &str = "54";
/// Every Argentine number has 10 national digits (area code + subscriber).
const AR_NATIONAL_LEN: usize = 10;

/// A normalized phone number: E.164 digits without `+` (`5491112345678`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

/// An Argentine area code (2 to 4 digits, without the trunk `0`), e.g. `11`, `351`, `2966`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AreaCode(String);

impl AreaCode {
    pub fn new(code: &str) -> Result<AreaCode, PhoneError> {
        let code = code.trim().trim_start_matches('0');
        if !(2..=4).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::InvalidAreaCode {
                area: code.to_owned(),
            });
        }
        let national = format!("{code}{}", "4".repeat(AR_NATIONAL_LEN - code.len()));
        match ar_area_len(&national) {
            Some(len) if len == code.len() => Ok(AreaCode(code.to_owned())),
            _ => Err(PhoneError::InvalidAreaCode {
                area: code.to_owned(),
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for AreaCode {
    /// Buenos Aires (AMBA), the setting's default.
    fn default() -> Self {
        AreaCode("11".to_owned())
    }
}

/// Why a text is not a phone number we can use. Each names the problem for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error("a phone number may only contain digits, spaces, dashes, dots, parentheses and a leading + (found {found:?})")]
    InvalidCharacter { found: char },
    #[error("{digits} digits is too short for a phone number")]
    TooShort { digits: usize },
    #[error("{digits} digits is too long for a phone number")]
    TooLong { digits: usize },
    #[error("{area:?} is not an Argentine area code")]
    InvalidAreaCode { area: String },
    #[error("{number} is not a valid Argentine number (unknown area code or wrong length)")]
    InvalidArgentine { number: String },
    #[error("{number} is not a valid number for its country (+{country})")]
    InvalidForCountry { number: String, country: String },
    #[error("no country uses the calling code of {number}")]
    UnknownCountry { number: String },
}

impl PhoneError {
    /// A short Spanish (es-AR) sentence for the person who typed it.
    pub fn message_es(&self) -> String {
        match self {
            PhoneError::Empty => "Ingresá un número de teléfono.".into(),
            PhoneError::InvalidCharacter { found } => format!(
                "El número solo puede tener dígitos, espacios, guiones, paréntesis y un + al principio (encontramos «{found}»)."
            ),
            PhoneError::TooShort { digits } => format!(
                "El número tiene {digits} dígitos: es demasiado corto. Incluí el código de área (por ejemplo 11 1234-5678)."
            ),
            PhoneError::TooLong { digits } => format!(
                "El número tiene {digits} dígitos: es demasiado largo. Revisá que no tenga dígitos de más."
            ),
            PhoneError::InvalidAreaCode { area } => {
                format!("«{area}» no es un código de área de Argentina.")
            }
            PhoneError::InvalidArgentine { number } => format!(
                "«{number}» no es un número argentino válido: revisá el código de área y la cantidad de dígitos (el área más el número suman 10)."
            ),
            PhoneError::InvalidForCountry { number, country } => format!(
                "«{number}» no es un número válido para el país +{country}: revisá la cantidad de dígitos."
            ),
            PhoneError::UnknownCountry { number } => format!(
                "Ningún país usa el código con el que empieza «{number}». Revisá el + y el código de país."
            ),
        }
    }
}

/// How the number was written, which decides mobile vs landline for Argentina.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// `+…` or `00…`, or bare digits starting with `54` (a `wa_id`).
    International,
    /// With the trunk prefix `0`.
    Trunk,
    /// Neither: a bare national number.
    Bare,
}

impl Phone {
    /// Normalizes what a person typed, with Buenos Aires (`11`) as the default area code.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        Phone::parse_with_area(input, &AreaCode::default())
    }

    /// Normalizes what a person typed; `default_area` completes numbers written without one
    /// (`15 1234-5678`, `4321-5678`).
    pub fn parse_with_area(input: &str, default_area: &AreaCode) -> Result<Phone, PhoneError> {
        let (written, digits) = clean(input)?;
        match written {
            Written::International => international(&digits),
            Written::Trunk => trunk(&digits[1..], &digits),
            Written::Bare => bare(&digits, default_area),
        }
    }

    /// A `wa_id` (or any E.164 number without `+`) as WhatsApp sent it: digits only, checked
    /// loosely (WhatsApp is the authority), never rewritten.
    pub fn from_wa_id(wa_id: &str) -> Result<Phone, PhoneError> {
        let (_, digits) = clean(wa_id)?;
        if digits.len() < 8 {
            return Err(PhoneError::TooShort {
                digits: digits.len(),
            });
        }
        if digits.len() > 15 {
            return Err(PhoneError::TooLong {
                digits: digits.len(),
            });
        }
        Ok(Phone(digits))
    }

    /// The digits (`5491112345678`), as WhatsApp's `wa_id`.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// E.164 with the plus: `+5491112345678`.
    pub fn e164(&self) -> String {
        format!("+{}", self.0)
    }

    /// Whether it is an Argentine mobile (`549…`).
    pub fn is_ar_mobile(&self) -> bool {
        self.0.starts_with("549") && self.0.len() == 2 + 1 + AR_NATIONAL_LEN
    }

    /// For people: `+54 9 11 1234-5678`, `+54 351 422-1234`, `+34 612 34 56 78`.
    pub fn display(&self) -> String {
        if let Some(national) = self.0.strip_prefix(AR_CODE) {
            let (nine, rest) = match national.strip_prefix('9') {
                Some(rest) if national.len() == AR_NATIONAL_LEN + 1 => ("9 ", rest),
                _ => ("", national),
            };
            if rest.len() == AR_NATIONAL_LEN {
                let area_len = ar_area_len(rest).unwrap_or(2);
                let (area, sub) = rest.split_at(area_len);
                let split = sub.len() - 4;
                return format!("+54 {nine}{area} {}-{}", &sub[..split], &sub[split..]);
            }
        }
        match phonenumber::parse(None, self.e164()) {
            Ok(n) => n
                .format()
                .mode(phonenumber::Mode::International)
                .to_string(),
            Err(_) => self.e164(),
        }
    }
}

/// Strips separators; tells how the number was written.
fn clean(input: &str) -> Result<(Written, String), PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let mut digits = String::with_capacity(trimmed.len());
    let mut plus = false;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            other => return Err(PhoneError::InvalidCharacter { found: other }),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    if digits.len() > 17 {
        return Err(PhoneError::TooLong {
            digits: digits.len(),
        });
    }
    if plus {
        return Ok((Written::International, digits));
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return Ok((Written::International, rest.to_owned()));
    }
    // No Argentine area code starts with 5: bare digits starting with 54 and longer than a
    // national number are a wa_id (or our own output).
    if digits.starts_with(AR_CODE) && digits.len() > AR_NATIONAL_LEN + 1 {
        return Ok((Written::International, digits));
    }
    if digits.starts_with('0') {
        return Ok((Written::Trunk, digits));
    }
    Ok((Written::Bare, digits))
}

/// `+<country><national>`.
fn international(digits: &str) -> Result<Phone, PhoneError> {
    if digits.len() < 8 {
        return Err(PhoneError::TooShort {
            digits: digits.len(),
        });
    }
    if let Some(national) = digits.strip_prefix(AR_CODE) {
        return match national.len() {
            // +54 9 <area> <sub>: a mobile as WhatsApp writes it.
            11 if national.starts_with('9') => {
                ar_validate(&national[1..], digits)?;
                Ok(Phone(format!("549{}", &national[1..])))
            }
            // +54 <area> <sub>: a landline, kept.
            AR_NATIONAL_LEN => {
                ar_validate(national, digits)?;
                Ok(Phone(format!("54{national}")))
            }
            // +54 <area> 15 <sub> (mixed styles): the 15 marks a mobile.
            _ => match ar_national(&format!("0{national}")) {
                Some(n) if n.len() == 11 && n.starts_with('9') => Ok(Phone(format!("54{n}"))),
                _ => Err(
                    length_error(digits, national.len(), AR_NATIONAL_LEN).unwrap_or(
                        PhoneError::InvalidArgentine {
                            number: format!("+{digits}"),
                        },
                    ),
                ),
            },
        };
    }
    let e164 = format!("+{digits}");
    let n = phonenumber::parse(None, &e164).map_err(|_| PhoneError::UnknownCountry {
        number: e164.clone(),
    })?;
    if n.country().id().is_none() {
        return Err(PhoneError::UnknownCountry { number: e164 });
    }
    if !phonenumber::is_valid(&n) {
        return Err(PhoneError::InvalidForCountry {
            number: e164,
            country: n.code().value().to_string(),
        });
    }
    let formatted = n.format().mode(phonenumber::Mode::E164).to_string();
    Ok(Phone(formatted.trim_start_matches('+').to_owned()))
}

/// `0<area>…`: with `15` a mobile, without a landline.
fn trunk(national: &str, typed: &str) -> Result<Phone, PhoneError> {
    if let Some(e) = length_error(typed, national.len(), AR_NATIONAL_LEN) {
        // 0 + area + 15 + subscriber is 12 national digits: only "too long" beyond that.
        if national.len() != AR_NATIONAL_LEN + 2 {
            return Err(e);
        }
    }
    match ar_national(typed) {
        Some(n) if n.len() == 11 && n.starts_with('9') => Ok(Phone(format!("54{n}"))),
        Some(n) if n.len() == AR_NATIONAL_LEN => Ok(Phone(format!("54{n}"))),
        _ => Err(PhoneError::InvalidArgentine {
            number: typed.to_owned(),
        }),
    }
}

/// No `0`, no `+54`.
fn bare(digits: &str, area: &AreaCode) -> Result<Phone, PhoneError> {
    let local_len = AR_NATIONAL_LEN - area.0.len();
    // 15 <subscriber>: a local mobile.
    if let Some(sub) = digits.strip_prefix("15") {
        if sub.len() == local_len {
            let national = format!("{}{sub}", area.0);
            ar_validate(&national, digits)?;
            return Ok(Phone(format!("549{national}")));
        }
    }
    if digits.len() == local_len {
        // A local subscriber number: a landline of the default area.
        let national = format!("{}{digits}", area.0);
        ar_validate(&national, digits)?;
        return Ok(Phone(format!("54{national}")));
    }
    match digits.len() {
        // <area> <subscriber>: how cell numbers are written today.
        AR_NATIONAL_LEN => {
            ar_validate(digits, digits)?;
            Ok(Phone(format!("549{digits}")))
        }
        // <area> 15 <subscriber>.
        12 => match ar_national(&format!("0{digits}")) {
            Some(n) if n.len() == 11 && n.starts_with('9') => Ok(Phone(format!("54{n}"))),
            // Not Argentine: another country's number written without its + (a wa_id).
            _ => international(digits).map_err(|_| PhoneError::InvalidArgentine {
                number: digits.to_owned(),
            }),
        },
        // 9 <area> <subscriber>: the international mobile form without the country code.
        11 if digits.starts_with('9') => {
            ar_validate(&digits[1..], digits)?;
            Ok(Phone(format!("54{digits}")))
        }
        n if n > AR_NATIONAL_LEN => international(digits).map_err(|_| {
            length_error(digits, n, AR_NATIONAL_LEN).unwrap_or(PhoneError::InvalidArgentine {
                number: digits.to_owned(),
            })
        }),
        n => Err(length_error(digits, n, AR_NATIONAL_LEN).unwrap_or(
            PhoneError::InvalidArgentine {
                number: digits.to_owned(),
            },
        )),
    }
}

fn length_error(_typed: &str, len: usize, expected: usize) -> Option<PhoneError> {
    if len < expected {
        Some(PhoneError::TooShort { digits: len })
    } else if len > expected + 2 {
        Some(PhoneError::TooLong { digits: len })
    } else {
        None
    }
}

/// libphonenumber's national number for a national AR string (`0` and `15` handled by its
/// `nationalPrefixForParsing` and `9$1` transform rule), if its area code is known.
///
/// Validity is the area code plus the length, not libphonenumber's allocated ranges: those lag
/// behind real allocations and would reject a customer's real number.
fn ar_national(national: &str) -> Option<String> {
    let n = phonenumber::parse(Some(Region::AR), national).ok()?;
    if n.code().value() != 54 {
        return None;
    }
    let n = n.national().to_string();
    let core = match n.strip_prefix('9') {
        Some(rest) if n.len() == AR_NATIONAL_LEN + 1 => rest,
        _ => &n,
    };
    ar_area_len(core)?;
    Some(n)
}

/// Checks a 10-digit area + subscriber against the AR metadata.
fn ar_validate(national: &str, typed: &str) -> Result<(), PhoneError> {
    if national.len() != AR_NATIONAL_LEN {
        return Err(
            length_error(typed, national.len(), AR_NATIONAL_LEN).unwrap_or(
                PhoneError::InvalidArgentine {
                    number: typed.to_owned(),
                },
            ),
        );
    }
    match ar_area_len(national) {
        Some(_) => Ok(()),
        None => Err(PhoneError::InvalidArgentine {
            number: typed.to_owned(),
        }),
    }
}

/// Length of the area code at the start of a 10-digit national number: the prefix (2–4 digits)
/// that libphonenumber's AR parsing rule recognizes as an area code in `0<area>15<sub>`.
/// `None` when no area code matches (or the subscriber starts with 0 or 1, which none does).
fn ar_area_len(national: &str) -> Option<usize> {
    if national.len() != AR_NATIONAL_LEN || !national.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    (2..=4).find(|&len| {
        let (area, sub) = national.split_at(len);
        let want = format!("9{national}");
        phonenumber::parse(Some(Region::AR), format!("0{area}15{sub}"))
            .is_ok_and(|n| n.code().value() == 54 && n.national().to_string() == want)
    })
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.0)
    }
}

impl FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Stored values are already normalized: keep them exactly.
        let s = String::deserialize(d)?;
        Phone::from_wa_id(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> String {
        Phone::parse(s)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
            .digits()
            .to_owned()
    }

    fn pa(s: &str, area: &str) -> String {
        Phone::parse_with_area(s, &AreaCode::new(area).unwrap())
            .unwrap_or_else(|e| panic!("{s:?} (area {area}): {e}"))
            .digits()
            .to_owned()
    }

    #[test]
    fn the_four_ways_to_write_a_buenos_aires_mobile() {
        for s in [
            "011 15 1234-5678",
            "(011) 15-1234-5678",
            "+54 9 11 1234-5678",
            "+5491112345678",
            "0054 9 11 1234 5678",
            "11 1234-5678",
            "11 15 1234 5678",
            "15 1234-5678",
            "5491112345678",
            "9 11 1234 5678",
            "+54 11 15 1234-5678",
        ] {
            assert_eq!(p(s), "5491112345678", "{s}");
        }
    }

    #[test]
    fn other_area_codes() {
        let table = [
            // Córdoba (351, 7-digit subscribers)
            ("0351 15 123-4567", "5493511234567"),
            ("+54 9 351 123-4567", "5493511234567"),
            ("351 123 4567", "5493511234567"),
            ("0351 422-1234", "543514221234"),
            // Rosario (341)
            ("0341 15 555-1234", "5493415551234"),
            ("341 555 1234", "5493415551234"),
            ("+54 341 421-0000", "543414210000"),
            // Río Gallegos (2966, 6-digit subscribers)
            ("02966 15 12-3456", "5492966123456"),
            ("+54 9 2966 12-3456", "5492966123456"),
            ("02966 42-1234", "542966421234"),
            // Mendoza (261), La Plata (221), Mar del Plata (223), Bariloche (294)
            ("0261 15 412-3456", "5492614123456"),
            ("0221 15 555-0101", "5492215550101"),
            ("223 512 3456", "5492235123456"),
            ("0294 15 450-1234", "5492944501234"),
            // Buenos Aires landline
            ("011 4321-5678", "541143215678"),
            ("+54 11 4321-5678", "541143215678"),
            ("4321-5678", "541143215678"),
        ];
        for (typed, want) in table {
            assert_eq!(p(typed), want, "{typed}");
        }
    }

    #[test]
    fn default_area_code_completes_local_numbers() {
        assert_eq!(pa("15 123-4567", "351"), "5493511234567");
        assert_eq!(pa("422-1234", "351"), "543514221234");
        assert_eq!(pa("15 42-1234", "2966"), "5492966421234");
        assert_eq!(pa("0351 15 123-4567", "2966"), "5493511234567");
        assert_eq!(pa("11 1234-5678", "351"), "5491112345678");
        assert!(AreaCode::new("999").is_err());
        assert!(AreaCode::new("1").is_err());
        assert_eq!(AreaCode::new("0351").unwrap().as_str(), "351");
    }

    #[test]
    fn other_countries_keep_their_e164() {
        assert_eq!(p("+34 612 34 56 78"), "34612345678");
        assert_eq!(p("+1 (415) 555-2671"), "14155552671");
        assert_eq!(p("+55 11 98765-4321"), "5511987654321");
        assert_eq!(p("0059 8 94 123 456"), "59894123456");
        assert_eq!(p("+598 94 123 456"), "59894123456");
    }

    #[test]
    fn display_format() {
        let s = |x: &str| Phone::parse(x).unwrap().display();
        assert_eq!(s("011 15 1234-5678"), "+54 9 11 1234-5678");
        assert_eq!(s("0351 15 123-4567"), "+54 9 351 123-4567");
        assert_eq!(s("02966 15 12-3456"), "+54 9 2966 12-3456");
        assert_eq!(s("011 4321-5678"), "+54 11 4321-5678");
        assert_eq!(s("+34 612 34 56 78"), "+34 612 34 56 78");
        assert_eq!(
            Phone::parse("11 1234 5678").unwrap().to_string(),
            "+54 9 11 1234-5678"
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e = |s: &str| Phone::parse(s).unwrap_err();
        assert_eq!(e(""), PhoneError::Empty);
        assert_eq!(e("  - "), PhoneError::Empty);
        assert_eq!(
            e("11 1234-567a"),
            PhoneError::InvalidCharacter { found: 'a' }
        );
        assert_eq!(e("11 12+34"), PhoneError::InvalidCharacter { found: '+' });
        assert!(matches!(e("1234"), PhoneError::TooShort { digits: 4 }));
        assert!(matches!(e("011 1234"), PhoneError::TooShort { .. }));
        assert!(matches!(
            e("011 15 1234 5678 999"),
            PhoneError::TooLong { .. }
        ));
        assert!(matches!(
            e("099 1234 5678"),
            PhoneError::InvalidArgentine { .. }
        ));
        assert!(matches!(
            e("+999 1234 5678"),
            PhoneError::UnknownCountry { .. }
        ));
        assert!(matches!(e("+34 1"), PhoneError::TooShort { .. }));
        assert!(matches!(
            e("+34 6123 4567"),
            PhoneError::InvalidForCountry { .. }
        ));
        for err in [
            e(""),
            e("x"),
            e("1234"),
            e("099 1234 5678"),
            e("+999 1234 5678"),
        ] {
            let m = err.message_es();
            assert!(m.ends_with('.') && !m.is_empty(), "{m}");
        }
        assert!(e("11 1234-567a").message_es().contains("«a»"));
    }

    #[test]
    fn wa_ids_are_kept_as_sent() {
        assert_eq!(
            Phone::from_wa_id("5491112345678").unwrap().digits(),
            "5491112345678"
        );
        assert_eq!(
            Phone::from_wa_id("16315551181").unwrap().digits(),
            "16315551181"
        );
        assert!(Phone::from_wa_id("12").is_err());
        assert!(Phone::from_wa_id("54911x").is_err());
    }

    #[test]
    fn serde_round_trip() {
        let ph = Phone::parse("011 15 1234-5678").unwrap();
        let j = serde_json::to_string(&ph).unwrap();
        assert_eq!(j, "\"5491112345678\"");
        assert_eq!(serde_json::from_str::<Phone>(&j).unwrap(), ph);
    }

    fn area() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "11", "351", "341", "2966", "261", "221", "223", "294", "381",
        ])
    }

    /// Ways people write a mobile of `area` + `sub`.
    fn written(area: &str, sub: &str, style: u8) -> String {
        match style % 6 {
            0 => format!("0{area} 15 {sub}"),
            1 => format!("+54 9 {area} {sub}"),
            2 => format!("{area} {sub}"),
            3 => format!("({area}) 15-{sub}"),
            4 => format!("0{area} {sub}"),
            _ => format!("+54 {area} {sub}"),
        }
    }

    proptest! {
        #[test]
        fn normalizing_twice_changes_nothing(area in area(), sub in "[2-9][0-9]{7}", style in 0u8..6) {
            let sub = &sub[..10 - area.len()];
            let typed = written(area, sub, style);
            if let Ok(once) = Phone::parse(&typed) {
                prop_assert_eq!(Phone::parse(once.digits()).unwrap(), once.clone());
                prop_assert_eq!(Phone::parse(&once.display()).unwrap(), once.clone());
                prop_assert_eq!(Phone::parse(&once.e164()).unwrap(), once);
            }
        }

        #[test]
        fn mobile_styles_agree(area in area(), sub in "[2-9][0-9]{7}") {
            let sub = &sub[..10 - area.len()];
            let want = format!("549{area}{sub}");
            for style in 0..4 {
                let typed = written(area, sub, style);
                prop_assert_eq!(Phone::parse(&typed).map(|p| p.digits().to_owned()), Ok(want.clone()), "{}", typed);
            }
        }

        #[test]
        fn anything_typed_is_stable_or_rejected(s in "[+]?[0-9 ()-]{0,20}") {
            if let Ok(once) = Phone::parse(&s) {
                // Bare digits without `+` read as a local number, so they round-trip only for
                // Argentine numbers ("+63200000" ⇒ 63200000 ⇒ a Buenos Aires line); E.164 always.
                if once.digits().starts_with("54") {
                    prop_assert_eq!(Phone::parse(once.digits()).unwrap(), once.clone());
                }
                prop_assert_eq!(Phone::parse(&once.e164()).unwrap(), once.clone());
                prop_assert_eq!(Phone::parse(&once.display()).unwrap(), once);
            }
        }

        #[test]
        fn foreign_numbers_are_stable(n in prop::sample::select(vec!["+34 612 34 56 78", "+1 415 555 2671", "+55 11 98765 4321", "+598 94 123 456", "+44 7911 123456"])) {
            let once = Phone::parse(n).unwrap();
            prop_assert_eq!(Phone::parse(once.digits()).unwrap(), once.clone());
            prop_assert_eq!(Phone::parse(&once.display()).unwrap(), once);
        }
    }
}
