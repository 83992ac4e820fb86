//! Notifications the simulator sends: `POST {notification_url}&data.id=…&type=…` with a JSON
//! body, `x-request-id` and `x-signature: ts=…,v1=HMAC-SHA256(secret, "id:…;request-id:…;ts:…;")`
//! (reference §1.5); the legacy IPN form `?topic=payment&id=…` is unsigned.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::state::{SimChargeback, SimPayment};
use super::{FlushRequest, NotifyRequest, Shared};

/// The `v1` hash of the manifest (missing parts dropped, trailing `;`).
pub fn sign(secret: &str, data_id: Option<&str>, request_id: Option<&str>, ts: &str) -> String {
    let mut m = String::new();
    if let Some(id) = data_id.filter(|s| !s.is_empty()) {
        m.push_str(&format!("id:{id};"));
    }
    if let Some(r) = request_id.filter(|s| !s.is_empty()) {
        m.push_str(&format!("request-id:{r};"));
    }
    m.push_str(&format!("ts:{ts};"));
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(m.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// One notification the simulator built (and its deliveries).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookRecord {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// `payment`, `topic_chargebacks_wh`, or `ipn`.
    pub kind: String,
    pub resource_id: String,
    pub action: Option<String>,
    /// The receiver's HTTP status per delivery (`None`: unreachable).
    pub deliveries: Vec<Option<u16>>,
}

/// A change to notify.
pub(crate) struct Change {
    pub topic: &'static str,
    pub resource_id: String,
    pub action: String,
    pub notification_url: Option<String>,
}

impl Change {
    pub fn payment(p: &SimPayment, action: &str) -> Change {
        Change {
            topic: "payment",
            resource_id: p.id.to_string(),
            action: action.into(),
            notification_url: p.notification_url.clone(),
        }
    }

    pub fn chargeback(c: &SimChargeback, action: &str) -> Change {
        Change {
            topic: "topic_chargebacks_wh",
            resource_id: c.id.clone(),
            action: action.into(),
            notification_url: None,
        }
    }
}

fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut u = match reqwest::Url::parse(url) {
        Ok(u) => u,
        Err(_) => return url.to_owned(),
    };
    u.query_pairs_mut().extend_pairs(pairs);
    u.to_string()
}

struct Build {
    legacy_ipn: bool,
    bad_signature: bool,
    no_signature: bool,
    body_status: Option<String>,
}

/// Builds (and records) the notification; returns its index.
fn build(sh: &Shared, c: &Change, how: &Build, url: &str) -> usize {
    let mut st = sh.state.lock().unwrap();
    let user_id = st.account.user_id;
    let record = if how.legacy_ipn {
        let topic = if c.topic == "payment" {
            "payment"
        } else {
            "chargebacks"
        };
        WebhookRecord {
            url: with_query(url, &[("topic", topic), ("id", &c.resource_id)]),
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::json!({
                "resource": format!("https://api.mercadopago.com/v1/payments/{}", c.resource_id),
                "topic": topic,
            })
            .to_string(),
            kind: "ipn".into(),
            resource_id: c.resource_id.clone(),
            action: None,
            deliveries: Vec::new(),
        }
    } else {
        let request_id = uuid_like(&mut st);
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            .to_string();
        let secret = if how.bad_signature {
            "not-the-secret".to_owned()
        } else {
            st.account.webhook_secret.clone()
        };
        let v1 = sign(&secret, Some(&c.resource_id), Some(&request_id), &ts);
        let notification_id = st.next_id();
        let mut body = serde_json::json!({
            "id": notification_id,
            "live_mode": false,
            "type": c.topic,
            "date_created": super::state::now(),
            "user_id": user_id,
            "api_version": "v1",
            "action": c.action,
            "data": { "id": c.resource_id },
        });
        if let Some(s) = &how.body_status {
            // Some integrations read this; nobody should.
            body["data"]["status"] = serde_json::Value::String(s.clone());
        }
        let mut headers = vec![
            ("content-type".into(), "application/json".into()),
            ("x-request-id".into(), request_id),
        ];
        if !how.no_signature {
            headers.push(("x-signature".into(), format!("ts={ts},v1={v1}")));
        }
        WebhookRecord {
            url: with_query(url, &[("data.id", &c.resource_id), ("type", c.topic)]),
            headers,
            body: body.to_string(),
            kind: c.topic.into(),
            resource_id: c.resource_id.clone(),
            action: Some(c.action.clone()),
            deliveries: Vec::new(),
        }
    };
    st.webhooks.push(record);
    st.webhooks.len() - 1
}

fn uuid_like(st: &mut super::State) -> String {
    let n = st.next_id();
    let r: u64 = rand::random();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (r >> 32) as u32,
        (r >> 16) as u16,
        n & 0xfff,
        (r >> 4) & 0xfff,
        r & 0xffff_ffff_ffff
    )
}

/// POSTs record `idx` once; records and returns the receiver's status.
async fn deliver(sh: &Shared, idx: usize) -> Option<u16> {
    let (url, headers, body) = {
        let st = sh.state.lock().unwrap();
        let r = &st.webhooks[idx];
        (r.url.clone(), r.headers.clone(), r.body.clone())
    };
    let mut req = sh.http.post(&url).body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let status = match req.send().await {
        Ok(r) => Some(r.status().as_u16()),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox mercadopago: webhook not delivered");
            None
        }
    };
    sh.state.lock().unwrap().webhooks[idx]
        .deliveries
        .push(status);
    status
}

/// Where a change's notifications go: the resource's `notification_url` (a chargeback: its
/// payment's). No URL: nothing is sent (as with an account without webhooks).
fn target(sh: &Shared, c: &Change) -> Option<String> {
    if let Some(u) = &c.notification_url {
        return Some(u.clone());
    }
    let st = sh.state.lock().unwrap();
    let cb = st.chargebacks.iter().find(|cb| cb.id == c.resource_id)?;
    st.payments
        .iter()
        .find(|p| p.id == cb.payment_id)?
        .notification_url
        .clone()
}

/// Notifies a change: sent now, or held (see `hold_webhooks`). Also the IPN form with `also_ipn`.
pub(crate) async fn emit(sh: &Shared, c: Change) {
    let Some(url) = target(sh, &c) else { return };
    let (hold, ipn) = {
        let st = sh.state.lock().unwrap();
        (st.account.hold_webhooks, st.account.also_ipn)
    };
    let mut idxs = vec![build(
        sh,
        &c,
        &Build {
            legacy_ipn: false,
            bad_signature: false,
            no_signature: false,
            body_status: None,
        },
        &url,
    )];
    if ipn {
        idxs.push(build(
            sh,
            &c,
            &Build {
                legacy_ipn: true,
                bad_signature: false,
                no_signature: false,
                body_status: None,
            },
            &url,
        ));
    }
    for idx in idxs {
        if hold {
            sh.state.lock().unwrap().held.push(idx);
        } else {
            deliver(sh, idx).await;
        }
    }
}

/// A notification on demand (again, forged, unsigned, IPN, lying body). Always sent now.
pub(crate) async fn notify(sh: &Shared, r: NotifyRequest) -> Result<Option<u16>, String> {
    let c = {
        let st = sh.state.lock().unwrap();
        let p = st
            .payments
            .iter()
            .find(|p| p.id == r.payment_id)
            .ok_or_else(|| format!("no payment {}", r.payment_id))?;
        Change::payment(p, r.action.as_deref().unwrap_or("payment.updated"))
    };
    let url = c
        .notification_url
        .clone()
        .ok_or("the payment has no notification_url")?;
    let idx = build(
        sh,
        &c,
        &Build {
            legacy_ipn: r.legacy_ipn,
            bad_signature: r.bad_signature,
            no_signature: r.no_signature,
            body_status: r.body_status,
        },
        &url,
    );
    Ok(deliver(sh, idx).await)
}

/// Delivers every held notification (in reverse with `reverse`), each `copies` times.
pub(crate) async fn flush(sh: &Shared, r: FlushRequest) -> Vec<Option<u16>> {
    let mut held = std::mem::take(&mut sh.state.lock().unwrap().held);
    if r.reverse {
        held.reverse();
    }
    let mut out = Vec::new();
    for idx in held {
        for _ in 0..r.copies.unwrap_or(1).max(1) {
            out.push(deliver(sh, idx).await);
        }
    }
    out
}
