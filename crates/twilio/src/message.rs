//! An SMS to send ([`NewSms`]) and Twilio's message resource ([`Message`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};
use url::Url;

use crate::ids::{AccountSid, MessageSid, MessagingServiceSid, PhoneNumber};

/// Twilio's limit for `Body`, in characters.
pub const MAX_BODY_CHARS: usize = 1600;

/// A message refused before it is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("the text is empty")]
    EmptyBody,
    #[error("the text has {chars} characters; Twilio accepts at most {MAX_BODY_CHARS}")]
    BodyTooLong { chars: usize },
    #[error("status callback URL {0:?} must be an http(s) URL whose host has no underscore")]
    StatusCallback(String),
}

/// Who the SMS is from: a number of the account, or a Messaging Service that picks one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    From(PhoneNumber),
    MessagingService(MessagingServiceSid),
}

/// An SMS to send. The text is never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSms {
    pub to: PhoneNumber,
    pub sender: Sender,
    body: String,
    pub status_callback: Option<Url>,
}

impl fmt::Debug for NewSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSms")
            .field("to", &self.to)
            .field("sender", &self.sender)
            .field("body_chars", &self.body.chars().count())
            .field(
                "status_callback",
                &self.status_callback.as_ref().map(Url::as_str),
            )
            .finish()
    }
}

impl NewSms {
    pub fn new(
        to: PhoneNumber,
        sender: Sender,
        body: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        let body = body.into();
        if body.trim().is_empty() {
            return Err(ValidationError::EmptyBody);
        }
        let chars = body.chars().count();
        if chars > MAX_BODY_CHARS {
            return Err(ValidationError::BodyTooLong { chars });
        }
        Ok(NewSms {
            to,
            sender,
            body,
            status_callback: None,
        })
    }

    /// Where Twilio POSTs the message's status changes (the shop's relay URL).
    pub fn with_status_callback(mut self, url: &str) -> Result<Self, ValidationError> {
        let bad = || ValidationError::StatusCallback(url.to_owned());
        let parsed = Url::parse(url).map_err(|_| bad())?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().is_none_or(|h| h.contains('_'))
        {
            return Err(bad());
        }
        self.status_callback = Some(parsed);
        Ok(self)
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    /// The form fields of `POST …/Messages.json`.
    pub fn to_form(&self) -> Vec<(&'static str, String)> {
        let mut f = vec![("To", self.to.to_string())];
        match &self.sender {
            Sender::From(p) => f.push(("From", p.to_string())),
            Sender::MessagingService(s) => f.push(("MessagingServiceSid", s.to_string())),
        }
        f.push(("Body", self.body.clone()));
        if let Some(u) = &self.status_callback {
            f.push(("StatusCallback", u.to_string()));
        }
        f
    }
}

/// A message's status (reference §2.1). `Other` keeps values Twilio may add.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    Queued,
    Accepted,
    Scheduled,
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Receiving,
    Received,
    Read,
    PartiallyDelivered,
    Canceled,
    Other(String),
}

impl MessageStatus {
    pub fn as_str(&self) -> &str {
        use MessageStatus::*;
        match self {
            Queued => "queued",
            Accepted => "accepted",
            Scheduled => "scheduled",
            Sending => "sending",
            Sent => "sent",
            Delivered => "delivered",
            Undelivered => "undelivered",
            Failed => "failed",
            Receiving => "receiving",
            Received => "received",
            Read => "read",
            PartiallyDelivered => "partially_delivered",
            Canceled => "canceled",
            Other(s) => s,
        }
    }

    /// No later status will come for an outbound message (except `read` on some channels).
    pub fn is_final(&self) -> bool {
        use MessageStatus::*;
        matches!(self, Delivered | Undelivered | Failed | Read | Canceled)
    }

    /// The message did not reach the customer.
    pub fn is_failure(&self) -> bool {
        matches!(self, MessageStatus::Undelivered | MessageStatus::Failed)
    }
}

impl FromStr for MessageStatus {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use MessageStatus::*;
        Ok(match s {
            "queued" => Queued,
            "accepted" => Accepted,
            "scheduled" => Scheduled,
            "sending" => Sending,
            "sent" => Sent,
            "delivered" => Delivered,
            "undelivered" => Undelivered,
            "failed" => Failed,
            "receiving" => Receiving,
            "received" => Received,
            "read" => Read,
            "partially_delivered" => PartiallyDelivered,
            "canceled" => Canceled,
            other => Other(other.to_owned()),
        })
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MessageStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(s.parse().expect("infallible"))
    }
}

/// Twilio's message resource, as answered by send and fetch. Number fields come as strings.
#[derive(Clone, Deserialize)]
pub struct Message {
    pub sid: MessageSid,
    pub account_sid: AccountSid,
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    /// E.164, or `whatsapp:+…` on other channels.
    pub to: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    body: Option<String>,
    pub status: MessageStatus,
    #[serde(default, deserialize_with = "opt_u32_string")]
    pub num_segments: Option<u32>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub error_code: Option<i64>,
    #[serde(default)]
    pub error_message: Option<String>,
    /// RFC 2822, as Twilio sends it.
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub date_sent: Option<String>,
    #[serde(default)]
    pub date_updated: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub price_unit: Option<String>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("sid", &self.sid)
            .field("status", &self.status)
            .field("to", &self.to)
            .field("num_segments", &self.num_segments)
            .field("error_code", &self.error_code)
            .finish_non_exhaustive()
    }
}

impl Message {
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// The class of `error_code`, when the message failed.
    pub fn error_class(&self) -> Option<crate::ErrorClass> {
        self.error_code.map(crate::ErrorClass::from_code)
    }
}

/// `"2"`, `2` or `null`.
fn opt_u32_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        S(String),
        N(u32),
    }
    Ok(match Option::<N>::deserialize(d)? {
        None => None,
        Some(N::N(n)) => Some(n),
        Some(N::S(s)) => s.parse().ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to() -> PhoneNumber {
        PhoneNumber::new("+5491112345678").unwrap()
    }

    #[test]
    fn form_fields() {
        let from = Sender::From(PhoneNumber::new("+15005550006").unwrap());
        let sms = NewSms::new(to(), from, "Hola")
            .unwrap()
            .with_status_callback("https://relay.example.com/twilio/status?shop=1")
            .unwrap();
        let f = sms.to_form();
        assert_eq!(f[0], ("To", "+5491112345678".to_owned()));
        assert_eq!(f[1], ("From", "+15005550006".to_owned()));
        assert_eq!(f[2], ("Body", "Hola".to_owned()));
        assert_eq!(f[3].0, "StatusCallback");
        assert!(!format!("{sms:?}").contains("Hola"));
        let svc = Sender::MessagingService(
            MessagingServiceSid::new("MG0123456789abcdef0123456789abcdef").unwrap(),
        );
        let f = NewSms::new(to(), svc, "x").unwrap().to_form();
        assert_eq!(f[1].0, "MessagingServiceSid");
    }

    #[test]
    fn refuses_bad_input() {
        let from = || Sender::From(PhoneNumber::new("+15005550006").unwrap());
        assert_eq!(
            NewSms::new(to(), from(), "  "),
            Err(ValidationError::EmptyBody)
        );
        assert!(matches!(
            NewSms::new(to(), from(), "a".repeat(1601)),
            Err(ValidationError::BodyTooLong { chars: 1601 })
        ));
        let ok = NewSms::new(to(), from(), "a".repeat(1600)).unwrap();
        assert!(ok
            .clone()
            .with_status_callback("https://my_relay.example.com/x")
            .is_err());
        assert!(ok
            .with_status_callback("ftp://relay.example.com/x")
            .is_err());
    }

    #[test]
    fn parses_the_message_resource() {
        let body = r#"{ "sid": "SM0123456789abcdef0123456789abcdef", "account_sid": "AC0123456789abcdef0123456789abcdef", "messaging_service_sid": null,
  "to": "+5491122223333", "from": "+15005550006", "body": "Hola", "status": "queued",
  "num_segments": "1", "num_media": "0", "direction": "outbound-api", "api_version": "2010-04-01",
  "price": null, "price_unit": "USD", "error_code": null, "error_message": null,
  "date_created": "Tue, 26 Jul 2016 12:50:07 +0000", "date_updated": "Tue, 26 Jul 2016 12:50:07 +0000", "date_sent": null,
  "uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json", "subresource_uris": { "media": "x" } }"#;
        let m: Message = serde_json::from_str(body).unwrap();
        assert_eq!(m.status, MessageStatus::Queued);
        assert_eq!(m.num_segments, Some(1));
        assert_eq!(m.body(), Some("Hola"));
        assert!(!format!("{m:?}").contains("Hola"));
        let failed = body
            .replace("\"queued\"", "\"undelivered\"")
            .replace("\"error_code\": null", "\"error_code\": 30003");
        let m: Message = serde_json::from_str(&failed).unwrap();
        assert!(m.status.is_failure() && m.status.is_final());
        assert_eq!(m.error_class(), Some(crate::ErrorClass::Unreachable));
        assert_eq!(
            "something_new".parse::<MessageStatus>().unwrap(),
            MessageStatus::Other("something_new".into())
        );
    }
}
