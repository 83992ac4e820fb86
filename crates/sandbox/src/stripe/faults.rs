//! Faults injected into the next N API calls (`/v1/…`; never the page or the control API):
//! latency, a bare 5xx, a 5xx after the call was handled (a POST's 500 is then cached under its
//! idempotency key, as Stripe does), a hang (timeout), 429 rate limits, 401, or any Stripe error.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::api::{with_request_id, StripeErr};
use super::Shared;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StripeFaultKind {
    /// Wait before handling the call normally.
    Latency { ms: u64 },
    /// Answer this status with an HTML body (no Stripe error object), like a proxy.
    HttpStatus { status: u16 },
    /// Handle the call, then answer this status (a Stripe `api_error` for 500, HTML otherwise).
    AcceptThenHttpStatus { status: u16 },
    /// Never answer (the client times out). With `accept`, the call is handled first.
    Timeout {
        #[serde(default)]
        accept: bool,
    },
    /// 429 `rate_limit`, with `Retry-After` when given.
    RateLimited {
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// 401 as for a revoked key.
    Unauthorized,
    /// Any Stripe error object.
    StripeError {
        status: u16,
        #[serde(rename = "type")]
        error_type: String,
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
        /// `Stripe-Should-Retry`.
        #[serde(default)]
        should_retry: Option<bool>,
    },
}

/// A fault and how many calls it still applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StripeFault {
    #[serde(flatten)]
    pub kind: StripeFaultKind,
    /// How many calls (default 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl StripeFault {
    pub fn new(kind: StripeFaultKind) -> Self {
        StripeFault { kind, count: 1 }
    }

    pub fn times(mut self, n: u32) -> Self {
        self.count = n;
        self
    }
}

/// Longer than any client waits, shorter than forever.
const HANG: Duration = Duration::from_secs(120);

fn html_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (
        status,
        [("content-type", "text/html")],
        "<html><body>Sandbox: injected error</body></html>",
    )
        .into_response()
}

fn api_error_500() -> StripeErr {
    StripeErr {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        kind: "api_error",
        code: None,
        param: None,
        message: "An unknown error occurred (sandbox fault).".into(),
    }
}

pub(crate) async fn middleware(State(sh): State<Shared>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/v1/") {
        return next.run(req).await;
    }
    let fault = {
        let mut st = sh.state.lock().unwrap();
        st.faults.iter().position(|f| f.count > 0).map(|i| {
            let f = &mut st.faults[i];
            f.count -= 1;
            let kind = f.kind.clone();
            if f.count == 0 {
                st.faults.remove(i);
            }
            kind
        })
    };
    let Some(kind) = fault else {
        return next.run(req).await;
    };
    tracing::debug!(?kind, "sandbox stripe: injecting fault");
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match kind {
        StripeFaultKind::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        StripeFaultKind::HttpStatus { status } => html_error(status),
        StripeFaultKind::AcceptThenHttpStatus { status } => {
            let handled = next.run(req).await;
            if status != 500 {
                return html_error(status);
            }
            let err = api_error_500();
            // Stripe caches a 500 under the key: a retry with it gets the same 500.
            if let (Some(k), true) = (key, handled.status().is_success()) {
                if let Some(rec) = sh.state.lock().unwrap().idempotency.get_mut(&k) {
                    rec.status = 500;
                    rec.body = serde_json::to_vec(&err.body()).expect("json");
                }
            }
            err.into_response()
        }
        StripeFaultKind::Timeout { accept } => {
            if accept {
                let _ = next.run(req).await;
            }
            tokio::time::sleep(HANG).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        StripeFaultKind::RateLimited { retry_after } => {
            let mut r = StripeErr {
                status: StatusCode::TOO_MANY_REQUESTS,
                kind: "invalid_request_error",
                code: Some("rate_limit"),
                param: None,
                message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.".into(),
            }
            .into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", secs.to_string().parse().expect("digits"));
            }
            r
        }
        StripeFaultKind::Unauthorized => StripeErr {
            status: StatusCode::UNAUTHORIZED,
            kind: "invalid_request_error",
            code: Some("api_key_expired"),
            param: None,
            message: "Expired API Key provided: sk_test_****".to_owned(),
        }
        .into_response(),
        StripeFaultKind::StripeError {
            status,
            error_type,
            code,
            message,
            should_retry,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let mut body = serde_json::json!({
                "type": error_type,
                "message": message.unwrap_or_else(|| "Sandbox: injected error".into()),
            });
            if let Some(c) = code {
                body["code"] = c.into();
            }
            let mut r = (status, axum::Json(serde_json::json!({ "error": body }))).into_response();
            if let Some(s) = should_retry {
                r.headers_mut()
                    .insert("stripe-should-retry", s.to_string().parse().expect("ascii"));
            }
            with_request_id(r)
        }
    }
}
