//! An organization's Twilio settings (settings table) and auth token (keychain).

use mostrador_twilio::ids::{AccountSid, MessagingServiceSid, PhoneNumber};
use mostrador_twilio::{Client, Config, Credentials, Sender};

use crate::org::OrgId;
use crate::outbound::{Failure, FailureKind};
use crate::secrets::SecretStore;
use crate::settings::{self, SettingsError};
use crate::store::Store;

/// Organization setting: the Twilio Account SID (`AC…`).
pub const ACCOUNT_SID: &str = "sms.account_sid";
/// Organization setting: the sender number (E.164), when no Messaging Service is used.
pub const FROM: &str = "sms.from";
/// Organization setting: the Messaging Service SID (`MG…`); wins over `sms.from`.
pub const MESSAGING_SERVICE_SID: &str = "sms.messaging_service_sid";
/// Organization setting (optional): the API base URL (the sandbox's in demo mode and tests).
pub const BASE_URL: &str = "sms.base_url";
/// Organization setting: the shop's relay URL for Twilio (status callbacks and inbound SMS).
pub const STATUS_CALLBACK_URL: &str = "sms.status_callback_url";
/// Keychain entry name of the Twilio auth token (API auth and the callbacks' signature key).
pub const AUTH_TOKEN: &str = "twilio_auth_token";

/// The settings as stored (no token).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SmsSettings {
    pub account_sid: String,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub base_url: Option<String>,
    pub status_callback_url: Option<String>,
}

async fn set_opt(
    store: &Store,
    org: OrgId,
    key: &str,
    v: &Option<String>,
) -> Result<(), SettingsError> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => settings::set(store, Some(org), key, v).await,
        None => settings::delete(store, Some(org), key).await,
    }
}

impl SmsSettings {
    /// Checks the ids' shapes (what Ajustes → SMS refuses at entry).
    pub fn validate(&self) -> Result<Sender, SettingsError> {
        let bad = |key: &str, e: String| SettingsError::Invalid {
            key: key.to_owned(),
            reason: e,
        };
        AccountSid::new(self.account_sid.trim()).map_err(|e| bad(ACCOUNT_SID, e.to_string()))?;
        if let Some(s) = self
            .messaging_service_sid
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            return MessagingServiceSid::new(s.trim())
                .map(Sender::MessagingService)
                .map_err(|e| bad(MESSAGING_SERVICE_SID, e.to_string()));
        }
        match self.from.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(f) => PhoneNumber::new(f.trim())
                .map(Sender::From)
                .map_err(|e| bad(FROM, e.to_string())),
            None => Err(bad(
                FROM,
                "falta el remitente: un número de Twilio (+54…) o un Messaging Service (MG…)"
                    .into(),
            )),
        }
    }

    pub async fn save(&self, store: &Store, org: OrgId) -> Result<(), SettingsError> {
        self.validate()?;
        settings::set(store, Some(org), ACCOUNT_SID, self.account_sid.trim()).await?;
        set_opt(store, org, FROM, &self.from).await?;
        set_opt(
            store,
            org,
            MESSAGING_SERVICE_SID,
            &self.messaging_service_sid,
        )
        .await?;
        set_opt(store, org, BASE_URL, &self.base_url).await?;
        set_opt(store, org, STATUS_CALLBACK_URL, &self.status_callback_url).await?;
        Ok(())
    }

    pub async fn load(store: &Store, org: OrgId) -> Result<Option<Self>, SettingsError> {
        let Some(account_sid) = settings::get(store, Some(org), ACCOUNT_SID).await? else {
            return Ok(None);
        };
        Ok(Some(SmsSettings {
            account_sid,
            from: settings::get(store, Some(org), FROM).await?,
            messaging_service_sid: settings::get(store, Some(org), MESSAGING_SERVICE_SID).await?,
            base_url: settings::get(store, Some(org), BASE_URL).await?,
            status_callback_url: settings::get(store, Some(org), STATUS_CALLBACK_URL).await?,
        }))
    }
}

/// The status callback URL of one job: the relay URL with `job=<id>`, so a callback is evidence
/// for that job (and the signature covers it: Twilio signs the URL it calls).
pub fn status_callback_for(base: &str, job_id: i64) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}job={job_id}")
}

/// Why a client could not be built.
#[derive(Debug)]
pub enum LoadError {
    Failure(Failure),
    Settings(SettingsError),
}

fn not_configured(detail: impl Into<String>) -> Failure {
    Failure::new(
        FailureKind::NotConfigured,
        "sms_not_configured",
        "SMS no está configurado: cargá la cuenta de Twilio en Ajustes → SMS",
    )
    .with_detail(detail)
}

/// The organization's client, sender and status callback base, from settings + keychain.
pub async fn load_client(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
) -> Result<(Client, Sender, Option<String>), LoadError> {
    let s = SmsSettings::load(store, org)
        .await
        .map_err(LoadError::Settings)?
        .ok_or_else(|| LoadError::Failure(not_configured("no sms.account_sid setting")))?;
    let sender = s
        .validate()
        .map_err(|e| LoadError::Failure(not_configured(e.to_string())))?;
    let token = match secrets.get(org, AUTH_TOKEN).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Err(LoadError::Failure(Failure::new(
                FailureKind::NotConfigured,
                "sms_token_missing",
                "Falta el auth token de Twilio: cargalo en Ajustes → SMS",
            )))
        }
        Err(e) => {
            let app = crate::AppError::from(e);
            return Err(LoadError::Failure(Failure::new(
                FailureKind::NotConfigured,
                "keychain",
                app.message,
            )));
        }
    };
    let account = AccountSid::new(s.account_sid.trim())
        .map_err(|e| LoadError::Failure(not_configured(e.to_string())))?;
    let mut cfg = Config::new(account, Credentials::AuthToken(token));
    if let Some(u) = &s.base_url {
        cfg = cfg
            .with_base_url(u)
            .map_err(|e| LoadError::Failure(not_configured(e.to_string())))?;
    }
    let client = Client::new(cfg).map_err(|e| LoadError::Failure(not_configured(e.to_string())))?;
    Ok((client, sender, s.status_callback_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_is_checked_and_callbacks_name_the_job() {
        let mut s = SmsSettings {
            account_sid: "AC00000000000000000000000000000001".into(),
            from: Some("+15005550006".into()),
            messaging_service_sid: None,
            base_url: None,
            status_callback_url: None,
        };
        assert!(matches!(s.validate(), Ok(Sender::From(_))));
        s.messaging_service_sid = Some("MG00000000000000000000000000000001".into());
        assert!(matches!(s.validate(), Ok(Sender::MessagingService(_))));
        s.messaging_service_sid = Some("nope".into());
        assert!(s.validate().is_err());
        s.messaging_service_sid = None;
        s.from = Some("1112345678".into());
        assert!(s.validate().is_err());
        s.from = None;
        assert!(s.validate().is_err());
        assert_eq!(
            status_callback_for("https://r.example/in/t/twilio", 7),
            "https://r.example/in/t/twilio?job=7"
        );
        assert_eq!(
            status_callback_for("https://r.example/in?t=1", 7),
            "https://r.example/in?t=1&job=7"
        );
    }
}
