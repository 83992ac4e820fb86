//! Faults injected into the next N Graph API calls: latency, a bare 5xx, a hang (timeout), a
//! request accepted and then the connection dropped, or any Meta error code.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::graph_error::{title, GraphErr};
use super::Shared;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Wait before handling the call normally.
    Latency { ms: u64 },
    /// Answer this HTTP status with an HTML body (no Graph error object), like a proxy would.
    HttpStatus { status: u16 },
    /// Handle the call (a message is sent), then answer this HTTP status with an HTML body, like
    /// a gateway that gave up waiting for Meta (e.g. 504).
    AcceptThenHttpStatus { status: u16 },
    /// Never answer (the client times out). With `accept`, the call is handled first, so a
    /// message is really sent.
    Timeout {
        #[serde(default)]
        accept: bool,
    },
    /// Handle the call (a message is sent), then close the connection without answering.
    /// (Done by unwinding the connection task: it needs the default `panic = "unwind"`.)
    DropConnection,
    /// Pass only the first `bytes` of the request body on (the call is handled with them), then
    /// close the connection without answering: an upload interrupted half-way.
    TruncateBody { bytes: usize },
    /// Answer with this Meta error.
    GraphError {
        code: i64,
        #[serde(default)]
        subcode: Option<i64>,
        #[serde(default)]
        http_status: Option<u16>,
        #[serde(default)]
        details: Option<String>,
        /// `Retry-After` header, seconds.
        #[serde(default)]
        retry_after: Option<u64>,
    },
}

/// A fault and how many calls it still applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many calls (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Only calls whose path contains this (e.g. `/messages`).
    #[serde(default)]
    pub path_contains: Option<String>,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            count: 1,
            path_contains: None,
        }
    }

    pub fn times(mut self, n: u32) -> Self {
        self.count = n;
        self
    }

    pub fn on_path(mut self, part: impl Into<String>) -> Self {
        self.path_contains = Some(part.into());
        self
    }
}

/// How long a "timeout" hangs: longer than any client waits, shorter than forever.
const HANG: Duration = Duration::from_secs(120);

/// An error page without a Graph error object, like a proxy's.
fn html_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (
        status,
        [
            ("content-type", "text/html"),
            ("x-fb-trace-id", "SandboxTrace"),
        ],
        "<html><body>Sandbox: injected error</body></html>",
    )
        .into_response()
}

pub(crate) async fn middleware(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_sandbox") {
        return next.run(req).await;
    }
    let fault = {
        let mut st = shared.state.lock().unwrap();
        let pos = st.faults.iter().position(|f| {
            f.count > 0 && f.path_contains.as_deref().is_none_or(|p| path.contains(p))
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
    tracing::debug!(?kind, %path, "sandbox whatsapp: injecting fault");
    match kind {
        FaultKind::Latency { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        FaultKind::HttpStatus { status } => html_error(status),
        FaultKind::AcceptThenHttpStatus { status } => {
            let _ = next.run(req).await;
            html_error(status)
        }
        FaultKind::Timeout { accept } => {
            if accept {
                let _ = next.run(req).await;
            }
            tokio::time::sleep(HANG).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        FaultKind::TruncateBody { bytes } => {
            let (mut parts, body) = req.into_parts();
            let all = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let cut = all.slice(..bytes.min(all.len()));
            parts.headers.remove("content-length");
            let _ = next
                .run(Request::from_parts(parts, axum::body::Body::from(cut)))
                .await;
            std::panic::resume_unwind(Box::new("sandbox: dropping the connection mid-body"));
        }
        FaultKind::DropConnection => {
            let _ = next.run(req).await;
            // Unwinding out of the connection task closes the socket without an answer.
            // `resume_unwind` skips the panic hook, so nothing is printed.
            std::panic::resume_unwind(Box::new("sandbox: dropping the connection"));
        }
        FaultKind::GraphError {
            code,
            subcode,
            http_status,
            details,
            retry_after,
        } => {
            let mut e = GraphErr::new(code, format!("(#{code}) {}", title(code)));
            if let Some(s) = subcode {
                e = e.subcode(s);
            }
            if let Some(d) = details {
                e = e.details(d);
            }
            if let Some(s) = http_status.and_then(|s| StatusCode::from_u16(s).ok()) {
                e = e.status(s);
            }
            let mut r = e.into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", secs.to_string().parse().unwrap());
            }
            r
        }
    }
}
