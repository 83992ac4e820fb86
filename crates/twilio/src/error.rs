//! Errors of every call, and the classification of Twilio error codes the queue acts on.
//!
//! Twilio's REST errors are `{"code", "message", "more_info", "status"}` (reference §2.4); the same
//! codes (30003–30008) arrive asynchronously as `ErrorCode` in status callbacks. [`ErrorClass`] is
//! closed: codes outside the table are [`ErrorClass::Unknown`] and are not retried.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::ids::IdError;
use crate::message::ValidationError;

/// What a Twilio error code means for a sender. Closed: one variant per row of the reference table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// 20003: authentication failed (wrong SID, token or API key).
    Auth,
    /// 20429, or HTTP 429: too many concurrent requests. Never processed; safe to retry.
    RateLimit,
    /// 21211: the `To` number is not a valid phone number.
    InvalidNumber,
    /// 21610: the recipient replied STOP. Do not contact by SMS until they send START.
    Unsubscribed,
    /// 21408, 21612, 21614, 21635: the number cannot be reached by SMS from this account
    /// (region permission, unroutable pair, not SMS-capable, landline).
    NotReachable,
    /// 21608: trial account and `To` is not a verified number.
    TrialUnverified,
    /// 21611, 30001: the sender's queue is full (more than 10 h of messages).
    QueueFull,
    /// 21602–21606, 21617, 21619: a missing or invalid parameter (a bug or a validation gap).
    InvalidParameter,
    /// 30003: unreachable handset (off, no signal). Transient.
    Unreachable,
    /// 30004: blocked by the carrier or the recipient.
    Blocked,
    /// 30005: unknown or inactive destination handset.
    UnknownDestination,
    /// 30006: landline or unreachable carrier.
    Landline,
    /// 30007: filtered as spam or for a policy violation.
    Filtered,
    /// 30008: unknown carrier error.
    CarrierUnknown,
    /// 20500, 20503: an error on Twilio's side.
    ServerError,
    /// Any other code.
    Unknown,
}

impl ErrorClass {
    pub fn from_code(code: i64) -> ErrorClass {
        use ErrorClass::*;
        match code {
            20003 => Auth,
            20429 => RateLimit,
            21211 => InvalidNumber,
            21610 => Unsubscribed,
            21408 | 21612 | 21614 | 21635 => NotReachable,
            21608 => TrialUnverified,
            21611 | 30001 => QueueFull,
            21602..=21606 | 21617 | 21619 => InvalidParameter,
            30003 => Unreachable,
            30004 => Blocked,
            30005 => UnknownDestination,
            30006 => Landline,
            30007 => Filtered,
            30008 => CarrierUnknown,
            20500 | 20503 => ServerError,
            _ => Unknown,
        }
    }

    /// Whether the same request may be tried again later (by the queue, never by this crate).
    pub fn retryable(self) -> bool {
        use ErrorClass::*;
        matches!(
            self,
            RateLimit | QueueFull | Unreachable | CarrierUnknown | ServerError
        )
    }

    /// A wait before a retry, when the class is retryable.
    pub fn retry_after(self) -> Option<Duration> {
        use ErrorClass::*;
        match self {
            RateLimit => Some(Duration::from_secs(1)),
            QueueFull => Some(Duration::from_secs(10 * 60)),
            // A phone that is off: try again much later, not in a tight loop.
            Unreachable => Some(Duration::from_secs(30 * 60)),
            CarrierUnknown => Some(Duration::from_secs(60)),
            ServerError => Some(Duration::from_secs(10)),
            _ => None,
        }
    }

    /// Whether every send of this integration must stop until a person acts.
    pub fn pauses_integration(self) -> bool {
        matches!(self, ErrorClass::Auth)
    }

    /// Whether the notice should go on to the next channel (e-mail). Never for an opt-out: the
    /// customer asked not to be contacted.
    pub fn suggests_fallback(self) -> bool {
        use ErrorClass::*;
        matches!(
            self,
            InvalidNumber
                | NotReachable
                | TrialUnverified
                | Blocked
                | UnknownDestination
                | Landline
                | Filtered
        )
    }

    /// What a person should do about it.
    pub fn advice(self) -> &'static str {
        use ErrorClass::*;
        match self {
            Auth => "the Twilio credentials are wrong or revoked: fix them in Ajustes → SMS",
            RateLimit => "too many requests to Twilio at once; retry after a short wait",
            InvalidNumber => "the phone number is not valid; correct it or use e-mail",
            Unsubscribed => "the customer replied STOP; do not send SMS until they send START",
            NotReachable => "the number cannot receive SMS from this account; use e-mail",
            TrialUnverified => "a trial account can only text verified numbers",
            QueueFull => "the sender's queue is full; send later or add senders",
            InvalidParameter => "the request is invalid; this is a bug or a validation gap",
            Unreachable => "the handset is off or out of coverage; retry later",
            Blocked => "the carrier or the recipient blocked the message",
            UnknownDestination => "the number is unknown or inactive; use e-mail",
            Landline => "the number is a landline or its carrier is unreachable; use e-mail",
            Filtered => "the carrier filtered the message as spam; change the text",
            CarrierUnknown => "the carrier failed without a reason; retry once",
            ServerError => "Twilio had a transient problem; retry a limited number of times",
            Unknown => "unknown Twilio error; see the code and more_info",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A Twilio REST error object, as returned in the body of a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioError {
    pub http_status: u16,
    pub code: i64,
    pub message: String,
    pub more_info: Option<String>,
    /// From a `Retry-After` header, when Twilio sent one.
    pub retry_after_header: Option<Duration>,
}

impl TwilioError {
    pub fn class(&self) -> ErrorClass {
        match ErrorClass::from_code(self.code) {
            ErrorClass::Unknown if self.http_status == 429 => ErrorClass::RateLimit,
            c => c,
        }
    }

    /// Parses `{"code": …, "message": …, "more_info": …, "status": …}`. `None` when the body is
    /// not a Twilio error object.
    pub fn from_body(http_status: u16, body: &[u8]) -> Option<TwilioError> {
        #[derive(Deserialize)]
        struct Obj {
            code: i64,
            #[serde(default)]
            message: String,
            more_info: Option<String>,
        }
        let o: Obj = serde_json::from_slice(body).ok()?;
        Some(TwilioError {
            http_status,
            code: o.code,
            message: o.message,
            more_info: o.more_info,
            retry_after_header: None,
        })
    }
}

impl fmt::Display for TwilioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Twilio error {} ({}): {}. {}",
            self.code,
            self.class(),
            self.message,
            self.class().advice()
        )?;
        if let Some(m) = &self.more_info {
            write!(f, " [{m}]")?;
        }
        Ok(())
    }
}

/// Every failure of a client call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Twilio answered with an error object.
    #[error("{0}")]
    Twilio(Box<TwilioError>),

    /// A send timed out, the connection broke after the request was written, or Twilio answered
    /// a 5xx: the message may have been accepted. Resolve by fetching the account's recent
    /// messages or waiting for a status callback before resending.
    #[error("{operation}: no clear answer from Twilio ({cause}); the SMS MAY HAVE BEEN SENT — mark it in doubt and check before resending")]
    MaybeSent {
        operation: &'static str,
        cause: String,
    },

    /// The call timed out (not a send: safe to retry).
    #[error("{operation}: Twilio did not answer within {timeout:?}; retry later")]
    Timeout {
        operation: &'static str,
        timeout: Duration,
    },

    /// Could not reach Twilio at all (DNS, refused, TLS): nothing was sent.
    #[error("{operation}: cannot reach Twilio ({cause}); check the connection and retry")]
    Network {
        operation: &'static str,
        cause: String,
    },

    /// An HTTP error status without a Twilio error object (e.g. a 502 from a proxy, a bare 429).
    #[error("{operation}: Twilio answered HTTP {status} without an error object")]
    Http {
        operation: &'static str,
        status: u16,
        retry_after_header: Option<Duration>,
    },

    /// A success status with a body we cannot understand.
    #[error("{operation}: unexpected answer from Twilio: {cause}")]
    UnexpectedResponse {
        operation: &'static str,
        cause: String,
    },

    /// The request was refused before sending.
    #[error("invalid SMS: {0}")]
    Invalid(#[from] ValidationError),

    #[error(transparent)]
    Id(#[from] IdError),

    /// The client configuration is unusable.
    #[error("Twilio client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The error class, when Twilio answered with an error object or a bare 429.
    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            Error::Twilio(t) => Some(t.class()),
            Error::Http { status: 429, .. } => Some(ErrorClass::RateLimit),
            _ => None,
        }
    }

    pub fn twilio(&self) -> Option<&TwilioError> {
        match self {
            Error::Twilio(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the queue may try the same request again. [`Error::MaybeSent`] is *not*: it must
    /// be resolved first.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Twilio(t) => {
                t.class().retryable() || t.http_status >= 500 && t.class() == ErrorClass::Unknown
            }
            Error::Timeout { .. } | Error::Network { .. } => true,
            Error::Http { status, .. } => *status >= 500 || *status == 429,
            Error::MaybeSent { .. }
            | Error::UnexpectedResponse { .. }
            | Error::Invalid(_)
            | Error::Id(_)
            | Error::Config(_) => false,
        }
    }

    /// A wait before retrying: Twilio's `Retry-After` header when present, else the class's hint.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Twilio(t) => t.retry_after_header.or_else(|| t.class().retry_after()),
            Error::Http {
                retry_after_header, ..
            } => retry_after_header.or_else(|| self.class().and_then(ErrorClass::retry_after)),
            _ => None,
        }
    }

    /// Whether every send of the integration must stop until a person acts.
    pub fn pauses_integration(&self) -> bool {
        self.class().is_some_and(ErrorClass::pauses_integration)
    }

    /// Whether the request may have reached Twilio and been acted upon.
    pub fn may_have_been_sent(&self) -> bool {
        matches!(self, Error::MaybeSent { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_twilio_error_object() {
        let body = br#"{"code": 21211, "message": "The 'To' number +1234 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
        let t = TwilioError::from_body(400, body).unwrap();
        assert_eq!(t.code, 21211);
        assert_eq!(t.class(), ErrorClass::InvalidNumber);
        assert_eq!(
            t.more_info.as_deref(),
            Some("https://www.twilio.com/docs/errors/21211")
        );
        let shown = t.to_string();
        assert!(
            shown.contains("21211") && shown.contains("e-mail") && shown.contains("docs/errors")
        );
        assert!(TwilioError::from_body(502, b"<html>bad gateway</html>").is_none());
        assert!(TwilioError::from_body(400, br#"{"message":"no code"}"#).is_none());
    }

    #[test]
    fn classification_table() {
        use ErrorClass::*;
        // (code, class, retryable, pauses, fallback)
        let table: &[(i64, ErrorClass, bool, bool, bool)] = &[
            (20003, Auth, false, true, false),
            (20429, RateLimit, true, false, false),
            (21211, InvalidNumber, false, false, true),
            (21610, Unsubscribed, false, false, false),
            (21408, NotReachable, false, false, true),
            (21612, NotReachable, false, false, true),
            (21614, NotReachable, false, false, true),
            (21635, NotReachable, false, false, true),
            (21608, TrialUnverified, false, false, true),
            (21611, QueueFull, true, false, false),
            (30001, QueueFull, true, false, false),
            (21604, InvalidParameter, false, false, false),
            (30003, Unreachable, true, false, false),
            (30004, Blocked, false, false, true),
            (30005, UnknownDestination, false, false, true),
            (30006, Landline, false, false, true),
            (30007, Filtered, false, false, true),
            (30008, CarrierUnknown, true, false, false),
            (20500, ServerError, true, false, false),
            (99999, Unknown, false, false, false),
        ];
        for &(code, class, retry, pause, fallback) in table {
            let c = ErrorClass::from_code(code);
            assert_eq!(c, class, "code {code}");
            assert_eq!(c.retryable(), retry, "retryable {code}");
            assert_eq!(c.pauses_integration(), pause, "pause {code}");
            assert_eq!(c.suggests_fallback(), fallback, "fallback {code}");
            assert_eq!(c.retry_after().is_some(), retry, "retry_after {code}");
        }
    }

    #[test]
    fn retry_after_prefers_the_header() {
        let mut t = TwilioError::from_body(429, br#"{"code":20429,"message":"Too Many Requests"}"#)
            .unwrap();
        t.retry_after_header = Some(Duration::from_secs(7));
        let e = Error::Twilio(Box::new(t));
        assert!(e.retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let bare = Error::Http {
            operation: "send SMS",
            status: 429,
            retry_after_header: None,
        };
        assert_eq!(bare.class(), Some(ErrorClass::RateLimit));
        assert_eq!(bare.retry_after(), Some(Duration::from_secs(1)));
        let auth = Error::Twilio(Box::new(
            TwilioError::from_body(401, br#"{"code":20003,"message":"Authenticate"}"#).unwrap(),
        ));
        assert!(auth.pauses_integration() && !auth.retryable());
    }
}
