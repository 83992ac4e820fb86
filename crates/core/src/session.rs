//! What the desktop window shows at a glance: every business, the one selected, the language.

use serde::{Deserialize, Serialize};

use crate::org::{self, NewOrganization, OrgError, OrgId, Organization};
use crate::settings::{self, CURRENT_ORG, LANGUAGE};
use crate::store::Store;
use crate::AppError;

/// The UI language. Spanish (es-AR) is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Es,
    En,
}

impl Language {
    fn as_str(self) -> &'static str {
        match self {
            Language::Es => "es",
            Language::En => "en",
        }
    }
}

/// Everything the window needs at start-up, in one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Snapshot {
    pub organizations: Vec<Organization>,
    /// `None` only when there is no business yet (first run).
    pub current_org_id: Option<OrgId>,
    pub language: Language,
}

pub async fn snapshot(store: &Store) -> Result<Snapshot, AppError> {
    let organizations = org::list(store).await?;
    let stored = settings::get(store, None, CURRENT_ORG).await?;
    // A stale or missing selection falls back to the first business instead of failing.
    let current_org_id = stored
        .and_then(|s| s.parse::<OrgId>().ok())
        .filter(|id| organizations.iter().any(|o| o.id == *id))
        .or_else(|| organizations.first().map(|o| o.id));
    let language = match settings::get(store, None, LANGUAGE).await?.as_deref() {
        Some("en") => Language::En,
        _ => Language::Es,
    };
    Ok(Snapshot {
        organizations,
        current_org_id,
        language,
    })
}

/// Creates a business and makes it the selected one.
pub async fn create_organization(
    store: &Store,
    new: NewOrganization,
) -> Result<Organization, AppError> {
    let created = org::create(store, new).await?;
    settings::set(store, None, CURRENT_ORG, &created.id.to_string()).await?;
    Ok(created)
}

pub async fn select_organization(store: &Store, id: OrgId) -> Result<(), AppError> {
    org::get(store, id).await?;
    settings::set(store, None, CURRENT_ORG, &id.to_string()).await?;
    Ok(())
}

pub async fn set_language(store: &Store, language: Language) -> Result<(), AppError> {
    settings::set(store, None, LANGUAGE, language.as_str()).await?;
    Ok(())
}

/// Checks a CUIT as typed, for inline form errors before submitting.
pub fn check_cuit(input: &str) -> Result<(), AppError> {
    mostrador_types::Cuit::parse(input)
        .map(|_| ())
        .map_err(|e| OrgError::InvalidCuit(e).into())
}
