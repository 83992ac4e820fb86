//! The access ticket (TA) WSAA returns: token + sign, valid 12 h. Serializable so the caller can
//! persist it (WSAA will not hand out another one while it is valid).

use chrono::{DateTime, Duration, FixedOffset, Utc};
use mostrador_types::Secret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::xml;

/// Default safety margin before `expirationTime` after which a TA is no longer used.
pub const DEFAULT_TA_MARGIN: Duration = Duration::minutes(10);

/// A `loginTicketResponse`. `token` and `sign` are secrets: `Debug` hides them.
#[derive(Debug, Clone)]
pub struct AccessTicket {
    pub service: String,
    pub unique_id: u64,
    pub source: String,
    pub destination: String,
    pub generation_time: DateTime<FixedOffset>,
    pub expiration_time: DateTime<FixedOffset>,
    pub token: Secret,
    pub sign: Secret,
}

/// `loginCmsReturn` did not hold a usable ticket.
#[derive(Debug, thiserror::Error)]
#[error("unexpected loginTicketResponse: {0}")]
pub struct TicketParseError(pub String);

impl AccessTicket {
    /// Parses the (already unescaped) `loginTicketResponse` document.
    pub fn parse(service: &str, doc: &str) -> Result<Self, TicketParseError> {
        let root = xml::parse(doc).map_err(|e| TicketParseError(e.to_string()))?;
        if root.name != "loginTicketResponse" {
            return Err(TicketParseError(format!("root element is {}", root.name)));
        }
        let text = |path: &[&str]| {
            root.path(path)
                .map(|e| e.text.trim().to_owned())
                .ok_or_else(|| TicketParseError(format!("missing {}", path.join("/"))))
        };
        let time = |path: &[&str]| {
            let t = text(path)?;
            DateTime::parse_from_rfc3339(&t)
                .map_err(|e| TicketParseError(format!("{}: {t:?}: {e}", path.join("/"))))
        };
        Ok(AccessTicket {
            service: service.to_owned(),
            unique_id: text(&["header", "uniqueId"])?
                .parse()
                .map_err(|_| TicketParseError("uniqueId is not a number".into()))?,
            source: text(&["header", "source"]).unwrap_or_default(),
            destination: text(&["header", "destination"]).unwrap_or_default(),
            generation_time: time(&["header", "generationTime"])?,
            expiration_time: time(&["header", "expirationTime"])?,
            token: Secret::new(text(&["credentials", "token"])?),
            sign: Secret::new(text(&["credentials", "sign"])?),
        })
    }

    /// Usable at `now`: not expiring within `margin`. (`generationTime` is not compared: it is
    /// AFIP's clock, and a local clock a few minutes behind must not discard a fresh ticket that
    /// WSAA would refuse to issue again.)
    pub fn is_valid_at(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        now + margin < self.expiration_time
    }

    /// With [`DEFAULT_TA_MARGIN`].
    pub fn is_valid(&self, now: DateTime<Utc>) -> bool {
        self.is_valid_at(now, DEFAULT_TA_MARGIN)
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    service: String,
    unique_id: u64,
    source: String,
    destination: String,
    generation_time: DateTime<FixedOffset>,
    expiration_time: DateTime<FixedOffset>,
    token: String,
    sign: String,
}

/// Serialization exposes the token and sign on purpose (the caller persists the ticket in its
/// store); never serialize it into logs.
impl Serialize for AccessTicket {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Stored {
            service: self.service.clone(),
            unique_id: self.unique_id,
            source: self.source.clone(),
            destination: self.destination.clone(),
            generation_time: self.generation_time,
            expiration_time: self.expiration_time,
            token: self.token.expose().to_owned(),
            sign: self.sign.expose().to_owned(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for AccessTicket {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Stored::deserialize(d)?;
        Ok(AccessTicket {
            service: s.service,
            unique_id: s.unique_id,
            source: s.source,
            destination: s.destination,
            generation_time: s.generation_time,
            expiration_time: s.expiration_time,
            token: Secret::new(s.token),
            sign: Secret::new(s.sign),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TA: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<loginTicketResponse version="1.0">
    <header>
        <source>CN=wsaahomo, O=AFIP, C=AR, SERIALNUMBER=CUIT 33693450239</source>
        <destination>SERIALNUMBER=CUIT 20267565393, CN=reingart2021</destination>
        <uniqueId>2378329039</uniqueId>
        <generationTime>2021-07-26T09:22:00.396-03:00</generationTime>
        <expirationTime>2021-07-26T21:22:00.396-03:00</expirationTime>
    </header>
    <credentials>
        <token>PD94bWwg</token>
        <sign>Jdnq3wqg=</sign>
    </credentials>
</loginTicketResponse>"#;

    #[test]
    fn parses_the_recorded_shape_and_round_trips() {
        let ta = AccessTicket::parse("wsfe", TA).unwrap();
        assert_eq!(ta.unique_id, 2378329039);
        assert_eq!(ta.token.expose(), "PD94bWwg");
        assert!(!format!("{ta:?}").contains("PD94bWwg"));
        let now: DateTime<Utc> = "2021-07-26T15:00:00Z".parse().unwrap();
        assert!(ta.is_valid(now));
        let late: DateTime<Utc> = "2021-07-27T00:15:00Z".parse().unwrap();
        assert!(!ta.is_valid(late), "inside the margin before 00:22 UTC");
        let json = serde_json::to_string(&ta).unwrap();
        let back = serde_json::from_str::<AccessTicket>(&json).unwrap();
        assert!(back.token.ct_eq(&ta.token) && back.sign.ct_eq(&ta.sign));
        assert_eq!(format!("{back:?}"), format!("{ta:?}"));
    }
}
