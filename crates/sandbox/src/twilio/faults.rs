//! Faults injected into the next N Messages API calls: latency, a bare 5xx, a 5xx after the
//! message was created, a hang (timeout), or any Twilio error (e.g. 20429 / 429 + Retry-After).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::api::TwilioErr;
use super::Shared;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TwilioFaultKind {
    /// Wait before handling the call normally.
    Latency { ms: u64 },
    /// Answer this HTTP status with an HTML body (no Twilio error object), like a proxy.
    HttpStatus { status: u16 },
    /// Handle the call (the message is created), then answer this status with an HTML body.
    AcceptThenHttpStatus { status: u16 },
    /// Never answer (the client times out). With `accept`, the call is handled first.
    Timeout {
        #[serde(default)]
        accept: bool,
    },
    /// Answer with this Twilio error (`http_status` defaults to 400, or 429 for 20429).
    TwilioError {
        code: i64,
        #[serde(default)]
        http_status: Option<u16>,
        #[serde(default)]
        message: Option<String>,
        /// `Retry-After` header, seconds.
        #[serde(default)]
        retry_after: Option<u64>,
    },
}

/// A fault and how many calls it still applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwilioFault {
    #[serde(flatten)]
    pub kind: TwilioFaultKind,
    /// How many calls (default 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl TwilioFault {
    pub fn new(kind: TwilioFaultKind) -> Self {
        TwilioFault { kind, count: 1 }
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

pub(crate) async fn middleware(State(sh): State<Shared>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/_sandbox") {
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
    tracing::debug!(?kind, "sandbox twilio: injecting fault");
    match kind {
        TwilioFaultKind::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        TwilioFaultKind::HttpStatus { status } => html_error(status),
        TwilioFaultKind::AcceptThenHttpStatus { status } => {
            let _ = next.run(req).await;
            html_error(status)
        }
        TwilioFaultKind::Timeout { accept } => {
            if accept {
                let _ = next.run(req).await;
            }
            tokio::time::sleep(HANG).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        TwilioFaultKind::TwilioError {
            code,
            http_status,
            message,
            retry_after,
        } => {
            let default = if code == 20429 { 429 } else { 400 };
            let status = StatusCode::from_u16(http_status.unwrap_or(default))
                .unwrap_or(StatusCode::BAD_REQUEST);
            let message = message.unwrap_or_else(|| match code {
                20429 => "Too Many Requests".into(),
                _ => format!("Sandbox: injected error {code}"),
            });
            let mut r = TwilioErr::new(status, code, message).into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", secs.to_string().parse().unwrap());
            }
            r
        }
    }
}
