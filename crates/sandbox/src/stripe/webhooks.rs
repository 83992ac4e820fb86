//! Signed event deliveries to the webhook URL: `Stripe-Signature: t={unix},v1={hex}` with one
//! `v1` = hex(HMAC-SHA256(secret, "{t}.{body}")) per configured secret. Deliveries run in the
//! background, one after the other, with the configured duplicates and order.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::{DeliveryRecord, Shared};

/// hex(HMAC-SHA256(secret, "{timestamp}.{payload}")), as Stripe signs.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// Delivers `events` (in the order they happened, unless the account says otherwise).
pub(crate) fn deliver(sh: &Shared, mut events: Vec<Value>) {
    if events.is_empty() {
        return;
    }
    let (url, copies, reverse, delay) = {
        let st = sh.state.lock().unwrap();
        let a = &st.account;
        (
            a.webhook_url.clone(),
            1 + a.duplicate_deliveries as usize,
            a.out_of_order,
            a.delivery_delay_ms,
        )
    };
    let Some(url) = url else {
        return;
    };
    if reverse {
        events.reverse();
    }
    // Duplicates come after the whole batch, like Stripe's retries of an unacknowledged event.
    let sequence: Vec<Value> = (0..copies).flat_map(|_| events.clone()).collect();
    let sh = sh.clone();
    tokio::spawn(async move {
        for ev in sequence {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            post(&sh, &url, &ev).await;
        }
    });
}

async fn post(sh: &Shared, url: &str, ev: &Value) {
    let body = serde_json::to_vec_pretty(ev).expect("json");
    let t = super::api::now();
    let (signature, idx) = {
        let mut st = sh.state.lock().unwrap();
        let signature = std::iter::once(format!("t={t}"))
            .chain(
                st.account
                    .webhook_secrets
                    .iter()
                    .map(|s| format!("v1={}", sign(s, t, &body))),
            )
            .collect::<Vec<_>>()
            .join(",");
        st.deliveries.push(DeliveryRecord {
            event_id: ev["id"].as_str().unwrap_or_default().to_owned(),
            event_type: ev["type"].as_str().unwrap_or_default().to_owned(),
            url: url.to_owned(),
            signature: signature.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
            status: None,
        });
        (signature, st.deliveries.len() - 1)
    };
    let res = sh
        .http
        .post(url)
        .header("stripe-signature", signature)
        .header("content-type", "application/json; charset=utf-8")
        .header(
            "user-agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        )
        .body(body)
        .send()
        .await;
    let status = match res {
        Ok(r) => Some(r.status().as_u16()),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox stripe: webhook not delivered");
            None
        }
    };
    sh.state.lock().unwrap().deliveries[idx].status = status;
}
