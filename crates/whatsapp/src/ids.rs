//! Identifiers used by the Graph API, as types rather than bare strings.
//!
//! Graph ids (phone number id, WABA id, media id, template id) are opaque strings of digits; a
//! WhatsApp message id (`wamid.…`) is opaque text. A recipient is a phone number / `wa_id` or a
//! business-scoped user id (BSUID, `AR.123…`), and the two travel in different request fields.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string was not accepted as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {reason}")]
pub struct IdError {
    pub kind: &'static str,
    pub reason: &'static str,
}

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Accepts the id if it has the shape Meta uses.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                let check: fn(&str) -> Result<(), &'static str> = $check;
                check(&value).map_err(|reason| IdError { kind: $kind, reason })?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
    };
}

fn graph_numeric(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 32 {
        return Err("must be 1 to 32 digits");
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must contain digits only");
    }
    Ok(())
}

fn opaque_text(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 512 {
        return Err("must be 1 to 512 characters");
    }
    if s.chars()
        .any(|c| c.is_control() || c == '/' || c == '?' || c == '#')
    {
        return Err("contains control characters, `/`, `?` or `#`");
    }
    Ok(())
}

opaque_id!(
    /// The id of the shop's registered phone number (`phone_number_id`), used to send and upload.
    PhoneNumberId, "phone_number_id", graph_numeric
);
opaque_id!(
    /// The WhatsApp Business Account id, used for templates and webhook subscriptions.
    WabaId, "WABA id", graph_numeric
);
opaque_id!(
    /// A media id: returned by an upload (valid 30 days) or received in a webhook (valid 7 days).
    MediaId, "media id", opaque_text
);
opaque_id!(
    /// The Meta app id (the resumable upload API is scoped to an app).
    AppId, "app id", graph_numeric
);
opaque_id!(
    /// A message template id.
    TemplateId, "template id", opaque_text
);
opaque_id!(
    /// A WhatsApp message id (`wamid.…`), ours or the customer's.
    MessageId, "message id", opaque_text
);

/// A WhatsApp id / phone number in international form, digits only (`5491112345678`).
///
/// Accepts an optional leading `+`. It does not normalise national formats (`011 15 …`): that is
/// the caller's job (see the reference sheet §6), so a number is sent exactly as the user's
/// WhatsApp account knows it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WaId(String);

impl WaId {
    pub fn new(value: impl AsRef<str>) -> Result<Self, IdError> {
        let v = value.as_ref();
        let digits = v.strip_prefix('+').unwrap_or(v);
        let err = |reason| IdError {
            kind: "WhatsApp number",
            reason,
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("must be digits only, in international form (549…)"));
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(err("must be 7 to 15 digits"));
        }
        if digits.starts_with('0') {
            return Err(err("must start with the country code, not 0"));
        }
        Ok(Self(digits.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WaId({:?})", self.0)
    }
}

impl std::str::FromStr for WaId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::new(s)
    }
}

/// A business-scoped user id: two-letter country code, a dot, then up to 128 alphanumerics,
/// optionally with an `ENT.` segment for a parent BSUID (`AR.123…`, `US.ENT.118…`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bsuid(String);

impl Bsuid {
    pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
        let value = value.into();
        let err = |reason| IdError {
            kind: "BSUID",
            reason,
        };
        let (country, rest) = value
            .split_once('.')
            .ok_or(err("must look like CC.identifier (AR.123…)"))?;
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(err("must start with a two-letter country code"));
        }
        let id = rest.strip_prefix("ENT.").unwrap_or(rest);
        if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err("the identifier must be 1 to 128 letters or digits"));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Bsuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Bsuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bsuid({:?})", self.0)
    }
}

/// Who a message goes to. A phone number travels in `to`; a BSUID in `recipient` (a BSUID put in
/// `to` is accepted by Meta and then silently dropped, reference §1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    WaId(WaId),
    Bsuid(Bsuid),
}

impl Recipient {
    /// Parses either form: anything with a `.` is a BSUID, otherwise a phone number / wa_id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.contains('.') {
            Bsuid::new(s).map(Recipient::Bsuid)
        } else {
            WaId::new(s).map(Recipient::WaId)
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Recipient::WaId(w) => w.as_str(),
            Recipient::Bsuid(b) => b.as_str(),
        }
    }
}

impl From<WaId> for Recipient {
    fn from(w: WaId) -> Self {
        Recipient::WaId(w)
    }
}

impl From<Bsuid> for Recipient {
    fn from(b: Bsuid) -> Self {
        Recipient::Bsuid(b)
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wa_id_accepts_international_digits() {
        assert_eq!(
            WaId::new("+5491112345678").unwrap().as_str(),
            "5491112345678"
        );
        assert!(WaId::new("011 15 1234 5678").is_err());
        assert!(WaId::new("01112345678").is_err());
        assert!(WaId::new("123").is_err());
    }

    #[test]
    fn bsuid_shapes() {
        assert!(Bsuid::new("AR.13491208655302741918").is_ok());
        assert!(Bsuid::new("US.ENT.11815799212886844830").is_ok());
        assert!(Bsuid::new("ar.123").is_err());
        assert!(Bsuid::new("AR.").is_err());
        assert!(Bsuid::new("5491112345678").is_err());
    }

    #[test]
    fn recipient_parse_picks_the_field() {
        assert!(matches!(
            Recipient::parse("AR.123abc").unwrap(),
            Recipient::Bsuid(_)
        ));
        assert!(matches!(
            Recipient::parse("5491112345678").unwrap(),
            Recipient::WaId(_)
        ));
    }

    #[test]
    fn graph_ids_are_digits() {
        assert!(PhoneNumberId::new("106540352242922").is_ok());
        assert!(PhoneNumberId::new("abc").is_err());
        assert!(MessageId::new("wamid.HBgL==").is_ok());
        assert!(MediaId::new("../x").is_err());
    }
}
