//! What Twilio POSTs to us (form-encoded): status callbacks of outbound messages and inbound SMS.
//!
//! Check the signature with [`crate::signature::verify`] over [`parse_form`]'s pairs first; Twilio
//! adds parameters without notice, so the signature covers whatever arrived, and these types read
//! only the fields they need.

use std::fmt;

use crate::error::ErrorClass;
use crate::ids::{AccountSid, IdError, MessageSid};
use crate::message::MessageStatus;

/// A callback that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the Twilio callback has no {0}")]
    Missing(&'static str),
    #[error("the Twilio callback's {field} is invalid: {value:?}")]
    Invalid { field: &'static str, value: String },
    #[error(transparent)]
    Id(#[from] IdError),
}

/// The decoded `name=value` pairs of a form body, in arrival order, values untrimmed.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn get<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn req<'a>(form: &'a [(String, String)], name: &'static str) -> Result<&'a str, CallbackError> {
    get(form, name).ok_or(CallbackError::Missing(name))
}

fn opt_num<T: std::str::FromStr>(
    form: &[(String, String)],
    name: &'static str,
) -> Result<Option<T>, CallbackError> {
    match get(form, name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| CallbackError::Invalid {
            field: name,
            value: v.to_owned(),
        }),
    }
}

/// A status change of an outbound message. Dedupe on `(message_sid, status)`: they arrive out of
/// order and more than once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    pub message_sid: MessageSid,
    pub account_sid: Option<AccountSid>,
    pub status: MessageStatus,
    /// Present on `undelivered` / `failed` (30003–30008…).
    pub error_code: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl StatusCallback {
    pub fn from_form(form: &[(String, String)]) -> Result<Self, CallbackError> {
        let status = get(form, "MessageStatus")
            .or_else(|| get(form, "SmsStatus"))
            .ok_or(CallbackError::Missing("MessageStatus"))?;
        Ok(StatusCallback {
            message_sid: MessageSid::new(req(form, "MessageSid")?)?,
            account_sid: get(form, "AccountSid").map(AccountSid::new).transpose()?,
            status: status.parse().expect("infallible"),
            error_code: opt_num(form, "ErrorCode")?,
            from: get(form, "From").map(str::to_owned),
            to: get(form, "To").map(str::to_owned),
        })
    }

    pub fn error_class(&self) -> Option<ErrorClass> {
        self.error_code.map(ErrorClass::from_code)
    }
}

/// An SMS a customer sent to one of the shop's numbers. `Debug` never shows the text.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub message_sid: MessageSid,
    pub account_sid: Option<AccountSid>,
    pub from: String,
    pub to: String,
    pub body: String,
    pub num_segments: Option<u32>,
    pub num_media: Option<u32>,
}

impl fmt::Debug for InboundSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundSms")
            .field("message_sid", &self.message_sid)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("body_chars", &self.body.chars().count())
            .field("num_segments", &self.num_segments)
            .finish_non_exhaustive()
    }
}

impl InboundSms {
    pub fn from_form(form: &[(String, String)]) -> Result<Self, CallbackError> {
        Ok(InboundSms {
            message_sid: MessageSid::new(req(form, "MessageSid")?)?,
            account_sid: get(form, "AccountSid").map(AccountSid::new).transpose()?,
            from: req(form, "From")?.to_owned(),
            to: req(form, "To")?.to_owned(),
            body: get(form, "Body").unwrap_or_default().to_owned(),
            num_segments: opt_num(form, "NumSegments")?,
            num_media: opt_num(form, "NumMedia")?,
        })
    }

    /// Whether the text is an opt-out keyword (STOP, BAJA…), the whole message, any case.
    pub fn is_opt_out(&self) -> bool {
        const WORDS: &[&str] = &[
            "STOP",
            "STOPALL",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
            "BAJA",
            "BASTA",
        ];
        let t = self.body.trim().to_uppercase();
        WORDS.contains(&t.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SM: &str = "SM0123456789abcdef0123456789abcdef";
    const AC: &str = "AC0123456789abcdef0123456789abcdef";

    #[test]
    fn status_callback() {
        let body = format!("MessageSid={SM}&SmsSid={SM}&AccountSid={AC}&From=%2B15005550006&To=%2B5491112345678&ApiVersion=2010-04-01&SmsStatus=undelivered&MessageStatus=undelivered&ErrorCode=30003&RawDlrDoneDate=2601011200");
        let form = parse_form(body.as_bytes());
        let s = StatusCallback::from_form(&form).unwrap();
        assert_eq!(s.message_sid.as_str(), SM);
        assert_eq!(s.status, MessageStatus::Undelivered);
        assert_eq!(s.error_code, Some(30003));
        assert_eq!(s.error_class(), Some(ErrorClass::Unreachable));
        assert_eq!(s.to.as_deref(), Some("+5491112345678"));

        let ok = parse_form(format!("MessageSid={SM}&MessageStatus=delivered").as_bytes());
        let s = StatusCallback::from_form(&ok).unwrap();
        assert_eq!((s.status, s.error_code), (MessageStatus::Delivered, None));

        let none = parse_form(b"MessageStatus=sent");
        assert_eq!(
            StatusCallback::from_form(&none),
            Err(CallbackError::Missing("MessageSid"))
        );
        let bad =
            parse_form(format!("MessageSid={SM}&MessageStatus=failed&ErrorCode=x").as_bytes());
        assert!(matches!(
            StatusCallback::from_form(&bad),
            Err(CallbackError::Invalid {
                field: "ErrorCode",
                ..
            })
        ));
    }

    #[test]
    fn inbound_sms() {
        let body = format!("ToCountry=AR&MessageSid={SM}&AccountSid={AC}&From=%2B5491112345678&To=%2B15005550006&Body=++Baja+&NumSegments=1&NumMedia=0&SmsStatus=received");
        let form = parse_form(body.as_bytes());
        // Values are not trimmed: the signature covers them as sent.
        assert!(form.contains(&("Body".to_owned(), "  Baja ".to_owned())));
        let m = InboundSms::from_form(&form).unwrap();
        assert_eq!(m.from, "+5491112345678");
        assert_eq!(m.num_segments, Some(1));
        assert!(m.is_opt_out());
        assert!(!format!("{m:?}").contains("Baja"));
        let chat = InboundSms {
            body: "no me den de baja".into(),
            ..m
        };
        assert!(!chat.is_opt_out());
    }
}
