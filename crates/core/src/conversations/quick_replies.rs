//! Respuestas rápidas: saved texts the composer offers after "/" (managed in Ajustes).

use serde::Serialize;

use crate::org::OrgId;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuickReply {
    pub id: i64,
    /// What follows "/" (`horarios`).
    pub shortcut: String,
    pub body: String,
}

/// All of them, by shortcut.
pub async fn list(store: &Store, org: OrgId) -> Result<Vec<QuickReply>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, shortcut, body FROM quick_replies WHERE org_id = ? ORDER BY shortcut",
    )
    .bind(org.to_string())
    .fetch_all(store.reader())
    .await?)
}

/// Creates or replaces the reply with that shortcut. `None` when the shortcut or body is blank.
pub async fn save(
    store: &Store,
    org: OrgId,
    shortcut: &str,
    body: &str,
) -> Result<Option<QuickReply>, StoreError> {
    let shortcut: String = shortcut
        .trim()
        .trim_start_matches('/')
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(40)
        .collect::<String>()
        .to_lowercase();
    let body = body.trim();
    if shortcut.is_empty() || body.is_empty() {
        return Ok(None);
    }
    let now = crate::store::timestamp::now_text();
    Ok(Some(
        sqlx::query_as(
            "INSERT INTO quick_replies (org_id, shortcut, body, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (org_id, shortcut) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
             RETURNING id, shortcut, body",
        )
        .bind(org.to_string())
        .bind(&shortcut)
        .bind(body)
        .bind(&now)
        .fetch_one(store.writer())
        .await?,
    ))
}

pub async fn delete(store: &Store, org: OrgId, id: i64) -> Result<bool, StoreError> {
    Ok(
        sqlx::query("DELETE FROM quick_replies WHERE org_id = ? AND id = ?")
            .bind(org.to_string())
            .bind(id)
            .execute(store.writer())
            .await?
            .rows_affected()
            > 0,
    )
}
