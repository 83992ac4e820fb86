//! Errors of every call, and the classification the durable queue acts on.
//!
//! MercadoPago's error body is `{"message", "error", "status", "cause": [{"code", "description"}]}`
//! (reference §1.9). The class comes from the HTTP status, as in the official Node SDK: 400
//! BadRequest, 401 Auth, 402 Payment, 403 Forbidden, 404 NotFound, 409 idempotency conflict, 422
//! Validation, 423 Locked (retryable), 424 Dependency (retryable), 429 RateLimit, 5xx Server.
//! No numeric rate limit is published: honour 429's `Retry-After`, back off on 5xx.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// What an error status means for a caller. Closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// 400: the request is wrong (a bug or a validation gap).
    BadRequest,
    /// 401: the access token is invalid, expired or revoked.
    Auth,
    /// 402: a payment-level refusal.
    Payment,
    /// 403: the token may not do this (wrong account, missing scope).
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 409: the idempotency key was used with another body, or a state conflict.
    Conflict,
    /// 422: a business validation failed (e.g. refund above the paid amount).
    Validation,
    /// 423: the idempotency key is being processed right now: retry the same request soon.
    Locked,
    /// 424: a dependency of MercadoPago failed: retry.
    Dependency,
    /// 429: too many requests.
    RateLimit,
    /// 5xx.
    Server,
    /// Any other status.
    Unknown,
}

impl ErrorClass {
    pub fn from_status(status: u16) -> ErrorClass {
        use ErrorClass::*;
        match status {
            400 => BadRequest,
            401 => Auth,
            402 => Payment,
            403 => Forbidden,
            404 => NotFound,
            409 => Conflict,
            422 => Validation,
            423 => Locked,
            424 => Dependency,
            429 => RateLimit,
            500..=599 => Server,
            _ => Unknown,
        }
    }

    /// Whether the same request (same idempotency key) may be tried again later, by the queue.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::Locked
                | ErrorClass::Dependency
                | ErrorClass::RateLimit
                | ErrorClass::Server
        )
    }

    /// A wait before a retry when the class is retryable and MercadoPago gave no `Retry-After`.
    pub fn retry_after(self) -> Option<Duration> {
        match self {
            ErrorClass::Locked => Some(Duration::from_secs(2)),
            ErrorClass::Dependency => Some(Duration::from_secs(30)),
            ErrorClass::RateLimit => Some(Duration::from_secs(10)),
            ErrorClass::Server => Some(Duration::from_secs(10)),
            _ => None,
        }
    }

    /// Whether every call of the integration must stop until a person acts (new token).
    pub fn pauses_integration(self) -> bool {
        matches!(self, ErrorClass::Auth | ErrorClass::Forbidden)
    }

    /// What a person should do about it.
    pub fn advice(self) -> &'static str {
        use ErrorClass::*;
        match self {
            BadRequest => "the request is invalid; this is a bug or a validation gap",
            Auth => "the MercadoPago access token is invalid or revoked: paste a new one in Ajustes → MercadoPago",
            Payment => "MercadoPago refused the payment operation",
            Forbidden => "the access token may not do this (other account or missing permission)",
            NotFound => "MercadoPago does not know this resource",
            Conflict => "the idempotency key was already used for another request",
            Validation => "MercadoPago refused the values (e.g. an amount above what was paid)",
            Locked => "the same request is still being processed; retry shortly",
            Dependency => "MercadoPago had a transient problem; retry later",
            RateLimit => "too many requests to MercadoPago; retry after a wait",
            Server => "MercadoPago had a transient problem; retry a limited number of times",
            Unknown => "unexpected answer from MercadoPago",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One `cause` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Cause {
    #[serde(default, deserialize_with = "code_text")]
    pub code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `cause[].code` is a number on some endpoints and a string on others.
fn code_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// A MercadoPago error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpError {
    pub http_status: u16,
    /// `bad_request`, `not_found`, `unauthorized`, `invalid_auto_return`…
    pub error: String,
    pub message: String,
    pub cause: Vec<Cause>,
    /// From a `Retry-After` header.
    pub retry_after_header: Option<Duration>,
}

impl MpError {
    pub fn class(&self) -> ErrorClass {
        ErrorClass::from_status(self.http_status)
    }

    /// Parses the error body; `None` when it is not MercadoPago's shape (a proxy's HTML page).
    pub fn from_body(http_status: u16, body: &[u8]) -> Option<MpError> {
        #[derive(Deserialize)]
        struct Obj {
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            error: Option<String>,
            #[serde(default)]
            cause: Option<serde_json::Value>,
        }
        let o: Obj = serde_json::from_slice(body).ok()?;
        if o.message.is_none() && o.error.is_none() {
            return None;
        }
        // `cause` is an array, sometimes a single object.
        let cause = match o.cause {
            Some(v @ serde_json::Value::Array(_)) => serde_json::from_value(v).unwrap_or_default(),
            Some(v @ serde_json::Value::Object(_)) => serde_json::from_value(v)
                .map(|c| vec![c])
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        Some(MpError {
            http_status,
            error: o.error.unwrap_or_default(),
            message: o.message.unwrap_or_default(),
            cause,
            retry_after_header: None,
        })
    }
}

impl fmt::Display for MpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MercadoPago HTTP {} {} ({}): {}",
            self.http_status,
            self.error,
            self.class(),
            self.message
        )?;
        for c in &self.cause {
            write!(
                f,
                " [{}: {}]",
                c.code.as_deref().unwrap_or("?"),
                c.description.as_deref().unwrap_or("")
            )?;
        }
        write!(f, ". {}", self.class().advice())
    }
}

/// Every failure of a client call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// MercadoPago answered with an error object.
    #[error("{0}")]
    Api(Box<MpError>),

    /// An HTTP error status without MercadoPago's error object (a proxy's 502, a bare 429).
    #[error("{operation}: MercadoPago answered HTTP {status} without an error object")]
    Http {
        operation: &'static str,
        status: u16,
        retry_after_header: Option<Duration>,
    },

    /// No answer in time. Creating calls carry an idempotency key, so retrying with the SAME key
    /// cannot create a second resource.
    #[error("{operation}: MercadoPago did not answer within {timeout:?}; retry later with the same idempotency key")]
    Timeout {
        operation: &'static str,
        timeout: Duration,
    },

    /// Could not reach MercadoPago, or the connection broke.
    #[error("{operation}: cannot reach MercadoPago ({cause}); check the connection and retry")]
    Network {
        operation: &'static str,
        cause: String,
    },

    /// A success status with a body we cannot understand.
    #[error("{operation}: unexpected answer from MercadoPago: {cause}")]
    UnexpectedResponse {
        operation: &'static str,
        cause: String,
    },

    /// The request was refused before sending.
    #[error("invalid request: {0}")]
    Invalid(String),

    /// The client configuration is unusable.
    #[error("MercadoPago client configuration: {0}")]
    Config(String),
}

impl Error {
    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            Error::Api(e) => Some(e.class()),
            Error::Http { status, .. } => Some(ErrorClass::from_status(*status)),
            _ => None,
        }
    }

    pub fn api(&self) -> Option<&MpError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the queue may run the same request again (with the same idempotency key).
    pub fn retryable(&self) -> bool {
        match self {
            Error::Api(_) | Error::Http { .. } => self.class().is_some_and(ErrorClass::retryable),
            Error::Timeout { .. } | Error::Network { .. } => true,
            Error::UnexpectedResponse { .. } | Error::Invalid(_) | Error::Config(_) => false,
        }
    }

    /// The wait before retrying: `Retry-After` when sent, else the class's hint.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after_header.or_else(|| e.class().retry_after()),
            Error::Http {
                retry_after_header, ..
            } => retry_after_header.or_else(|| self.class().and_then(ErrorClass::retry_after)),
            _ => None,
        }
    }

    /// Whether every call of the integration must stop until a person acts.
    pub fn pauses_integration(&self) -> bool {
        self.class().is_some_and(ErrorClass::pauses_integration)
    }

    /// Whether the provider looks unhealthy (counts for a circuit breaker).
    pub fn provider_health(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::Network { .. })
            || self
                .class()
                .is_some_and(|c| matches!(c, ErrorClass::Server | ErrorClass::Dependency))
    }

    /// A stable code for logs and job errors (`http_429`, `timeout`, `network`…).
    pub fn code(&self) -> String {
        match self {
            Error::Api(e) if !e.error.is_empty() => format!("http_{}_{}", e.http_status, e.error),
            Error::Api(e) => format!("http_{}", e.http_status),
            Error::Http { status, .. } => format!("http_{status}"),
            Error::Timeout { .. } => "timeout".into(),
            Error::Network { .. } => "network".into(),
            Error::UnexpectedResponse { .. } => "unexpected_response".into(),
            Error::Invalid(_) => "invalid".into(),
            Error::Config(_) => "config".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_error_bodies_and_classifies() {
        let body = br#"{"message":"auto_return invalid. back_url.success must be defined","error":"invalid_auto_return","status":400,"cause":[{"code":"invalid_auto_return","description":"x"}]}"#;
        let e = MpError::from_body(400, body).unwrap();
        assert_eq!(e.class(), ErrorClass::BadRequest);
        assert_eq!(e.error, "invalid_auto_return");
        assert_eq!(e.cause[0].code.as_deref(), Some("invalid_auto_return"));
        let numeric = MpError::from_body(
            400,
            br#"{"message":"m","error":"bad_request","status":400,"cause":[{"code":2001,"description":"Already posted the same request in the last minute"}]}"#,
        )
        .unwrap();
        assert_eq!(numeric.cause[0].code.as_deref(), Some("2001"));
        assert!(MpError::from_body(502, b"<html>bad gateway</html>").is_none());

        // (status, class, retryable, pauses)
        let table: &[(u16, ErrorClass, bool, bool)] = &[
            (400, ErrorClass::BadRequest, false, false),
            (401, ErrorClass::Auth, false, true),
            (403, ErrorClass::Forbidden, false, true),
            (404, ErrorClass::NotFound, false, false),
            (409, ErrorClass::Conflict, false, false),
            (422, ErrorClass::Validation, false, false),
            (423, ErrorClass::Locked, true, false),
            (424, ErrorClass::Dependency, true, false),
            (429, ErrorClass::RateLimit, true, false),
            (500, ErrorClass::Server, true, false),
            (503, ErrorClass::Server, true, false),
            (418, ErrorClass::Unknown, false, false),
        ];
        for &(status, class, retry, pause) in table {
            let c = ErrorClass::from_status(status);
            assert_eq!(c, class, "{status}");
            assert_eq!(c.retryable(), retry, "{status}");
            assert_eq!(c.pauses_integration(), pause, "{status}");
            assert_eq!(c.retry_after().is_some(), retry, "{status}");
        }
    }

    #[test]
    fn retry_after_prefers_the_header() {
        let mut e = MpError::from_body(
            429,
            br#"{"message":"too many","error":"too_many_requests","status":429}"#,
        )
        .unwrap();
        e.retry_after_header = Some(Duration::from_secs(7));
        let e = Error::Api(Box::new(e));
        assert!(e.retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let bare = Error::Http {
            operation: "x",
            status: 429,
            retry_after_header: None,
        };
        assert_eq!(bare.retry_after(), Some(Duration::from_secs(10)));
        let t = Error::Timeout {
            operation: "x",
            timeout: Duration::from_secs(1),
        };
        assert!(t.retryable() && t.provider_health());
        let auth = Error::Http {
            operation: "x",
            status: 401,
            retry_after_header: None,
        };
        assert!(auth.pauses_integration() && !auth.retryable());
    }
}
