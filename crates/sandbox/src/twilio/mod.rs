//! Twilio Messages API simulator (issue 12), mounted under `/twilio`.
//!
//! Speaks Twilio's wire format: form-encoded `POST /2010-04-01/Accounts/{sid}/Messages.json` with
//! Basic auth (Account SID + auth token, or API key + secret), JSON answers, and error bodies
//! `{code, message, more_info, status}`. Accepted messages get `SM…` sids and then status
//! callbacks (`sent`, then `delivered` — or `undelivered` with `ErrorCode` 30003 for a number in
//! the undeliverable set), signed with `X-Twilio-Signature` and POSTed to the message's
//! `StatusCallback`. As in Twilio, no callback is sent for the initial `queued` status.
//!
//! Twilio's magic test numbers are honoured: `To` +15005550001 → 21211, +15005550002 → 21612,
//! +15005550004 → 21610, +15005550009 → 21614. A `To` that is not E.164 → 21211.
//!
//! Control API, under `/twilio/_sandbox`:
//!
//! | Method and path | Body | Effect |
//! |---|---|---|
//! | `GET  /_sandbox/account` | | the account ([`TwilioAccount`]) |
//! | `POST /_sandbox/config` | [`TwilioConfigPatch`] | change token, inbound URL, undeliverable numbers… |
//! | `POST /_sandbox/inbound` | [`InboundSmsRequest`] | a fake customer texts the shop (signed POST to the inbound URL) |
//! | `POST /_sandbox/faults` | [`TwilioFault`] | inject a fault for the next N API calls |
//! | `DELETE /_sandbox/faults` | | clear faults |
//! | `GET  /_sandbox/messages` | | every message ([`SimMessage`]) |
//! | `GET  /_sandbox/callbacks` | | every signed POST sent ([`CallbackRecord`]) |

mod api;
mod callbacks;
mod faults;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State as AxState;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub use callbacks::sign;
pub use faults::{TwilioFault, TwilioFaultKind};

/// The simulated account and its behaviour.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TwilioAccount {
    pub account_sid: String,
    pub auth_token: String,
    pub api_key_sid: String,
    pub api_key_secret: String,
    /// Where inbound SMS are POSTed (the shop's relay URL). `None`: recorded only.
    pub inbound_url: Option<String>,
    /// `To` numbers whose messages end `undelivered` with `ErrorCode` 30003.
    pub undeliverable: BTreeSet<String>,
    /// `To` numbers that replied STOP: sends fail with 21610.
    pub unsubscribed: BTreeSet<String>,
    /// Pause before each status callback.
    pub callback_delay_ms: u64,
}

impl Default for TwilioAccount {
    fn default() -> Self {
        TwilioAccount {
            account_sid: "AC00000000000000000000000000000001".into(),
            auth_token: "sandbox-twilio-auth-token".into(),
            api_key_sid: "SK00000000000000000000000000000001".into(),
            api_key_secret: "sandbox-twilio-api-key-secret".into(),
            inbound_url: None,
            undeliverable: BTreeSet::new(),
            unsubscribed: BTreeSet::new(),
            callback_delay_ms: 10,
        }
    }
}

/// Partial configuration change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TwilioConfigPatch {
    pub auth_token: Option<String>,
    /// `""` removes the inbound target.
    pub inbound_url: Option<String>,
    pub undeliverable: Option<BTreeSet<String>>,
    pub unsubscribed: Option<BTreeSet<String>>,
    pub callback_delay_ms: Option<u64>,
}

/// A message the simulator knows (outbound or inbound). Serialized like Twilio's resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimMessage {
    pub sid: String,
    pub account_sid: String,
    pub messaging_service_sid: Option<String>,
    pub to: String,
    pub from: Option<String>,
    pub body: String,
    pub status: String,
    pub num_segments: String,
    pub num_media: String,
    pub direction: String,
    pub api_version: String,
    pub price: Option<String>,
    pub price_unit: String,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub date_created: String,
    pub date_updated: String,
    pub date_sent: Option<String>,
    pub uri: String,
    #[serde(skip)]
    pub status_callback: Option<String>,
}

/// A signed POST the simulator sent (status callback or inbound SMS).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallbackRecord {
    pub url: String,
    pub params: Vec<(String, String)>,
    pub signature: String,
    /// The receiver's HTTP status, or `None` if it could not be reached (yet).
    pub delivery: Option<u16>,
}

/// A fake customer's SMS to the shop.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboundSmsRequest {
    pub from: String,
    pub to: String,
    pub body: String,
}

#[derive(Default)]
pub(crate) struct State {
    pub account: TwilioAccount,
    pub messages: Vec<SimMessage>,
    pub callbacks: Vec<CallbackRecord>,
    pub faults: Vec<TwilioFault>,
}

#[derive(Clone)]
pub(crate) struct Shared {
    pub state: Arc<Mutex<State>>,
    pub http: reqwest::Client,
}

/// Handle to the Twilio simulator's state (cheap to clone).
#[derive(Clone)]
pub struct TwilioSim {
    shared: Shared,
}

impl Default for TwilioSim {
    fn default() -> Self {
        TwilioSim {
            shared: Shared {
                state: Arc::new(Mutex::new(State::default())),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("HTTP client"),
            },
        }
    }
}

impl TwilioSim {
    /// The API routes plus the control API (mounted by the sandbox under `/twilio`).
    pub fn router(&self) -> Router {
        let shared = self.shared.clone();
        Router::new()
            .route("/_sandbox/account", get(control_account))
            .route("/_sandbox/config", post(control_config))
            .route("/_sandbox/inbound", post(control_inbound))
            .route(
                "/_sandbox/faults",
                post(control_add_fault).delete(control_clear_faults),
            )
            .route("/_sandbox/messages", get(control_messages))
            .route("/_sandbox/callbacks", get(control_callbacks))
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(api::send),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Messages/{file}",
                get(api::fetch),
            )
            .fallback(|| async { api::TwilioErr::not_found() })
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                faults::middleware,
            ))
            .with_state(shared)
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.shared.state.lock().unwrap())
    }

    pub fn account(&self) -> TwilioAccount {
        self.with_state(|s| s.account.clone())
    }

    pub fn configure(&self, patch: TwilioConfigPatch) {
        self.with_state(|s| apply(&mut s.account, patch))
    }

    pub fn add_fault(&self, fault: TwilioFault) {
        self.with_state(|s| s.faults.push(fault))
    }

    pub fn clear_faults(&self) {
        self.with_state(|s| s.faults.clear())
    }

    pub fn messages(&self) -> Vec<SimMessage> {
        self.with_state(|s| s.messages.clone())
    }

    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.with_state(|s| s.callbacks.clone())
    }

    /// A fake customer texts the shop: the signed POST goes to the inbound URL. Returns the
    /// message's sid and the receiver's HTTP status (None when there is no URL or it failed).
    pub async fn customer_sends(&self, sms: InboundSmsRequest) -> (String, Option<u16>) {
        callbacks::inbound(&self.shared, sms).await
    }
}

fn apply(a: &mut TwilioAccount, p: TwilioConfigPatch) {
    if let Some(v) = p.auth_token {
        a.auth_token = v;
    }
    if let Some(v) = p.inbound_url {
        a.inbound_url = (!v.is_empty()).then_some(v);
    }
    if let Some(v) = p.undeliverable {
        a.undeliverable = v;
    }
    if let Some(v) = p.unsubscribed {
        a.unsubscribed = v;
    }
    if let Some(v) = p.callback_delay_ms {
        a.callback_delay_ms = v;
    }
}

async fn control_account(AxState(sh): AxState<Shared>) -> Json<TwilioAccount> {
    Json(sh.state.lock().unwrap().account.clone())
}

async fn control_config(
    AxState(sh): AxState<Shared>,
    Json(p): Json<TwilioConfigPatch>,
) -> Json<TwilioAccount> {
    let mut st = sh.state.lock().unwrap();
    apply(&mut st.account, p);
    Json(st.account.clone())
}

async fn control_inbound(
    AxState(sh): AxState<Shared>,
    Json(sms): Json<InboundSmsRequest>,
) -> Json<serde_json::Value> {
    let (sid, delivery) = callbacks::inbound(&sh, sms).await;
    Json(serde_json::json!({ "sid": sid, "delivery": delivery }))
}

async fn control_add_fault(
    AxState(sh): AxState<Shared>,
    Json(f): Json<TwilioFault>,
) -> &'static str {
    sh.state.lock().unwrap().faults.push(f);
    "ok"
}

async fn control_clear_faults(AxState(sh): AxState<Shared>) -> &'static str {
    sh.state.lock().unwrap().faults.clear();
    "ok"
}

async fn control_messages(AxState(sh): AxState<Shared>) -> Json<Vec<SimMessage>> {
    Json(sh.state.lock().unwrap().messages.clone())
}

async fn control_callbacks(AxState(sh): AxState<Shared>) -> Json<Vec<CallbackRecord>> {
    Json(sh.state.lock().unwrap().callbacks.clone())
}
