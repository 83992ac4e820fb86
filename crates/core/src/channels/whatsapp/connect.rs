//! "Conectar WhatsApp" (Ajustes → WhatsApp): test the credentials against Meta, offer to
//! subscribe our app to the WABA, save only what passed a test (ids in settings, token and app
//! secret in the keychain), show what is configured without ever showing a secret, rotate the
//! token (tested before it replaces the old one), and disconnect (history stays).

use mostrador_types::Secret;
use mostrador_whatsapp::ids::{AppId, PhoneNumberId, WabaId};
use mostrador_whatsapp::phone_number::QualityRating;
use mostrador_whatsapp::{Client, Config, GraphVersion, DEFAULT_GRAPH_VERSION};
use serde::{Deserialize, Serialize};

use super::config::{
    WhatsAppSettings, ACCESS_TOKEN, BASE_URL, GRAPH_VERSION, PHONE_NUMBER_ID, WABA_ID,
};
use super::connect_error::ConnectError;
use crate::intake::APP_SECRET;
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;
use crate::templates::APP_ID;

/// Organization setting: the number as Meta displays it, read at the last passing test.
pub const DISPLAY_PHONE_NUMBER: &str = "whatsapp.display_phone_number";
/// Organization setting: the verified business name, read at the last passing test.
pub const VERIFIED_NAME: &str = "whatsapp.verified_name";

/// What the "Conectar WhatsApp" form holds.
#[derive(Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WhatsAppCredentials {
    pub phone_number_id: String,
    pub waba_id: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(deserialize_with = "secret")]
    pub access_token: Secret,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[serde(deserialize_with = "secret")]
    pub app_secret: Secret,
    /// `None` or empty: the current default version.
    #[serde(default)]
    pub graph_version: Option<String>,
    /// The Meta app's id (App Dashboard → Configuración básica): the resumable upload of a
    /// template's media header needs it. Optional; `None` or empty removes it on save.
    #[serde(default)]
    pub app_id: Option<String>,
}

/// A secret as the form sends it (a string), straight into [`Secret`].
pub(crate) fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

/// What a passing test found, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectionTest {
    pub display_phone_number: String,
    pub verified_name: Option<String>,
    /// `GREEN`, `YELLOW`, `RED`, `NA` or what Meta sent.
    pub quality_rating: Option<String>,
    /// Whether our app receives this WABA's webhooks; `false` ⇒ offer "Suscribir".
    pub app_subscribed: bool,
}

/// What Ajustes → WhatsApp shows: never a secret, only its last four characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WhatsAppStatus {
    NotConfigured,
    Configured {
        phone_number_id: String,
        waba_id: String,
        graph_version: String,
        display_phone_number: Option<String>,
        verified_name: Option<String>,
        /// The Meta app's id, when given (templates with a media header need it).
        app_id: Option<String>,
        /// "termina en 1234"; `None` when the token is missing from the keychain or too short
        /// for its end to be shown safely.
        token_hint: Option<String>,
        token_saved: bool,
        app_secret_saved: bool,
    },
}

/// The façade src-tauri calls. `base_url` overrides Meta's Graph URL (the sandbox in demo mode,
/// tests and the e2e run).
#[derive(Clone)]
pub struct WhatsAppConnect {
    store: Store,
    secrets: SecretStore,
    base_url: Option<String>,
}

impl WhatsAppConnect {
    pub fn new(store: Store, secrets: SecretStore, base_url: Option<String>) -> Self {
        WhatsAppConnect {
            store,
            secrets,
            base_url: base_url.filter(|u| !u.trim().is_empty()),
        }
    }

    /// "Probar conexión": reads the number, one template (proves the WABA id) and the
    /// subscriptions. Nothing is stored.
    #[tracing::instrument(skip_all, fields(phone_number_id = %creds.phone_number_id.trim()))]
    pub async fn test_connection(
        &self,
        creds: &WhatsAppCredentials,
    ) -> Result<ConnectionTest, ConnectError> {
        let client = self.client_for(creds)?;
        run_test(&client, creds).await
    }

    /// "Suscribir": subscribes our app to the WABA (`POST subscribed_apps`), then tests again so
    /// the UI shows the new state as Meta reports it.
    #[tracing::instrument(skip_all, fields(phone_number_id = %creds.phone_number_id.trim()))]
    pub async fn subscribe(
        &self,
        creds: &WhatsAppCredentials,
    ) -> Result<ConnectionTest, ConnectError> {
        let client = self.client_for(creds)?;
        client
            .subscribe_app(None)
            .await
            .map_err(|e| graph(e, creds))?;
        tracing::info!("app subscribed to the WABA");
        run_test(&client, creds).await
    }

    /// "Guardar": tests first and stores only when the test passes (a wrong token is never
    /// saved). Secrets go to the keychain before the settings, so a business never looks
    /// configured without its token.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn save(
        &self,
        org: OrgId,
        creds: &WhatsAppCredentials,
    ) -> Result<(ConnectionTest, WhatsAppStatus), ConnectError> {
        let app_id = app_id_of(creds.app_id.as_deref())?;
        let test = self.test_connection(creds).await?;
        self.secrets
            .set(org, ACCESS_TOKEN, &trimmed(&creds.access_token))
            .await?;
        self.secrets
            .set(org, APP_SECRET, &trimmed(&creds.app_secret))
            .await?;
        WhatsAppSettings {
            phone_number_id: creds.phone_number_id.trim().to_owned(),
            waba_id: creds.waba_id.trim().to_owned(),
            base_url: self.base_url.clone(),
            graph_version: version_of(creds)?.map(|v| v.to_string()),
        }
        .save(&self.store, org)
        .await?;
        self.store_app_id(org, app_id.as_ref()).await?;
        self.remember(org, &test).await?;
        tracing::info!("whatsapp connection saved");
        Ok((test, self.status(org).await?))
    }

    /// What is configured, for Ajustes (reads the keychain for the token's last four).
    pub async fn status(&self, org: OrgId) -> Result<WhatsAppStatus, ConnectError> {
        let Some(s) = WhatsAppSettings::load(&self.store, org).await? else {
            return Ok(WhatsAppStatus::NotConfigured);
        };
        let token = self.secrets.get(org, ACCESS_TOKEN).await?;
        let app_secret = self.secrets.get(org, APP_SECRET).await?;
        Ok(WhatsAppStatus::Configured {
            phone_number_id: s.phone_number_id,
            waba_id: s.waba_id,
            graph_version: s
                .graph_version
                .unwrap_or_else(|| DEFAULT_GRAPH_VERSION.to_owned()),
            display_phone_number: settings::get(&self.store, Some(org), DISPLAY_PHONE_NUMBER)
                .await?,
            verified_name: settings::get(&self.store, Some(org), VERIFIED_NAME).await?,
            app_id: settings::get(&self.store, Some(org), APP_ID).await?,
            token_hint: token.as_ref().and_then(Secret::hint),
            token_saved: token.is_some(),
            app_secret_saved: app_secret.is_some(),
        })
    }

    /// "Cambiar token": the new token is tested with the saved ids and replaces the old one
    /// only when the test passes; a failing one leaves the old token in place.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn rotate_token(
        &self,
        org: OrgId,
        new_token: Secret,
    ) -> Result<(ConnectionTest, WhatsAppStatus), ConnectError> {
        let s = WhatsAppSettings::load(&self.store, org)
            .await?
            .ok_or(ConnectError::NotConnected)?;
        let creds = WhatsAppCredentials {
            phone_number_id: s.phone_number_id,
            waba_id: s.waba_id,
            access_token: new_token,
            // Not used by the test; the saved one stays.
            app_secret: Secret::new("unused"),
            graph_version: s.graph_version,
            app_id: None,
        };
        let test = self.test_connection(&creds).await?;
        self.secrets
            .set(org, ACCESS_TOKEN, &trimmed(&creds.access_token))
            .await?;
        self.remember(org, &test).await?;
        tracing::info!("whatsapp token rotated");
        Ok((test, self.status(org).await?))
    }

    /// The saved connection's test (the configured view's "Probar conexión" and "Suscribir"
    /// need the saved token, which the UI never has).
    pub async fn saved_credentials(&self, org: OrgId) -> Result<WhatsAppCredentials, ConnectError> {
        let s = WhatsAppSettings::load(&self.store, org)
            .await?
            .ok_or(ConnectError::NotConnected)?;
        let token = self
            .secrets
            .get(org, ACCESS_TOKEN)
            .await?
            .ok_or(ConnectError::NotConnected)?;
        let app_secret = self
            .secrets
            .get(org, APP_SECRET)
            .await?
            .unwrap_or_else(|| Secret::new(""));
        Ok(WhatsAppCredentials {
            phone_number_id: s.phone_number_id,
            waba_id: s.waba_id,
            access_token: token,
            app_secret,
            graph_version: s.graph_version,
            app_id: settings::get(&self.store, Some(org), APP_ID).await?,
        })
    }

    /// Changes (or, with `None` or blank, removes) the Meta app id of a connected business,
    /// without touching the token: Ajustes → WhatsApp edits it in the configured view.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn set_app_id(
        &self,
        org: OrgId,
        app_id: Option<&str>,
    ) -> Result<WhatsAppStatus, ConnectError> {
        let app_id = app_id_of(app_id)?;
        if WhatsAppSettings::load(&self.store, org).await?.is_none() {
            return Err(ConnectError::NotConnected);
        }
        self.store_app_id(org, app_id.as_ref()).await?;
        tracing::info!(set = app_id.is_some(), "whatsapp app id changed");
        self.status(org).await
    }

    async fn store_app_id(&self, org: OrgId, app_id: Option<&AppId>) -> Result<(), ConnectError> {
        match app_id {
            Some(a) => settings::set(&self.store, Some(org), APP_ID, a.as_str()).await?,
            None => settings::delete(&self.store, Some(org), APP_ID).await?,
        }
        Ok(())
    }

    /// "Desconectar": removes the secrets and the settings; customers, conversations and
    /// messages stay.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn disconnect(&self, org: OrgId) -> Result<(), ConnectError> {
        // Settings first: without them nothing tries to use the (still present) secrets.
        for key in [
            PHONE_NUMBER_ID,
            WABA_ID,
            BASE_URL,
            GRAPH_VERSION,
            DISPLAY_PHONE_NUMBER,
            VERIFIED_NAME,
            APP_ID,
        ] {
            settings::delete(&self.store, Some(org), key).await?;
        }
        self.secrets.delete(org, ACCESS_TOKEN).await?;
        self.secrets.delete(org, APP_SECRET).await?;
        tracing::info!("whatsapp disconnected");
        Ok(())
    }

    async fn remember(&self, org: OrgId, test: &ConnectionTest) -> Result<(), ConnectError> {
        settings::set(
            &self.store,
            Some(org),
            DISPLAY_PHONE_NUMBER,
            &test.display_phone_number,
        )
        .await?;
        match &test.verified_name {
            Some(n) => settings::set(&self.store, Some(org), VERIFIED_NAME, n).await?,
            None => settings::delete(&self.store, Some(org), VERIFIED_NAME).await?,
        }
        Ok(())
    }

    fn client_for(&self, creds: &WhatsAppCredentials) -> Result<Client, ConnectError> {
        let phone = creds.phone_number_id.trim();
        let waba = creds.waba_id.trim();
        let invalid = |field: &'static str, reason: &str| ConnectError::InvalidField {
            field,
            reason: reason.to_owned(),
        };
        if phone.is_empty() {
            return Err(invalid("phone_number_id", "no puede estar vacío"));
        }
        if waba.is_empty() {
            return Err(invalid("waba_id", "no puede estar vacío"));
        }
        let token = trimmed(&creds.access_token);
        if token.expose().is_empty() {
            return Err(invalid("access_token", "no puede estar vacío"));
        }
        if token.expose().chars().any(char::is_whitespace) {
            return Err(invalid(
                "access_token",
                "tiene espacios o saltos de línea en el medio; copialo de nuevo",
            ));
        }
        let phone_id = PhoneNumberId::new(phone).map_err(|_| {
            invalid(
                "phone_number_id",
                "son solo números (por ejemplo 106540352242922)",
            )
        })?;
        let waba_id = WabaId::new(waba)
            .map_err(|_| invalid("waba_id", "son solo números (por ejemplo 102290129340398)"))?;
        let mut cfg = Config::new(phone_id, waba_id, token);
        if let Some(u) = &self.base_url {
            cfg = cfg
                .with_base_url(u)
                .map_err(|_| invalid("base_url", "no es una dirección http(s)"))?;
        }
        if let Some(v) = version_of(creds)? {
            cfg = cfg.with_version(v);
        }
        Client::new(cfg).map_err(|e| graph(e, creds))
    }
}

/// Whether the app secret was given (save needs it: every webhook is checked with it).
fn require_app_secret(creds: &WhatsAppCredentials) -> Result<(), ConnectError> {
    if creds.app_secret.expose().trim().is_empty() {
        return Err(ConnectError::InvalidField {
            field: "app_secret",
            reason: "no puede estar vacía: Mostrador la usa para verificar cada mensaje que llega"
                .into(),
        });
    }
    Ok(())
}

async fn run_test(
    client: &Client,
    creds: &WhatsAppCredentials,
) -> Result<ConnectionTest, ConnectError> {
    require_app_secret(creds)?;
    let check = client
        .test_connection()
        .await
        .map_err(|e| graph(e, creds))?;
    Ok(ConnectionTest {
        display_phone_number: check.phone.display_phone_number,
        verified_name: check.phone.verified_name,
        quality_rating: check.phone.quality_rating.map(|q| match q {
            QualityRating::Green => "GREEN".into(),
            QualityRating::Yellow => "YELLOW".into(),
            QualityRating::Red => "RED".into(),
            QualityRating::NotAvailable => "NA".into(),
            QualityRating::Other(o) => o,
        }),
        app_subscribed: check.app_subscribed,
    })
}

fn graph(source: mostrador_whatsapp::Error, creds: &WhatsAppCredentials) -> ConnectError {
    ConnectError::Graph {
        source,
        phone_number_id: creds.phone_number_id.trim().to_owned(),
        waba_id: creds.waba_id.trim().to_owned(),
    }
}

fn trimmed(s: &Secret) -> Secret {
    Secret::new(s.expose().trim())
}

/// The app id as typed: blank is "none"; otherwise only digits, like Meta's.
fn app_id_of(typed: Option<&str>) -> Result<Option<AppId>, ConnectError> {
    match typed.map(str::trim) {
        None | Some("") => Ok(None),
        Some(a) => AppId::new(a)
            .map(Some)
            .map_err(|_| ConnectError::InvalidField {
                field: "app_id",
                reason: "son solo números (por ejemplo 1234567890123456)".into(),
            }),
    }
}

fn version_of(creds: &WhatsAppCredentials) -> Result<Option<GraphVersion>, ConnectError> {
    match creds.graph_version.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => GraphVersion::new(v)
            .map(Some)
            .map_err(|_| ConnectError::InvalidField {
                field: "graph_version",
                reason: "tiene la forma v25.0".into(),
            }),
    }
}
