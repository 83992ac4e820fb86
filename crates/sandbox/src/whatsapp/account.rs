//! `GET /{phone-number-id}` (or a media id), and the WABA's `subscribed_apps`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::graph_error::GraphErr;
use super::{authorize, media, success, unknown_object, Shared};

#[derive(serde::Deserialize)]
pub(crate) struct ObjectQuery {
    fields: Option<String>,
    /// The signature part of an upload session id (`upload:…?sig=…`).
    sig: Option<String>,
}

pub(crate) async fn get_object(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    Query(q): Query<ObjectQuery>,
    headers: HeaderMap,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    // Upload sessions take `Authorization: OAuth`, checked there.
    if id.starts_with("upload:") {
        return match super::uploads::offset(&mut st, &headers, &version, &id, q.sig.as_deref()) {
            Ok(v) => Json(v).into_response(),
            Err(e) => e.into_response(),
        };
    }
    if let Err(e) = authorize(&st, &headers, &version) {
        return e.into_response();
    }
    if id == st.account.phone_number_id {
        let a = &st.account;
        let all = json!({
            "id": a.phone_number_id,
            "display_phone_number": a.display_phone_number,
            "verified_name": a.verified_name,
            "quality_rating": a.quality_rating,
            "code_verification_status": "VERIFIED",
            "name_status": "APPROVED",
            "status": "CONNECTED",
            "platform_type": "CLOUD_API",
            "throughput": { "level": "STANDARD" },
        });
        let answer = match q.fields {
            None => json!({
                "id": all["id"], "display_phone_number": all["display_phone_number"],
                "verified_name": all["verified_name"], "quality_rating": all["quality_rating"],
            }),
            Some(fields) => {
                let mut out = serde_json::Map::new();
                out.insert("id".into(), all["id"].clone());
                for f in fields.split(',').map(str::trim) {
                    if let Some(v) = all.get(f) {
                        out.insert(f.to_owned(), v.clone());
                    }
                }
                Value::Object(out)
            }
        };
        st.log(
            "phone_number",
            "GET",
            &format!("/{version}/{id}"),
            json!({}),
            answer.clone(),
        );
        return Json(answer).into_response();
    }
    match media::info(&mut st, &headers, &version, &id) {
        Some(v) => Json(v).into_response(),
        None => unknown_object(&Method::GET, &id).into_response(),
    }
}

pub(crate) async fn list_subscribed(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    if let Err(e) = authorize(&st, &headers, &version) {
        return e.into_response();
    }
    if id != st.account.waba_id {
        return unknown_object(&Method::GET, &id).into_response();
    }
    let mut data = Vec::new();
    if st.subscribed {
        let mut app = json!({ "whatsapp_business_api_data": {
            "id": st.account.app_id, "link": "https://www.example.com/mostrador", "name": "Mostrador" } });
        if let Some(u) = &st.override_callback_uri {
            app["override_callback_uri"] = json!(u);
        }
        data.push(app);
    }
    let answer = json!({ "data": data });
    st.log(
        "list_subscribed_apps",
        "GET",
        &format!("/{version}/{id}/subscribed_apps"),
        json!({}),
        answer.clone(),
    );
    Json(answer).into_response()
}

pub(crate) async fn subscribe(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (override_uri, verify_token) = {
        let st = shared.state.lock().unwrap();
        if let Err(e) = authorize(&st, &headers, &version) {
            return e.into_response();
        }
        if id != st.account.waba_id {
            return unknown_object(&Method::POST, &id).into_response();
        }
        let req: Value = if body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(_) => {
                    return GraphErr::invalid("The request body is not valid JSON.").into_response()
                }
            }
        };
        let uri = req
            .get("override_callback_uri")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let token = req
            .get("verify_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if uri.is_some() && !st.subscribed {
            return GraphErr::invalid("(#100) Before override the current callback uri, your app must be subscribed to receive messages for WhatsApp Business Account.").into_response();
        }
        if uri.is_some() != token.is_some() {
            return GraphErr::invalid("override_callback_uri and verify_token go together.")
                .into_response();
        }
        (uri, token)
    };
    if let (Some(uri), Some(token)) = (&override_uri, &verify_token) {
        // Meta verifies the new callback with the GET handshake before using it.
        let challenge = format!("{}", 1_158_201_444u64 + uri.len() as u64);
        let ok = shared
            .http
            .get(uri)
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", token.as_str()),
                ("hub.challenge", challenge.as_str()),
            ])
            .send()
            .await;
        let verified = match ok {
            Ok(r) if r.status().is_success() => {
                r.text().await.map(|t| t == challenge).unwrap_or(false)
            }
            _ => false,
        };
        if !verified {
            return GraphErr::invalid("(#2200) Callback verification failed with the following errors: the URL did not answer the challenge with the verify token.").into_response();
        }
    }
    let mut st = shared.state.lock().unwrap();
    st.subscribed = true;
    if let Some(u) = &override_uri {
        st.override_callback_uri = Some(u.clone());
        st.account.webhook_url = Some(u.clone());
    }
    let logged = json!({ "override_callback_uri": override_uri });
    st.log(
        "subscribe_app",
        "POST",
        &format!("/{version}/{id}/subscribed_apps"),
        logged,
        success(),
    );
    Json(success()).into_response()
}
