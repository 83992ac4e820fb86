//! Organizations: the business profiles (CUIT, IVA condition; later the WhatsApp number).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use mostrador_types::{Cuit, CuitError, IvaCondition};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use crate::store::{timestamp, Store, StoreError};

const MAX_NAME_CHARS: usize = 120;

/// An organization's id: a UUID v7, stored as hyphenated TEXT, and the keychain account prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(type = "string"))]
#[serde(transparent)]
pub struct OrgId(pub Uuid);

impl OrgId {
    pub fn new() -> Self {
        OrgId(Uuid::now_v7())
    }
}

impl Default for OrgId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for OrgId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(OrgId)
    }
}

/// A business as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub cuit: Cuit,
    pub iva_condition: IvaCondition,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub updated_at: DateTime<Utc>,
}

/// What the "Creá tu negocio" form sends. The CUIT comes as typed; it is validated here.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewOrganization {
    pub name: String,
    pub cuit: String,
    pub iva_condition: IvaCondition,
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("the business name is empty")]
    EmptyName,
    #[error("the business name is longer than {max} characters")]
    NameTooLong { max: usize },
    #[error("invalid CUIT: {0}")]
    InvalidCuit(CuitError),
    #[error("a business cannot have IVA condition {0}")]
    IvaConditionNotForIssuer(IvaCondition),
    #[error("a business with that CUIT and name already exists")]
    Duplicate,
    #[error("no such business")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for OrgError {
    fn from(e: sqlx::Error) -> Self {
        OrgError::Store(StoreError::Sqlx(e))
    }
}

/// The validated form of [`NewOrganization`].
struct ValidOrganization {
    name: String,
    cuit: Cuit,
    iva_condition: IvaCondition,
}

impl NewOrganization {
    fn validate(&self) -> Result<ValidOrganization, OrgError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(OrgError::EmptyName);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(OrgError::NameTooLong {
                max: MAX_NAME_CHARS,
            });
        }
        let cuit = Cuit::parse(&self.cuit).map_err(OrgError::InvalidCuit)?;
        if !self.iva_condition.valid_for_issuer() {
            return Err(OrgError::IvaConditionNotForIssuer(self.iva_condition));
        }
        Ok(ValidOrganization {
            name: name.to_owned(),
            cuit,
            iva_condition: self.iva_condition,
        })
    }
}

/// Validates and stores a new business.
#[tracing::instrument(skip_all, fields(org_id))]
pub async fn create(store: &Store, new: NewOrganization) -> Result<Organization, OrgError> {
    let valid = new.validate()?;
    let now = timestamp::now();
    let org = Organization {
        id: OrgId::new(),
        name: valid.name,
        cuit: valid.cuit,
        iva_condition: valid.iva_condition,
        created_at: now,
        updated_at: now,
    };
    tracing::Span::current().record("org_id", tracing::field::display(org.id));
    let result = sqlx::query(
        "INSERT INTO organizations (id, name, cuit, iva_condition, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(org.id.to_string())
    .bind(&org.name)
    .bind(org.cuit.digits())
    .bind(org.iva_condition.as_str())
    .bind(timestamp::to_text(org.created_at))
    .bind(timestamp::to_text(org.updated_at))
    .execute(store.writer())
    .await;
    match result {
        Ok(_) => {
            tracing::info!("organization created");
            Ok(org)
        }
        Err(e) if is_unique_violation(&e) => Err(OrgError::Duplicate),
        Err(e) => Err(e.into()),
    }
}

/// Every business, oldest first. A shop has a handful, so no pagination.
pub async fn list(store: &Store) -> Result<Vec<Organization>, OrgError> {
    let rows = sqlx::query(
        "SELECT id, name, cuit, iva_condition, created_at, updated_at
         FROM organizations ORDER BY created_at, id",
    )
    .fetch_all(store.reader())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, id: OrgId) -> Result<Organization, OrgError> {
    let row = sqlx::query(
        "SELECT id, name, cuit, iva_condition, created_at, updated_at
         FROM organizations WHERE id = ?",
    )
    .bind(id.to_string())
    .fetch_optional(store.reader())
    .await?
    .ok_or(OrgError::NotFound)?;
    from_row(&row)
}

fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Organization, OrgError> {
    let bad = |what: &str, value: &str| {
        OrgError::Store(StoreError::Sqlx(sqlx::Error::Decode(
            format!("organizations.{what} holds {value:?}").into(),
        )))
    };
    let id: String = row.try_get("id")?;
    let cuit: String = row.try_get("cuit")?;
    let iva: String = row.try_get("iva_condition")?;
    Ok(Organization {
        id: id.parse().map_err(|_| bad("id", &id))?,
        name: row.try_get("name")?,
        cuit: Cuit::parse(&cuit).map_err(|_| bad("cuit", &cuit))?,
        iva_condition: iva.parse().map_err(|_| bad("iva_condition", &iva))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, cuit: &str, iva: IvaCondition) -> NewOrganization {
        NewOrganization {
            name: name.into(),
            cuit: cuit.into(),
            iva_condition: iva,
        }
    }

    #[test]
    fn validation_names_the_problem() {
        assert!(matches!(
            new("  ", "20123456786", IvaCondition::Monotributo).validate(),
            Err(OrgError::EmptyName)
        ));
        assert!(matches!(
            new("Kiosco", "20123456789", IvaCondition::Monotributo).validate(),
            Err(OrgError::InvalidCuit(CuitError::WrongCheckDigit {
                expected: 6,
                ..
            }))
        ));
        assert!(matches!(
            new("Kiosco", "20123456786", IvaCondition::ConsumidorFinal).validate(),
            Err(OrgError::IvaConditionNotForIssuer(_))
        ));
        let ok = new(" Kiosco ", "20-12345678-6", IvaCondition::Monotributo)
            .validate()
            .unwrap();
        assert_eq!(ok.name, "Kiosco");
    }
}
