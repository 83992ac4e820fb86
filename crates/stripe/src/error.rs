//! Errors of every call, and their classification into the queue's retry classes.
//!
//! Stripe answers errors as `{"error": {"type", "code", "decline_code", "param", "message", …}}`
//! with a 4xx/5xx status. Idempotency changes what a lost answer means: every POST of this crate
//! carries an `Idempotency-Key`, so a timeout or a dropped connection is retried **with the same
//! key** (Stripe returns the first result instead of acting twice). The exception is a `500` on a
//! POST: Stripe caches it under the key and documents its outcome as indeterminate, so it is
//! "maybe sent" and needs a person or a reconciliation (fetch / webhook) before anything else.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::ids::IdError;
use crate::money::MoneyError;

/// How the durable queue should treat a failed attempt. Mirrors the classes of
/// `mostrador-queue`'s `JobError::class` as the engine writes them (see [`RetryClass::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Try again later with the same idempotency key (5xx other than a POST's 500, 409, a
    /// timeout, a dropped connection).
    Transient,
    /// Too fast (429 `rate_limit` / `lock_timeout`): wait without burning an attempt.
    RateLimited,
    /// Stripe may have acted and the answer is unusable (a POST's 500, an unreadable 2xx): never
    /// retried blindly; fetch the object or wait for its webhook.
    MaybeSent,
    /// This request can never succeed as it is (invalid parameters, idempotency key reused with
    /// other parameters, a refund above what is left, a card error).
    Permanent,
    /// Every call of the integration must stop until a person acts (key invalid, revoked or
    /// lacking a permission).
    Paused,
    /// Our side is not set up (no key, bad base URL).
    NotConfigured,
}

impl RetryClass {
    /// The class string the queue stores on a job error (`"transient"`, `"rate_limited"`,
    /// `"maybe_sent"`, `"permanent"`, `"paused"`, `"not_configured"`).
    pub fn as_str(self) -> &'static str {
        match self {
            RetryClass::Transient => "transient",
            RetryClass::RateLimited => "rate_limited",
            RetryClass::MaybeSent => "maybe_sent",
            RetryClass::Permanent => "permanent",
            RetryClass::Paused => "paused",
            RetryClass::NotConfigured => "not_configured",
        }
    }

    pub fn retryable(self) -> bool {
        matches!(self, RetryClass::Transient | RetryClass::RateLimited)
    }
}

impl fmt::Display for RetryClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stripe's `error.type`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    ApiError,
    CardError,
    IdempotencyError,
    InvalidRequestError,
    #[serde(other)]
    Other,
}

/// The `error` object of a failed call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StripeError {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    /// `resource_missing`, `amount_too_large`, `rate_limit`, `idempotency_key_in_use`, …
    pub code: Option<String>,
    /// For card errors: `insufficient_funds`, `lost_card`, …
    pub decline_code: Option<String>,
    /// The request parameter at fault (`amount`, `line_items[0][price_data][currency]`).
    pub param: Option<String>,
    /// Stripe's English text; may quote the request, never our key in full.
    #[serde(default)]
    pub message: String,
    pub doc_url: Option<String>,
}

impl StripeError {
    /// Parses `{"error": {...}}`. `None` when the body is not a Stripe error.
    pub fn from_body(body: &[u8]) -> Option<StripeError> {
        #[derive(Deserialize)]
        struct Envelope {
            error: StripeError,
        }
        serde_json::from_slice::<Envelope>(body)
            .ok()
            .map(|e| e.error)
    }
}

/// A call that got an HTTP error status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub operation: &'static str,
    pub http_status: u16,
    /// `None` when the body was not a Stripe error object (a proxy's HTML page).
    pub error: Option<StripeError>,
    /// `Request-Id` (`req_…`), to quote to Stripe's support.
    pub request_id: Option<String>,
    /// `Stripe-Should-Retry`, when Stripe knew.
    pub should_retry: Option<bool>,
    /// `Retry-After`, seconds, when present.
    pub retry_after: Option<Duration>,
    /// The call was a POST (creates or refunds).
    pub mutation: bool,
}

impl ApiError {
    pub fn class(&self) -> RetryClass {
        let e = self.error.as_ref();
        match self.http_status {
            401 | 403 => return RetryClass::Paused,
            429 => return RetryClass::RateLimited,
            _ => {}
        }
        if self.mutation && self.http_status == 500 {
            return RetryClass::MaybeSent;
        }
        match self.should_retry {
            Some(true) => return RetryClass::Transient,
            Some(false) if self.http_status >= 500 && self.mutation => {
                return RetryClass::MaybeSent
            }
            Some(false) => return RetryClass::Permanent,
            None => {}
        }
        if self.http_status == 409 || self.http_status >= 500 {
            return RetryClass::Transient;
        }
        if e.is_some_and(|e| e.kind == ErrorType::ApiError) {
            return RetryClass::Transient;
        }
        RetryClass::Permanent
    }

    pub fn code(&self) -> String {
        match &self.error {
            Some(StripeError { code: Some(c), .. }) => c.clone(),
            Some(StripeError {
                kind: ErrorType::IdempotencyError,
                ..
            }) => "idempotency_error".into(),
            _ => format!("http_{}", self.http_status),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: Stripe answered HTTP {} ({}, {})",
            self.operation,
            self.http_status,
            self.code(),
            self.class()
        )?;
        if let Some(e) = &self.error {
            write!(f, ": {}", e.message)?;
            if let Some(p) = &e.param {
                write!(f, " [param {p}]")?;
            }
            if let Some(d) = &e.decline_code {
                write!(f, " [decline {d}]")?;
            }
        }
        if let Some(r) = &self.request_id {
            write!(f, " [request {r}]")?;
        }
        Ok(())
    }
}

/// Every failure of a client call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Stripe (or a proxy in front of it) answered an error status.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// No answer in time. The request may have arrived: a POST is retried with the same
    /// idempotency key, which is safe for 24 hours.
    #[error("{operation}: Stripe did not answer within {timeout:?}; retry with the same idempotency key")]
    Timeout {
        operation: &'static str,
        timeout: Duration,
    },

    /// Could not reach Stripe, or the connection broke before the answer.
    #[error("{operation}: cannot reach Stripe ({cause}); retry with the same idempotency key")]
    Network {
        operation: &'static str,
        cause: String,
    },

    /// A success status with a body we cannot read.
    #[error("{operation}: unexpected answer from Stripe: {cause}")]
    UnexpectedResponse {
        operation: &'static str,
        cause: String,
        mutation: bool,
    },

    /// The request was refused before sending.
    #[error("invalid Stripe request: {0}")]
    Invalid(String),

    #[error(transparent)]
    Money(#[from] MoneyError),

    #[error(transparent)]
    Id(#[from] IdError),

    /// The client configuration is unusable.
    #[error("Stripe client configuration: {0}")]
    Config(String),
}

impl Error {
    pub fn class(&self) -> RetryClass {
        match self {
            Error::Api(a) => a.class(),
            Error::Timeout { .. } | Error::Network { .. } => RetryClass::Transient,
            Error::UnexpectedResponse { mutation: true, .. } => RetryClass::MaybeSent,
            Error::UnexpectedResponse { .. }
            | Error::Invalid(_)
            | Error::Money(_)
            | Error::Id(_) => RetryClass::Permanent,
            Error::Config(_) => RetryClass::NotConfigured,
        }
    }

    /// A stable code for the job's error and logs: Stripe's `code` (`amount_too_large`), or ours
    /// (`http_502`, `timeout`, `network`, `unexpected_response`, `invalid`,
    /// `stripe_not_configured`). Never a key or a body.
    pub fn code(&self) -> String {
        match self {
            Error::Api(a) => a.code(),
            Error::Timeout { .. } => "timeout".into(),
            Error::Network { .. } => "network".into(),
            Error::UnexpectedResponse { .. } => "unexpected_response".into(),
            Error::Invalid(_) | Error::Money(_) | Error::Id(_) => "invalid".into(),
            Error::Config(_) => "stripe_not_configured".into(),
        }
    }

    /// How long to wait before the retry: `Retry-After` when sent, else a hint per class.
    pub fn retry_after(&self) -> Option<Duration> {
        if let Error::Api(a) = self {
            if a.retry_after.is_some() {
                return a.retry_after;
            }
        }
        match self.class() {
            RetryClass::RateLimited => Some(Duration::from_secs(1)),
            RetryClass::Transient if matches!(self, Error::Api(a) if a.http_status == 409) => {
                Some(Duration::from_secs(1))
            }
            RetryClass::Transient => Some(Duration::from_secs(10)),
            _ => None,
        }
    }

    pub fn retryable(&self) -> bool {
        self.class().retryable()
    }

    pub fn pauses_integration(&self) -> bool {
        self.class() == RetryClass::Paused
    }

    pub fn stripe(&self) -> Option<&StripeError> {
        match self {
            Error::Api(a) => a.error.as_ref(),
            _ => None,
        }
    }

    /// Stripe refused a refund because it exceeds what is left to refund.
    pub fn is_refund_too_large(&self) -> bool {
        self.stripe()
            .and_then(|e| e.code.as_deref())
            .is_some_and(|c| matches!(c, "amount_too_large" | "charge_already_refunded"))
    }

    /// The idempotency key was reused with other parameters: a bug on our side, never retried.
    pub fn is_idempotency_mismatch(&self) -> bool {
        self.stripe()
            .is_some_and(|e| e.kind == ErrorType::IdempotencyError)
    }

    /// What a person should do about it.
    pub fn advice(&self) -> &'static str {
        match self.class() {
            RetryClass::Transient => {
                "Stripe had a transient problem; it is retried with the same idempotency key"
            }
            RetryClass::RateLimited => "too many requests to Stripe; retried after a short wait",
            RetryClass::MaybeSent => {
                "Stripe may have acted: check the payment or refund in Stripe before trying again"
            }
            RetryClass::Permanent => "Stripe refused the request; see the code and parameter",
            RetryClass::Paused => {
                "the Stripe key is wrong, revoked or lacks a permission: fix it in Ajustes → Stripe"
            }
            RetryClass::NotConfigured => {
                "Stripe is not configured: add the secret key in Ajustes → Stripe"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: &str, mutation: bool, should_retry: Option<bool>) -> Error {
        Error::Api(Box::new(ApiError {
            operation: "test",
            http_status: status,
            error: StripeError::from_body(body.as_bytes()),
            request_id: Some("req_1".into()),
            should_retry,
            retry_after: None,
            mutation,
        }))
    }

    #[test]
    fn parses_the_error_object() {
        let body = br#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","param":"payment_method","message":"Your card has insufficient funds.","doc_url":"https://stripe.com/docs/error-codes/card-declined"}}"#;
        let e = StripeError::from_body(body).unwrap();
        assert_eq!(e.kind, ErrorType::CardError);
        assert_eq!(e.decline_code.as_deref(), Some("insufficient_funds"));
        assert_eq!(e.param.as_deref(), Some("payment_method"));
        let odd = StripeError::from_body(br#"{"error":{"type":"brand_new_type","message":"x"}}"#);
        assert_eq!(odd.unwrap().kind, ErrorType::Other);
        assert!(StripeError::from_body(b"<html>502</html>").is_none());
    }

    #[test]
    fn classification_table() {
        use RetryClass::*;
        let inv = r#"{"error":{"type":"invalid_request_error","code":"parameter_missing","param":"line_items","message":"Missing required param: line_items."}}"#;
        let key = r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****1234"}}"#;
        let rate = r#"{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}"#;
        let idem = r#"{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}"#;
        let in_use = r#"{"error":{"type":"invalid_request_error","code":"idempotency_key_in_use","message":"another request is in progress"}}"#;
        let too_large = r#"{"error":{"type":"invalid_request_error","code":"amount_too_large","param":"amount","message":"Refund amount ($25.00) is greater than unrefunded amount on charge ($21.45)"}}"#;
        let server = r#"{"error":{"type":"api_error","message":"An unknown error occurred"}}"#;
        // (error, class, code, retry_after present)
        let table: Vec<(Error, RetryClass, &str, bool)> = vec![
            (
                api(400, inv, true, None),
                Permanent,
                "parameter_missing",
                false,
            ),
            (api(401, key, false, None), Paused, "http_401", false),
            (api(403, "{}", true, None), Paused, "http_403", false),
            (api(429, rate, true, None), RateLimited, "rate_limit", true),
            (
                api(400, idem, true, None),
                Permanent,
                "idempotency_error",
                false,
            ),
            (
                api(409, in_use, true, None),
                Transient,
                "idempotency_key_in_use",
                true,
            ),
            (
                api(400, too_large, true, None),
                Permanent,
                "amount_too_large",
                false,
            ),
            // A POST's 500 is cached under the key and indeterminate.
            (api(500, server, true, None), MaybeSent, "http_500", false),
            (api(500, server, false, None), Transient, "http_500", true),
            (api(502, "<html>", true, None), Transient, "http_502", true),
            (
                api(503, server, true, Some(false)),
                MaybeSent,
                "http_503",
                false,
            ),
            (
                api(400, inv, true, Some(true)),
                Transient,
                "parameter_missing",
                true,
            ),
            (
                Error::Timeout {
                    operation: "x",
                    timeout: Duration::from_secs(1),
                },
                Transient,
                "timeout",
                true,
            ),
            (
                Error::UnexpectedResponse {
                    operation: "x",
                    cause: "y".into(),
                    mutation: true,
                },
                MaybeSent,
                "unexpected_response",
                false,
            ),
            (
                Error::Config("no key".into()),
                NotConfigured,
                "stripe_not_configured",
                false,
            ),
        ];
        for (e, class, code, wait) in table {
            assert_eq!(e.class(), class, "{e}");
            assert_eq!(e.code(), code, "{e}");
            assert_eq!(e.retry_after().is_some(), wait, "{e}");
            assert_eq!(e.retryable(), class.retryable());
        }
        assert!(api(400, too_large, true, None).is_refund_too_large());
        assert!(api(400, idem, true, None).is_idempotency_mismatch());
        assert!(api(401, key, false, None).pauses_integration());
        assert_eq!(RetryClass::RateLimited.as_str(), "rate_limited");
    }

    #[test]
    fn retry_after_header_wins_and_display_has_no_secret() {
        let mut a = ApiError {
            operation: "create checkout session",
            http_status: 429,
            error: None,
            request_id: None,
            should_retry: None,
            retry_after: Some(Duration::from_secs(7)),
            mutation: true,
        };
        assert_eq!(
            Error::Api(Box::new(a.clone())).retry_after(),
            Some(Duration::from_secs(7))
        );
        a.retry_after = None;
        assert_eq!(
            Error::Api(Box::new(a)).retry_after(),
            Some(Duration::from_secs(1))
        );
        let shown = api(
            400,
            r#"{"error":{"type":"invalid_request_error","code":"amount_too_large","param":"amount","message":"too large"}}"#,
            true,
            None,
        )
        .to_string();
        assert!(shown.contains("amount_too_large") && shown.contains("param amount"));
        assert!(shown.contains("req_1"));
    }
}
