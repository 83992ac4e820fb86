//! Errors of every call, and the classification of Graph error codes the queue acts on.
//!
//! Meta says to build logic on `code` (+ `error_data.details`), never on titles (reference §3.1).
//! [`ErrorClass`] is a closed enum over every code of the reference table §3.2; codes outside it are
//! [`ErrorClass::Unknown`] and are not retried.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::ids::IdError;
use crate::send::ValidationError;

/// Which part of the system a retry-after hint applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryScope {
    /// Only this message (e.g. a transient server error).
    Message,
    /// Every message to this recipient (pair rate limit).
    Recipient,
    /// Every call of this integration (throughput, app rate limit, auth, policy, payment).
    Integration,
}

/// What a Graph error code means for a sender. Closed: one variant per row of the reference table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// 130429: per-number throughput (messages per second) reached.
    Throughput,
    /// 131056: too many messages to the same recipient in a short time.
    PairRateLimit,
    /// 131048: sending restricted because earlier messages were blocked or flagged as spam.
    SpamRateLimit,
    /// 131049: per-user marketing cap ("healthy ecosystem engagement").
    MarketingCap,
    /// 131047: more than 24 h since the customer last wrote; only templates may be sent.
    WindowClosed,
    /// 131026: not a WhatsApp user, terms not accepted, or a very old app.
    Undeliverable,
    /// 131050: the customer stopped marketing messages.
    MarketingOptOut,
    /// 131051: unsupported message type.
    UnsupportedMessageType,
    /// 131052: the customer's media could not be downloaded.
    MediaDownload,
    /// 131053: our media could not be uploaded or processed (e.g. wrong MIME type).
    MediaUpload,
    /// 131000: something went wrong on Meta's side.
    Generic,
    /// 131016: service temporarily unavailable.
    ServiceUnavailable,
    /// 131057: the business account is in maintenance mode.
    Maintenance,
    /// 100, 131008, 131009: a missing or invalid parameter (a bug or a validation gap on our side).
    InvalidParameter,
    /// 132000: the number of template parameters does not match the template.
    TemplateParamCount,
    /// 132001: the template does not exist in that language or is not approved.
    TemplateNotFound,
    /// 132005: the template text is too long once parameters are filled in.
    TemplateTextTooLong,
    /// 132007: the template content violates a policy.
    TemplatePolicy,
    /// 132008: a template parameter value is invalid.
    TemplateParamValue,
    /// 132012: a template parameter has the wrong format (e.g. header expects IMAGE).
    TemplateParamFormat,
    /// 132015: the template is paused for low quality.
    TemplatePaused,
    /// 132016: the template is disabled.
    TemplateDisabled,
    /// Another 132xxx template error.
    TemplateOther,
    /// 190: the access token expired or is invalid.
    AccessToken,
    /// 0, 3, 10, 200–299: authentication, capability or permission missing.
    Permission,
    /// 4, 80007: app-level or WABA-level API call rate limit.
    ApiRateLimit,
    /// 368: temporarily blocked for a policy violation.
    PolicyBlocked,
    /// 131031: the account is locked.
    AccountLocked,
    /// 130497: the account may not message users in that country.
    CountryRestricted,
    /// 131042: a problem with the payment method.
    Payment,
    /// 131030: the recipient is not in the allowed list of a test number.
    NotInAllowedList,
    /// 131064: messaging limit reached because of template classification violations.
    TemplateClassificationLimit,
    /// 131021: the recipient is the sender.
    RecipientIsSender,
    /// 131062: a BSUID recipient is not supported for this request.
    BsuidUnsupported,
    /// 137000: the recipient's identity key changed.
    IdentityKeyMismatch,
    /// Any other code.
    Unknown,
}

impl ErrorClass {
    /// Classifies a Graph error code.
    pub fn from_code(code: i64) -> ErrorClass {
        use ErrorClass::*;
        match code {
            130429 => Throughput,
            131056 => PairRateLimit,
            131048 => SpamRateLimit,
            131049 => MarketingCap,
            131047 => WindowClosed,
            131026 => Undeliverable,
            131050 => MarketingOptOut,
            131051 => UnsupportedMessageType,
            131052 => MediaDownload,
            131053 => MediaUpload,
            131000 => Generic,
            131016 => ServiceUnavailable,
            131057 => Maintenance,
            100 | 131008 | 131009 => InvalidParameter,
            132000 => TemplateParamCount,
            132001 => TemplateNotFound,
            132005 => TemplateTextTooLong,
            132007 => TemplatePolicy,
            132008 => TemplateParamValue,
            132012 => TemplateParamFormat,
            132015 => TemplatePaused,
            132016 => TemplateDisabled,
            132002..=132999 => TemplateOther,
            190 => AccessToken,
            0 | 3 | 10 | 200..=299 => Permission,
            4 | 80007 => ApiRateLimit,
            368 => PolicyBlocked,
            131031 => AccountLocked,
            130497 => CountryRestricted,
            131042 => Payment,
            131030 => NotInAllowedList,
            131064 => TemplateClassificationLimit,
            131021 => RecipientIsSender,
            131062 => BsuidUnsupported,
            137000 => IdentityKeyMismatch,
            _ => Unknown,
        }
    }

    /// Whether the same request may be tried again later (by the queue, never by this crate).
    pub fn retryable(self) -> bool {
        use ErrorClass::*;
        matches!(
            self,
            Throughput | PairRateLimit | Generic | ServiceUnavailable | Maintenance | ApiRateLimit
        )
    }

    /// The wait Meta's guidance suggests before a retry, when the class is retryable.
    pub fn retry_after(self) -> Option<Duration> {
        use ErrorClass::*;
        match self {
            Throughput => Some(Duration::from_secs(2)),
            // About one message per 6 s to the same recipient.
            PairRateLimit => Some(Duration::from_secs(6)),
            Generic => Some(Duration::from_secs(10)),
            ServiceUnavailable => Some(Duration::from_secs(30)),
            Maintenance => Some(Duration::from_secs(5 * 60)),
            ApiRateLimit => Some(Duration::from_secs(60)),
            _ => None,
        }
    }

    /// What a retry hint (or a pause) applies to.
    pub fn scope(self) -> RetryScope {
        use ErrorClass::*;
        match self {
            PairRateLimit => RetryScope::Recipient,
            Throughput | ApiRateLimit | Maintenance | SpamRateLimit => RetryScope::Integration,
            c if c.pauses_integration() => RetryScope::Integration,
            _ => RetryScope::Message,
        }
    }

    /// Whether every send of this integration must stop until a person acts (reconnect, fix
    /// permissions or payment, wait out a policy block). Messages must not be failed one by one.
    pub fn pauses_integration(self) -> bool {
        use ErrorClass::*;
        matches!(
            self,
            AccessToken | Permission | PolicyBlocked | AccountLocked | Payment
        )
    }

    /// Whether the message is a candidate for the SMS fallback (reference §9).
    pub fn suggests_fallback(self) -> bool {
        use ErrorClass::*;
        matches!(self, Undeliverable | WindowClosed | MarketingCap)
    }

    /// What a person should do about it.
    pub fn advice(self) -> &'static str {
        use ErrorClass::*;
        match self {
            Throughput => "slow down sending from this number and retry in a few seconds",
            PairRateLimit => "wait before messaging this customer again (about 1 message per 6 s)",
            SpamRateLimit => "hold marketing sends and review message quality; only 1:1 replies",
            MarketingCap => "do not resend for at least 24 h; consider SMS",
            WindowClosed => "more than 24 h since the customer's last message: send a template",
            Undeliverable => "the number cannot receive WhatsApp messages; use SMS or e-mail",
            MarketingOptOut => "the customer opted out of marketing; record it and stop",
            UnsupportedMessageType => "this message type is not supported",
            MediaDownload => "the customer's media could not be downloaded; ask them to resend",
            MediaUpload => "fix the media (type/size; voice notes must be audio/ogg; codecs=opus)",
            Generic => "Meta had a transient problem; retry a limited number of times",
            ServiceUnavailable => "WhatsApp is temporarily unavailable; retry with backoff",
            Maintenance => "the account is in maintenance; retry in minutes",
            InvalidParameter => "the request is invalid; this is a bug or a validation gap",
            TemplateParamCount => "the template's parameters do not match; re-sync templates",
            TemplateNotFound => "the template is missing or not approved in that language; re-sync",
            TemplateTextTooLong => "the filled-in template text is too long",
            TemplatePolicy => "the template content was rejected by policy",
            TemplateParamValue => "a template parameter value is invalid",
            TemplateParamFormat => "a template parameter has the wrong format (e.g. header type)",
            TemplatePaused => "the template is paused for low quality; use another",
            TemplateDisabled => "the template is disabled; use another",
            TemplateOther => "the template was rejected; check it in WhatsApp Manager",
            AccessToken => "the access token expired or is invalid: reconnect WhatsApp",
            Permission => "the token lacks a permission: reconnect or fix app permissions",
            ApiRateLimit => "the app's API rate limit was reached; back off for minutes",
            PolicyBlocked => {
                "the account is blocked for a policy violation; check WhatsApp Manager"
            }
            AccountLocked => "the account is locked; check WhatsApp Manager",
            CountryRestricted => "the account cannot message users in that country",
            Payment => "fix the payment method in WhatsApp Manager",
            NotInAllowedList => {
                "add the number to the test number's allowed list (AR: try without the 9)"
            }
            TemplateClassificationLimit => {
                "messaging limited for template classification violations"
            }
            RecipientIsSender => "the recipient is the shop's own number",
            BsuidUnsupported => "this request cannot be sent to a BSUID; use the phone number",
            IdentityKeyMismatch => "the customer's identity changed; confirm before resending",
            Unknown => "unknown WhatsApp error; see the code and fbtrace_id",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A Graph API error object, as returned in the body of a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub http_status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
    pub kind: Option<String>,
    pub message: String,
    pub details: Option<String>,
    pub fbtrace_id: Option<String>,
    /// From a `Retry-After` header, when Meta sent one.
    pub retry_after_header: Option<Duration>,
}

impl GraphError {
    pub fn class(&self) -> ErrorClass {
        ErrorClass::from_code(self.code)
    }

    /// Parses `{"error": {...}}`. Returns `None` when the body is not a Graph error object.
    pub fn from_body(http_status: u16, body: &[u8]) -> Option<GraphError> {
        #[derive(Deserialize)]
        struct Wrapper {
            error: Obj,
        }
        #[derive(Deserialize)]
        struct Obj {
            #[serde(default)]
            message: String,
            #[serde(rename = "type")]
            kind: Option<String>,
            code: i64,
            error_subcode: Option<i64>,
            error_data: Option<Data>,
            fbtrace_id: Option<String>,
        }
        #[derive(Deserialize)]
        struct Data {
            details: Option<String>,
        }
        let w: Wrapper = serde_json::from_slice(body).ok()?;
        Some(GraphError {
            http_status,
            code: w.error.code,
            subcode: w.error.error_subcode,
            kind: w.error.kind,
            message: w.error.message,
            details: w.error.error_data.and_then(|d| d.details),
            fbtrace_id: w.error.fbtrace_id,
            retry_after_header: None,
        })
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WhatsApp error {}", self.code)?;
        if let Some(s) = self.subcode {
            write!(f, "/{s}")?;
        }
        write!(f, " ({}): {}", self.class(), self.message)?;
        if let Some(d) = &self.details {
            write!(f, " — {d}")?;
        }
        write!(f, ". {}", self.class().advice())?;
        if let Some(t) = &self.fbtrace_id {
            write!(f, " [fbtrace_id {t}]")?;
        }
        Ok(())
    }
}

/// Every failure of a client call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Meta answered with an error object.
    #[error("{0}")]
    Graph(Box<GraphError>),

    /// A send timed out or the connection broke after the request was written: Meta may have
    /// accepted it. Do not resend blindly; resolve by a status webhook carrying our
    /// `biz_opaque_callback_data` first.
    #[error("{operation}: no clear answer from WhatsApp ({cause}); the message MAY HAVE BEEN SENT — mark it in doubt and check before resending{}", trace.as_ref().map(|t| format!(" [fbtrace_id {t}]")).unwrap_or_default())]
    MaybeSent {
        operation: &'static str,
        cause: String,
        /// Meta's trace id, when an answer (a 5xx) came.
        trace: Option<String>,
    },

    /// The call timed out (not a send: safe to retry).
    #[error("{operation}: WhatsApp did not answer within {timeout:?}; retry later")]
    Timeout {
        operation: &'static str,
        timeout: Duration,
    },

    /// Could not reach Meta at all (DNS, refused, TLS): nothing was sent.
    #[error("{operation}: cannot reach WhatsApp ({cause}); check the connection and retry")]
    Network {
        operation: &'static str,
        cause: String,
    },

    /// An HTTP error status without a Graph error object (e.g. a 502 from a proxy).
    #[error("{operation}: WhatsApp answered HTTP {status} without an error object{}", trace.as_ref().map(|t| format!(" [fbtrace_id {t}]")).unwrap_or_default())]
    Http {
        operation: &'static str,
        status: u16,
        trace: Option<String>,
    },

    /// A success status with a body we cannot understand.
    #[error("{operation}: unexpected answer from WhatsApp: {cause}")]
    UnexpectedResponse {
        operation: &'static str,
        cause: String,
    },

    /// The request was refused before sending (Meta's limits, checked client-side).
    #[error("invalid request: {0}")]
    Invalid(#[from] ValidationError),

    /// An identifier had the wrong shape.
    #[error(transparent)]
    Id(#[from] IdError),

    /// The client configuration is unusable.
    #[error("WhatsApp client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The Graph error class, when Meta answered with an error object.
    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            Error::Graph(g) => Some(g.class()),
            _ => None,
        }
    }

    pub fn graph(&self) -> Option<&GraphError> {
        match self {
            Error::Graph(g) => Some(g),
            _ => None,
        }
    }

    /// Whether the queue may try the same request again. A [`Error::MaybeSent`] is *not*
    /// retryable as such: it must be resolved first.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Graph(g) => {
                g.class().retryable() || g.http_status >= 500 && g.class() == ErrorClass::Unknown
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

    /// A wait before retrying: Meta's `Retry-After` header when present, else the class's hint.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Graph(g) => g.retry_after_header.or_else(|| g.class().retry_after()),
            _ => None,
        }
    }

    /// Whether every send of the integration must stop until a person acts.
    pub fn pauses_integration(&self) -> bool {
        self.class().is_some_and(ErrorClass::pauses_integration)
    }

    /// Whether the request may have reached Meta and been acted upon.
    pub fn may_have_been_sent(&self) -> bool {
        matches!(self, Error::MaybeSent { .. })
    }

    /// The `fbtrace_id` Meta support asks for.
    pub fn fbtrace_id(&self) -> Option<&str> {
        match self {
            Error::Graph(g) => g.fbtrace_id.as_deref(),
            Error::Http { trace, .. } | Error::MaybeSent { trace, .. } => trace.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_graph_error_object() {
        let body = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed"},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}"#;
        let g = GraphError::from_body(400, body).unwrap();
        assert_eq!(g.code, 131047);
        assert_eq!(g.class(), ErrorClass::WindowClosed);
        assert!(g.details.as_deref().unwrap().contains("24 hours"));
        assert_eq!(g.fbtrace_id.as_deref(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
        let shown = g.to_string();
        assert!(shown.contains("131047") && shown.contains("template") && shown.contains("Az8or"));
    }

    #[test]
    fn non_graph_bodies_are_none() {
        assert!(GraphError::from_body(502, b"<html>bad gateway</html>").is_none());
        assert!(GraphError::from_body(400, br#"{"error":"nope"}"#).is_none());
    }

    #[test]
    fn classification_table() {
        use ErrorClass::*;
        let table: &[(i64, ErrorClass, bool, bool)] = &[
            (130429, Throughput, true, false),
            (131056, PairRateLimit, true, false),
            (131048, SpamRateLimit, false, false),
            (131049, MarketingCap, false, false),
            (131047, WindowClosed, false, false),
            (131026, Undeliverable, false, false),
            (131050, MarketingOptOut, false, false),
            (131051, UnsupportedMessageType, false, false),
            (131052, MediaDownload, false, false),
            (131053, MediaUpload, false, false),
            (131000, Generic, true, false),
            (131016, ServiceUnavailable, true, false),
            (131057, Maintenance, true, false),
            (100, InvalidParameter, false, false),
            (131008, InvalidParameter, false, false),
            (131009, InvalidParameter, false, false),
            (132000, TemplateParamCount, false, false),
            (132001, TemplateNotFound, false, false),
            (132005, TemplateTextTooLong, false, false),
            (132007, TemplatePolicy, false, false),
            (132008, TemplateParamValue, false, false),
            (132012, TemplateParamFormat, false, false),
            (132015, TemplatePaused, false, false),
            (132016, TemplateDisabled, false, false),
            (132069, TemplateOther, false, false),
            (190, AccessToken, false, true),
            (0, Permission, false, true),
            (3, Permission, false, true),
            (10, Permission, false, true),
            (200, Permission, false, true),
            (299, Permission, false, true),
            (4, ApiRateLimit, true, false),
            (80007, ApiRateLimit, true, false),
            (368, PolicyBlocked, false, true),
            (131031, AccountLocked, false, true),
            (130497, CountryRestricted, false, false),
            (131042, Payment, false, true),
            (131030, NotInAllowedList, false, false),
            (131064, TemplateClassificationLimit, false, false),
            (131021, RecipientIsSender, false, false),
            (131062, BsuidUnsupported, false, false),
            (137000, IdentityKeyMismatch, false, false),
            (999_999, Unknown, false, false),
        ];
        for &(code, class, retry, pause) in table {
            let c = ErrorClass::from_code(code);
            assert_eq!(c, class, "code {code}");
            assert_eq!(c.retryable(), retry, "retryable {code}");
            assert_eq!(c.pauses_integration(), pause, "pause {code}");
            assert_eq!(c.retry_after().is_some(), retry, "retry_after {code}");
        }
        assert_eq!(ErrorClass::PairRateLimit.scope(), RetryScope::Recipient);
        assert_eq!(ErrorClass::AccessToken.scope(), RetryScope::Integration);
        assert!(ErrorClass::Undeliverable.suggests_fallback());
    }
}
