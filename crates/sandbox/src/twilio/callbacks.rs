//! Signed POSTs the simulator sends: status callbacks of accepted messages and inbound SMS.
//! `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + params sorted by name, name+value)).

use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::api::{new_sid, now_rfc2822, num_segments};
use super::{CallbackRecord, InboundSmsRequest, Shared};

/// The signature Twilio sends for `url` and `params`.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes()).expect("any key");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn p(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// Signs, records and POSTs; returns the receiver's status.
async fn post(sh: &Shared, url: String, params: Vec<(String, String)>) -> Option<u16> {
    let (signature, idx) = {
        let mut st = sh.state.lock().unwrap();
        let signature = sign(&st.account.auth_token, &url, &params);
        st.callbacks.push(CallbackRecord {
            url: url.clone(),
            params: params.clone(),
            signature: signature.clone(),
            delivery: None,
        });
        (signature, st.callbacks.len() - 1)
    };
    let res = sh
        .http
        .post(&url)
        .header("x-twilio-signature", signature)
        .header("i-twilio-idempotency-token", new_sid(""))
        .form(&params)
        .send()
        .await;
    let status = match res {
        Ok(r) => Some(r.status().as_u16()),
        Err(e) => {
            tracing::warn!(error = %e, "sandbox twilio: callback not delivered");
            None
        }
    };
    sh.state.lock().unwrap().callbacks[idx].delivery = status;
    status
}

/// Moves an accepted message on: `sent`, then `delivered` (or `undelivered` / 30003), each with a
/// signed callback when the message has a `StatusCallback`.
pub(crate) fn spawn_progress(sh: &Shared, sid: String) {
    let sh = sh.clone();
    tokio::spawn(async move {
        let undeliverable = {
            let st = sh.state.lock().unwrap();
            st.messages
                .iter()
                .find(|m| m.sid == sid)
                .is_some_and(|m| st.account.undeliverable.contains(&m.to))
        };
        let steps: &[(&str, Option<i64>)] = if undeliverable {
            &[("sent", None), ("undelivered", Some(30003))]
        } else {
            &[("sent", None), ("delivered", None)]
        };
        for &(status, error_code) in steps {
            let delay = sh.state.lock().unwrap().account.callback_delay_ms;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            let target = {
                let mut st = sh.state.lock().unwrap();
                let account_sid = st.account.account_sid.clone();
                let Some(m) = st.messages.iter_mut().find(|m| m.sid == sid) else {
                    return;
                };
                m.status = status.into();
                m.date_updated = now_rfc2822();
                if status == "sent" {
                    m.date_sent = Some(m.date_updated.clone());
                }
                m.error_code = error_code;
                m.error_message = error_code.map(|_| "Unreachable destination handset".into());
                m.status_callback.clone().map(|url| {
                    let mut params = vec![
                        p("MessageSid", &m.sid),
                        p("SmsSid", &m.sid),
                        p("AccountSid", &account_sid),
                        p("To", &m.to),
                        p("ApiVersion", "2010-04-01"),
                        p("SmsStatus", status),
                        p("MessageStatus", status),
                    ];
                    if let Some(f) = &m.from {
                        params.push(p("From", f));
                    }
                    if let Some(s) = &m.messaging_service_sid {
                        params.push(p("MessagingServiceSid", s));
                    }
                    if let Some(c) = error_code {
                        params.push(p("ErrorCode", &c.to_string()));
                    }
                    (url, params)
                })
            };
            if let Some((url, params)) = target {
                post(&sh, url, params).await;
            }
        }
    });
}

/// A fake customer's SMS, POSTed (signed) to the inbound URL.
pub(crate) async fn inbound(sh: &Shared, sms: InboundSmsRequest) -> (String, Option<u16>) {
    let sid = new_sid("SM");
    let (url, params) = {
        let mut st = sh.state.lock().unwrap();
        let account_sid = st.account.account_sid.clone();
        let now = now_rfc2822();
        st.messages.push(super::SimMessage {
            uri: format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"),
            sid: sid.clone(),
            account_sid: account_sid.clone(),
            messaging_service_sid: None,
            to: sms.to.clone(),
            from: Some(sms.from.clone()),
            body: sms.body.clone(),
            status: "received".into(),
            num_segments: num_segments(&sms.body).to_string(),
            num_media: "0".into(),
            direction: "inbound".into(),
            api_version: "2010-04-01".into(),
            price: None,
            price_unit: "USD".into(),
            error_code: None,
            error_message: None,
            date_created: now.clone(),
            date_updated: now.clone(),
            date_sent: Some(now),
            status_callback: None,
        });
        let params = vec![
            p("ToCountry", "AR"),
            p("SmsMessageSid", &sid),
            p("SmsSid", &sid),
            p("MessageSid", &sid),
            p("AccountSid", &account_sid),
            p("From", &sms.from),
            p("To", &sms.to),
            p("Body", &sms.body),
            p("NumSegments", &num_segments(&sms.body).to_string()),
            p("NumMedia", "0"),
            p("SmsStatus", "received"),
            p("ApiVersion", "2010-04-01"),
        ];
        (st.account.inbound_url.clone(), params)
    };
    let delivery = match url {
        Some(url) => post(sh, url, params).await,
        None => None,
    };
    (sid, delivery)
}
