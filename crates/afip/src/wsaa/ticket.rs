//! The access ticket (TA) WSAA returns: token + sign, valid 12 h. The caller must keep it (WSAA
//! will not hand out another one while it is valid): [`AccessTicket::persist`] gives the one
//! string to store in the keychain and [`AccessTicket::restore`] reads it back. It is not
//! `Serialize`, so it cannot end up in a log line, an IPC payload or a database row by accident.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use mostrador_types::Secret;
use serde::{Deserialize, Serialize};

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

/// The persisted form (versioned JSON).
#[derive(Serialize, Deserialize)]
struct Stored {
    v: u32,
    service: String,
    unique_id: u64,
    source: String,
    destination: String,
    generation_time: DateTime<FixedOffset>,
    expiration_time: DateTime<FixedOffset>,
    token: String,
    sign: String,
}

const STORED_VERSION: u32 = 1;

impl AccessTicket {
    /// The ticket as one string for the keychain. It holds the token and sign, so it is a
    /// [`Secret`]: store it, never log it.
    pub fn persist(&self) -> Secret {
        let stored = Stored {
            v: STORED_VERSION,
            service: self.service.clone(),
            unique_id: self.unique_id,
            source: self.source.clone(),
            destination: self.destination.clone(),
            generation_time: self.generation_time,
            expiration_time: self.expiration_time,
            token: self.token.expose().to_owned(),
            sign: self.sign.expose().to_owned(),
        };
        Secret::new(serde_json::to_string(&stored).expect("a plain struct serializes"))
    }

    /// Reads what [`AccessTicket::persist`] wrote. The error never quotes the stored text.
    pub fn restore(stored: &str) -> Result<AccessTicket, TicketParseError> {
        let s: Stored = serde_json::from_str(stored).map_err(|e| {
            TicketParseError(format!(
                "stored ticket unreadable at line {} column {} ({:?})",
                e.line(),
                e.column(),
                e.classify()
            ))
        })?;
        if s.v != STORED_VERSION {
            return Err(TicketParseError(format!(
                "stored ticket has version {}, expected {STORED_VERSION}",
                s.v
            )));
        }
        if s.token.is_empty() || s.sign.is_empty() {
            return Err(TicketParseError(
                "stored ticket without token or sign".into(),
            ));
        }
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
        let stored = ta.persist();
        let back = AccessTicket::restore(stored.expose()).unwrap();
        assert!(back.token.ct_eq(&ta.token) && back.sign.ct_eq(&ta.sign));
        assert_eq!(format!("{back:?}"), format!("{ta:?}"));
        assert!(!format!("{stored:?}").contains("PD94bWwg"));
    }

    /// Issue 15 point 17: persisting is an explicit call, not a derive that any `serde_json::to_string`
    /// or IPC payload could reach.
    #[test]
    // The explicit `&` is what selects between the two traits (autoref specialization).
    #[allow(clippy::needless_borrow)]
    fn the_ticket_is_not_serialize() {
        use std::marker::PhantomData;
        struct Probe<T>(PhantomData<T>);
        trait Serializable {
            fn serializable(&self) -> bool {
                true
            }
        }
        impl<T: serde::Serialize> Serializable for Probe<T> {}
        trait NotSerializable {
            fn serializable(&self) -> bool {
                false
            }
        }
        impl<T> NotSerializable for &Probe<T> {}
        assert!(
            (&Probe::<String>(PhantomData)).serializable(),
            "the probe works"
        );
        assert!(!(&Probe::<AccessTicket>(PhantomData)).serializable());
    }

    #[test]
    fn restore_refuses_garbage_without_quoting_it() {
        let err = AccessTicket::restore("{\"v\":1,\"token\":\"s3cr3t\"").unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        let ta = AccessTicket::parse("wsfe", TA).unwrap();
        let v2 = ta.persist().expose().replace("\"v\":1", "\"v\":2");
        assert!(AccessTicket::restore(&v2).is_err());
    }
}
