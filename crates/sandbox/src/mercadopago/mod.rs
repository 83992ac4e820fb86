//! MercadoPago simulator (issue 14), mounted under `/mp`.
//!
//! Speaks MercadoPago's wire format (reference §1): bearer auth, JSON bodies with amounts as JSON
//! numbers, error bodies `{message, error, status, cause}`, `X-Idempotency-Key` replay on every
//! creating call (same key ⇒ the stored answer, so a retry after a timeout gets the same
//! preference). A preference's `init_point` is a local checkout page whose buttons approve,
//! reject or leave pending a payment (a tester or a WebDriver test clicks them). Each payment
//! change POSTs a signed webhook (`x-signature` over `id:{data.id};request-id:…;ts:…;`) to the
//! preference's `notification_url` with `data.id` and `type` appended — in the tests that is the
//! relay. Webhooks can be held and then flushed in reverse order and several times (duplicates,
//! out of order), sent with a bad or no signature, or as a legacy IPN.
//!
//! API: `POST /checkout/preferences`, `GET /checkout/preferences/{id}`, `GET /v1/payments/{id}`,
//! `GET /v1/payments/search`, `POST|GET /v1/payments/{id}/refunds`, `GET /v1/chargebacks/{id}`,
//! `GET /v1/payment_methods/installments`, `POST /instore/orders/qr/seller/collectors/{user}/pos/{pos}/qrs`,
//! `GET /users/me`. Checkout page: `GET /checkout/v1/redirect?pref_id=…` (and the QR's
//! `GET /qr/{id}`), whose forms POST to `/checkout/v1/pay`.
//!
//! Control API, under `/mp/_sandbox`:
//!
//! | Method and path | Body | Effect |
//! |---|---|---|
//! | `GET  /_sandbox/account` | | the account ([`MpAccount`]) |
//! | `POST /_sandbox/config` | [`MpConfigPatch`] | token, secret, hold webhooks… |
//! | `POST /_sandbox/pay` | [`PayRequest`] | a buyer pays a preference or QR (like the page's buttons) |
//! | `POST /_sandbox/payments/{id}/status` | [`StatusChange`] | move a payment (approved → refunded …) and notify |
//! | `POST /_sandbox/payments/{id}/chargeback` | [`ChargebackRequest`] | open / resolve a chargeback and notify |
//! | `POST /_sandbox/notify` | [`NotifyRequest`] | send (again) a notification, optionally forged or as IPN |
//! | `POST /_sandbox/webhooks/flush` | [`FlushRequest`] | deliver held webhooks (reverse order, N copies) |
//! | `GET  /_sandbox/webhooks` | | every webhook built ([`WebhookRecord`]) |
//! | `GET  /_sandbox/preferences`, `/_sandbox/payments`, `/_sandbox/calls` | | state and API call log |
//! | `POST /_sandbox/faults`, `DELETE /_sandbox/faults` | [`MpFault`] | inject faults in the next API calls |

mod api;
mod checkout;
mod faults;
mod state;
mod webhooks;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State as AxState};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub use faults::{MpFault, MpFaultKind};
pub use state::{SimChargeback, SimPayment, SimPreference, SimRefund};
pub use webhooks::{sign, WebhookRecord};

/// Where the sandbox mounts this simulator (the checkout page links need it).
pub const PREFIX: &str = "/mp";

/// The simulated seller account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MpAccount {
    pub user_id: i64,
    pub nickname: String,
    pub email: String,
    pub access_token: String,
    /// The "secret signature" of the webhooks.
    pub webhook_secret: String,
    /// Webhooks are built but kept until flushed.
    pub hold_webhooks: bool,
    /// Also send the legacy IPN form for every change (as MercadoPago does without
    /// `source_news=webhooks`).
    pub also_ipn: bool,
    /// Percent fee on approved payments, in basis points (`599` = 5.99 %).
    pub fee_bps: i64,
}

impl Default for MpAccount {
    fn default() -> Self {
        MpAccount {
            user_id: 1234567890,
            nickname: "TESTSHOP".into(),
            email: "shop@testuser.com".into(),
            access_token: "APP_USR-sandbox-mercadopago-token".into(),
            webhook_secret: "sandbox-mercadopago-webhook-secret".into(),
            hold_webhooks: false,
            also_ipn: false,
            fee_bps: 599,
        }
    }
}

/// Partial configuration change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MpConfigPatch {
    pub access_token: Option<String>,
    pub webhook_secret: Option<String>,
    pub hold_webhooks: Option<bool>,
    pub also_ipn: Option<bool>,
    pub fee_bps: Option<i64>,
}

/// A buyer pays (the checkout page's buttons, or a test).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PayRequest {
    /// A preference id, or a QR's id.
    pub preference_id: String,
    /// `approve`, `reject` or `pending`.
    pub outcome: String,
    /// Pays another amount than asked (tests of partial / over payment), in cents.
    #[serde(default)]
    pub amount_cents: Option<i64>,
    #[serde(default)]
    pub installments: Option<u32>,
}

/// Moves a payment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: String,
    #[serde(default)]
    pub status_detail: Option<String>,
}

/// Opens (or resolves) a chargeback on a payment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChargebackRequest {
    /// `in_mediation` (a dispute) or `charged_back` (default).
    #[serde(default)]
    pub status: Option<String>,
    /// Resolve the open chargeback: true for the seller (payment approved again), false for the buyer.
    #[serde(default)]
    pub resolve_for_seller: Option<bool>,
}

/// Sends a notification about a payment again.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NotifyRequest {
    pub payment_id: u64,
    /// `payment.created` (default `payment.updated`).
    #[serde(default)]
    pub action: Option<String>,
    /// Legacy IPN form (`?topic=payment&id=…`, unsigned).
    #[serde(default)]
    pub legacy_ipn: bool,
    /// Signed with a wrong secret.
    #[serde(default)]
    pub bad_signature: bool,
    /// Without `x-signature`.
    #[serde(default)]
    pub no_signature: bool,
    /// A body that lies about the status (the processor must not read it).
    #[serde(default)]
    pub body_status: Option<String>,
}

/// Delivers the held webhooks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FlushRequest {
    #[serde(default)]
    pub reverse: bool,
    /// Each one this many times (default 1).
    #[serde(default)]
    pub copies: Option<u32>,
}

#[derive(Default)]
pub(crate) struct State {
    pub account: MpAccount,
    pub preferences: Vec<SimPreference>,
    pub payments: Vec<SimPayment>,
    pub chargebacks: Vec<SimChargeback>,
    /// (route, key) → (status, body).
    pub idempotency: HashMap<(String, String), (u16, serde_json::Value)>,
    pub webhooks: Vec<WebhookRecord>,
    pub held: Vec<usize>,
    pub faults: Vec<MpFault>,
    /// `METHOD path` of every API call (not the control API).
    pub calls: Vec<String>,
    pub next_id: u64,
}

impl State {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        1_300_000_000 + self.next_id
    }
}

#[derive(Clone)]
pub(crate) struct Shared {
    pub state: Arc<Mutex<State>>,
    pub http: reqwest::Client,
}

/// Handle to the MercadoPago simulator's state (cheap to clone).
#[derive(Clone)]
pub struct MercadoPagoSim {
    shared: Shared,
}

impl Default for MercadoPagoSim {
    fn default() -> Self {
        MercadoPagoSim {
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

/// A simulator served on its own port (tests that want the handle).
pub struct RunningMp {
    pub addr: SocketAddr,
    pub sim: MercadoPagoSim,
    task: tokio::task::JoinHandle<()>,
}

impl RunningMp {
    /// The base URL to give a client: `http://addr/mp`.
    pub fn base_url(&self) -> String {
        format!("http://{}{PREFIX}", self.addr)
    }
}

impl Drop for RunningMp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MercadoPagoSim {
    /// The API routes plus the control API (mounted under `/mp`).
    pub fn router(&self) -> Router {
        let shared = self.shared.clone();
        Router::new()
            .route("/_sandbox/account", get(control_account))
            .route("/_sandbox/config", post(control_config))
            .route("/_sandbox/pay", post(control_pay))
            .route("/_sandbox/payments/{id}/status", post(control_status))
            .route(
                "/_sandbox/payments/{id}/chargeback",
                post(control_chargeback),
            )
            .route("/_sandbox/notify", post(control_notify))
            .route("/_sandbox/webhooks/flush", post(control_flush))
            .route("/_sandbox/webhooks", get(control_webhooks))
            .route("/_sandbox/preferences", get(control_preferences))
            .route("/_sandbox/payments", get(control_payments))
            .route("/_sandbox/calls", get(control_calls))
            .route(
                "/_sandbox/faults",
                post(control_add_fault).delete(control_clear_faults),
            )
            .route("/checkout/preferences", post(api::create_preference))
            .route("/checkout/preferences/{id}", get(api::get_preference))
            .route("/checkout/v1/redirect", get(checkout::page))
            .route("/checkout/v1/pay", post(checkout::pay))
            .route("/qr/{id}", get(checkout::qr_page))
            .route("/v1/payments/search", get(api::search_payments))
            .route("/v1/payments/{id}", get(api::get_payment))
            .route(
                "/v1/payments/{id}/refunds",
                post(api::refund).get(api::list_refunds),
            )
            .route("/v1/chargebacks/{id}", get(api::get_chargeback))
            .route("/v1/payment_methods/installments", get(api::installments))
            .route(
                "/instore/orders/qr/seller/collectors/{user}/pos/{pos}/qrs",
                post(api::create_qr),
            )
            .route("/users/me", get(api::me))
            .fallback(|| async { api::MpErr::not_found("resource not found") })
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                faults::middleware,
            ))
            .with_state(shared)
    }

    /// Serves this simulator alone on `addr` under `/mp`.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<RunningMp> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new().nest(PREFIX, self.router());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "mercadopago simulator stopped");
            }
        });
        Ok(RunningMp {
            addr,
            sim: self,
            task,
        })
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.shared.state.lock().unwrap())
    }

    pub fn account(&self) -> MpAccount {
        self.with_state(|s| s.account.clone())
    }

    /// Ids continue from at least `floor`: a restarted simulator (the demo's) must not hand out a
    /// payment id an earlier run already used.
    pub fn start_ids_at(&self, floor: u64) {
        self.with_state(|s| s.next_id = s.next_id.max(floor))
    }

    pub fn configure(&self, patch: MpConfigPatch) {
        self.with_state(|s| apply(&mut s.account, patch))
    }

    pub fn add_fault(&self, fault: MpFault) {
        self.with_state(|s| s.faults.push(fault))
    }

    pub fn clear_faults(&self) {
        self.with_state(|s| s.faults.clear())
    }

    pub fn preferences(&self) -> Vec<SimPreference> {
        self.with_state(|s| s.preferences.clone())
    }

    pub fn payments(&self) -> Vec<SimPayment> {
        self.with_state(|s| s.payments.clone())
    }

    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        self.with_state(|s| s.webhooks.clone())
    }

    /// `METHOD path` of every API call so far.
    pub fn calls(&self) -> Vec<String> {
        self.with_state(|s| s.calls.clone())
    }

    /// A buyer pays; returns the payment id (its webhooks are sent or held).
    pub async fn pay(&self, req: PayRequest) -> Result<u64, String> {
        checkout::pay_preference(&self.shared, req).await
    }

    pub async fn set_status(&self, payment_id: u64, change: StatusChange) -> Result<(), String> {
        state::set_status(&self.shared, payment_id, change).await
    }

    pub async fn chargeback(
        &self,
        payment_id: u64,
        req: ChargebackRequest,
    ) -> Result<String, String> {
        state::chargeback(&self.shared, payment_id, req).await
    }

    pub async fn notify(&self, req: NotifyRequest) -> Result<Option<u16>, String> {
        webhooks::notify(&self.shared, req).await
    }

    /// Delivers the held webhooks; returns the receivers' statuses.
    pub async fn flush(&self, req: FlushRequest) -> Vec<Option<u16>> {
        webhooks::flush(&self.shared, req).await
    }
}

fn apply(a: &mut MpAccount, p: MpConfigPatch) {
    if let Some(v) = p.access_token {
        a.access_token = v;
    }
    if let Some(v) = p.webhook_secret {
        a.webhook_secret = v;
    }
    if let Some(v) = p.hold_webhooks {
        a.hold_webhooks = v;
    }
    if let Some(v) = p.also_ipn {
        a.also_ipn = v;
    }
    if let Some(v) = p.fee_bps {
        a.fee_bps = v;
    }
}

type ControlResult = Result<Json<serde_json::Value>, (axum::http::StatusCode, String)>;

fn bad(e: String) -> (axum::http::StatusCode, String) {
    (axum::http::StatusCode::BAD_REQUEST, e)
}

async fn control_account(AxState(sh): AxState<Shared>) -> Json<MpAccount> {
    Json(sh.state.lock().unwrap().account.clone())
}

async fn control_config(
    AxState(sh): AxState<Shared>,
    Json(p): Json<MpConfigPatch>,
) -> Json<MpAccount> {
    let mut st = sh.state.lock().unwrap();
    apply(&mut st.account, p);
    Json(st.account.clone())
}

async fn control_pay(AxState(sh): AxState<Shared>, Json(r): Json<PayRequest>) -> ControlResult {
    let id = checkout::pay_preference(&sh, r).await.map_err(bad)?;
    Ok(Json(serde_json::json!({ "payment_id": id })))
}

async fn control_status(
    AxState(sh): AxState<Shared>,
    Path(id): Path<u64>,
    Json(c): Json<StatusChange>,
) -> ControlResult {
    state::set_status(&sh, id, c).await.map_err(bad)?;
    Ok(Json(serde_json::json!({ "ok": true })))
}

async fn control_chargeback(
    AxState(sh): AxState<Shared>,
    Path(id): Path<u64>,
    Json(c): Json<ChargebackRequest>,
) -> ControlResult {
    let cb = state::chargeback(&sh, id, c).await.map_err(bad)?;
    Ok(Json(serde_json::json!({ "chargeback_id": cb })))
}

async fn control_notify(
    AxState(sh): AxState<Shared>,
    Json(r): Json<NotifyRequest>,
) -> ControlResult {
    let d = webhooks::notify(&sh, r).await.map_err(bad)?;
    Ok(Json(serde_json::json!({ "delivery": d })))
}

async fn control_flush(
    AxState(sh): AxState<Shared>,
    Json(r): Json<FlushRequest>,
) -> Json<Vec<Option<u16>>> {
    Json(webhooks::flush(&sh, r).await)
}

async fn control_webhooks(AxState(sh): AxState<Shared>) -> Json<Vec<WebhookRecord>> {
    Json(sh.state.lock().unwrap().webhooks.clone())
}

async fn control_preferences(AxState(sh): AxState<Shared>) -> Json<Vec<SimPreference>> {
    Json(sh.state.lock().unwrap().preferences.clone())
}

async fn control_payments(AxState(sh): AxState<Shared>) -> Json<Vec<SimPayment>> {
    Json(sh.state.lock().unwrap().payments.clone())
}

async fn control_calls(AxState(sh): AxState<Shared>) -> Json<Vec<String>> {
    Json(sh.state.lock().unwrap().calls.clone())
}

async fn control_add_fault(AxState(sh): AxState<Shared>, Json(f): Json<MpFault>) -> &'static str {
    sh.state.lock().unwrap().faults.push(f);
    "ok"
}

async fn control_clear_faults(AxState(sh): AxState<Shared>) -> &'static str {
    sh.state.lock().unwrap().faults.clear();
    "ok"
}
