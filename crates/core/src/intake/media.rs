//! Inbound media: the processor records each media id with a `pending` marker; this downloads it
//! (URL lookup, authenticated GET, re-fetch on an expired URL — in `mostrador_whatsapp`), checks
//! the sha256 the webhook announced, and stores the bytes content-addressed under the data dir:
//! `media/<first two hex>/<sha256 hex>`. The sender's filename is metadata only, so a name like
//! `../../.bashrc` never reaches a path. The durable queue will call this as a job.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use mostrador_whatsapp::ids::MediaId;

use super::IntakeError;
use crate::conversations::ts_now;
use crate::org::OrgId;
use crate::store::Store;

/// Folder under the data dir where media files live.
pub const MEDIA_DIR: &str = "media";

/// A stored media file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    pub id: i64,
    /// Relative to the data dir.
    pub path: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub mime_type: String,
}

/// Whether `announced` (the webhook's sha256: base64 from Meta, hex from some tools) names the
/// digest whose hex is `hex_digest`.
fn same_digest(announced: &str, hex_digest: &str) -> bool {
    if announced.eq_ignore_ascii_case(hex_digest) {
        return true;
    }
    match hex::decode(hex_digest) {
        Ok(raw) => base64::engine::general_purpose::STANDARD.encode(raw) == announced.trim(),
        Err(_) => false,
    }
}

/// The relative path of a file with this sha256 (hex only, so it is always a safe path).
pub fn media_path(sha256_hex: &str) -> Option<String> {
    let ok = sha256_hex.len() == 64 && sha256_hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| {
        format!(
            "{MEDIA_DIR}/{}/{}",
            &sha256_hex[..2],
            sha256_hex.to_ascii_lowercase()
        )
    })
}

/// Downloads the media `media_id` of `org` (from a webhook) and stores it. Already downloaded
/// (and present on disk) ⇒ returned as is.
#[allow(clippy::type_complexity)]
pub async fn download_media(
    store: &Store,
    data_dir: &Path,
    client: &mostrador_whatsapp::Client,
    org: OrgId,
    media_id: &str,
) -> Result<StoredMedia, IntakeError> {
    let row: Option<(
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
    )> = sqlx::query_as(
        "SELECT id, provider_sha256, sha256, path, size_bytes, mime_type FROM media
             WHERE org_id = ? AND provider_media_id = ?",
    )
    .bind(org.to_string())
    .bind(media_id)
    .fetch_optional(store.reader())
    .await?;
    let Some((id, announced, sha, path, size, mime)) = row else {
        return Err(IntakeError::UnknownMedia(media_id.to_owned()));
    };
    if let (Some(sha), Some(path), Some(size)) = (&sha, &path, size) {
        if tokio::fs::try_exists(data_dir.join(path))
            .await
            .unwrap_or(false)
        {
            return Ok(StoredMedia {
                id,
                path: path.clone(),
                sha256: sha.clone(),
                size_bytes: size as u64,
                mime_type: mime.unwrap_or_default(),
            });
        }
    }
    let fail = |reason: String| async move {
        let _ = sqlx::query(
            "UPDATE media SET state = 'failed', error = ?, attempts = attempts + 1 WHERE id = ?",
        )
        .bind(&reason)
        .bind(id)
        .execute(store.writer())
        .await;
        IntakeError::Download(reason)
    };
    let mid = match MediaId::new(media_id) {
        Ok(m) => m,
        Err(e) => return Err(fail(e.to_string()).await),
    };
    let got = match client.download_media(&mid).await {
        Ok(d) => d,
        Err(e) => return Err(fail(e.to_string()).await),
    };
    if let Some(a) = announced.as_deref().filter(|a| !a.is_empty()) {
        if !same_digest(a, &got.sha256) {
            return Err(fail("the file does not match the webhook's sha256".into()).await);
        }
    }
    let rel = media_path(&got.sha256).expect("our own hex digest");
    let full: PathBuf = data_dir.join(&rel);
    let write = async {
        if let Some(dir) = full.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Write then rename: a crash never leaves a half file under the final (trusted) name.
        let tmp = full.with_extension(format!("tmp{id}"));
        tokio::fs::write(&tmp, &got.bytes).await?;
        let f = tokio::fs::File::open(&tmp).await?;
        f.sync_all().await?;
        tokio::fs::rename(&tmp, &full).await
    };
    if let Err(source) = write.await {
        return Err(IntakeError::Io { path: full, source });
    }
    sqlx::query(
        "UPDATE media SET state = 'downloaded', sha256 = ?, size_bytes = ?, path = ?,
                          mime_type = coalesce(mime_type, ?), downloaded_at = ?, error = NULL,
                          attempts = attempts + 1
         WHERE id = ?",
    )
    .bind(&got.sha256)
    .bind(got.bytes.len() as i64)
    .bind(&rel)
    .bind(&got.mime_type)
    .bind(ts_now())
    .bind(id)
    .execute(store.writer())
    .await?;
    Ok(StoredMedia {
        id,
        path: rel,
        sha256: got.sha256,
        size_bytes: got.bytes.len() as u64,
        mime_type: mime.unwrap_or(got.mime_type),
    })
}

/// Media ids still to download, oldest first (for the download job).
pub async fn pending(store: &Store, org: OrgId, limit: u32) -> Result<Vec<String>, IntakeError> {
    Ok(sqlx::query_scalar(
        "SELECT provider_media_id FROM media WHERE org_id = ? AND state = 'pending' ORDER BY id LIMIT ?",
    )
    .bind(org.to_string())
    .bind(limit as i64)
    .fetch_all(store.reader())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_hex_only() {
        let h = "ab".repeat(32);
        assert_eq!(media_path(&h).unwrap(), format!("media/ab/{h}"));
        assert_eq!(media_path("../../.bashrc"), None);
        assert_eq!(media_path(&format!("{}/..", "a".repeat(62))), None);
    }

    #[test]
    fn digest_in_hex_or_base64() {
        let hex_d = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(same_digest(hex_d, hex_d));
        assert!(same_digest(
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            hex_d
        ));
        assert!(!same_digest("AAAA", hex_d));
    }
}
