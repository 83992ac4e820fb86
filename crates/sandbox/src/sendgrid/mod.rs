//! SendGrid v3 mail-send simulator (issue 12), mounted under `/sendgrid` (reference §3.1, §3.4).
//!
//! `POST /v3/mail/send` with `Authorization: Bearer <key>` and a JSON body: checks that
//! `personalizations[0].to[0].email`, `from.email`, `subject` and `content` (or `template_id`) are
//! present, then answers **202 with an empty body** and an `X-Message-Id` header. Errors use
//! SendGrid's shape `{"errors":[{"message","field","help"}]}`: 400 (validation), 401 (bad key),
//! 403 (the from address is not a verified sender), 429 (with `X-RateLimit-*`), or any injected
//! status.
//!
//! Control API, under `/sendgrid/_sandbox`: `GET /messages` (every accepted mail), `POST /faults`
//! ([`SendGridFault`]), `DELETE /faults`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The simulated account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendGridAccount {
    pub api_key: String,
    /// Verified sender addresses; empty = any.
    pub verified_senders: BTreeSet<String>,
}

impl Default for SendGridAccount {
    fn default() -> Self {
        SendGridAccount {
            api_key: "SG.sandbox-sendgrid-key".into(),
            verified_senders: BTreeSet::new(),
        }
    }
}

/// An accepted message, as received plus its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimMail {
    pub message_id: String,
    pub body: Value,
}

/// Answer the next `count` sends with `status` (and SendGrid's error body).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendGridFault {
    pub status: u16,
    pub count: u32,
}

#[derive(Default)]
struct State {
    account: SendGridAccount,
    mails: Vec<SimMail>,
    faults: Vec<SendGridFault>,
    seq: u64,
}

/// Handle to the simulator (cheap to clone).
#[derive(Clone, Default)]
pub struct SendGridSim {
    state: Arc<Mutex<State>>,
}

fn err(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    let mut r = (
        status,
        Json(json!({ "errors": [{ "message": message, "field": field, "help": null }] })),
    )
        .into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        let h = r.headers_mut();
        h.insert("x-ratelimit-limit", "600".parse().unwrap());
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("retry-after", "1".parse().unwrap());
    }
    r
}

impl SendGridSim {
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v3/mail/send", post(send))
            .route("/_sandbox/messages", get(control_messages))
            .route(
                "/_sandbox/faults",
                post(control_add_fault).delete(control_clear_faults),
            )
            .with_state(self.clone())
    }

    /// Serves this simulator alone on `addr` (tests), under `/sendgrid`. Returns its base URL.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}/sendgrid", listener.local_addr()?);
        let app = Router::new().nest("/sendgrid", self.router());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(base)
    }

    pub fn account(&self) -> SendGridAccount {
        self.state.lock().unwrap().account.clone()
    }

    pub fn set_verified_senders(&self, senders: BTreeSet<String>) {
        self.state.lock().unwrap().account.verified_senders = senders;
    }

    pub fn add_fault(&self, f: SendGridFault) {
        self.state.lock().unwrap().faults.push(f);
    }

    pub fn mails(&self) -> Vec<SimMail> {
        self.state.lock().unwrap().mails.clone()
    }
}

async fn send(AxState(sim): AxState<SendGridSim>, headers: HeaderMap, body: String) -> Response {
    let mut st = sim.state.lock().unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {}", st.account.api_key) {
        return err(
            StatusCode::UNAUTHORIZED,
            "The provided authorization grant is invalid, expired, or revoked",
            None,
        );
    }
    if let Some(f) = st.faults.first_mut() {
        let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        f.count = f.count.saturating_sub(1);
        if f.count == 0 {
            st.faults.remove(0);
        }
        return err(status, "injected fault", None);
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return err(StatusCode::BAD_REQUEST, "Bad Request", None);
    };
    if v["personalizations"][0]["to"][0]["email"]
        .as_str()
        .is_none()
    {
        return err(
            StatusCode::BAD_REQUEST,
            "The personalizations field is required and must have at least one personalization.",
            Some("personalizations"),
        );
    }
    let Some(from) = v["from"]["email"].as_str() else {
        return err(
            StatusCode::BAD_REQUEST,
            "The from object must be provided for every email send.",
            Some("from"),
        );
    };
    if v["subject"].as_str().is_none_or(str::is_empty)
        && v["personalizations"][0]["subject"].as_str().is_none()
    {
        return err(
            StatusCode::BAD_REQUEST,
            "The subject is required.",
            Some("subject"),
        );
    }
    let has_content = v["content"]
        .as_array()
        .is_some_and(|c| !c.is_empty() && c.iter().all(|p| p["value"].as_str().is_some()));
    if !has_content && v["template_id"].as_str().is_none() {
        return err(
            StatusCode::BAD_REQUEST,
            "Unless a valid template_id is provided, the content parameter is required.",
            Some("content"),
        );
    }
    if !st.account.verified_senders.is_empty() && !st.account.verified_senders.contains(from) {
        return err(
            StatusCode::FORBIDDEN,
            "The from address does not match a verified Sender Identity.",
            Some("from"),
        );
    }
    st.seq += 1;
    let id = format!("sgsim{:016x}", st.seq);
    st.mails.push(SimMail {
        message_id: id.clone(),
        body: v,
    });
    let mut r = StatusCode::ACCEPTED.into_response();
    r.headers_mut().insert("x-message-id", id.parse().unwrap());
    r
}

async fn control_messages(AxState(sim): AxState<SendGridSim>) -> Json<Vec<SimMail>> {
    Json(sim.mails())
}

async fn control_add_fault(
    AxState(sim): AxState<SendGridSim>,
    Json(f): Json<SendGridFault>,
) -> &'static str {
    sim.add_fault(f);
    "ok"
}

async fn control_clear_faults(AxState(sim): AxState<SendGridSim>) -> &'static str {
    sim.state.lock().unwrap().faults.clear();
    "ok"
}
