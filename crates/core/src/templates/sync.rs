//! Sync from Meta: every page of the WABA's templates, progress after each page, then one
//! transaction that upserts them all and drops the ones Meta no longer has.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use super::mapping::ContextField;
use super::shape::{Part, TemplateShape};
use super::{client, insert_mapping, TemplateError};
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::store::Store;

/// How far a sync got (sent after each page, and once more when stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProgress {
    pub pages: u32,
    pub fetched: u32,
    /// Stored: the list is up to date.
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncOutcome {
    pub total: u32,
    pub added: u32,
    pub removed: u32,
}

/// Lists every template from Meta and stores them; `progress` is called after each page.
pub async fn sync(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    progress: impl Fn(SyncProgress),
) -> Result<SyncOutcome, TemplateError> {
    use tracing::Instrument;
    run(store, secrets, org, progress)
        .instrument(tracing::info_span!("templates.sync", %org))
        .await
}

async fn run(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    progress: impl Fn(SyncProgress),
) -> Result<SyncOutcome, TemplateError> {
    let client = client(store, secrets, org).await?;
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0u32;
    loop {
        let page = client
            .list_templates_page(after.as_deref())
            .await
            .map_err(TemplateError::WhatsApp)?;
        pages += 1;
        all.extend(page.templates);
        progress(SyncProgress {
            pages,
            fetched: all.len() as u32,
            done: false,
        });
        match page.after {
            Some(a) if pages < 1000 => after = Some(a),
            _ => break,
        }
    }
    let now = super::local_stamp();
    let mut tx = store.begin_immediate().await?;
    let existing: Vec<(String, String)> =
        sqlx::query_as("SELECT name, language FROM templates WHERE org_id = ?")
            .bind(org.to_string())
            .fetch_all(&mut *tx)
            .await?;
    let existing: HashSet<(String, String)> = existing.into_iter().collect();
    let mut seen = HashSet::new();
    let mut added = 0;
    for t in &all {
        let status = serde_json::to_value(&t.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        let category = t
            .category
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
            .and_then(|v| v.as_str().map(str::to_owned));
        // Meta lists it for a template it re-categorized: Plantillas says why it is Marketing
        // after a sync too, not only after the `template_category_update` webhook.
        let previous_category = t
            .previous_category
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
            .and_then(|v| v.as_str().map(str::to_owned));
        let format = t
            .parameter_format
            .and_then(|f| serde_json::to_value(f).ok())
            .and_then(|v| v.as_str().map(str::to_owned));
        let components = Value::Array(t.components.clone()).to_string();
        let reason = t.rejected_reason.clone().filter(|r| r != "NONE");
        sqlx::query(
            "INSERT INTO templates (org_id, name, language, provider_id, status, category, quality,
                                    reason, components, parameter_format, synced_at, updated_at,
                                    previous_category)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)
             ON CONFLICT (org_id, name, language) DO UPDATE SET
               provider_id = excluded.provider_id,
               status = coalesce(excluded.status, status),
               category = coalesce(excluded.category, category),
               quality = coalesce(excluded.quality, quality),
               reason = excluded.reason,
               components = excluded.components,
               parameter_format = excluded.parameter_format,
               previous_category = coalesce(excluded.previous_category, previous_category),
               synced_at = excluded.synced_at,
               updated_at = excluded.updated_at",
        )
        .bind(org.to_string())
        .bind(&t.name)
        .bind(&t.language)
        .bind(t.id.as_str())
        .bind(status)
        .bind(category)
        .bind(t.quality())
        .bind(reason)
        .bind(components)
        .bind(format)
        .bind(&now)
        .bind(previous_category)
        .execute(&mut *tx)
        .await?;
        let key = (t.name.clone(), t.language.clone());
        if !existing.contains(&key) {
            added += 1;
            // Named variables say what they are: map them to a field when the name tells.
            let shape = TemplateShape::from_components(&t.components);
            let guessed: Vec<(Part, String, ContextField)> = shape
                .variables
                .iter()
                .filter_map(|v| {
                    ContextField::guess(&v.variable).map(|f| (v.part, v.variable.clone(), f))
                })
                .collect();
            insert_mapping(&mut tx, org, &t.name, &t.language, guessed).await?;
        }
        seen.insert(key);
    }
    let mut removed = 0;
    for (name, language) in existing.difference(&seen) {
        for table in ["templates", "template_variables"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE org_id = ? AND name = ? AND language = ?"
            ))
            .bind(org.to_string())
            .bind(name)
            .bind(language)
            .execute(&mut *tx)
            .await?;
        }
        removed += 1;
    }
    tx.commit().await?;
    let out = SyncOutcome {
        total: all.len() as u32,
        added,
        removed,
    };
    progress(SyncProgress {
        pages,
        fetched: out.total,
        done: true,
    });
    tracing::info!(total = out.total, added, removed, "templates synced");
    Ok(out)
}
