//! The public ingress: providers' webhooks (`POST /in/{ingress_token}/{provider}`) and Meta's
//! verification handshake (`GET`).

use super::{now_ms, text, AppState};
use crate::protocol::{Header, Provider};
use crate::server::group_commit::CommitError;
use crate::server::metrics::Rejection;
use crate::server::storage::NewEvent;
use crate::server::tenant_index::Tenant;
use crate::server::tokens;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use std::time::Duration;

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
pub(super) async fn handshake(
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
pub(super) async fn ingest(
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
    // Room in the commit queue before the body is read (bounded by the request deadline).
    let reserved = declared
        .map_or(app.max_body_bytes, |n| n as usize)
        .min(app.max_body_bytes);
    let Ok(reservation) = app.commit.reserve(reserved + path_len(&uri)).await else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "not stored, retry later\n");
    };
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
    match app.commit.store(reservation, event).await {
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

fn path_len(uri: &Uri) -> usize {
    uri.path_and_query().map_or(0, |p| p.as_str().len())
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
