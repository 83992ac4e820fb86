//! An organization's WhatsApp Cloud API settings (settings table) and token (keychain).

use mostrador_whatsapp::ids::{PhoneNumberId, WabaId};
use mostrador_whatsapp::{Client, Config, GraphVersion};

use crate::org::OrgId;
use crate::outbound::Failure;
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;

/// Organization setting: the phone number id the shop sends from.
pub const PHONE_NUMBER_ID: &str = "whatsapp.phone_number_id";
/// Organization setting: the WhatsApp Business Account id.
pub const WABA_ID: &str = "whatsapp.waba_id";
/// Organization setting (optional): the Graph API base URL (the sandbox's in demo mode and tests).
pub const BASE_URL: &str = "whatsapp.base_url";
/// Organization setting (optional): the Graph API version, e.g. `v25.0`.
pub const GRAPH_VERSION: &str = "whatsapp.graph_version";
/// Keychain entry name of the organization's System User access token.
pub const ACCESS_TOKEN: &str = "whatsapp_access_token";

/// The settings as stored (no token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppSettings {
    pub phone_number_id: String,
    pub waba_id: String,
    pub base_url: Option<String>,
    pub graph_version: Option<String>,
}

impl WhatsAppSettings {
    /// Stores them (what "Conectar WhatsApp" saves, and what tests use).
    pub async fn save(&self, store: &Store, org: OrgId) -> Result<(), settings::SettingsError> {
        settings::set(store, Some(org), PHONE_NUMBER_ID, &self.phone_number_id).await?;
        settings::set(store, Some(org), WABA_ID, &self.waba_id).await?;
        match &self.base_url {
            Some(u) => settings::set(store, Some(org), BASE_URL, u).await?,
            None => settings::delete(store, Some(org), BASE_URL).await?,
        }
        match &self.graph_version {
            Some(v) => settings::set(store, Some(org), GRAPH_VERSION, v).await?,
            None => settings::delete(store, Some(org), GRAPH_VERSION).await?,
        }
        Ok(())
    }

    pub async fn load(store: &Store, org: OrgId) -> Result<Option<Self>, settings::SettingsError> {
        let Some(phone_number_id) = settings::get(store, Some(org), PHONE_NUMBER_ID).await? else {
            return Ok(None);
        };
        let waba_id = settings::get(store, Some(org), WABA_ID)
            .await?
            .unwrap_or_default();
        Ok(Some(WhatsAppSettings {
            phone_number_id,
            waba_id,
            base_url: settings::get(store, Some(org), BASE_URL).await?,
            graph_version: settings::get(store, Some(org), GRAPH_VERSION).await?,
        }))
    }
}

/// Why a client could not be built: a [`Failure`] the engine acts on (pause, no attempt burnt),
/// or a store/keychain error (the dispatcher decides).
#[derive(Debug)]
pub enum LoadError {
    Failure(Failure),
    Settings(settings::SettingsError),
    Secret(crate::secrets::SecretError),
}

/// The organization's Graph API client, from its settings and its keychain token.
pub async fn load_client(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
) -> Result<Client, LoadError> {
    let s = WhatsAppSettings::load(store, org)
        .await
        .map_err(LoadError::Settings)?
        .ok_or_else(|| {
            LoadError::Failure(Failure::whatsapp_not_configured(
                "no whatsapp.phone_number_id setting",
            ))
        })?;
    let token = secrets
        .get(org, ACCESS_TOKEN)
        .await
        .map_err(LoadError::Secret)?
        .ok_or_else(|| LoadError::Failure(Failure::whatsapp_token_missing()))?;
    let bad = |e: mostrador_whatsapp::Error| {
        LoadError::Failure(Failure::whatsapp_not_configured(e.to_string()))
    };
    let mut cfg = Config::new(
        PhoneNumberId::new(s.phone_number_id).map_err(|e| bad(e.into()))?,
        WabaId::new(if s.waba_id.is_empty() {
            "0".to_owned()
        } else {
            s.waba_id
        })
        .map_err(|e| bad(e.into()))?,
        token,
    );
    if let Some(u) = &s.base_url {
        cfg = cfg.with_base_url(u).map_err(bad)?;
    }
    if let Some(v) = s.graph_version {
        cfg = cfg.with_version(GraphVersion::new(v).map_err(bad)?);
    }
    Client::new(cfg).map_err(bad)
}
