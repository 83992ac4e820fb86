//! Plantillas: the organization's WhatsApp message templates. They are synced from Meta (every
//! page, with progress), kept live by the template webhooks the intake applies (status, category,
//! quality), created and deleted from the app, and sent with their variables filled from a
//! notice's context ([`send_template`]: message row + `whatsapp.send` job in one transaction).
//!
//! Tables: `templates` (0006, extended by 0013) and `template_variables` (variable → context
//! field).

mod error;
mod manage;
mod mapping;
mod params;
mod send;
mod shape;
mod suggested;
mod sync;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use error::{field_label_es, rejection_reason_es, TemplateError};
pub use manage::{
    create, delete, ButtonInput, HeaderFormatInput, HeaderInput, MediaFile, NewTemplateInput,
    APP_ID,
};
pub use mapping::{ContextField, TemplateContext};
pub use params::{check as check_param, fill, ParamError, ParamIssue};
pub use send::{
    prepare_template, send_template, HeaderFile, PreparedTemplate, SendTemplate, SentTemplate,
};
pub use shape::{ButtonShape, HeaderFormat, HeaderShape, Part, TemplateShape, VariableShape};
pub use suggested::{
    create_suggested, suggested, SuggestedOutcome, SuggestedResult, SuggestedTemplate,
};
pub use sync::{sync, SyncOutcome, SyncProgress};

use crate::org::OrgId;
use crate::store::Store;

/// The language of the suggested templates.
pub const ES_AR: &str = "es_AR";

/// One template as the Plantillas page and the picker show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateView {
    pub name: String,
    pub language: String,
    pub provider_id: Option<String>,
    /// Meta's status: `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`…
    pub status: Option<String>,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION` (Meta may re-categorize).
    pub category: Option<String>,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    pub quality: Option<String>,
    /// Meta's rejection reason code, and in Spanish.
    pub reason: Option<String>,
    pub reason_es: Option<String>,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: Option<String>,
    pub shape: TemplateShape,
    /// Variable key (`body.1`) → the context field that fills it.
    pub mapping: BTreeMap<String, ContextField>,
    /// Whether it can be sent now (approved).
    pub sendable: bool,
    pub updated_at: String,
    /// When Meta re-categorized it (a `template_category_update`): the category it had before…
    pub previous_category: Option<String>,
    /// …and when (RFC 3339 UTC). Both `None` when Meta never changed it.
    pub category_changed_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    name: String,
    language: String,
    provider_id: Option<String>,
    status: Option<String>,
    category: Option<String>,
    quality: Option<String>,
    reason: Option<String>,
    components: Option<String>,
    parameter_format: Option<String>,
    updated_at: String,
    previous_category: Option<String>,
    category_changed_at: Option<String>,
}

const SELECT: &str = "SELECT name, language, provider_id, status, category, quality, reason,
        components, parameter_format, updated_at, previous_category, category_changed_at
        FROM templates";

fn view(r: Row, mapping: BTreeMap<String, ContextField>) -> TemplateView {
    let components: Vec<Value> = r
        .components
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let reason = r.reason.filter(|x| !x.is_empty() && x != "NONE");
    // Only while it still matters: back in the old category, nothing to explain.
    let previous_category = r
        .previous_category
        .filter(|p| Some(p) != r.category.as_ref());
    TemplateView {
        sendable: r.status.as_deref() == Some("APPROVED"),
        reason_es: reason.as_deref().map(rejection_reason_es),
        reason,
        shape: TemplateShape::from_components(&components),
        mapping,
        name: r.name,
        language: r.language,
        provider_id: r.provider_id,
        status: r.status,
        category: r.category,
        quality: r.quality,
        parameter_format: r.parameter_format,
        updated_at: r.updated_at,
        previous_category,
        category_changed_at: r.category_changed_at,
    }
}

type MappingKey = (String, String);

async fn mappings(
    store: &Store,
    org: OrgId,
) -> Result<BTreeMap<MappingKey, BTreeMap<String, ContextField>>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT name, language, component, variable, field FROM template_variables WHERE org_id = ?",
    )
    .bind(org.to_string())
    .fetch_all(store.reader())
    .await?;
    let mut out: BTreeMap<MappingKey, BTreeMap<String, ContextField>> = BTreeMap::new();
    for (name, language, component, variable, field) in rows {
        if let Ok(f) = field.parse::<ContextField>() {
            out.entry((name, language))
                .or_default()
                .insert(format!("{component}.{variable}"), f);
        }
    }
    Ok(out)
}

/// Every template of the organization, by name and language.
pub async fn list(store: &Store, org: OrgId) -> Result<Vec<TemplateView>, TemplateError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE org_id = ? ORDER BY name, language"
    ))
    .bind(org.to_string())
    .fetch_all(store.reader())
    .await?;
    let mut maps = mappings(store, org).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let m = maps
                .remove(&(r.name.clone(), r.language.clone()))
                .unwrap_or_default();
            view(r, m)
        })
        .collect())
}

/// One template.
pub async fn get(
    store: &Store,
    org: OrgId,
    name: &str,
    language: &str,
) -> Result<TemplateView, TemplateError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE org_id = ? AND name = ? AND language = ?"
    ))
    .bind(org.to_string())
    .bind(name)
    .bind(language)
    .fetch_optional(store.reader())
    .await?;
    let row = row.ok_or_else(|| TemplateError::NotFound {
        name: name.to_owned(),
        language: language.to_owned(),
    })?;
    let m = mappings(store, org)
        .await?
        .remove(&(name.to_owned(), language.to_owned()))
        .unwrap_or_default();
    Ok(view(row, m))
}

/// A cheap summary of the organization's templates that changes whenever a sync, a creation, a
/// deletion or a template webhook (status, category, quality) changed a row: the app compares it
/// to push a refresh to the window.
pub async fn fingerprint(store: &Store, org: OrgId) -> Result<String, TemplateError> {
    let (n, stamp, states): (i64, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT count(*), max(updated_at),
                group_concat(name || language || coalesce(status, '') || coalesce(category, '')
                             || coalesce(quality, ''), '|')
         FROM (SELECT * FROM templates WHERE org_id = ? ORDER BY name, language)",
    )
    .bind(org.to_string())
    .fetch_one(store.reader())
    .await?;
    // Hashed: the window only needs to know it changed.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&(n, stamp, states), &mut h);
    Ok(format!("{:x}", std::hash::Hasher::finish(&h)))
}

/// Maps (or, with `None`, unmaps) one variable of a template to a context field.
pub async fn set_mapping(
    store: &Store,
    org: OrgId,
    name: &str,
    language: &str,
    key: &str,
    field: Option<ContextField>,
) -> Result<TemplateView, TemplateError> {
    let t = get(store, org, name, language).await?;
    let var = t
        .shape
        .variables
        .iter()
        .find(|v| v.key == key)
        .ok_or_else(|| {
            TemplateError::invalid("key", format!("La plantilla no tiene la variable «{key}»."))
        })?;
    match field {
        Some(f) => {
            sqlx::query(
                "INSERT INTO template_variables (org_id, name, language, component, variable, field)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (org_id, name, language, component, variable) DO UPDATE SET field = excluded.field",
            )
            .bind(org.to_string())
            .bind(name)
            .bind(language)
            .bind(var.part.as_str())
            .bind(&var.variable)
            .bind(f.as_str())
            .execute(store.writer())
            .await?;
        }
        None => {
            sqlx::query(
                "DELETE FROM template_variables WHERE org_id = ? AND name = ? AND language = ? AND component = ? AND variable = ?",
            )
            .bind(org.to_string())
            .bind(name)
            .bind(language)
            .bind(var.part.as_str())
            .bind(&var.variable)
            .execute(store.writer())
            .await?;
        }
    }
    get(store, org, name, language).await
}

/// Inserts the mapping rows of a template, keeping any the owner already chose.
pub(crate) async fn insert_mapping(
    conn: &mut sqlx::SqliteConnection,
    org: OrgId,
    name: &str,
    language: &str,
    mapping: impl IntoIterator<Item = (Part, String, ContextField)>,
) -> Result<(), sqlx::Error> {
    for (part, variable, field) in mapping {
        sqlx::query(
            "INSERT INTO template_variables (org_id, name, language, component, variable, field)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(org.to_string())
        .bind(name)
        .bind(language)
        .bind(part.as_str())
        .bind(variable)
        .bind(field.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// `updated_at` for a row written from our side (sync, create). The template webhooks keep only
/// updates at least as new as the row (`entry.time`, whole seconds, Meta's clock): our stamp is
/// two whole seconds back so a review that lands right after is never taken for an old one.
pub(crate) fn local_stamp() -> String {
    use chrono::{SubsecRound, Utc};
    crate::store::timestamp::to_text((Utc::now() - chrono::Duration::seconds(2)).trunc_subsecs(0))
}

/// The client of the organization, or why there is none.
pub(crate) async fn client(
    store: &Store,
    secrets: &crate::secrets::SecretStore,
    org: OrgId,
) -> Result<mostrador_whatsapp::Client, TemplateError> {
    use crate::channels::whatsapp::{load_client, LoadError};
    match load_client(store, secrets, org).await {
        Ok(c) => Ok(c),
        Err(LoadError::Failure(f)) => Err(TemplateError::NotConfigured(f.code)),
        Err(LoadError::Settings(e)) => Err(e.into()),
        Err(LoadError::Secret(e)) => Err(e.into()),
    }
}
