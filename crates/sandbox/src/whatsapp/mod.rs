//! Graph API (WhatsApp Cloud API) simulator (issue 3).
//!
//! Serves Meta's paths under the sandbox's `/graph` prefix and enforces Meta's rules with
//! Meta-shaped errors: bearer token and ids (190 / 100), payload shapes and limits, the 24 h
//! window (131047), templates (132001 / 132000 / 132012 / 132015 / 132016), pair rate (131056) and
//! throughput (130429). Accepted messages get wamids and then signed status webhooks.
//!
//! Control API (also available as methods on [`WhatsAppSim`]), under `/graph/_sandbox`:
//!
//! | Method and path | Body | Effect |
//! |---|---|---|
//! | `GET  /_sandbox/account` | | the account (ids, token, app secret, webhook URL) |
//! | `POST /_sandbox/config` | [`ConfigPatch`] | change token, app secret, webhook URL, rates, status plan… |
//! | `POST /_sandbox/customers` | [`NewCustomer`] | create a fake customer |
//! | `POST /_sandbox/customers/{wa_id}/messages` | a message object, see [`WhatsAppSim::customer_sends`] | the customer writes (webhook sent) |
//! | `POST /_sandbox/customers/{wa_id}/last_inbound` | `{"age_secs": 90000}` | move the customer's last message into the past |
//! | `POST /_sandbox/faults` | [`Fault`] | inject a fault for the next N calls |
//! | `DELETE /_sandbox/faults` | | clear faults |
//! | `GET  /_sandbox/log` | | every accepted call ([`LogEntry`]) |
//! | `GET  /_sandbox/webhooks` | | every emitted webhook ([`WebhookRecord`]) |
//! | `POST /_sandbox/templates` | [`NewSimTemplate`] | add a template directly (e.g. APPROVED) |
//! | `POST /_sandbox/templates/status` | [`TemplateStatusChange`] | change a template's status (webhook sent) |
//! | `POST /_sandbox/templates/category` | [`TemplateCategoryChange`] | re-categorize a template (webhook sent) |
//! | `POST /_sandbox/templates/quality` | [`TemplateQualityChange`] | change a template's quality (webhook sent) |
//! | `POST /_sandbox/statuses` | [`ManualStatus`] | emit a status webhook for a sent message |
//!
//! The resumable upload API (`/{app-id}/uploads`, `upload:…` sessions) gives the file handles that
//! media headers of new templates need as examples (module `uploads`).

mod account;
mod control;
mod faults;
mod graph_error;
mod media;
mod messages;
mod multipart;
mod rate;
mod state;
mod template_rules;
mod templates;
mod uploads;
mod webhooks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use faults::{Fault, FaultKind};
pub use rate::RateLimits;
pub use state::{Account, Customer, LogEntry, StatusPlan, TemplateReview, WebhookRecord};
pub use uploads::{UploadedFile, FILE_TYPES as RESUMABLE_FILE_TYPES};
pub use webhooks::{sign, to_meta_json};

use graph_error::GraphErr;
use state::{now_unix, SimTemplate, State};

#[derive(Clone)]
pub(crate) struct Shared {
    pub state: Arc<Mutex<State>>,
    pub http: reqwest::Client,
}

/// Handle to the Graph API simulator's state (cheap to clone).
#[derive(Clone)]
pub struct WhatsAppSim {
    shared: Shared,
}

impl Default for WhatsAppSim {
    fn default() -> Self {
        WhatsAppSim {
            shared: Shared {
                state: Arc::new(Mutex::new(State::new())),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("HTTP client"),
            },
        }
    }
}

/// A fake customer to create. Only `wa_id` is required.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewCustomer {
    pub wa_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub bsuid: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// `false`: the number has no WhatsApp (sends fail with 131026). Default `true`.
    #[serde(default)]
    pub not_on_whatsapp: bool,
}

impl NewCustomer {
    pub fn new(wa_id: impl Into<String>) -> Self {
        NewCustomer {
            wa_id: wa_id.into(),
            ..Default::default()
        }
    }
}

/// Partial configuration change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigPatch {
    pub access_token: Option<String>,
    pub token_expired: Option<bool>,
    pub app_secret: Option<String>,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    /// `""` removes the webhook target.
    pub webhook_url: Option<String>,
    pub rate_limits: Option<RateLimits>,
    pub status_plan: Option<StatusPlan>,
    pub template_review: Option<TemplateReview>,
    pub media_url_ttl_ms: Option<u64>,
    pub async_failures: Option<bool>,
    pub expire_next_media_urls: Option<u32>,
    /// The next N media downloads serve corrupted bytes (sha256 mismatch).
    #[serde(default)]
    pub corrupt_next_media_downloads: Option<u32>,
}

/// A template added directly by a test.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewSimTemplate {
    pub name: String,
    pub language: String,
    #[serde(default = "approved")]
    pub status: String,
    #[serde(default = "utility")]
    pub category: String,
    /// `POSITIONAL` or `NAMED`.
    #[serde(default = "positional")]
    pub parameter_format: String,
    /// Components in Meta's creation syntax (`{"type":"BODY","text":"Hola {{1}}"}`…).
    pub components: Vec<Value>,
}

fn approved() -> String {
    "APPROVED".into()
}
fn utility() -> String {
    "UTILITY".into()
}
fn positional() -> String {
    "POSITIONAL".into()
}

/// A template status change, announced by a `message_template_status_update` webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateStatusChange {
    pub name: String,
    pub language: String,
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A template re-categorized by Meta, announced by a `template_category_update` webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateCategoryChange {
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
}

/// A template's quality rating changed, announced by a `message_template_quality_update` webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateQualityChange {
    pub name: String,
    pub language: String,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    pub quality_score: String,
}

/// A status webhook to emit by hand (e.g. `failed` with a code, a late `delivered`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManualStatus {
    pub message_id: String,
    pub status: String,
    #[serde(default)]
    pub error_code: Option<i64>,
}

impl WhatsAppSim {
    /// The Graph API routes plus the control API (mounted by the sandbox under `/graph`).
    pub fn router(&self) -> Router {
        let shared = self.shared.clone();
        Router::new()
            .merge(control::routes())
            .route("/_media/{token}", get(media::download))
            .route("/{version}/{id}/messages", post(messages::send))
            .route(
                "/{version}/{id}/media",
                // Documents may be 100 MB; axum's default limit is 2 MB.
                post(media::upload).layer(axum::extract::DefaultBodyLimit::max(110 * 1024 * 1024)),
            )
            .route(
                "/{version}/{id}/message_templates",
                get(templates::list)
                    .post(templates::create)
                    .delete(templates::delete),
            )
            .route(
                "/{version}/{id}/subscribed_apps",
                get(account::list_subscribed).post(account::subscribe),
            )
            .route("/{version}/{id}/uploads", post(uploads::create))
            .route(
                "/{version}/{id}",
                get(account::get_object)
                    // Upload sessions (`upload:…`) take the file's bytes.
                    .post(uploads::upload)
                    .layer(axum::extract::DefaultBodyLimit::max(110 * 1024 * 1024))
                    .delete(media::delete),
            )
            .fallback(|uri: axum::http::Uri| async move {
                GraphErr::new(2500, format!("Unknown path components: {}", uri.path()))
            })
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                faults::middleware,
            ))
            .with_state(shared)
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.shared.state.lock().unwrap())
    }

    /// The simulated account (ids, token, app secret, webhook URL, plans).
    pub fn account(&self) -> Account {
        self.with_state(|s| s.account.clone())
    }

    /// Applies a configuration change.
    pub fn configure(&self, patch: ConfigPatch) {
        self.with_state(|s| {
            let a = &mut s.account;
            if let Some(v) = patch.access_token {
                a.access_token = v;
            }
            if let Some(v) = patch.token_expired {
                a.token_expired = v;
            }
            if let Some(v) = patch.app_secret {
                a.app_secret = v;
            }
            if let Some(v) = patch.phone_number_id {
                a.phone_number_id = v;
            }
            if let Some(v) = patch.waba_id {
                a.waba_id = v;
            }
            if let Some(v) = patch.webhook_url {
                a.webhook_url = (!v.is_empty()).then_some(v);
            }
            if let Some(v) = patch.status_plan {
                a.status_plan = v;
            }
            if let Some(v) = patch.template_review {
                a.template_review = v;
            }
            if let Some(v) = patch.media_url_ttl_ms {
                a.media_url_ttl = Duration::from_millis(v);
            }
            if let Some(v) = patch.async_failures {
                a.async_failures = v;
            }
            if let Some(v) = patch.rate_limits {
                s.rates = v;
                s.throughput = None;
                s.pair.clear();
            }
            if let Some(v) = patch.expire_next_media_urls {
                s.expire_next_media_urls = v;
            }
            if let Some(v) = patch.corrupt_next_media_downloads {
                s.corrupt_next_media_downloads = v;
            }
        })
    }

    /// Where webhooks go (`None`: nowhere; they are still recorded).
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.configure(ConfigPatch {
            webhook_url: Some(url.unwrap_or_default()),
            ..Default::default()
        })
    }

    pub fn set_status_plan(&self, plan: StatusPlan) {
        self.configure(ConfigPatch {
            status_plan: Some(plan),
            ..Default::default()
        })
    }

    pub fn set_rate_limits(&self, limits: RateLimits) {
        self.configure(ConfigPatch {
            rate_limits: Some(limits),
            ..Default::default()
        })
    }

    /// Makes every call fail with 190 / 463 "Session has expired" (or stops doing so).
    pub fn expire_token(&self, expired: bool) {
        self.configure(ConfigPatch {
            token_expired: Some(expired),
            ..Default::default()
        })
    }

    /// Creates (or replaces) a fake customer.
    pub fn add_customer(&self, c: NewCustomer) -> Customer {
        self.with_state(|s| {
            let wa_id = c.wa_id.trim_start_matches('+').to_owned();
            let n = s.next_id;
            s.next_id += 1;
            let customer = Customer {
                bsuid: c
                    .bsuid
                    .unwrap_or_else(|| format!("AR.{}{}", 1349120865530u64, n)),
                name: c.name.unwrap_or_else(|| format!("Cliente {wa_id}")),
                username: c.username,
                on_whatsapp: !c.not_on_whatsapp,
                last_inbound_at: None,
                wa_id: wa_id.clone(),
            };
            s.customers.insert(wa_id, customer.clone());
            customer
        })
    }

    /// Makes every id (wamids, media and template ids) issued from now on larger than `floor`.
    /// A simulator restarted in front of the same database (demo mode) passes e.g. the current
    /// time in milliseconds, so it never reissues a wamid the app already stored as processed.
    pub fn start_ids_at(&self, floor: u64) {
        self.with_state(|s| s.next_id = s.next_id.max(floor))
    }

    /// Moves a customer's last message `age` into the past (e.g. 25 h: window closed).
    pub fn set_last_inbound_age(&self, wa_id: &str, age: Duration) -> bool {
        self.with_state(|s| match s.customers.get_mut(wa_id) {
            Some(c) => {
                c.last_inbound_at = Some(now_unix() - age.as_secs() as i64);
                true
            }
            None => false,
        })
    }

    /// The customer sends a message. `message` is Meta's message object without `from`, `id`
    /// and `timestamp`, e.g. `{"type":"text","text":{"body":"Hola"}}`. For media types, give
    /// `"media": {"mime_type": "...", "data_base64": "..."}` and the simulator stores the file
    /// (served by the media endpoint) and fills in `id`, `mime_type` and `sha256`. Returns the
    /// wamid. Opens (or renews) the 24 h window and emits the signed webhook.
    pub fn customer_sends(&self, wa_id: &str, message: Value) -> Result<String, String> {
        let (value, wamid) = self.with_state(|s| control::build_inbound(s, wa_id, message))?;
        webhooks::emit(&self.shared, "messages", value);
        Ok(wamid)
    }

    /// Adds a template directly.
    pub fn add_template(&self, t: NewSimTemplate) -> String {
        self.with_state(|s| {
            let id = s.id();
            s.templates
                .retain(|x| !(x.name == t.name && x.language == t.language));
            s.templates.push(SimTemplate {
                id: id.clone(),
                name: t.name,
                language: t.language,
                status: t.status,
                category: t.category,
                parameter_format: t.parameter_format,
                components: t.components,
                quality_score: "UNKNOWN".into(),
                rejected_reason: "NONE".into(),
                previous_category: None,
            });
            id
        })
    }

    /// Changes a template's status and emits `message_template_status_update`.
    pub fn set_template_status(&self, change: TemplateStatusChange) -> bool {
        templates::set_status(
            &self.shared,
            &change.name,
            &change.language,
            &change.status,
            change.reason.as_deref(),
        )
    }

    /// Re-categorizes a template and emits `template_category_update`.
    pub fn set_template_category(&self, change: TemplateCategoryChange) -> bool {
        templates::set_category(
            &self.shared,
            &change.name,
            &change.language,
            &change.category,
        )
    }

    /// Changes a template's quality and emits `message_template_quality_update`.
    pub fn set_template_quality(&self, change: TemplateQualityChange) -> bool {
        templates::set_quality(
            &self.shared,
            &change.name,
            &change.language,
            &change.quality_score,
        )
    }

    /// Emits a status webhook for a message the simulator accepted.
    pub fn emit_status(&self, status: ManualStatus) -> bool {
        control::emit_manual_status(&self.shared, status)
    }

    /// Injects a fault for the next `fault.count` Graph calls.
    pub fn inject(&self, fault: Fault) {
        self.with_state(|s| s.faults.push_back(fault))
    }

    pub fn clear_faults(&self) {
        self.with_state(|s| s.faults.clear())
    }

    /// Every call the simulator accepted, in order.
    pub fn log(&self) -> Vec<LogEntry> {
        self.with_state(|s| s.log.clone())
    }

    /// Accepted calls of one kind (`send_message`, `mark_read`, `upload_media`…).
    pub fn log_of(&self, kind: &str) -> Vec<LogEntry> {
        self.with_state(|s| s.log.iter().filter(|e| e.kind == kind).cloned().collect())
    }

    /// A file finished through the resumable upload API, by its handle.
    pub fn uploaded_file(&self, handle: &str) -> Option<UploadedFile> {
        self.with_state(|s| s.file_handles.get(handle).cloned())
    }

    /// Every webhook emitted, delivered or not.
    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        self.with_state(|s| s.webhooks.clone())
    }
}

/// Checks the version segment, the bearer token and returns `Ok` or Meta's error.
pub(crate) fn authorize(st: &State, headers: &HeaderMap, version: &str) -> Result<(), GraphErr> {
    let version_ok = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        });
    if !version_ok {
        return Err(GraphErr::new(2500, "Unknown path components")
            .details(format!("{version} is not a Graph API version (like v25.0)")));
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token {
        None => Err(GraphErr::new(
            190,
            "An active access token must be used to query information about the current user.",
        )),
        Some(t) if t != st.account.access_token => Err(GraphErr::new(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )),
        Some(_) if st.account.token_expired => Err(GraphErr::new(
            190,
            "Error validating access token: Session has expired.",
        )
        .subcode(463)),
        Some(_) => Ok(()),
    }
}

/// Meta's answer for an id that is not ours, naming the method of the request.
pub(crate) fn unknown_object(method: &axum::http::Method, id: &str) -> GraphErr {
    let method = method.as_str().to_ascii_lowercase();
    GraphErr::new(
        100,
        format!("Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"),
    )
    .subcode(33)
}

pub(crate) fn success() -> Value {
    json!({ "success": true })
}
