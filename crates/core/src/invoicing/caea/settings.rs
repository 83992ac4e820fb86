//! Ajustes → AFIP → "Contingencia (CAEA)": enabled or not, automatic or the owner's choice, the
//! contingency points of sale (checked against FEParamGetPtosVenta: AFIP must list them as CAEA
//! ones), and what the section shows (current and next CAEA, pending to inform, last error).

use chrono::NaiveDate;
use mostrador_afip::wsfe::{Auth, Fortnight};
use serde::Serialize;

use super::{CaeaError, Contingency, StoredCaea};
use crate::org::OrgId;
use crate::settings;
use crate::store::StoreError;

/// Setting (org): `1` issues with the CAEA when AFIP cannot be reached; `0` keeps them queued.
/// Absent: enabled as soon as there is a contingency point of sale.
pub const SETTING_ENABLED: &str = "invoicing.caea.enabled";
/// Setting (org): `1` issues with the CAEA on its own when AFIP is down; otherwise the owner
/// chooses per invoice ("Emitir con CAEA").
pub const SETTING_AUTO: &str = "invoicing.caea.auto";
/// Setting (org): what the last `afip.caea` pass failed with (es-AR), cleared by a good pass.
pub const SETTING_LAST_ERROR: &str = "invoicing.caea.last_error";

/// One CAEA as the section shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaeaInfo {
    pub code: String,
    /// `yyyymm`.
    pub period: u32,
    /// 1 (days 1–15) or 2.
    pub half: u8,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// FchTopeInf: every invoice issued with it is informed before this date.
    pub report_by: NaiveDate,
}

impl From<StoredCaea> for CaeaInfo {
    fn from(s: StoredCaea) -> Self {
        CaeaInfo {
            code: s.code.to_string(),
            period: s.fortnight.period(),
            half: s.fortnight.order(),
            valid_from: s.valid_from,
            valid_to: s.valid_to,
            report_by: s.report_by,
        }
    }
}

/// The section's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContingencyStatus {
    pub enabled: bool,
    pub auto: bool,
    pub points_of_sale: Vec<u32>,
    pub current: Option<CaeaInfo>,
    pub next: Option<CaeaInfo>,
    /// Issued with a CAEA and not informed yet.
    pub pending: u32,
    /// Informed and rejected by AFIP (shown on each invoice).
    pub rejected: u32,
    pub last_error: Option<String>,
}

/// What the owner saves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContingencySettings {
    pub enabled: bool,
    pub auto: bool,
    pub points_of_sale: Vec<u32>,
}

fn settings_err(e: settings::SettingsError) -> CaeaError {
    match e {
        settings::SettingsError::Store(s) => CaeaError::Store(s),
        other => CaeaError::Store(StoreError::Sqlx(sqlx::Error::Protocol(other.to_string()))),
    }
}

impl Contingency {
    async fn flag(&self, org: OrgId, key: &str) -> Result<Option<bool>, CaeaError> {
        Ok(settings::get(&self.store, Some(org), key)
            .await
            .map_err(settings_err)?
            .map(|v| v.trim() == "1"))
    }

    /// Whether `org` issues with the CAEA when AFIP is down (there is a contingency point of
    /// sale and the owner did not switch it off).
    pub async fn enabled(&self, org: OrgId) -> Result<bool, CaeaError> {
        Ok(self.flag(org, SETTING_ENABLED).await?.unwrap_or(true)
            && !self.points_of_sale(org).await?.is_empty())
    }

    /// Whether it does so without asking the owner.
    pub async fn automatic(&self, org: OrgId) -> Result<bool, CaeaError> {
        Ok(self.flag(org, SETTING_AUTO).await?.unwrap_or(false) && self.enabled(org).await?)
    }

    /// Saves the section. Enabling it checks every point of sale with FEParamGetPtosVenta: AFIP
    /// must list it as a CAEA one, neither blocked nor closed (so AFIP is needed to turn it on,
    /// as it is to obtain the CAEA anyway).
    pub async fn configure(&self, org: OrgId, s: &ContingencySettings) -> Result<(), CaeaError> {
        let mut points = s.points_of_sale.clone();
        points.sort_unstable();
        points.dedup();
        if s.enabled {
            if points.is_empty() {
                return Err(CaeaError::Invalid(
                    "pick the contingency (CAEA) point of sale".into(),
                ));
            }
            let (conn, ticket, cuit) = self.session(org).await?;
            let auth = Auth {
                ticket: &ticket,
                cuit,
            };
            let r = conn.wsfe.points_of_sale(&auth).await;
            let listed = self.checked(org, r).await?.value;
            for p in &points {
                let ok = listed.iter().any(|l| {
                    l.number == *p
                        && l.emission_type
                            .trim()
                            .to_ascii_uppercase()
                            .starts_with("CAEA")
                        && !l.blocked
                        && l.closed_on.is_none()
                });
                if !ok {
                    return Err(CaeaError::NotCaeaAtAfip(*p));
                }
            }
        }
        // Checked against the CAE point of sale too.
        self.set_points_of_sale(org, &points).await?;
        for (key, on) in [(SETTING_ENABLED, s.enabled), (SETTING_AUTO, s.auto)] {
            settings::set(&self.store, Some(org), key, if on { "1" } else { "0" })
                .await
                .map_err(settings_err)?;
        }
        tracing::info!(%org, enabled = s.enabled, auto = s.auto, points = points.len(), "CAEA contingency saved");
        if s.enabled {
            // The CAEA now, not at the next slot.
            let now = self.now();
            let kick = match super::job::soon_key(
                org,
                now,
                format!("configured:{}", now.timestamp_millis()),
            ) {
                Ok(j) => mostrador_queue::Queue::new(self.store.writer().clone())
                    .enqueue(&j)
                    .await
                    .map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = kick {
                tracing::warn!(error = %e, "CAEA pass not queued after saving");
            }
        }
        Ok(())
    }

    /// Records (or clears) what the last pass failed with, for the section.
    pub async fn set_last_error(&self, org: OrgId, e: Option<&str>) -> Result<(), CaeaError> {
        match e {
            Some(e) => settings::set(&self.store, Some(org), SETTING_LAST_ERROR, e).await,
            None => settings::delete(&self.store, Some(org), SETTING_LAST_ERROR).await,
        }
        .map_err(settings_err)
    }

    pub async fn status(&self, org: OrgId) -> Result<ContingencyStatus, CaeaError> {
        let today = self.local_now().date();
        let current = Fortnight::containing(today);
        let (pending, rejected): (i64, i64) = sqlx::query_as(
            "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'rejected'), 0)
             FROM caea_invoices WHERE org_id = ?",
        )
        .bind(org.to_string())
        .fetch_one(self.store.reader())
        .await?;
        Ok(ContingencyStatus {
            enabled: self.enabled(org).await?,
            auto: self.flag(org, SETTING_AUTO).await?.unwrap_or(false),
            points_of_sale: self.points_of_sale(org).await?,
            current: self.stored(org, current).await?.map(Into::into),
            next: self.stored(org, current.next()).await?.map(Into::into),
            pending: pending as u32,
            rejected: rejected as u32,
            last_error: settings::get(&self.store, Some(org), SETTING_LAST_ERROR)
                .await
                .map_err(settings_err)?,
        })
    }
}

/// The demo shop's contingency, set without asking AFIP (the demo configured its simulator to list
/// these points as CAEA ones).
pub async fn enable_for_demo(
    store: &crate::store::Store,
    org: OrgId,
    points: &[u32],
) -> Result<(), CaeaError> {
    let mut tx = store.begin_immediate().await?;
    for p in points {
        sqlx::query(
            "INSERT INTO caea_points_of_sale (org_id, point_of_sale) VALUES (?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(org.to_string())
        .bind(*p as i64)
        .execute(&mut *tx)
        .await?;
    }
    // The CAEAs stored by earlier runs stay: the demo re-registers them in its new simulator.
    tx.commit().await?;
    settings::set(store, Some(org), SETTING_ENABLED, "1")
        .await
        .map_err(settings_err)
}
