//! Delivery statuses of our messages (`value.statuses[]`).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::contact::{lenient_bsuid, lenient_wa_id, Lenient};
use super::error::WebhookError;
use super::reason::Reason;
use super::scalar;
use crate::ids::{Bsuid, MessageId, WaId};

/// What happened to a message we sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StatusKind {
    Sent,
    Delivered,
    Read,
    /// A voice note was played.
    Played,
    Failed,
    /// Any other value Meta may add; kept as sent.
    Other(String),
}

impl StatusKind {
    fn from_wire(s: &str) -> StatusKind {
        match s {
            "sent" => StatusKind::Sent,
            "delivered" => StatusKind::Delivered,
            "read" => StatusKind::Read,
            "played" => StatusKind::Played,
            "failed" => StatusKind::Failed,
            other => StatusKind::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            StatusKind::Sent => "sent",
            StatusKind::Delivered => "delivered",
            StatusKind::Read => "read",
            StatusKind::Played => "played",
            StatusKind::Failed => "failed",
            StatusKind::Other(s) => s,
        }
    }

    /// Rank for the monotonic merge (design §6): sent 2 < delivered 3 < read 4 < played 5.
    /// `failed` and unknown values have no rank.
    pub fn rank(&self) -> Option<u8> {
        match self {
            StatusKind::Sent => Some(2),
            StatusKind::Delivered => Some(3),
            StatusKind::Read => Some(4),
            StatusKind::Played => Some(5),
            StatusKind::Failed | StatusKind::Other(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Conversation {
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_i64")]
    pub expiration_timestamp: Option<i64>,
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Origin {
    /// `service`, `utility`, `marketing`, `authentication`, `referral_conversion`…
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// How the message is billed. Informational: do not build billing on `conversation`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Pricing {
    #[serde(default, deserialize_with = "scalar::opt_bool")]
    pub billable: Option<bool>,
    /// `PMP` (per message) since 2025-07-01; `CBP` on older webhooks.
    pub pricing_model: Option<String>,
    pub category: Option<String>,
    /// `regular`, `free_customer_service`, `free_entry_point`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// One status update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub id: MessageId,
    pub status: StatusKind,
    pub timestamp: Option<i64>,
    pub recipient_id: Option<WaId>,
    pub recipient_user_id: Option<Bsuid>,
    /// Our `biz_opaque_callback_data`, echoed back: the outbox id.
    pub callback_data: Option<String>,
    pub conversation: Option<Conversation>,
    pub pricing: Option<Pricing>,
    pub errors: Vec<WebhookError>,
}

impl Status {
    /// The key to dedupe redeliveries on: a message may have one of each status.
    pub fn dedupe_key(&self) -> (&MessageId, &str) {
        (&self.id, self.status.as_str())
    }
}

#[derive(Deserialize)]
pub(crate) struct StatusWire {
    id: MessageId,
    status: String,
    #[serde(default, deserialize_with = "scalar::opt_i64")]
    timestamp: Option<i64>,
    #[serde(default, deserialize_with = "lenient_wa_id")]
    recipient_id: Lenient<WaId>,
    #[serde(default, deserialize_with = "lenient_bsuid")]
    recipient_user_id: Lenient<Bsuid>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    biz_opaque_callback_data: Option<String>,
    conversation: Option<Conversation>,
    pricing: Option<Pricing>,
    #[serde(default)]
    errors: Vec<WebhookError>,
}

#[derive(Deserialize)]
struct MinimalStatus {
    id: MessageId,
    status: String,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    biz_opaque_callback_data: Option<String>,
}

/// Converts a typed status.
pub(crate) fn convert(w: StatusWire) -> Status {
    Status {
        id: w.id,
        status: StatusKind::from_wire(&w.status),
        timestamp: w.timestamp,
        recipient_id: w.recipient_id.typed,
        recipient_user_id: w.recipient_user_id.typed,
        callback_data: w.biz_opaque_callback_data,
        conversation: w.conversation,
        pricing: w.pricing,
        errors: w.errors,
    }
}

/// Parses one status; a malformed optional part (pricing, conversation, errors) is dropped
/// rather than losing the status itself.
pub(crate) fn parse(raw: &RawValue) -> Result<Status, Reason> {
    match super::object::from_str::<StatusWire>(raw.get()) {
        Ok(w) => Ok(convert(w)),
        Err(e) => {
            let m: MinimalStatus = super::object::from_str(raw.get())
                .map_err(|_| Reason::from_serde("status without a readable id and status", &e))?;
            Ok(Status {
                id: m.id,
                status: StatusKind::from_wire(&m.status),
                timestamp: None,
                recipient_id: None,
                recipient_user_id: None,
                callback_data: m.biz_opaque_callback_data,
                conversation: None,
                pricing: None,
                errors: Vec::new(),
            })
        }
    }
}
