//! The control API under `/_sandbox` (see the table in `mod.rs`), and the builders it shares with
//! the Rust methods.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};

use super::faults::Fault;
use super::media;
use super::state::{now_unix, State as SimState};
use super::webhooks;
use super::{
    ConfigPatch, ManualStatus, NewCustomer, NewSimTemplate, Shared, TemplateCategoryChange,
    TemplateQualityChange, TemplateStatusChange, WhatsAppSim,
};

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/_sandbox/account", get(account))
        .route("/_sandbox/config", post(config))
        .route("/_sandbox/customers", post(add_customer))
        .route("/_sandbox/customers/{wa_id}/messages", post(customer_sends))
        .route(
            "/_sandbox/customers/{wa_id}/last_inbound",
            post(last_inbound),
        )
        .route("/_sandbox/faults", post(inject).delete(clear_faults))
        .route("/_sandbox/log", get(log))
        .route("/_sandbox/webhooks", get(webhooks_list))
        .route("/_sandbox/templates", post(add_template))
        .route("/_sandbox/templates/status", post(template_status))
        .route("/_sandbox/templates/category", post(template_category))
        .route("/_sandbox/templates/quality", post(template_quality))
        .route("/_sandbox/statuses", post(manual_status))
}

fn sim(shared: Shared) -> WhatsAppSim {
    WhatsAppSim { shared }
}

async fn account(State(shared): State<Shared>) -> Json<Value> {
    let a = sim(shared).account();
    Json(json!({
        "access_token": a.access_token, "token_expired": a.token_expired,
        "app_secret": a.app_secret, "phone_number_id": a.phone_number_id,
        "display_phone_number": a.display_phone_number, "waba_id": a.waba_id,
        "webhook_url": a.webhook_url, "status_plan": a.status_plan,
        "template_review": a.template_review, "async_failures": a.async_failures,
    }))
}

async fn config(State(shared): State<Shared>, Json(p): Json<ConfigPatch>) -> StatusCode {
    sim(shared).configure(p);
    StatusCode::NO_CONTENT
}

async fn add_customer(State(shared): State<Shared>, Json(c): Json<NewCustomer>) -> Response {
    if c.wa_id.trim_start_matches('+').is_empty()
        || !c
            .wa_id
            .trim_start_matches('+')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return (StatusCode::BAD_REQUEST, "wa_id must be digits").into_response();
    }
    Json(sim(shared).add_customer(c)).into_response()
}

async fn customer_sends(
    State(shared): State<Shared>,
    Path(wa_id): Path<String>,
    Json(message): Json<Value>,
) -> Response {
    match sim(shared).customer_sends(&wa_id, message) {
        Ok(id) => Json(json!({ "id": id })).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct Age {
    age_secs: u64,
}

async fn last_inbound(
    State(shared): State<Shared>,
    Path(wa_id): Path<String>,
    Json(a): Json<Age>,
) -> StatusCode {
    if sim(shared).set_last_inbound_age(&wa_id, std::time::Duration::from_secs(a.age_secs)) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn inject(State(shared): State<Shared>, Json(f): Json<Fault>) -> StatusCode {
    sim(shared).inject(f);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(shared): State<Shared>) -> StatusCode {
    sim(shared).clear_faults();
    StatusCode::NO_CONTENT
}

async fn log(State(shared): State<Shared>) -> Json<Value> {
    Json(json!(sim(shared).log()))
}

async fn webhooks_list(State(shared): State<Shared>) -> Json<Value> {
    Json(json!(sim(shared).webhooks()))
}

async fn add_template(State(shared): State<Shared>, Json(t): Json<NewSimTemplate>) -> Json<Value> {
    Json(json!({ "id": sim(shared).add_template(t) }))
}

async fn template_status(
    State(shared): State<Shared>,
    Json(c): Json<TemplateStatusChange>,
) -> StatusCode {
    if sim(shared).set_template_status(c) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn template_category(
    State(shared): State<Shared>,
    Json(c): Json<TemplateCategoryChange>,
) -> StatusCode {
    if sim(shared).set_template_category(c) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn template_quality(
    State(shared): State<Shared>,
    Json(c): Json<TemplateQualityChange>,
) -> StatusCode {
    if sim(shared).set_template_quality(c) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn manual_status(State(shared): State<Shared>, Json(s): Json<ManualStatus>) -> StatusCode {
    if sim(shared).emit_status(s) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

const MEDIA_TYPES: [&str; 5] = ["image", "video", "audio", "document", "sticker"];

/// Builds the webhook value of a customer's message; records it and opens the window.
pub(crate) fn build_inbound(
    st: &mut SimState,
    wa_id: &str,
    mut message: Value,
) -> Result<(Value, String), String> {
    let wa_id = wa_id.trim_start_matches('+');
    let customer = st
        .customers
        .get(wa_id)
        .cloned()
        .ok_or_else(|| format!("no customer {wa_id}: create it first"))?;
    let kind = message
        .get("type")
        .and_then(Value::as_str)
        .ok_or("the message needs a \"type\"")?
        .to_owned();
    if !message.is_object() {
        return Err("the message must be an object".into());
    }
    if MEDIA_TYPES.contains(&kind.as_str()) {
        if let Some(m) = message.as_object_mut().and_then(|o| o.remove("media")) {
            let mime = m
                .get("mime_type")
                .and_then(Value::as_str)
                .ok_or("media.mime_type is required")?
                .to_owned();
            let data = base64::engine::general_purpose::STANDARD
                .decode(
                    m.get("data_base64")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
                .map_err(|e| format!("media.data_base64: {e}"))?;
            let (id, sha_hex) = media::store(st, data.into(), &mime);
            let sha_b64 = base64::engine::general_purpose::STANDARD
                .encode(hex::decode(sha_hex).unwrap_or_default());
            let obj = message
                .as_object_mut()
                .unwrap()
                .entry(kind.clone())
                .or_insert_with(|| json!({}));
            if !obj.is_object() {
                *obj = json!({});
            }
            obj["id"] = json!(id);
            obj["mime_type"] = json!(mime);
            obj["sha256"] = json!(sha_b64);
        }
    }
    let wamid = st.wamid();
    message["from"] = json!(customer.wa_id);
    message["from_user_id"] = json!(customer.bsuid);
    message["id"] = json!(wamid);
    message["timestamp"] = json!(now_unix().to_string());
    let contact = if kind == "system" {
        Value::Null
    } else {
        let mut profile = json!({ "name": customer.name });
        if let Some(u) = &customer.username {
            profile["username"] = json!(u);
        }
        json!({ "profile": profile, "wa_id": customer.wa_id, "user_id": customer.bsuid })
    };
    if let Some(c) = st.customers.get_mut(wa_id) {
        c.last_inbound_at = Some(now_unix());
    }
    st.inbound.insert(wamid.clone(), customer.wa_id.clone());
    let value = webhooks::inbound_value(st, contact, message);
    Ok((value, wamid))
}

pub(crate) fn emit_manual_status(shared: &Shared, s: ManualStatus) -> bool {
    let value = {
        let st = shared.state.lock().unwrap();
        let Some(sent) = st.sent.get(&s.message_id) else {
            return false;
        };
        let err = s
            .error_code
            .map(|c| (c, super::graph_error::title(c), "Injected by the sandbox"));
        webhooks::status_value(
            &st,
            &s.message_id,
            &s.status,
            &sent.recipient,
            sent.callback_data.as_deref(),
            "service",
            err,
        )
    };
    webhooks::emit(shared, "messages", value);
    true
}
