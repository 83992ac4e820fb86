//! Faults injected into the next N API calls (never the checkout page or the control API):
//! latency, a bare 5xx, a hang (with `accept`, the call is handled first: a preference created
//! whose answer never arrives), or any MercadoPago error (429 + Retry-After, 401…).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::api::MpErr;
use super::Shared;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MpFaultKind {
    Latency {
        ms: u64,
    },
    /// This status with an HTML body (a proxy).
    HttpStatus {
        status: u16,
    },
    /// Never answer. With `accept`, the call is handled first.
    Timeout {
        #[serde(default)]
        accept: bool,
    },
    /// MercadoPago's error body with this status (`error` defaults from the status).
    ApiError {
        status: u16,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        message: Option<String>,
        /// `Retry-After`, seconds.
        #[serde(default)]
        retry_after: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MpFault {
    #[serde(flatten)]
    pub kind: MpFaultKind,
    #[serde(default = "one")]
    pub count: u32,
    /// Only calls whose path starts with this (e.g. `/checkout/preferences`).
    #[serde(default)]
    pub path_prefix: Option<String>,
}

fn one() -> u32 {
    1
}

impl MpFault {
    pub fn new(kind: MpFaultKind) -> Self {
        MpFault {
            kind,
            count: 1,
            path_prefix: None,
        }
    }

    pub fn times(mut self, n: u32) -> Self {
        self.count = n;
        self
    }

    pub fn on(mut self, path_prefix: &str) -> Self {
        self.path_prefix = Some(path_prefix.into());
        self
    }
}

const HANG: Duration = Duration::from_secs(120);

fn is_api(path: &str) -> bool {
    !(path.starts_with("/_sandbox")
        || path.starts_with("/checkout/v1/")
        || path.starts_with("/qr/"))
}

pub(crate) async fn middleware(State(sh): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !is_api(&path) {
        return next.run(req).await;
    }
    let fault = {
        let mut st = sh.state.lock().unwrap();
        st.calls.push(format!("{} {path}", req.method()));
        let pos = st.faults.iter().position(|f| {
            f.count > 0 && f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
        });
        pos.map(|i| {
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
    tracing::debug!(?kind, "sandbox mercadopago: injecting fault");
    match kind {
        MpFaultKind::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        MpFaultKind::HttpStatus { status } => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            [("content-type", "text/html")],
            "<html><body>Sandbox: injected error</body></html>",
        )
            .into_response(),
        MpFaultKind::Timeout { accept } => {
            if accept {
                let _ = next.run(req).await;
            }
            tokio::time::sleep(HANG).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        MpFaultKind::ApiError {
            status,
            error,
            message,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let error = error.unwrap_or_else(|| match status.as_u16() {
                401 => "unauthorized".into(),
                429 => "too_many_requests".into(),
                s if s >= 500 => "internal_error".into(),
                _ => "bad_request".into(),
            });
            let mut r = MpErr::new(
                status,
                error,
                message.unwrap_or_else(|| "Sandbox: injected error".into()),
            )
            .into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", secs.to_string().parse().expect("digits"));
            }
            r
        }
    }
}
