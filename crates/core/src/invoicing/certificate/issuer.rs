//! The issuer data printed on invoices (razón social, domicilio comercial, IIBB, inicio de
//! actividades, logo), stored as organization settings. The CUIT and IVA condition come from the
//! organization itself.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::error::CertError;
use crate::org::OrgId;
use crate::settings;
use crate::store::Store;

const LEGAL_NAME: &str = "afip_issuer_legal_name";
const TRADE_NAME: &str = "afip_issuer_trade_name";
const ADDRESS: &str = "afip_issuer_address";
const IIBB: &str = "afip_issuer_iibb";
const ACTIVITY_START: &str = "afip_issuer_activity_start";
const LOGO_PATH: &str = "afip_issuer_logo_path";

const MAX_TEXT: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IssuerProfile {
    /// Razón social as registered at AFIP; the business name when absent.
    pub legal_name: Option<String>,
    /// Nombre de fantasía, printed above.
    pub trade_name: Option<String>,
    /// Domicilio comercial.
    pub address: String,
    /// Ingresos Brutos number, or "Exento" / "Convenio Multilateral …".
    pub iibb: String,
    /// Inicio de actividades.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub activity_start: Option<NaiveDate>,
    /// An image file for the printout's header (optional).
    pub logo_path: Option<String>,
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl IssuerProfile {
    fn validate(&self) -> Result<(), CertError> {
        for (field, value) in [
            ("legal_name", self.legal_name.as_deref().unwrap_or("")),
            ("trade_name", self.trade_name.as_deref().unwrap_or("")),
            ("address", self.address.as_str()),
            ("iibb", self.iibb.as_str()),
        ] {
            if value.chars().count() > MAX_TEXT {
                return Err(CertError::InvalidField {
                    field,
                    reason: format!("hasta {MAX_TEXT} caracteres"),
                });
            }
        }
        if let Some(d) = self.activity_start {
            if d > chrono::Local::now().date_naive() {
                return Err(CertError::InvalidField {
                    field: "activity_start",
                    reason: "la fecha de inicio de actividades no puede ser futura".into(),
                });
            }
        }
        Ok(())
    }

    pub async fn load(store: &Store, org: OrgId) -> Result<Self, CertError> {
        let get = |key| settings::get(store, Some(org), key);
        let activity_start = match get(ACTIVITY_START).await? {
            None => None,
            Some(v) => Some(NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
                CertError::Settings(settings::SettingsError::Invalid {
                    key: ACTIVITY_START.into(),
                    reason: "not a YYYY-MM-DD date".into(),
                })
            })?),
        };
        Ok(IssuerProfile {
            legal_name: get(LEGAL_NAME).await?,
            trade_name: get(TRADE_NAME).await?,
            address: get(ADDRESS).await?.unwrap_or_default(),
            iibb: get(IIBB).await?.unwrap_or_default(),
            activity_start,
            logo_path: get(LOGO_PATH).await?,
        })
    }

    pub async fn save(&self, store: &Store, org: OrgId) -> Result<(), CertError> {
        self.validate()?;
        let values = [
            (LEGAL_NAME, clean(&self.legal_name)),
            (TRADE_NAME, clean(&self.trade_name)),
            (ADDRESS, clean(&Some(self.address.clone()))),
            (IIBB, clean(&Some(self.iibb.clone()))),
            (
                ACTIVITY_START,
                self.activity_start
                    .map(|d| d.format("%Y-%m-%d").to_string()),
            ),
            (LOGO_PATH, clean(&self.logo_path)),
        ];
        for (key, value) in values {
            match value {
                Some(v) => settings::set(store, Some(org), key, &v).await?,
                None => settings::delete(store, Some(org), key).await?,
            }
        }
        Ok(())
    }
}
