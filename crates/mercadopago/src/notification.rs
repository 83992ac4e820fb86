//! What a MercadoPago notification says — only ever "go fetch this resource", never its state
//! (reference §0.2, §1.5, §1.6). Two shapes arrive at the `notification_url`:
//!
//! - the current webhook: query `?data.id=…&type=payment` plus a JSON body with `action`
//!   (`payment.created` / `payment.updated`), `type`, `data.id`; signed with `x-signature`;
//! - the legacy IPN: query `?topic=payment&id=…` (or a body `{resource, topic}`), unsigned.

use serde::Deserialize;
use url::Url;

/// The resource a notification is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    Payment,
    Chargeback,
    MerchantOrder,
    Other(String),
}

impl Topic {
    pub fn parse(s: &str) -> Topic {
        match s {
            "payment" => Topic::Payment,
            "chargebacks" | "topic_chargebacks_wh" | "chargeback" => Topic::Chargeback,
            "merchant_order" | "topic_merchant_order_wh" => Topic::MerchantOrder,
            other => Topic::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Topic::Payment => "payment",
            Topic::Chargeback => "chargeback",
            Topic::MerchantOrder => "merchant_order",
            Topic::Other(s) => s,
        }
    }
}

/// A parsed notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub topic: Topic,
    /// The id to fetch: `data.id` (webhook) or `id` (IPN).
    pub resource_id: String,
    /// `payment.created`, `payment.updated`…; `None` for IPN.
    pub action: Option<String>,
    /// `true` for the legacy IPN form (cannot be verified; fetch only).
    pub legacy_ipn: bool,
    /// The `data.id` from the query (what the signature covers), when present.
    pub query_data_id: Option<String>,
    pub live_mode: Option<bool>,
    pub user_id: Option<String>,
    /// The body's own `id` (one per notification; MercadoPago's retries repeat it).
    pub notification_id: Option<String>,
}

impl Notification {
    /// The dedupe key: resource + action, plus the notification's own id when it has one. The id
    /// matters: a refund after an approval is a second `payment.updated` for the same payment,
    /// and must not be dropped as a duplicate of the first.
    pub fn dedupe_key(&self) -> String {
        let mut k = format!(
            "{}:{}:{}",
            self.topic.as_str(),
            self.resource_id,
            self.action
                .as_deref()
                .unwrap_or(if self.legacy_ipn { "ipn" } else { "" })
        );
        if let Some(n) = &self.notification_id {
            k.push(':');
            k.push_str(n);
        }
        k
    }
}

/// Why a request is not a MercadoPago notification we can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the notification URL is not a URL: {0}")]
    Url(String),
    #[error("neither data.id nor id names the resource")]
    NoId,
    #[error("no type / topic")]
    NoTopic,
    #[error("the body's data.id ({body}) differs from the query's ({query})")]
    IdMismatch { query: String, body: String },
}

#[derive(Deserialize, Default)]
struct Body {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    live_mode: Option<bool>,
    #[serde(default, deserialize_with = "opt_text")]
    user_id: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    id: Option<String>,
}

#[derive(Deserialize, Default)]
struct Data {
    #[serde(default, deserialize_with = "opt_text")]
    id: Option<String>,
}

fn opt_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Parses a notification from the exact URL MercadoPago called and the raw body.
pub fn parse(public_url: &str, body: &[u8]) -> Result<Notification, ParseError> {
    let url = Url::parse(public_url).map_err(|e| ParseError::Url(e.to_string()))?;
    let q = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.is_empty())
    };
    // A form-encoded or empty body is fine for IPN: the query says it all.
    let b: Body = serde_json::from_slice(body).unwrap_or_default();
    let query_data_id = q("data.id");
    let body_data_id = b.data.as_ref().and_then(|d| d.id.clone());
    if let Some(topic) = q("topic")
        .or_else(|| b.topic.clone())
        .filter(|_| query_data_id.is_none() && b.action.is_none())
    {
        // Legacy IPN: `id` in the query, or the last segment of `resource`.
        let id = q("id")
            .or_else(|| {
                b.resource
                    .as_deref()
                    .and_then(|r| r.rsplit('/').next())
                    .map(str::to_owned)
            })
            .filter(|s| !s.is_empty())
            .ok_or(ParseError::NoId)?;
        return Ok(Notification {
            topic: Topic::parse(&topic),
            resource_id: id,
            action: None,
            legacy_ipn: true,
            query_data_id: None,
            live_mode: b.live_mode,
            user_id: b.user_id,
            notification_id: None,
        });
    }
    let kind = q("type").or(b.kind).ok_or(ParseError::NoTopic)?;
    if let (Some(qid), Some(bid)) = (&query_data_id, &body_data_id) {
        if qid != bid {
            return Err(ParseError::IdMismatch {
                query: qid.clone(),
                body: bid.clone(),
            });
        }
    }
    let id = query_data_id
        .clone()
        .or(body_data_id)
        .ok_or(ParseError::NoId)?;
    Ok(Notification {
        topic: Topic::parse(&kind),
        resource_id: id,
        action: b.action,
        legacy_ipn: false,
        query_data_id,
        live_mode: b.live_mode,
        user_id: b.user_id,
        notification_id: b.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_and_legacy_forms() {
        let body = br#"{ "id": 12345, "live_mode": true, "type": "payment",
          "date_created": "2015-03-25T10:04:58.396-04:00", "user_id": 44444,
          "api_version": "v1", "action": "payment.updated", "data": { "id": "999999999" } }"#;
        let n = parse(
            "https://relay.example/in/t/mercadopago?source_news=webhooks&data.id=999999999&type=payment",
            body,
        )
        .unwrap();
        assert_eq!(n.topic, Topic::Payment);
        assert_eq!(n.resource_id, "999999999");
        assert_eq!(n.action.as_deref(), Some("payment.updated"));
        assert!(!n.legacy_ipn);
        assert_eq!(n.query_data_id.as_deref(), Some("999999999"));
        assert_eq!(n.user_id.as_deref(), Some("44444"));
        assert_eq!(n.dedupe_key(), "payment:999999999:payment.updated:12345");

        // A body naming another payment than the signed query is refused.
        assert!(matches!(
            parse(
                "https://r/x?data.id=1&type=payment",
                br#"{"type":"payment","action":"payment.created","data":{"id":"2"}}"#
            ),
            Err(ParseError::IdMismatch { .. })
        ));

        let ipn = parse("https://r/x?topic=payment&id=123456789", b"").unwrap();
        assert!(ipn.legacy_ipn);
        assert_eq!(ipn.resource_id, "123456789");
        assert_eq!(ipn.dedupe_key(), "payment:123456789:ipn");
        let mo = parse(
            "https://r/x",
            br#"{"resource":"https://api.mercadolibre.com/merchant_orders/777","topic":"merchant_order"}"#,
        )
        .unwrap();
        assert_eq!(
            (mo.topic, mo.resource_id.as_str(), mo.legacy_ipn),
            (Topic::MerchantOrder, "777", true)
        );
        let cb = parse(
            "https://r/x?data.id=CB1&type=topic_chargebacks_wh",
            br#"{"action":"chargeback.created"}"#,
        )
        .unwrap();
        assert_eq!(cb.topic, Topic::Chargeback);
        assert_eq!(parse("https://r/x", b"{}"), Err(ParseError::NoTopic));
        assert_eq!(
            parse("https://r/x?type=payment", b"{}"),
            Err(ParseError::NoId)
        );
    }
}
