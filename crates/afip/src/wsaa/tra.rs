//! The TRA (`loginTicketRequest`): the XML that gets signed.

use chrono::{DateTime, Duration, FixedOffset, Utc};

use crate::argentina_offset;
use crate::xml::escape;

/// How far `generationTime` is backdated and `expirationTime` set ahead, to absorb clock skew
/// (the official C# example uses ±10 minutes; WSAA accepts up to 24 h).
pub const TRA_SKEW_MARGIN: Duration = Duration::minutes(10);

/// A login ticket request for one service (`wsfe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginTicketRequest {
    pub unique_id: u32,
    pub generation_time: DateTime<FixedOffset>,
    pub expiration_time: DateTime<FixedOffset>,
    pub service: String,
}

impl LoginTicketRequest {
    /// uniqueId = epoch seconds; times in Argentina's offset (`-03:00`), backdated/advanced by
    /// [`TRA_SKEW_MARGIN`].
    pub fn new(service: &str, now: DateTime<Utc>) -> Self {
        let now_ar = now.with_timezone(&argentina_offset());
        LoginTicketRequest {
            unique_id: (now.timestamp() as u64 & 0xFFFF_FFFF) as u32,
            generation_time: now_ar - TRA_SKEW_MARGIN,
            expiration_time: now_ar + TRA_SKEW_MARGIN,
            service: service.to_owned(),
        }
    }

    /// The document, without the optional `source`/`destination` (the FAQ recommends omitting them).
    pub fn to_xml(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><loginTicketRequest version=\"1.0\"><header><uniqueId>{}</uniqueId><generationTime>{}</generationTime><expirationTime>{}</expirationTime></header><service>{}</service></loginTicketRequest>",
            self.unique_id,
            self.generation_time.format("%Y-%m-%dT%H:%M:%S%:z"),
            self.expiration_time.format("%Y-%m-%dT%H:%M:%S%:z"),
            escape(&self.service),
        )
    }
}
