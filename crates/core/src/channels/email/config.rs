//! An organization's e-mail settings (settings table) and secrets (keychain): SMTP or SendGrid.

use mostrador_email::{
    Address, Error as MailError, Security, SendGridConfig, SendGridSender, SmtpConfig, SmtpSender,
};

use crate::org::OrgId;
use crate::outbound::{Failure, FailureKind};
use crate::secrets::SecretStore;
use crate::settings::{self, SettingsError};
use crate::store::Store;

/// `smtp` or `sendgrid`.
pub const PROVIDER: &str = "email.provider";
/// The sender address (must be one the provider accepts for the shop).
pub const FROM_ADDRESS: &str = "email.from_address";
/// The sender name (default: the business name).
pub const FROM_NAME: &str = "email.from_name";
pub const SMTP_HOST: &str = "email.smtp_host";
pub const SMTP_PORT: &str = "email.smtp_port";
/// `starttls` (587), `tls` (465) or `none` (a local relay only).
pub const SMTP_SECURITY: &str = "email.smtp_security";
pub const SMTP_USERNAME: &str = "email.smtp_username";
/// Optional extra CA (PEM) for a server with its own certificate.
pub const SMTP_CA_PEM: &str = "email.smtp_ca_pem";
/// Optional SendGrid API base (the sandbox's in demo mode and tests).
pub const SENDGRID_BASE_URL: &str = "email.sendgrid_base_url";
/// Keychain entry names.
pub const SMTP_PASSWORD: &str = "email_smtp_password";
pub const SENDGRID_API_KEY: &str = "email_sendgrid_api_key";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum EmailProvider {
    Smtp,
    Sendgrid,
}

/// The settings as stored (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EmailSettings {
    pub provider: EmailProvider,
    pub from_address: String,
    pub from_name: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// `starttls`, `tls` or `none`.
    pub smtp_security: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_ca_pem: Option<String>,
    pub sendgrid_base_url: Option<String>,
}

fn invalid(key: &str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

fn security_of(s: Option<&str>) -> Result<Security, SettingsError> {
    match s.unwrap_or("starttls") {
        "starttls" => Ok(Security::StartTls),
        "tls" => Ok(Security::Tls),
        "none" => Ok(Security::None),
        other => Err(invalid(
            SMTP_SECURITY,
            format!("{other:?}: tiene que ser starttls, tls o none"),
        )),
    }
}

async fn set_opt(
    store: &Store,
    org: OrgId,
    key: &str,
    v: Option<&str>,
) -> Result<(), SettingsError> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => settings::set(store, Some(org), key, v).await,
        None => settings::delete(store, Some(org), key).await,
    }
}

impl EmailSettings {
    /// What Ajustes → E-mail refuses at entry (Spanish reasons).
    pub fn validate(&self) -> Result<(), SettingsError> {
        Address::parse(&self.from_address).map_err(|e| invalid(FROM_ADDRESS, e.to_string()))?;
        if self.provider == EmailProvider::Smtp {
            if self
                .smtp_host
                .as_deref()
                .is_none_or(|h| h.trim().is_empty() || h.contains(char::is_whitespace))
            {
                return Err(invalid(
                    SMTP_HOST,
                    "falta el servidor SMTP (por ejemplo smtp.gmail.com)",
                ));
            }
            security_of(self.smtp_security.as_deref())?;
            if self.smtp_port == Some(0) {
                return Err(invalid(SMTP_PORT, "el puerto tiene que ser 1 a 65535"));
            }
        }
        Ok(())
    }

    pub async fn save(&self, store: &Store, org: OrgId) -> Result<(), SettingsError> {
        self.validate()?;
        let provider = match self.provider {
            EmailProvider::Smtp => "smtp",
            EmailProvider::Sendgrid => "sendgrid",
        };
        settings::set(store, Some(org), PROVIDER, provider).await?;
        settings::set(store, Some(org), FROM_ADDRESS, self.from_address.trim()).await?;
        set_opt(store, org, FROM_NAME, self.from_name.as_deref()).await?;
        set_opt(store, org, SMTP_HOST, self.smtp_host.as_deref()).await?;
        let port = self.smtp_port.map(|p| p.to_string());
        set_opt(store, org, SMTP_PORT, port.as_deref()).await?;
        set_opt(store, org, SMTP_SECURITY, self.smtp_security.as_deref()).await?;
        set_opt(store, org, SMTP_USERNAME, self.smtp_username.as_deref()).await?;
        set_opt(store, org, SMTP_CA_PEM, self.smtp_ca_pem.as_deref()).await?;
        set_opt(
            store,
            org,
            SENDGRID_BASE_URL,
            self.sendgrid_base_url.as_deref(),
        )
        .await?;
        Ok(())
    }

    pub async fn load(store: &Store, org: OrgId) -> Result<Option<Self>, SettingsError> {
        let Some(provider) = settings::get(store, Some(org), PROVIDER).await? else {
            return Ok(None);
        };
        let provider = match provider.as_str() {
            "smtp" => EmailProvider::Smtp,
            "sendgrid" => EmailProvider::Sendgrid,
            other => return Err(invalid(PROVIDER, format!("{other:?}"))),
        };
        let get = |k| settings::get(store, Some(org), k);
        Ok(Some(EmailSettings {
            provider,
            from_address: get(FROM_ADDRESS).await?.unwrap_or_default(),
            from_name: get(FROM_NAME).await?,
            smtp_host: get(SMTP_HOST).await?,
            smtp_port: get(SMTP_PORT).await?.and_then(|p| p.parse().ok()),
            smtp_security: get(SMTP_SECURITY).await?,
            smtp_username: get(SMTP_USERNAME).await?,
            smtp_ca_pem: get(SMTP_CA_PEM).await?,
            sendgrid_base_url: get(SENDGRID_BASE_URL).await?,
        }))
    }
}

/// A ready sender and who it sends as.
#[derive(Clone)]
pub enum Sender {
    Smtp(SmtpSender),
    SendGrid(SendGridSender),
}

impl Sender {
    pub async fn send(
        &self,
        email: &mostrador_email::Email,
    ) -> Result<mostrador_email::Accepted, MailError> {
        match self {
            Sender::Smtp(s) => s.send(email).await,
            Sender::SendGrid(s) => s.send(email).await,
        }
    }
}

fn not_configured(detail: impl Into<String>) -> Failure {
    Failure::new(
        FailureKind::NotConfigured,
        "email_not_configured",
        "El correo no está configurado: completalo en Ajustes → E-mail",
    )
    .with_detail(detail)
}

/// The organization's sender, its from address and name, from settings + keychain.
pub async fn load_sender(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
) -> Result<(Sender, Address, Option<String>), Result<Failure, SettingsError>> {
    let s = EmailSettings::load(store, org)
        .await
        .map_err(Err)?
        .ok_or_else(|| Ok(not_configured("no email.provider setting")))?;
    s.validate()
        .map_err(|e| Ok(not_configured(e.to_string())))?;
    let from = Address::parse(&s.from_address).map_err(|e| Ok(not_configured(e.to_string())))?;
    let secret = |name: &'static str| async move {
        match secrets.get(org, name).await {
            Ok(v) => Ok(v),
            Err(e) => Err(Ok(Failure::new(
                FailureKind::NotConfigured,
                "keychain",
                crate::AppError::from(e).message,
            ))),
        }
    };
    let sender = match s.provider {
        EmailProvider::Smtp => {
            let mut cfg = SmtpConfig::new(
                s.smtp_host.clone().unwrap_or_default(),
                s.smtp_port.unwrap_or(587),
                security_of(s.smtp_security.as_deref())
                    .map_err(|e| Ok(not_configured(e.to_string())))?,
            );
            if let Some(user) = s.smtp_username.as_deref().filter(|u| !u.is_empty()) {
                let pw = secret(SMTP_PASSWORD).await?.ok_or_else(|| {
                    Ok(Failure::new(
                        FailureKind::NotConfigured,
                        "email_password_missing",
                        "Falta la contraseña del correo: cargala en Ajustes → E-mail",
                    ))
                })?;
                cfg = cfg.with_auth(user, pw);
            }
            cfg.extra_root_pem = s.smtp_ca_pem.clone().map(String::into_bytes);
            Sender::Smtp(SmtpSender::new(&cfg).map_err(|e| Ok(not_configured(e.to_string())))?)
        }
        EmailProvider::Sendgrid => {
            let key = secret(SENDGRID_API_KEY).await?.ok_or_else(|| {
                Ok(Failure::new(
                    FailureKind::NotConfigured,
                    "email_key_missing",
                    "Falta la API key de SendGrid: cargala en Ajustes → E-mail",
                ))
            })?;
            let mut cfg = SendGridConfig::new(key);
            if let Some(u) = &s.sendgrid_base_url {
                cfg = cfg.with_base_url(u.clone());
            }
            Sender::SendGrid(
                SendGridSender::new(&cfg).map_err(|e| Ok(not_configured(e.to_string())))?,
            )
        }
    };
    Ok((sender, from, s.from_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_at_entry() {
        let mut s = EmailSettings {
            provider: EmailProvider::Smtp,
            from_address: "avisos@kiosco.example.com".into(),
            from_name: None,
            smtp_host: Some("smtp.example.com".into()),
            smtp_port: Some(587),
            smtp_security: Some("starttls".into()),
            smtp_username: None,
            smtp_ca_pem: None,
            sendgrid_base_url: None,
        };
        assert!(s.validate().is_ok());
        s.smtp_security = Some("ssl3".into());
        assert!(s.validate().is_err());
        s.smtp_security = None;
        s.from_address = "avisos".into();
        assert!(s.validate().is_err());
        s.from_address = "avisos@kiosco.example.com".into();
        s.smtp_host = None;
        assert!(s.validate().is_err());
        s.provider = EmailProvider::Sendgrid;
        assert!(s.validate().is_ok());
    }
}
