//! Protocol v1 wire types (design §4). Both the server and the client use exactly these structs, so
//! the two sides cannot drift apart.
//!
//! Fidelity rules: the body travels as base64 of the raw bytes (never parsed, never re-serialised),
//! `public_url` is the URL the provider called (configured public base + the request target exactly as
//! received, query included), and headers are the received name/value pairs. Header names arrive
//! lower-cased (HTTP/2 and hyper normalise them; header names are case-insensitive). Header values
//! are decoded byte-for-byte as ISO-8859-1, which is lossless: [`Header::value_bytes`] gives back the
//! exact bytes.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The providers the relay accepts on `POST /in/{ingress_token}/{provider}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Whatsapp,
    Twilio,
    Mercadopago,
    Stripe,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::Whatsapp,
        Provider::Twilio,
        Provider::Mercadopago,
        Provider::Stripe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Whatsapp => "whatsapp",
            Provider::Twilio => "twilio",
            Provider::Mercadopago => "mercadopago",
            Provider::Stripe => "stripe",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider")]
pub struct UnknownProvider;

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "whatsapp" => Ok(Provider::Whatsapp),
            "twilio" => Ok(Provider::Twilio),
            "mercadopago" => Ok(Provider::Mercadopago),
            "stripe" => Ok(Provider::Stripe),
            _ => Err(UnknownProvider),
        }
    }
}

/// One received header. `value` is the raw bytes decoded as ISO-8859-1 (one char per byte).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub fn from_bytes(name: &str, value: &[u8]) -> Header {
        Header {
            name: name.to_owned(),
            value: value.iter().map(|&b| b as char).collect(),
        }
    }

    /// The exact bytes received. `None` only if `value` was not produced by [`Header::from_bytes`]
    /// (a char above U+00FF).
    pub fn value_bytes(&self) -> Option<Vec<u8>> {
        self.value
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect()
    }
}

/// A stored webhook request, as returned by `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Strictly increasing per tenant; the cursor.
    pub seq: i64,
    /// Globally unique (UUID v7); the desktop dedupes on it.
    pub event_id: String,
    pub provider: Provider,
    /// When the relay received it, Unix milliseconds (relay clock).
    pub received_at_ms: i64,
    pub method: String,
    /// The URL the provider called: scheme, host, path and query exactly as received.
    pub public_url: String,
    pub headers: Vec<Header>,
    /// Standard base64 of the raw body bytes.
    pub body_b64: String,
    /// Lower-case hex SHA-256 of the raw body bytes.
    pub body_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EventBodyError {
    #[error("body_b64 is not valid base64")]
    Base64,
    #[error("body_sha256 does not match the body")]
    Digest,
}

impl Event {
    /// The raw body, checked against `body_sha256`.
    pub fn body(&self) -> Result<Vec<u8>, EventBodyError> {
        let body = base64::engine::general_purpose::STANDARD
            .decode(&self.body_b64)
            .map_err(|_| EventBodyError::Base64)?;
        if sha256_hex(&body) != self.body_sha256 {
            return Err(EventBodyError::Digest);
        }
        Ok(body)
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn encode_body(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Response of `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsResponse {
    pub events: Vec<Event>,
    /// The highest `seq` returned, or the request's `after` when no event is returned.
    pub next_cursor: i64,
    /// The tenant's highest assigned `seq`. A client whose cursor is above it talks to a relay whose
    /// storage was reset and should start again from 0 (its dedupe absorbs any repeat).
    pub last_seq: i64,
    /// Relay clock, Unix milliseconds.
    pub relay_time_ms: i64,
    /// The request's cursor does not belong to this stream: the relay holds an event at seq `after`
    /// with another `event_id` than the one the client named (restored backup, new database). No
    /// events are returned; the client must start again from 0 (its dedupe absorbs any repeat).
    #[serde(default)]
    pub cursor_mismatch: bool,
    /// Unacknowledged events the relay dropped for this tenant so far (cap or retention). A client
    /// that finds a hole in the seqs records it with this figure.
    #[serde(default)]
    pub dropped_total: i64,
}

/// Body of `POST /v1/ack`. Cumulative and idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckRequest {
    pub up_to_seq: i64,
    /// The `event_id` the client stored at `up_to_seq`. When given and the relay holds another
    /// event at that seq, the ack belongs to another stream: the relay refuses it with 409 and
    /// acknowledges nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckResponse {
    /// The tenant's acknowledged position after this ack (never above `last_seq`, never decreasing).
    pub acked_seq: i64,
}

/// Response of `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// The tenant this device token belongs to. One tenant feeds one business: the desktop refuses
    /// to bind a second business to the same tenant.
    #[serde(default)]
    pub tenant_id: String,
    pub last_seq: i64,
    pub acked_seq: i64,
    /// Stored events not yet acknowledged.
    pub backlog: i64,
    /// Age of the oldest stored unacknowledged event, seconds.
    pub oldest_unacked_age_secs: Option<i64>,
    /// Unacknowledged events the relay dropped (per-tenant cap reached, or older than retention).
    pub dropped_total: i64,
    /// Unacknowledged events are kept at least this long.
    pub unacked_retention_secs: i64,
    /// Acknowledged events are pruned after this long.
    pub acked_retention_secs: i64,
    /// At most this many events are stored per tenant; beyond it the oldest are dropped.
    pub max_events_per_tenant: i64,
    pub relay_time_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_round_trip_any_byte() {
        let raw: Vec<u8> = (0u8..=255).collect();
        let h = Header::from_bytes("x-test", &raw);
        assert_eq!(h.value_bytes().unwrap(), raw);
    }

    #[test]
    fn provider_names() {
        for p in Provider::ALL {
            assert_eq!(p.as_str().parse::<Provider>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!("paypal".parse::<Provider>().is_err());
    }
}
