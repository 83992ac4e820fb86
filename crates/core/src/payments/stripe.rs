//! An organization's Stripe settings (settings table), secret key and webhook signing secret
//! (keychain), the client built from them, "Probar" (the balance), and how Stripe's errors read
//! for people and for the queue.

use mostrador_stripe::{Balance, Client, Config, Error as StripeError, RetryClass};
use mostrador_types::Secret;

use super::error::PaymentsError;
use super::provider_settings::{
    check_http_urls, given_or_stored, has_secret, http_options, set_opt, stored,
};
use crate::org::OrgId;
use crate::outbound::failure::{PanicSignal, RateScope};
use crate::outbound::{Failure, FailureKind};
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;

/// Keychain entry: the secret key (`sk_live_…`, `sk_test_…` or a restricted `rk_…`).
pub const SECRET_KEY: &str = "stripe_secret_key";
/// Keychain entry: the webhook endpoint's signing secret (`whsec_…`).
pub const WEBHOOK_SECRET: &str = "stripe_webhook_secret";
/// Organization setting (optional): the API base URL (the sandbox's in demo mode and tests).
pub const BASE_URL: &str = "stripe.base_url";
/// Organization setting: the relay URL to paste in Stripe's dashboard (`…/in/{token}/stripe`).
pub const WEBHOOK_URL: &str = "stripe.webhook_url";
/// Organization setting (optional): where the customer lands after paying.
pub const RETURN_URL: &str = "stripe.return_url";
/// Organization setting (optional): the per-call timeout in milliseconds (default 20 s).
pub const TIMEOUT_MS: &str = "stripe.timeout_ms";

/// Where the customer lands after paying when the shop set nothing: Checkout requires a URL and
/// a desktop app has no public page of its own.
pub const DEFAULT_RETURN_URL: &str = "https://stripe.com/";

/// The settings as stored (no secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StripeSettings {
    pub base_url: Option<String>,
    /// The relay URL for Stripe (`…/in/{token}/stripe`), to paste in Stripe's dashboard.
    pub webhook_url: Option<String>,
    /// The shop's page the customer returns to after paying.
    pub return_url: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub timeout_ms: Option<u64>,
}

impl StripeSettings {
    pub async fn load(store: &Store, org: OrgId) -> Result<Self, PaymentsError> {
        let get = |k: &'static str| settings::get(store, Some(org), k);
        Ok(StripeSettings {
            base_url: get(BASE_URL).await?,
            webhook_url: get(WEBHOOK_URL).await?,
            return_url: get(RETURN_URL).await?,
            timeout_ms: get(TIMEOUT_MS).await?.and_then(|v| v.parse().ok()),
        })
    }

    pub async fn save(&self, store: &Store, org: OrgId) -> Result<(), PaymentsError> {
        check_http_urls(&[
            ("base_url", &self.base_url),
            ("webhook_url", &self.webhook_url),
            ("return_url", &self.return_url),
        ])?;
        if let Some(u) = self.webhook_url.as_deref().filter(|u| !u.trim().is_empty()) {
            if !u.trim().trim_end_matches('/').ends_with("/stripe") {
                return Err(super::error::invalid(
                    "webhook_url",
                    "La dirección del relay para Stripe termina en /stripe (…/in/{token}/stripe).",
                ));
            }
        }
        set_opt(store, org, BASE_URL, self.base_url.as_deref()).await?;
        set_opt(store, org, WEBHOOK_URL, self.webhook_url.as_deref()).await?;
        set_opt(store, org, RETURN_URL, self.return_url.as_deref()).await?;
        let t = self.timeout_ms.map(|u| u.to_string());
        set_opt(store, org, TIMEOUT_MS, t.as_deref()).await
    }

    /// The URL to paste in Stripe's dashboard: the stored one, else MercadoPago's relay URL with
    /// `/stripe` for `/mercadopago` (same relay, same ingress token).
    pub async fn webhook_url_or_derived(&self, store: &Store, org: OrgId) -> Option<String> {
        if let Some(u) = self.webhook_url.clone() {
            return Some(u);
        }
        let mp = settings::get(store, Some(org), super::config::NOTIFICATION_URL)
            .await
            .ok()
            .flatten()?;
        let mut u = url::Url::parse(mp.trim()).ok()?;
        u.set_query(None);
        let path = u
            .path()
            .trim_end_matches('/')
            .strip_suffix("/mercadopago")?
            .to_owned();
        u.set_path(&format!("{path}/stripe"));
        Some(u.to_string())
    }
}

/// Why a client could not be built, as the queue sees it.
pub(crate) fn not_configured(what: &str) -> Failure {
    Failure::new(
        FailureKind::NotConfigured,
        "not_configured",
        "Stripe no está configurado: cargá la clave secreta en Ajustes → Stripe.",
    )
    .with_detail(what.to_owned())
}

/// Whether the secret key is stored (the provider can be chosen).
pub async fn is_configured(secrets: &SecretStore, org: OrgId) -> Result<bool, PaymentsError> {
    has_secret(secrets, org, SECRET_KEY).await
}

/// The org's client: settings + keychain key.
pub async fn load_client(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
) -> Result<Client, PaymentsError> {
    let s = StripeSettings::load(store, org).await?;
    let key = stored(secrets, org, SECRET_KEY).await?;
    client_for(&s, key)
}

pub(crate) fn client_for(s: &StripeSettings, key: Secret) -> Result<Client, PaymentsError> {
    let mut cfg = Config::new(key);
    let (base_url, timeout) = http_options(&s.base_url, s.timeout_ms);
    if let Some(t) = timeout {
        cfg = cfg.with_timeout(t);
    }
    if let Some(b) = base_url {
        cfg = cfg
            .with_base_url(b)
            .map_err(|e| super::error::invalid("base_url", e.to_string()))?;
    }
    Client::new(cfg).map_err(|e| PaymentsError::NotConfigured(e.to_string()))
}

/// What "Probar" shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StripeProbe {
    /// A test-mode key (`sk_test_…`): payments are not real.
    pub test_mode: bool,
    /// Available balance per currency, e.g. `USD 12,50`.
    pub available: Vec<String>,
}

/// "Probar": the balance with `key` (before saving) or the stored key.
pub async fn probe(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    key: Option<Secret>,
) -> Result<StripeProbe, PaymentsError> {
    let s = StripeSettings::load(store, org).await?;
    let key = given_or_stored(secrets, org, SECRET_KEY, key).await?;
    let client = client_for(&s, key)?;
    let b: Balance = client
        .retrieve_balance()
        .await
        .map_err(|e| PaymentsError::Stripe(explain_es(&e)))?;
    Ok(StripeProbe {
        test_mode: client.config().is_test_mode() || !b.livemode,
        available: b
            .available
            .iter()
            .map(|a| {
                super::notice::format_money(a.amount, &a.currency.as_str().to_ascii_uppercase())
            })
            .collect(),
    })
}

/// For people.
pub(crate) fn explain_es(e: &StripeError) -> String {
    match e.class() {
        RetryClass::Paused => {
            "la clave secreta de Stripe es inválida, fue revocada o no tiene permiso: pegá una nueva en Ajustes → Stripe.".into()
        }
        RetryClass::RateLimited => "demasiados pedidos seguidos a Stripe: se reintenta en un rato.".into(),
        RetryClass::Transient => match e {
            StripeError::Timeout { .. } => "Stripe no respondió a tiempo: se reintenta.".into(),
            StripeError::Network { .. } => "no hay conexión con Stripe: se reintenta.".into(),
            _ => "Stripe tuvo un problema transitorio: se reintenta.".into(),
        },
        RetryClass::MaybeSent => {
            "Stripe pudo haber hecho el pedido sin confirmarlo: revisalo en el panel de Stripe antes de reintentar.".into()
        }
        RetryClass::NotConfigured => {
            "Stripe no está configurado: cargá la clave secreta en Ajustes → Stripe.".into()
        }
        RetryClass::Permanent => {
            if e.is_refund_too_large() {
                return "Stripe rechazó la devolución: es mayor que lo que queda del pago.".into();
            }
            match e.stripe() {
                Some(s) => format!("Stripe rechazó el pedido: {} ({})", s.message, e.code()),
                None => format!("Stripe rechazó el pedido ({}).", e.code()),
            }
        }
    }
}

/// A Stripe error as the queue's failure (retry class, breaker, pause).
pub(crate) fn failure_of(e: &StripeError) -> Failure {
    let kind = match e.class() {
        RetryClass::Transient => FailureKind::Transient,
        RetryClass::RateLimited => FailureKind::RateLimited(RateScope::Integration),
        RetryClass::MaybeSent => FailureKind::MaybeSent,
        RetryClass::Permanent => FailureKind::Permanent,
        RetryClass::Paused => FailureKind::PausesIntegration,
        RetryClass::NotConfigured => FailureKind::NotConfigured,
    };
    let mut f = Failure::new(kind, e.code(), explain_es(e)).with_detail(e.to_string());
    f.retry_after = e.retry_after();
    f.provider_health = matches!(
        e.class(),
        RetryClass::Transient | RetryClass::MaybeSent | RetryClass::Paused
    );
    if e.pauses_integration() {
        f.panic = Some(PanicSignal::Immediate);
    }
    f
}
