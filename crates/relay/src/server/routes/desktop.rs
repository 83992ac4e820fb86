//! The desktop API (`/v1/…`, Bearer device token): long-poll events, acks, status.

use super::{now_ms, storage_failure, text, AppState};
use crate::protocol::{
    encode_body, sha256_hex, AckRequest, AckResponse, Event, EventsResponse, StatusResponse,
};
use crate::server::metrics::{Metrics, Rejection};
use crate::server::storage::{AckOutcome, StoredEvent};
use crate::server::tenant_index::Tenant;
use crate::server::tokens;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use std::time::Duration;

/// Re-check storage at least this often while a long poll waits (covers a missed PostgreSQL
/// notification from another instance).
const POLL_RECHECK: Duration = Duration::from_secs(2);

/// A poll response stops adding events past this size (it always carries at least one), so
/// neither side holds more than this per poll whatever the count limit.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

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
pub(super) struct EventsQuery {
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

/// Long poll: answers as soon as at least one event with `seq > after` exists, or after `wait`.
pub(super) async fn events(
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

pub(super) async fn ack(
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

pub(super) async fn status(State(app): State<AppState>, headers: HeaderMap) -> Response {
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
