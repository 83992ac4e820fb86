//! HTTP endpoints: the public ingress (`/in/…`), the desktop API (`/v1/…`), `/healthz`, `/metrics`.
//!
//! Logging rule: the request path contains the tenant's ingress token, so spans record the route
//! template and the tenant id, never the URI, a token, a header value or a body.

mod desktop;
mod ingress;

use super::group_commit::GroupCommit;
use super::metrics::{Metrics, Rejection};
use super::notifier::Notifier;
use super::rate_limit::RateLimiter;
use super::storage::Storage;
use super::tenant_index::TenantIndex;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::Instrument as _;

pub use desktop::MAX_RESPONSE_BYTES;

#[derive(Clone)]
pub struct AppState {
    pub storage: Storage,
    pub tenants: TenantIndex,
    pub commit: GroupCommit,
    pub notifier: Notifier,
    pub metrics: Arc<Metrics>,
    pub limiter: RateLimiter,
    pub shutdown: watch::Receiver<bool>,
    pub public_base: Arc<str>,
    pub max_body_bytes: usize,
    pub max_wait: Duration,
    /// Longest time a request may take (long polls: on top of `max_wait`).
    pub request_timeout: Duration,
    /// Longest time to receive a webhook body.
    pub body_read_timeout: Duration,
    pub max_events_per_tenant: i64,
    pub acked_retention: Duration,
    pub unacked_retention: Duration,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route(
            "/in/{token}/{provider}",
            get(ingress::handshake).post(ingress::ingest),
        )
        .route("/v1/events", get(desktop::events))
        .route("/v1/ack", post(desktop::ack))
        .route("/v1/status", get(desktop::status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_deadline,
        ))
        .layer(axum::middleware::from_fn(request_span))
        .with_state(state)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn request_span(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id = uuid::Uuid::new_v4();
    let span = tracing::info_span!("request", %request_id, method = %req.method(), route, tenant = tracing::field::Empty);
    let started = Instant::now();
    async move {
        let resp = next.run(req).await;
        tracing::debug!(
            status = resp.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "done"
        );
        resp
    }
    .instrument(span)
    .await
}

/// Bounds every request: a stuck storage call or a slow client cannot hold a task (and its
/// connection) forever. Long polls get their wait on top.
async fn request_deadline(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let limit = if req.uri().path() == "/v1/events" {
        app.request_timeout + app.max_wait
    } else {
        app.request_timeout
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
            text(StatusCode::SERVICE_UNAVAILABLE, "request timed out\n")
        }
    }
}

pub(super) fn text(status: StatusCode, msg: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg,
    )
        .into_response()
}

async fn healthz(State(app): State<AppState>) -> Response {
    match app.storage.ping().await {
        Ok(()) => text(StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: storage unavailable");
            text(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable\n")
        }
    }
}

async fn metrics(State(app): State<AppState>) -> Response {
    let backlog = app.storage.total_backlog().await.ok();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(backlog),
    )
        .into_response()
}

fn storage_failure(app: &AppState, e: impl std::fmt::Display) -> Response {
    app.metrics.rejected(Rejection::StorageError);
    tracing::error!(error = %e, "storage error");
    text(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable\n")
}
