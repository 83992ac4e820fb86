//! An organization's MercadoPago settings (settings table), access token and webhook secret
//! (keychain), the client built from them, and "Probar".

use mostrador_mercadopago::{Account, Client, Config, Error as MpError};
use mostrador_types::Secret;

use super::error::PaymentsError;
use super::provider_settings::{check_http_urls, given_or_stored, http_options, set_opt, stored};
use crate::org::OrgId;
use crate::outbound::failure::RateScope;
use crate::outbound::{Failure, FailureKind};
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;

/// Keychain entry: the access token (`APP_USR-…`).
pub const ACCESS_TOKEN: &str = "mercadopago_access_token";
/// Keychain entry: the webhooks' "secret signature".
pub const WEBHOOK_SECRET: &str = "mercadopago_webhook_secret";
/// Organization setting (optional): the API base URL (the sandbox's in demo mode and tests).
pub const BASE_URL: &str = "mercadopago.base_url";
/// Organization setting: the shop's relay URL for MercadoPago (`…/in/{token}/mercadopago`).
pub const NOTIFICATION_URL: &str = "mercadopago.notification_url";
/// Organization setting: the counter's point of sale (`external_pos_id`) for the dynamic QR.
pub const POS_ID: &str = "mercadopago.external_pos_id";
/// Organization setting: the account's user id (from "Probar"), the QR API's collector.
pub const USER_ID: &str = "mercadopago.user_id";
/// Organization setting (optional): the per-call timeout in milliseconds (default 10 s).
pub const TIMEOUT_MS: &str = "mercadopago.timeout_ms";

/// The settings as stored (no secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MercadoPagoSettings {
    pub base_url: Option<String>,
    /// The relay URL to paste in MercadoPago's panel (and sent in every preference).
    pub notification_url: Option<String>,
    pub external_pos_id: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub user_id: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub timeout_ms: Option<u64>,
}

impl MercadoPagoSettings {
    pub async fn load(store: &Store, org: OrgId) -> Result<Self, PaymentsError> {
        let get = |k: &'static str| settings::get(store, Some(org), k);
        Ok(MercadoPagoSettings {
            base_url: get(BASE_URL).await?,
            notification_url: get(NOTIFICATION_URL).await?,
            external_pos_id: get(POS_ID).await?,
            user_id: get(USER_ID).await?.and_then(|v| v.parse().ok()),
            timeout_ms: get(TIMEOUT_MS).await?.and_then(|v| v.parse().ok()),
        })
    }

    pub async fn save(&self, store: &Store, org: OrgId) -> Result<(), PaymentsError> {
        check_http_urls(&[
            ("base_url", &self.base_url),
            ("notification_url", &self.notification_url),
        ])?;
        set_opt(store, org, BASE_URL, self.base_url.as_deref()).await?;
        set_opt(
            store,
            org,
            NOTIFICATION_URL,
            self.notification_url.as_deref(),
        )
        .await?;
        set_opt(store, org, POS_ID, self.external_pos_id.as_deref()).await?;
        let uid = self.user_id.map(|u| u.to_string());
        set_opt(store, org, USER_ID, uid.as_deref()).await?;
        let t = self.timeout_ms.map(|u| u.to_string());
        set_opt(store, org, TIMEOUT_MS, t.as_deref()).await
    }

    /// The notification URL with `source_news=webhooks` (so MercadoPago does not also send the
    /// legacy IPN for the same change).
    pub fn webhook_url(&self) -> Option<String> {
        let mut u = url::Url::parse(self.notification_url.as_deref()?.trim()).ok()?;
        if !u.query_pairs().any(|(k, _)| k == "source_news") {
            u.query_pairs_mut().append_pair("source_news", "webhooks");
        }
        Some(u.to_string())
    }
}

/// Why a client could not be built, as the queue sees it.
pub(crate) fn not_configured(what: &str) -> Failure {
    Failure::new(
        FailureKind::NotConfigured,
        "not_configured",
        "MercadoPago no está configurado: cargá el access token en Ajustes → MercadoPago.",
    )
    .with_detail(what.to_owned())
}

/// The org's client: settings + keychain token.
pub async fn load_client(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
) -> Result<(Client, MercadoPagoSettings), PaymentsError> {
    let s = MercadoPagoSettings::load(store, org).await?;
    let token = stored(secrets, org, ACCESS_TOKEN).await?;
    Ok((client_for(&s, token)?, s))
}

pub(crate) fn client_for(s: &MercadoPagoSettings, token: Secret) -> Result<Client, PaymentsError> {
    let mut cfg = Config::new(token);
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

/// "Probar": whose token this is. With `token`, that one (before saving); else the stored one.
/// Saves the account's user id (the QR API needs it).
pub async fn probe(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    token: Option<Secret>,
) -> Result<Account, PaymentsError> {
    let mut s = MercadoPagoSettings::load(store, org).await?;
    let token = given_or_stored(secrets, org, ACCESS_TOKEN, token).await?;
    let account = client_for(&s, token)?
        .me()
        .await
        .map_err(|e| PaymentsError::Provider(explain_es(&e)))?;
    s.user_id = Some(account.id);
    s.save(store, org).await?;
    Ok(account)
}

/// For people.
pub(crate) fn explain_es(e: &MpError) -> String {
    use mostrador_mercadopago::ErrorClass::*;
    match e.class() {
        Some(Auth) => {
            "el access token es inválido o fue revocado: pegá uno nuevo en Ajustes → MercadoPago."
                .into()
        }
        Some(Forbidden) => {
            "ese access token no tiene permiso para esto (¿es de otra cuenta?).".into()
        }
        Some(RateLimit) => "demasiados pedidos seguidos: se reintenta en un rato.".into(),
        Some(Server) | Some(Dependency) | Some(Locked) => {
            "MercadoPago tuvo un problema transitorio: se reintenta.".into()
        }
        Some(NotFound) => "MercadoPago no conoce ese recurso.".into(),
        _ => match e {
            MpError::Timeout { .. } => "MercadoPago no respondió a tiempo: se reintenta.".into(),
            MpError::Network { .. } => "no hay conexión con MercadoPago: se reintenta.".into(),
            MpError::Api(a) => format!("{} ({})", a.message, a.error),
            other => other.to_string(),
        },
    }
}

/// A MercadoPago error as the queue's failure (retry class, breaker, pause).
pub(crate) fn failure_of(e: &MpError) -> Failure {
    let kind = if e.pauses_integration() {
        FailureKind::PausesIntegration
    } else if e.class() == Some(mostrador_mercadopago::ErrorClass::RateLimit) {
        FailureKind::RateLimited(RateScope::Integration)
    } else if e.retryable() {
        // Idempotent by key: a timeout is retried, never "maybe sent".
        FailureKind::Transient
    } else {
        FailureKind::Permanent
    };
    let mut f = Failure::new(kind, e.code(), explain_es(e)).with_detail(e.to_string());
    f.retry_after = e.retry_after();
    f.provider_health = e.provider_health();
    if e.pauses_integration() {
        f.panic = Some(crate::outbound::failure::PanicSignal::Immediate);
    }
    f
}
