//! Webhooks the simulator emits: status updates of accepted messages, inbound messages from fake
//! customers and template status updates. Each is signed with the app secret exactly as Meta does
//! (`X-Hub-Signature-256: sha256=HMAC-SHA256(app_secret, raw body)`), with non-ASCII characters
//! escaped as `\uXXXX` like Meta's payloads, and POSTed to the configured URL.

use std::fmt::Write as _;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::state::{now_unix, State, StatusPlan, WebhookRecord};
use super::Shared;

/// `sha256=<hex>` of `body` keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Serialises like Meta: compact, non-ASCII escaped as `\uXXXX`.
pub fn to_meta_json(v: &Value) -> Vec<u8> {
    let s = serde_json::to_string(v).expect("a Value always serialises");
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out.into_bytes()
}

fn metadata(st: &State) -> Value {
    let digits: String = st
        .account
        .display_phone_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    json!({ "display_phone_number": digits, "phone_number_id": st.account.phone_number_id })
}

fn envelope(st: &State, field: &str, value: Value) -> Value {
    json!({ "object": "whatsapp_business_account", "entry": [{
        "id": st.account.waba_id, "time": now_unix(),
        "changes": [{ "value": value, "field": field }] }] })
}

/// Builds, signs and records one webhook; returns what to POST.
fn prepare(shared: &Shared, field: &str, value: Value) -> (u64, Option<String>, Vec<u8>, String) {
    let mut st = shared.state.lock().unwrap();
    let env = envelope(&st, field, value);
    let body = to_meta_json(&env);
    let sig = sign(&st.account.app_secret, &body);
    let seq = st.seq();
    let url = st.account.webhook_url.clone();
    st.webhooks.push(WebhookRecord {
        seq,
        url: url.clone(),
        body: env,
        signature: sig.clone(),
        delivery: None,
    });
    (seq, url, body, sig)
}

/// Signs, records and POSTs one webhook (the POST in the background).
pub(crate) fn emit(shared: &Shared, field: &str, value: Value) {
    let (seq, url, body, sig) = prepare(shared, field, value);
    let Some(url) = url else { return };
    let shared = shared.clone();
    tokio::spawn(async move {
        post(&shared, seq, &url, body, &sig).await;
    });
}

async fn post(shared: &Shared, seq: u64, url: &str, body: Vec<u8>, sig: &str) {
    let result = shared
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sig)
        .body(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string());
    if let Err(e) = &result {
        tracing::debug!(error = %e, "sandbox whatsapp: webhook delivery failed");
    }
    let mut st = shared.state.lock().unwrap();
    if let Some(r) = st.webhooks.iter_mut().find(|r| r.seq == seq) {
        r.delivery = Some(result);
    }
}

/// A webhook value with one status.
pub(crate) fn status_value(
    st: &State,
    wamid: &str,
    status: &str,
    recipient: &str,
    callback_data: Option<&str>,
    category: &str,
    error: Option<(i64, &str, &str)>,
) -> Value {
    let mut s = json!({ "id": wamid, "status": status, "timestamp": now_unix().to_string() });
    if recipient.contains('.') {
        s["recipient_user_id"] = json!(recipient);
    } else {
        s["recipient_id"] = json!(recipient);
    }
    if let Some(cb) = callback_data {
        s["biz_opaque_callback_data"] = json!(cb);
    }
    match error {
        Some((code, title, details)) => {
            s["errors"] = json!([{ "code": code, "title": title, "message": title,
                "error_data": { "details": details },
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/" }]);
        }
        None if status == "sent" || status == "delivered" => {
            let free = category == "service";
            s["pricing"] = json!({ "billable": !free, "pricing_model": "PMP",
                "type": if free { "free_customer_service" } else { "regular" }, "category": category });
        }
        None => {}
    }
    json!({ "messaging_product": "whatsapp", "metadata": metadata(st),
        "contacts": [status_contact(st, recipient)], "statuses": [s] })
}

/// The recipient's ids, as Meta sends them beside statuses (the business-scoped user id may change,
/// so each status says who it is for now).
fn status_contact(st: &State, recipient: &str) -> Value {
    match st.customer_by_recipient(recipient) {
        Some(c) => json!({ "wa_id": c.wa_id, "user_id": c.bsuid }),
        None if recipient.contains('.') => json!({ "user_id": recipient }),
        None => json!({ "wa_id": recipient }),
    }
}

/// Schedules the status webhooks of an accepted message according to the plan.
pub(crate) fn schedule_statuses(
    shared: &Shared,
    wamid: String,
    recipient: String,
    callback_data: Option<String>,
    category: &'static str,
    failure: Option<(i64, &'static str, String)>,
) {
    let plan: StatusPlan = shared.state.lock().unwrap().account.status_plan.clone();
    let mut steps: Vec<(u64, &'static str)> = vec![(plan.sent_ms, "sent")];
    if failure.is_some() {
        steps = vec![(plan.sent_ms, "failed")];
    } else {
        if let Some(d) = plan.delivered_ms.filter(|_| !plan.skip_delivered) {
            steps.push((d, "delivered"));
        }
        if let Some(r) = plan.read_ms {
            steps.push((r, "read"));
        }
    }
    steps.sort_by_key(|s| s.0);
    if plan.out_of_order {
        let last = steps.last().map(|s| s.0).unwrap_or(0);
        steps.reverse();
        for s in &mut steps {
            s.0 = last;
        }
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        let mut at = 0;
        for (ms, status) in steps {
            if ms > at {
                tokio::time::sleep(Duration::from_millis(ms - at)).await;
                at = ms;
            }
            let value = {
                let st = shared.state.lock().unwrap();
                let err = failure.as_ref().map(|(c, t, d)| (*c, *t, d.as_str()));
                status_value(
                    &st,
                    &wamid,
                    status,
                    &recipient,
                    callback_data.as_deref(),
                    category,
                    err,
                )
            };
            let times = if plan.duplicate { 2 } else { 1 };
            for _ in 0..times {
                emit_now(&shared, "messages", value.clone()).await;
            }
        }
    });
}

/// Like [`emit`], but waits for the delivery (keeps a message's statuses in order).
pub(crate) async fn emit_now(shared: &Shared, field: &str, value: Value) {
    let (seq, url, body, sig) = prepare(shared, field, value);
    if let Some(url) = url {
        post(shared, seq, &url, body, &sig).await;
    }
}

/// The `messages` value of an inbound message from a customer.
pub(crate) fn inbound_value(st: &State, contact: Value, message: Value) -> Value {
    let mut v =
        json!({ "messaging_product": "whatsapp", "metadata": metadata(st), "messages": [message] });
    if !contact.is_null() {
        v["contacts"] = json!([contact]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_meta() {
        let b = to_meta_json(&json!({"name": "José 👍"}));
        assert_eq!(
            std::str::from_utf8(&b).unwrap(),
            r#"{"name":"Jos\u00e9 \ud83d\udc4d"}"#
        );
        let back: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(back["name"], "José 👍");
    }

    #[test]
    fn signature_matches_known_vector() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")
        assert_eq!(
            sign("key", b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}
