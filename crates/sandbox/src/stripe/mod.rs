//! Stripe API simulator (issue 14), mounted under `/stripe`.
//!
//! Speaks Stripe's wire format: form-encoded POSTs with nested keys, `Authorization: Bearer
//! sk_…`, JSON objects, errors `{"error": {type, code, param, message}}`, and the
//! `Idempotency-Key` contract: the same key with the same parameters replays the first answer
//! (`Idempotent-Replayed: true`), the same key with other parameters or on another endpoint is a
//! 400 `idempotency_error`. A 500 injected after a POST was handled is cached under its key, as
//! Stripe does.
//!
//! | API | |
//! |---|---|
//! | `POST /v1/checkout/sessions` | `mode=payment`, `line_items[i][price_data][…]`, URLs, metadata, `expires_at` |
//! | `GET  /v1/checkout/sessions/{id}`, `/v1/payment_intents/{id}`, `/v1/charges/{id}`, `/v1/refunds/{id}`, `/v1/events/{id}`, `/v1/disputes/{id}` | |
//! | `GET  /v1/balance` | what succeeded charges left, per currency (the app's "Probar") |
//! | `POST /v1/refunds` | `payment_intent`, optional `amount` (refused above what is left), `reason` |
//! | `GET  /c/pay/{session}` | the checkout page: buttons `#pay` and `#fail` (WebDriver-friendly) |
//!
//! Paying creates the PaymentIntent and its charge and sends `charge.succeeded`,
//! `payment_intent.succeeded`, `checkout.session.completed`; a decline sends
//! `payment_intent.payment_failed`; a refund `charge.refunded` and `refund.created`; an expiry
//! `checkout.session.expired`; a dispute
//! `charge.dispute.created`. Each event is POSTed to the configured webhook URL (the shop's relay
//! URL) with `Stripe-Signature: t=…,v1=…` — one `v1` per configured secret, as during a secret
//! roll — optionally several times and in reverse order.
//!
//! Control API, under `/stripe/_sandbox`:
//!
//! | Method and path | Body | Effect |
//! |---|---|---|
//! | `GET  /_sandbox/account` | | the account ([`StripeAccount`]) |
//! | `POST /_sandbox/config` | [`StripeConfigPatch`] | key, webhook URL and secrets, duplicates, order |
//! | `POST /_sandbox/faults` | [`StripeFault`] | a fault for the next N API calls |
//! | `DELETE /_sandbox/faults` | | clear faults |
//! | `POST /_sandbox/checkout/{id}/pay` / `fail` | | what the page's buttons do |
//! | `POST /_sandbox/checkout/{id}/expire` | | the session expires now (`checkout.session.expired`) |
//! | `POST /_sandbox/disputes` | [`OpenDispute`] | the customer's bank opens a chargeback |
//! | `POST /_sandbox/disputes/{id}/close` | [`CloseDispute`] | the bank decides it (`charge.dispute.closed`) |
//! | `POST /_sandbox/events/{id}/redeliver` | | deliver an event again |
//! | `GET  /_sandbox/sessions`, `/_sandbox/events`, `/_sandbox/deliveries` | | what happened |

mod api;
mod faults;
mod page;
mod webhooks;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use faults::{StripeFault, StripeFaultKind};
pub use webhooks::sign;

/// The simulated account and its webhook endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StripeAccount {
    pub secret_key: String,
    /// Where events are POSTed (the shop's relay URL). `None`: recorded only.
    pub webhook_url: Option<String>,
    /// One `v1` per secret in every `Stripe-Signature` (more than one while rolling a secret).
    pub webhook_secrets: Vec<String>,
    /// Each event is delivered this many extra times (Stripe retries; duplicates are normal).
    pub duplicate_deliveries: u32,
    /// The events of one action are delivered last first.
    pub out_of_order: bool,
    /// Pause before each delivery.
    pub delivery_delay_ms: u64,
}

impl Default for StripeAccount {
    fn default() -> Self {
        StripeAccount {
            secret_key: "sk_test_sandbox_stripe_key".into(),
            webhook_url: None,
            webhook_secrets: vec!["whsec_sandbox_stripe_secret".into()],
            duplicate_deliveries: 0,
            out_of_order: false,
            delivery_delay_ms: 5,
        }
    }
}

/// Partial configuration change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StripeConfigPatch {
    pub secret_key: Option<String>,
    /// `""` removes the webhook target.
    pub webhook_url: Option<String>,
    pub webhook_secrets: Option<Vec<String>>,
    pub duplicate_deliveries: Option<u32>,
    pub out_of_order: Option<bool>,
    pub delivery_delay_ms: Option<u64>,
}

/// A chargeback to open on a paid PaymentIntent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenDispute {
    pub payment_intent: String,
    /// Defaults to `fraudulent`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// How a chargeback ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloseDispute {
    /// `won` (the shop keeps the money) or `lost`.
    pub status: String,
}

/// One webhook POST the simulator sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    pub signature: String,
    /// The exact body sent.
    pub body: String,
    /// The receiver's HTTP status, or `None` if it could not be reached.
    pub status: Option<u16>,
}

/// What the simulator keeps beside a session's public JSON.
#[derive(Debug, Clone)]
pub(crate) struct SessionExtra {
    /// `line_items` as (name, unit amount, quantity), for the page.
    pub items: Vec<(String, i64, i64)>,
    pub pi_metadata: BTreeMap<String, String>,
}

/// A cached answer under an idempotency key.
#[derive(Debug, Clone)]
pub(crate) struct IdemRecord {
    pub path: String,
    pub params: Vec<(String, String)>,
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(Default)]
pub(crate) struct State {
    pub account: StripeAccount,
    pub sessions: BTreeMap<String, Value>,
    pub session_extra: HashMap<String, SessionExtra>,
    pub intents: BTreeMap<String, Value>,
    pub charges: BTreeMap<String, Value>,
    pub refunds: BTreeMap<String, Value>,
    pub disputes: BTreeMap<String, Value>,
    pub events: Vec<Value>,
    pub deliveries: Vec<DeliveryRecord>,
    pub idempotency: HashMap<String, IdemRecord>,
    pub faults: Vec<StripeFault>,
}

#[derive(Clone)]
pub(crate) struct Shared {
    pub state: Arc<Mutex<State>>,
    pub http: reqwest::Client,
}

/// Handle to the Stripe simulator's state (cheap to clone).
#[derive(Clone)]
pub struct StripeSim {
    shared: Shared,
}

impl Default for StripeSim {
    fn default() -> Self {
        StripeSim {
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

impl StripeSim {
    /// The API, the checkout page and the control API (mounted by the sandbox under `/stripe`).
    pub fn router(&self) -> Router {
        let shared = self.shared.clone();
        Router::new()
            .route("/_sandbox/account", get(control_account))
            .route("/_sandbox/config", post(control_config))
            .route(
                "/_sandbox/faults",
                post(control_add_fault).delete(control_clear_faults),
            )
            .route("/_sandbox/checkout/{id}/pay", post(control_pay))
            .route("/_sandbox/checkout/{id}/fail", post(control_fail))
            .route("/_sandbox/checkout/{id}/expire", post(control_expire))
            .route("/_sandbox/disputes", post(control_dispute))
            .route("/_sandbox/disputes/{id}/close", post(control_close_dispute))
            .route("/_sandbox/events/{id}/redeliver", post(control_redeliver))
            .route("/_sandbox/sessions", get(control_sessions))
            .route("/_sandbox/events", get(control_events))
            .route("/_sandbox/deliveries", get(control_deliveries))
            .route("/c/pay/{id}", get(page::show))
            .route("/c/pay/{id}/pay", post(page::pay))
            .route("/c/pay/{id}/fail", post(page::fail))
            .route("/v1/checkout/sessions", post(api::create_session))
            .route("/v1/checkout/sessions/{id}", get(api::get_session))
            .route("/v1/payment_intents/{id}", get(api::get_intent))
            .route("/v1/charges/{id}", get(api::get_charge))
            .route("/v1/refunds", post(api::create_refund))
            .route("/v1/refunds/{id}", get(api::get_refund))
            .route("/v1/events/{id}", get(api::get_event))
            .route("/v1/disputes/{id}", get(api::get_dispute))
            .route("/v1/balance", get(api::get_balance))
            .fallback(|| async { api::StripeErr::unrecognized_url() })
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                faults::middleware,
            ))
            .with_state(shared)
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.shared.state.lock().unwrap())
    }

    pub fn account(&self) -> StripeAccount {
        self.with_state(|s| s.account.clone())
    }

    pub fn configure(&self, patch: StripeConfigPatch) {
        self.with_state(|s| apply(&mut s.account, patch))
    }

    pub fn add_fault(&self, fault: StripeFault) {
        self.with_state(|s| s.faults.push(fault))
    }

    pub fn clear_faults(&self) {
        self.with_state(|s| s.faults.clear())
    }

    /// Every session, as the API would return it.
    pub fn sessions(&self) -> Vec<Value> {
        self.with_state(|s| s.sessions.values().cloned().collect())
    }

    /// Every event created, oldest first.
    pub fn events(&self) -> Vec<Value> {
        self.with_state(|s| s.events.clone())
    }

    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.with_state(|s| s.deliveries.clone())
    }

    /// The customer pays on the checkout page (what the `#pay` button does).
    pub fn pay(&self, session_id: &str) -> Result<(), String> {
        page::complete(&self.shared, session_id, page::Outcome::Pay)
    }

    /// The customer's card is declined (what the `#fail` button does).
    pub fn decline(&self, session_id: &str) -> Result<(), String> {
        page::complete(&self.shared, session_id, page::Outcome::Decline)
    }

    /// The session expires now, as when its `expires_at` passes. `Ok(false)` if it was not open.
    pub fn expire(&self, session_id: &str) -> Result<bool, String> {
        page::expire(&self.shared, session_id)
    }

    /// The customer's bank opens a chargeback. Returns the dispute object.
    pub fn open_dispute(&self, d: OpenDispute) -> Result<Value, String> {
        api::open_dispute(&self.shared, d)
    }

    /// The bank decides a chargeback (`won` or `lost`): `charge.dispute.closed` is delivered.
    pub fn close_dispute(&self, dispute_id: &str, c: CloseDispute) -> Result<Value, String> {
        api::close_dispute(&self.shared, dispute_id, c)
    }
}

fn apply(a: &mut StripeAccount, p: StripeConfigPatch) {
    if let Some(v) = p.secret_key {
        a.secret_key = v;
    }
    if let Some(v) = p.webhook_url {
        a.webhook_url = (!v.is_empty()).then_some(v);
    }
    if let Some(v) = p.webhook_secrets {
        a.webhook_secrets = v;
    }
    if let Some(v) = p.duplicate_deliveries {
        a.duplicate_deliveries = v;
    }
    if let Some(v) = p.out_of_order {
        a.out_of_order = v;
    }
    if let Some(v) = p.delivery_delay_ms {
        a.delivery_delay_ms = v;
    }
}

fn control_result(r: Result<Value, String>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

async fn control_account(AxState(sh): AxState<Shared>) -> Json<StripeAccount> {
    Json(sh.state.lock().unwrap().account.clone())
}

async fn control_config(
    AxState(sh): AxState<Shared>,
    Json(p): Json<StripeConfigPatch>,
) -> Json<StripeAccount> {
    let mut st = sh.state.lock().unwrap();
    apply(&mut st.account, p);
    Json(st.account.clone())
}

async fn control_add_fault(
    AxState(sh): AxState<Shared>,
    Json(f): Json<StripeFault>,
) -> &'static str {
    sh.state.lock().unwrap().faults.push(f);
    "ok"
}

async fn control_clear_faults(AxState(sh): AxState<Shared>) -> &'static str {
    sh.state.lock().unwrap().faults.clear();
    "ok"
}

async fn control_pay(AxState(sh): AxState<Shared>, Path(id): Path<String>) -> Response {
    control_result(page::complete(&sh, &id, page::Outcome::Pay).map(|()| Value::Null))
}

async fn control_fail(AxState(sh): AxState<Shared>, Path(id): Path<String>) -> Response {
    control_result(page::complete(&sh, &id, page::Outcome::Decline).map(|()| Value::Null))
}

async fn control_expire(AxState(sh): AxState<Shared>, Path(id): Path<String>) -> Response {
    control_result(page::expire(&sh, &id).map(Value::Bool))
}

async fn control_dispute(AxState(sh): AxState<Shared>, Json(d): Json<OpenDispute>) -> Response {
    control_result(api::open_dispute(&sh, d))
}

async fn control_close_dispute(
    AxState(sh): AxState<Shared>,
    Path(id): Path<String>,
    Json(c): Json<CloseDispute>,
) -> Response {
    control_result(api::close_dispute(&sh, &id, c))
}

async fn control_redeliver(AxState(sh): AxState<Shared>, Path(id): Path<String>) -> Response {
    let ev = sh
        .state
        .lock()
        .unwrap()
        .events
        .iter()
        .find(|e| e["id"] == id.as_str())
        .cloned();
    match ev {
        Some(ev) => {
            webhooks::deliver(&sh, vec![ev]);
            Json(Value::Null).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such event").into_response(),
    }
}

async fn control_sessions(AxState(sh): AxState<Shared>) -> Json<Vec<Value>> {
    Json(
        sh.state
            .lock()
            .unwrap()
            .sessions
            .values()
            .cloned()
            .collect(),
    )
}

async fn control_events(AxState(sh): AxState<Shared>) -> Json<Vec<Value>> {
    Json(sh.state.lock().unwrap().events.clone())
}

async fn control_deliveries(AxState(sh): AxState<Shared>) -> Json<Vec<DeliveryRecord>> {
    Json(sh.state.lock().unwrap().deliveries.clone())
}
