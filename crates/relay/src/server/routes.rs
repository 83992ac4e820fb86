//! HTTP endpoints: the public ingress (`/in/…`), the desktop API (`/v1/…`), `/healthz`, `/metrics`.
//!
//! Logging rule: the request path contains the tenant's ingress token, so spans record the route
//! template and the tenant id, never the URI, a token, a header value or a body.

use super::group_commit::{CommitError, GroupCommit};
use super::metrics::{Metrics, Rejection};
use super::notifier::Notifier;
use super::rate_limit::RateLimiter;
use super::storage::{AckOutcome, NewEvent, Storage, StoredEvent};
use super::tenant_index::{Tenant, TenantIndex};
use super::tokens;
use crate::protocol::{
    encode_body, sha256_hex, AckRequest, AckResponse, Event, EventsResponse, Header, Provider,
    StatusResponse,
};
use axum::body::Body;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::Instrument as _;

/// Re-check storage at least this often while a long poll waits (covers a missed PostgreSQL
/// notification from another instance).
const POLL_RECHECK: Duration = Duration::from_secs(2);

/// A poll response stops adding events past this size (it always carries at least one), so
/// neither side holds more than this per poll whatever the count limit.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

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
        .route("/in/{token}/{provider}", get(handshake).post(ingest))
        .route("/v1/events", get(events))
        .route("/v1/ack", post(ack))
        .route("/v1/status", get(status))
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

fn text(status: StatusCode, msg: &'static str) -> Response {
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

fn ingress_tenant(app: &AppState, token: &str) -> Option<Tenant> {
    let t = app.tenants.by_ingress_hash(&tokens::hash(token));
    if let Some(t) = &t {
        tracing::Span::current().record("tenant", &*t.id);
    }
    t
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut resp = text(StatusCode::TOO_MANY_REQUESTS, "rate limited\n");
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    resp
}

/// Meta's verification handshake: `GET …/whatsapp?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`.
async fn handshake(
    State(app): State<AppState>,
    Path((token, provider)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let Some(tenant) = ingress_tenant(&app, &token) else {
        app.metrics.rejected(Rejection::UnknownIngress);
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    if provider.parse::<Provider>() != Ok(Provider::Whatsapp) {
        app.metrics.rejected(Rejection::UnknownProvider);
        return text(StatusCode::NOT_FOUND, "not found\n");
    }
    if let Err(wait) = app.limiter.check(&tenant.id) {
        app.metrics.rejected(Rejection::RateLimited);
        return too_many(wait);
    }
    let (mut mode, mut verify, mut challenge) = (None, None, None);
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match &*k {
            "hub.mode" => mode = Some(v.into_owned()),
            "hub.verify_token" => verify = Some(v.into_owned()),
            "hub.challenge" => challenge = Some(v.into_owned()),
            _ => {}
        }
    }
    let ok = mode.as_deref() == Some("subscribe")
        && verify
            .as_deref()
            .is_some_and(|v| tokens::matches(v, &tenant.verify_hash));
    match (ok, challenge) {
        (true, Some(challenge)) => {
            app.metrics.handshake();
            tracing::info!("meta verification handshake accepted");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/plain")],
                challenge,
            )
                .into_response()
        }
        _ => {
            app.metrics.rejected(Rejection::BadVerifyToken);
            tracing::warn!("meta verification handshake refused");
            text(StatusCode::FORBIDDEN, "forbidden\n")
        }
    }
}

/// A provider's webhook: stored durably (group commit), then 200.
async fn ingest(
    State(app): State<AppState>,
    Path((token, provider)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(tenant) = ingress_tenant(&app, &token) else {
        app.metrics.rejected(Rejection::UnknownIngress);
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let Ok(provider) = provider.parse::<Provider>() else {
        app.metrics.rejected(Rejection::UnknownProvider);
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.max_body_bytes as u64) {
        app.metrics.rejected(Rejection::BodyTooLarge);
        return text(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n");
    }
    if let Err(wait) = app.limiter.check(&tenant.id) {
        app.metrics.rejected(Rejection::RateLimited);
        return too_many(wait);
    }
    let bytes = match tokio::time::timeout(
        app.body_read_timeout,
        read_body(body, declared, app.max_body_bytes),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(resp)) => {
            if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
                app.metrics.rejected(Rejection::BodyTooLarge);
            }
            return resp;
        }
        Err(_) => {
            tracing::warn!("webhook body not received in time");
            return text(StatusCode::REQUEST_TIMEOUT, "body not received in time\n");
        }
    };
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let event = NewEvent {
        tenant_id: tenant.id.to_string(),
        event_id: uuid::Uuid::now_v7().to_string(),
        provider,
        received_at_ms: now_ms(),
        method: method.as_str().to_owned(),
        public_url: format!("{}{}", app.public_base, path_and_query),
        headers: headers
            .iter()
            .map(|(k, v)| Header::from_bytes(k.as_str(), v.as_bytes()))
            .collect(),
        body: bytes,
    };
    match app.commit.store(event).await {
        Ok(None) => {
            app.metrics.rejected(Rejection::UnknownIngress);
            text(StatusCode::NOT_FOUND, "not found\n")
        }
        Ok(Some(seq)) => {
            tracing::debug!(seq, %provider, "stored");
            if provider == Provider::Twilio {
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/xml")],
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
                )
                    .into_response()
            } else {
                StatusCode::OK.into_response()
            }
        }
        Err(e) => {
            app.metrics.rejected(Rejection::StorageError);
            if !matches!(e, CommitError::Storage(_)) {
                tracing::error!(error = %e, "event not stored");
            }
            // Not stored: the provider retries on non-2xx.
            text(StatusCode::SERVICE_UNAVAILABLE, "not stored, retry later\n")
        }
    }
}

/// Reads a webhook body up to `max` bytes (413 beyond).
async fn read_body(body: Body, declared: Option<u64>, max: usize) -> Result<Vec<u8>, Response> {
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0).min(max as u64) as usize);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Err(text(StatusCode::BAD_REQUEST, "could not read the body\n"));
        };
        if bytes.len() + chunk.len() > max {
            return Err(text(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// 401 for the desktop API.
struct Unauthorized;

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let mut resp = text(StatusCode::UNAUTHORIZED, "unauthorized\n");
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        resp
    }
}

fn device_tenant(app: &AppState, headers: &HeaderMap) -> Result<Tenant, Unauthorized> {
    // The auth scheme is case-insensitive (RFC 9110 §11.1): `bearer` works as `Bearer` does.
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match token.and_then(|t| app.tenants.by_device_hash(&tokens::hash(t))) {
        Some(t) => {
            tracing::Span::current().record("tenant", &*t.id);
            Ok(t)
        }
        None => {
            app.metrics.rejected(Rejection::BadDeviceToken);
            Err(Unauthorized)
        }
    }
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    #[serde(default)]
    after: i64,
    after_event_id: Option<String>,
    limit: Option<i64>,
    #[serde(default)]
    wait: u64,
}

fn to_wire(e: StoredEvent) -> Event {
    Event {
        seq: e.seq,
        event_id: e.event_id,
        provider: e.provider,
        received_at_ms: e.received_at_ms,
        method: e.method,
        public_url: e.public_url,
        headers: e.headers,
        body_sha256: sha256_hex(&e.body),
        body_b64: encode_body(&e.body),
    }
}

fn storage_failure(app: &AppState, e: impl std::fmt::Display) -> Response {
    app.metrics.rejected(Rejection::StorageError);
    tracing::error!(error = %e, "storage error");
    text(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable\n")
}

/// Long poll: answers as soon as at least one event with `seq > after` exists, or after `wait`.
async fn events(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Response {
    let tenant = match device_tenant(&app, &headers) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(q.wait).min(app.max_wait);
    let mut changes = app.notifier.subscribe(&tenant.id);
    let mut shutdown = app.shutdown.clone();
    let mut waiting: Option<WaitingPoll> = None;
    loop {
        changes.borrow_and_update();
        let found = match app
            .storage
            .fetch(
                &tenant.id,
                q.after,
                q.after_event_id.as_deref(),
                limit,
                MAX_RESPONSE_BYTES,
            )
            .await
        {
            Ok(v) => v,
            Err(e) => return storage_failure(&app, e),
        };
        let now = tokio::time::Instant::now();
        if !found.events.is_empty()
            || found.cursor_mismatch
            || now >= deadline
            || *shutdown.borrow()
        {
            if found.cursor_mismatch {
                tracing::warn!(after = q.after, "client cursor belongs to another stream");
            }
            app.metrics.delivered(found.events.len() as u64);
            let next_cursor = found.events.last().map_or(q.after, |e| e.seq);
            return Json(EventsResponse {
                events: found.events.into_iter().map(to_wire).collect(),
                next_cursor,
                last_seq: found.last_seq,
                relay_time_ms: now_ms(),
                cursor_mismatch: found.cursor_mismatch,
                dropped_total: found.dropped_total,
            })
            .into_response();
        }
        let recheck = deadline.min(now + POLL_RECHECK);
        waiting.get_or_insert_with(|| WaitingPoll::new(&app.metrics));
        tokio::select! {
            _ = changes.changed() => {}
            _ = tokio::time::sleep_until(recheck) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Counts a long poll as waiting while it lives (also when the client goes away mid-wait).
struct WaitingPoll(Arc<Metrics>);

impl WaitingPoll {
    fn new(metrics: &Arc<Metrics>) -> WaitingPoll {
        metrics.poll_waiting(1);
        WaitingPoll(metrics.clone())
    }
}

impl Drop for WaitingPoll {
    fn drop(&mut self) {
        self.0.poll_waiting(-1);
    }
}

async fn ack(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<AckRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let tenant = match device_tenant(&app, &headers) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let Ok(Json(req)) = body else {
        return text(StatusCode::BAD_REQUEST, "expected {\"up_to_seq\": n}\n");
    };
    match app
        .storage
        .ack(&tenant.id, req.up_to_seq, req.event_id.as_deref(), now_ms())
        .await
    {
        Ok(AckOutcome::Acked { acked_seq, newly }) => {
            app.metrics.acked(newly);
            tracing::debug!(acked_seq, newly, "ack");
            Json(AckResponse { acked_seq }).into_response()
        }
        Ok(AckOutcome::Mismatch) => {
            tracing::warn!(up_to_seq = req.up_to_seq, "ack from another stream refused");
            text(
                StatusCode::CONFLICT,
                "the acknowledged event is not this relay's event at that seq\n",
            )
        }
        Err(e) => storage_failure(&app, e),
    }
}

async fn status(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let tenant = match device_tenant(&app, &headers) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    match app.storage.status(&tenant.id).await {
        Ok(st) => {
            let now = now_ms();
            Json(StatusResponse {
                tenant_id: tenant.id.to_string(),
                last_seq: st.last_seq,
                acked_seq: st.acked_seq,
                backlog: st.backlog,
                oldest_unacked_age_secs: st.oldest_unacked_ms.map(|t| ((now - t) / 1000).max(0)),
                dropped_total: st.dropped_total,
                unacked_retention_secs: app.unacked_retention.as_secs() as i64,
                acked_retention_secs: app.acked_retention.as_secs() as i64,
                max_events_per_tenant: app.max_events_per_tenant,
                relay_time_ms: now,
            })
            .into_response()
        }
        Err(e) => storage_failure(&app, e),
    }
}
