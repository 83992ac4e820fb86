//! The simulator's state: account settings, customers, templates, media, sent messages, the log
//! of accepted calls and of emitted webhooks.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{json, Value};

use super::faults::Fault;
use super::rate::{Bucket, RateLimits};

/// The example handle of the seeded media headers (shaped like the `h` of Meta's resumable upload).
pub(crate) const SEED_HEADER_HANDLE: &str = "4::aW1hZ2UvanBlZw==:ARZsandboxSeedHeaderHandle";

/// Unix seconds now.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// When and how the simulator reports statuses of accepted messages.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct StatusPlan {
    /// Delay before `sent`, in milliseconds.
    pub sent_ms: u64,
    /// Delay before `delivered` (None: never delivered).
    pub delivered_ms: Option<u64>,
    /// Delay before `read` (None: never read).
    pub read_ms: Option<u64>,
    /// Send every status webhook twice (Meta retries).
    #[serde(default)]
    pub duplicate: bool,
    /// Send the statuses in reverse order.
    #[serde(default)]
    pub out_of_order: bool,
    /// Skip `delivered` (the customer read it with the chat open).
    #[serde(default)]
    pub skip_delivered: bool,
}

impl Default for StatusPlan {
    fn default() -> Self {
        StatusPlan {
            sent_ms: 5,
            delivered_ms: Some(20),
            read_ms: Some(40),
            duplicate: false,
            out_of_order: false,
            skip_delivered: false,
        }
    }
}

/// How templates created through the API are reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateReview {
    /// Approved after `delay_ms` (a status webhook is sent).
    Approve { delay_ms: u64 },
    /// Rejected with `reason` after `delay_ms`.
    Reject { delay_ms: u64, reason: String },
    /// Stays PENDING until the control API changes it.
    Manual,
}

/// The account the simulator pretends to be.
#[derive(Debug, Clone)]
pub struct Account {
    pub access_token: String,
    /// When set, every call fails with 190 / 463 "Session has expired".
    pub token_expired: bool,
    pub app_secret: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub verified_name: String,
    pub waba_id: String,
    pub app_id: String,
    pub quality_rating: String,
    /// Where status and message webhooks are POSTed.
    pub webhook_url: Option<String>,
    pub status_plan: StatusPlan,
    pub template_review: TemplateReview,
    /// Validity of media download URLs.
    pub media_url_ttl: Duration,
    /// Report window/undeliverable failures in a `failed` status webhook instead of the answer.
    pub async_failures: bool,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            access_token: "sandbox-access-token".into(),
            token_expired: false,
            app_secret: "sandbox-app-secret".into(),
            phone_number_id: "106540352242922".into(),
            display_phone_number: "+54 9 11 5000-0000".into(),
            verified_name: "Mostrador Sandbox".into(),
            waba_id: "102290129340398".into(),
            app_id: "1029384756".into(),
            quality_rating: "GREEN".into(),
            webhook_url: None,
            status_plan: StatusPlan::default(),
            template_review: TemplateReview::Approve { delay_ms: 20 },
            media_url_ttl: Duration::from_secs(300),
            async_failures: false,
        }
    }
}

/// A fake WhatsApp user.
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub wa_id: String,
    pub bsuid: String,
    pub name: String,
    pub username: Option<String>,
    /// Whether the number has WhatsApp (otherwise sends fail with 131026).
    pub on_whatsapp: bool,
    /// Unix seconds of the customer's last message (opens the 24 h window).
    pub last_inbound_at: Option<i64>,
}

/// A template known to the simulator.
#[derive(Debug, Clone, Serialize)]
pub struct SimTemplate {
    pub id: String,
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: String,
    pub parameter_format: String,
    pub components: Vec<Value>,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN` (new templates).
    pub quality_score: String,
    /// Meta's reason of the last rejection (`NONE` otherwise), listed as `rejected_reason`.
    pub rejected_reason: String,
    /// The category it had before Meta re-categorized it (listed only then).
    pub previous_category: Option<String>,
}

impl SimTemplate {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "name": self.name, "language": self.language, "status": self.status,
            "category": self.category, "parameter_format": self.parameter_format,
            "components": self.components,
            "quality_score": { "score": self.quality_score },
            "rejected_reason": self.rejected_reason,
        });
        // Meta lists it only for a template it re-categorized.
        if let Some(p) = &self.previous_category {
            v["previous_category"] = json!(p);
        }
        v
    }

    /// The component of that type; Meta reads types in any case (`BODY`, `body`).
    pub fn component(&self, kind: &str) -> Option<&Value> {
        self.components.iter().find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        })
    }
}

/// An uploaded or inbound media file.
#[derive(Debug, Clone)]
pub struct MediaItem {
    pub bytes: bytes::Bytes,
    pub mime_type: String,
    pub sha256_hex: String,
}

/// A message we accepted, for statuses and reactions.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub recipient: String,
    pub callback_data: Option<String>,
}

/// One accepted call, as tests see it.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    /// `send_message`, `mark_read`, `upload_media`, `get_media`, `download_media`, `delete_media`,
    /// `list_templates`, `create_template`, `delete_template`, `phone_number`,
    /// `list_subscribed_apps`, `subscribe_app`, or `dropped_message` (a BSUID put in `to`).
    pub kind: String,
    pub method: String,
    pub path: String,
    /// The request body (JSON), or a summary for uploads.
    pub request: Value,
    /// What the simulator answered.
    pub response: Value,
}

/// A webhook the simulator emitted (delivered or not).
#[derive(Debug, Clone, Serialize)]
pub struct WebhookRecord {
    pub seq: u64,
    pub url: Option<String>,
    pub body: Value,
    pub signature: String,
    /// HTTP status the target answered, or an error.
    pub delivery: Option<Result<u16, String>>,
}

#[derive(Default)]
pub(crate) struct State {
    pub account: Account,
    pub customers: HashMap<String, Customer>,
    pub templates: Vec<SimTemplate>,
    pub media: HashMap<String, MediaItem>,
    /// Download URL token ⇒ (media id, expiry).
    pub media_urls: HashMap<String, (String, Instant)>,
    /// How many of the next media URLs are handed out already expired.
    pub expire_next_media_urls: u32,
    /// How many of the next media downloads serve altered bytes (a truncated/corrupted CDN
    /// answer: the sha256 no longer matches).
    pub corrupt_next_media_downloads: u32,
    pub sent: HashMap<String, SentMessage>,
    pub inbound: HashMap<String, String>,
    pub faults: VecDeque<Fault>,
    pub log: Vec<LogEntry>,
    pub webhooks: Vec<WebhookRecord>,
    pub subscribed: bool,
    /// Resumable upload sessions, by key (the id without `upload:` and the signature).
    pub uploads: HashMap<String, super::uploads::UploadSession>,
    /// Finished uploads, by file handle (`h`).
    pub file_handles: HashMap<String, super::uploads::UploadedFile>,
    pub override_callback_uri: Option<String>,
    pub rates: RateLimits,
    pub throughput: Option<Bucket>,
    pub pair: HashMap<String, Bucket>,
    pub next_id: u64,
    pub next_seq: u64,
}

impl State {
    pub fn new() -> Self {
        let mut s = State {
            next_id: 1_000_000,
            ..Default::default()
        };
        s.seed_templates();
        s
    }

    pub fn id(&mut self) -> String {
        self.next_id += 1;
        format!("{}{}", 9_000_000_000u64, self.next_id)
    }

    pub fn wamid(&mut self) -> String {
        use base64::Engine as _;
        self.next_id += 1;
        let raw = format!("sandbox:{}:{}", self.account.phone_number_id, self.next_id);
        format!(
            "wamid.{}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    pub fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn log(&mut self, kind: &str, method: &str, path: &str, request: Value, response: Value) {
        let seq = self.seq();
        self.log.push(LogEntry {
            seq,
            kind: kind.into(),
            method: method.into(),
            path: path.into(),
            request,
            response,
        });
    }

    pub fn customer_by_recipient(&self, r: &str) -> Option<&Customer> {
        self.customers
            .get(r)
            .or_else(|| self.customers.values().find(|c| c.bsuid == r))
    }

    fn seed_templates(&mut self) {
        // With the `example` blocks Meta requires at creation (and returns in the list).
        let seeds = [
            (
                "hola",
                "es_AR",
                "UTILITY",
                "POSITIONAL",
                json!([{"type": "BODY", "text": "¡Hola {{1}}! Gracias por escribirnos.",
                    "example": {"body_text": [["Juan"]]}}]),
            ),
            (
                "pedido_listo",
                "es_AR",
                "UTILITY",
                "POSITIONAL",
                json!([
                    {"type": "HEADER", "format": "IMAGE",
                        "example": {"header_handle": [SEED_HEADER_HANDLE]}},
                    {"type": "BODY", "text": "Hola {{1}}, tu pedido por {{2}} está listo desde el {{3}}.",
                        "example": {"body_text": [["Juan", "$ 12.500", "lunes 3"]]}},
                    {"type": "FOOTER", "text": "Mostrador"},
                    {"type": "BUTTONS", "buttons": [
                        {"type": "URL", "text": "Ver pedido", "url": "https://example.com/p/{{1}}",
                            "example": ["https://example.com/p/A-1042"]},
                        {"type": "QUICK_REPLY", "text": "Cancelar"},
                        {"type": "COPY_CODE", "example": "DESC10"}]}
                ]),
            ),
            (
                "bienvenida",
                "es_AR",
                "MARKETING",
                "NAMED",
                json!([
                    {"type": "HEADER", "format": "TEXT", "text": "Hola {{first_name}}",
                        "example": {"header_text_named_params": [
                            {"param_name": "first_name", "example": "Juan"}]}},
                    {"type": "BODY", "text": "{{first_name}}, tenés un {{descuento}} de descuento.",
                        "example": {"body_text_named_params": [
                            {"param_name": "first_name", "example": "Juan"},
                            {"param_name": "descuento", "example": "10 %"}]}}
                ]),
            ),
            (
                "factura",
                "es_AR",
                "UTILITY",
                "POSITIONAL",
                json!([
                    {"type": "HEADER", "format": "DOCUMENT",
                        "example": {"header_handle": [SEED_HEADER_HANDLE]}},
                    {"type": "BODY", "text": "Adjuntamos tu factura {{1}}.",
                        "example": {"body_text": [["B 0001-00000042"]]}}
                ]),
            ),
            (
                "promo_pausada",
                "es_AR",
                "MARKETING",
                "POSITIONAL",
                json!([{"type": "BODY", "text": "Promo"}]),
            ),
        ];
        for (name, lang, cat, fmt, comps) in seeds {
            // Submitted as a utility template; Meta found it promotional and moved it.
            let previous_category = (name == "bienvenida").then(|| "UTILITY".to_owned());
            let id = self.id();
            self.templates.push(SimTemplate {
                id,
                name: name.into(),
                language: lang.into(),
                status: if name == "promo_pausada" {
                    "PAUSED".into()
                } else {
                    "APPROVED".into()
                },
                category: cat.into(),
                parameter_format: fmt.into(),
                components: comps.as_array().cloned().unwrap_or_default(),
                quality_score: "UNKNOWN".into(),
                rejected_reason: "NONE".into(),
                previous_category,
            });
        }
    }
}
