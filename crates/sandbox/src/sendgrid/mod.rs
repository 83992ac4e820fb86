//! SendGrid v3 mail-send simulator (issue 12), mounted under `/sendgrid` (reference §3.1, §3.4).
//!
//! `POST /v3/mail/send` with `Authorization: Bearer <key>` and a JSON body: checks that
//! `personalizations[0].to[0].email`, `from.email`, `subject` and `content` (or `template_id`) are
//! present, and that each of `attachments` has base64 `content` that decodes, a `filename`, a
//! `type` shaped like a MIME type when given and a `disposition` of `attachment` or `inline` (inline
//! needs a `content_id`); a request over 30 MB is 413, as SendGrid's message limit. Then it answers
//! **202 with an empty body** and an `X-Message-Id` header. Errors use
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
    /// Its attachments, decoded.
    #[serde(default)]
    pub attachments: Vec<SimAttachment>,
}

/// An attachment as the simulator decoded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimAttachment {
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// SendGrid's limit on the whole message, attachments included.
pub const MAX_MESSAGE_BYTES: usize = 30 * 1024 * 1024;

/// The `attachments` array checked as SendGrid does: the decoded files, or the 400's message and
/// field.
fn attachments(v: &Value) -> Result<Vec<SimAttachment>, (String, String)> {
    use base64::Engine as _;
    let Some(list) = v.get("attachments") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err((
            "The attachments field must be an array.".into(),
            "attachments".into(),
        ));
    };
    let mut out = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let field = |f: &str| format!("attachments.{i}.{f}");
        let bad = |f: &str, m: &str| Err((m.to_owned(), field(f)));
        let Some(content) = a["content"].as_str().filter(|c| !c.is_empty()) else {
            return bad("content", "The attachment content is required.");
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(content) else {
            return bad("content", "The attachment content must be base64 encoded.");
        };
        let Some(filename) = a["filename"].as_str().filter(|f| !f.trim().is_empty()) else {
            return bad("filename", "The attachment filename parameter is required.");
        };
        let content_type = match &a["type"] {
            Value::Null => None,
            Value::String(t)
                if t.split_once('/').is_some_and(|(x, y)| {
                    !x.is_empty() && !y.is_empty() && !t.contains(char::is_whitespace)
                }) =>
            {
                Some(t.clone())
            }
            _ => return bad("type", "The attachment type must be a valid MIME type."),
        };
        match a["disposition"].as_str() {
            None | Some("attachment") => {}
            Some("inline") if a["content_id"].as_str().is_some_and(|c| !c.is_empty()) => {}
            Some("inline") => {
                return bad(
                    "content_id",
                    "The content_id parameter is required for inline attachments.",
                )
            }
            Some(_) => return bad(
                "disposition",
                "The disposition of your attachment can be either \"inline\" or \"attachment\".",
            ),
        }
        out.push(SimAttachment {
            filename: filename.to_owned(),
            content_type,
            bytes,
        });
    }
    Ok(out)
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
            // Past axum's 2 MB default, so the 30 MB rule answers in SendGrid's shape.
            .route(
                "/v3/mail/send",
                post(send).layer(axum::extract::DefaultBodyLimit::max(
                    MAX_MESSAGE_BYTES + 1024 * 1024,
                )),
            )
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
    if body.len() > MAX_MESSAGE_BYTES {
        return err(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The total message size exceeds the 30 MB limit.",
            None,
        );
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
    let attachments = match attachments(&v) {
        Ok(a) => a,
        Err((message, field)) => return err(StatusCode::BAD_REQUEST, &message, Some(&field)),
    };
    st.seq += 1;
    let id = format!("sgsim{:016x}", st.seq);
    st.mails.push(SimMail {
        message_id: id.clone(),
        body: v,
        attachments,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn status(r: Result<Vec<SimAttachment>, (String, String)>) -> StatusCode {
        match r {
            Ok(_) => StatusCode::OK,
            Err(_) => StatusCode::BAD_REQUEST,
        }
    }

    #[test]
    fn attachments_are_checked_like_sendgrid() {
        let ok = json!({ "attachments": [
            { "content": "JVBERg==", "filename": "f.pdf", "type": "application/pdf", "disposition": "attachment" }
        ]});
        let got = attachments(&ok).unwrap();
        assert_eq!(got[0].bytes, b"%PDF");
        assert_eq!(got[0].filename, "f.pdf");
        assert!(attachments(&json!({})).unwrap().is_empty());
        for bad in [
            json!({ "attachments": {} }),
            json!({ "attachments": [{ "filename": "f.pdf" }] }),
            json!({ "attachments": [{ "content": "%%%not base64", "filename": "f.pdf" }] }),
            json!({ "attachments": [{ "content": "JVBERg==" }] }),
            json!({ "attachments": [{ "content": "JVBERg==", "filename": "f.pdf", "type": "pdf" }] }),
            json!({ "attachments": [{ "content": "JVBERg==", "filename": "f.pdf", "disposition": "inline" }] }),
            json!({ "attachments": [{ "content": "JVBERg==", "filename": "f.pdf", "disposition": "open" }] }),
        ] {
            assert_eq!(status(attachments(&bad)), StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}
