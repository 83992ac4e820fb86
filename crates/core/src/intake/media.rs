//! Inbound media: the processor records each media id with a `pending` marker and, in the same
//! transaction, enqueues a `whatsapp.media_download` job ([`new_job`]). The job's handler
//! (`channels::whatsapp::media_download`) calls [`fetch_media`]: URL lookup, a size check against
//! the limit (over it ⇒ `too_large`, metadata only), an authenticated GET (re-looked-up once when
//! the CDN URL expired — in `mostrador_whatsapp`), the sha256 the webhook announced, then the
//! bytes stored content-addressed under the data dir: `media/<first two hex>/<sha256 hex>`,
//! written to a temp file, fsynced and renamed. The sender's filename is metadata only, so a name
//! like `../../.bashrc` never reaches a path.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use mostrador_queue::{NewJob, Priority, QueueError};
use mostrador_whatsapp::ids::MediaId;
use mostrador_whatsapp::media::Fetched;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt as _;

use super::IntakeError;
use crate::conversations::ts_now;
use crate::org::OrgId;
use crate::settings;
use crate::store::Store;

/// Folder under the data dir where media files live.
pub const MEDIA_DIR: &str = "media";

/// The job kind that downloads one inbound media file.
pub const KIND: &str = "whatsapp.media_download";

/// Organization setting: the largest inbound file downloaded, in bytes (all types). Unset ⇒
/// WhatsApp's own limit for the type ([`default_limit`]).
pub const MAX_BYTES: &str = "whatsapp.media_max_bytes";

/// Inbound media ids stay downloadable for about a week at Meta; a job older than that is moot.
const JOB_EXPIRES_AFTER: chrono::Duration = chrono::Duration::days(7);
/// Attempts before a download is marked failed (retries after a sha256 mismatch, a timeout…).
pub const MAX_ATTEMPTS: u32 = 5;

/// The payload of a [`KIND`] job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaJob {
    /// WhatsApp's media id (from the webhook).
    pub media_id: String,
}

/// The download job of `org`'s media `provider_media_id`: below sends in priority, one per media
/// id (a redelivered webhook never enqueues a second download).
pub fn new_job(org: OrgId, provider_media_id: &str) -> Result<NewJob, QueueError> {
    Ok(NewJob::new(
        org.0,
        KIND,
        &MediaJob {
            media_id: provider_media_id.to_owned(),
        },
    )?
    .priority(Priority::new(7).expect("0..=9"))
    .max_attempts(MAX_ATTEMPTS)
    .expires_at(chrono::Utc::now() + JOB_EXPIRES_AFTER)
    .unique_key(format!("media:{provider_media_id}")))
}

/// WhatsApp's own size limits for what customers can send (reference §1.5): images 5 MB, videos
/// and audio 16 MB, stickers 500 KB (animated ones up to 500 KB too), documents 100 MB.
pub fn default_limit(mime: Option<&str>) -> u64 {
    const MB: u64 = 1024 * 1024;
    let base = mime
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match base.as_str() {
        "image/webp" => 500 * 1024,
        b if b.starts_with("image/") => 5 * MB,
        b if b.starts_with("video/") || b.starts_with("audio/") => 16 * MB,
        _ => 100 * MB,
    }
}

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

/// What [`fetch_media`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaOutcome {
    /// On disk (now, or already before).
    Stored(StoredMedia),
    /// Over the limit: kept as metadata (`too_large`), not downloaded.
    TooLarge { id: i64, size: u64, limit: u64 },
}

impl MediaOutcome {
    /// The `media` row.
    pub fn media_row(&self) -> i64 {
        match self {
            MediaOutcome::Stored(s) => s.id,
            MediaOutcome::TooLarge { id, .. } => *id,
        }
    }
}

/// Why a download failed. The job handler decides from it whether to retry.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("media {0} is not known")]
    Unknown(String),
    #[error("invalid media id: {0}")]
    InvalidId(String),
    #[error(transparent)]
    Provider(mostrador_whatsapp::Error),
    /// The bytes do not match the sha256 of the webhook (or of Meta's lookup): a truncated or
    /// altered download. Retried, then failed visibly.
    #[error("the downloaded file does not match its sha256 (truncated or altered)")]
    ShaMismatch,
    #[error("could not write the media file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
}

impl MediaError {
    /// For the media row and the UI (es-AR; never a token or a URL).
    pub fn message_es(&self) -> String {
        match self {
            MediaError::Unknown(_) | MediaError::InvalidId(_) => {
                "WhatsApp no reconoce este archivo (puede haber vencido).".into()
            }
            MediaError::Provider(_) => "WhatsApp no entregó el archivo.".into(),
            MediaError::ShaMismatch => {
                "El archivo llegó incompleto o alterado (no coincide su sha256).".into()
            }
            MediaError::Io { .. } => {
                "No se pudo guardar el archivo en el disco (¿está lleno?).".into()
            }
            MediaError::Store(_) | MediaError::Settings(_) => {
                "Error interno al guardar el archivo.".into()
            }
        }
    }
}

impl From<MediaError> for IntakeError {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::Unknown(id) => IntakeError::UnknownMedia(id),
            MediaError::Io { path, source } => IntakeError::Io { path, source },
            MediaError::Store(s) => s.into(),
            MediaError::Settings(s) => s.into(),
            other => IntakeError::Download(other.to_string()),
        }
    }
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
        let lower = sha256_hex.to_ascii_lowercase();
        format!("{MEDIA_DIR}/{}/{lower}", &lower[..2])
    })
}

#[derive(sqlx::FromRow)]
struct MediaRow {
    id: i64,
    provider_sha256: Option<String>,
    sha256: Option<String>,
    path: Option<String>,
    size_bytes: Option<i64>,
    mime_type: Option<String>,
    state: String,
    announced_size: Option<i64>,
}

/// The size limit for `org` and a file of type `mime`.
pub async fn limit_for(store: &Store, org: OrgId, mime: Option<&str>) -> Result<u64, MediaError> {
    let set = settings::get(store, Some(org), MAX_BYTES).await?;
    Ok(set
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(|| default_limit(mime)))
}

/// Downloads `org`'s media `media_id` (from a webhook) and stores it, or records it as too large.
/// Already downloaded (and present on disk) or already too large ⇒ returned as is. Failures are
/// recorded on the row (error, attempts) but leave it `pending`: [`mark_failed`] ends it.
pub async fn fetch_media(
    store: &Store,
    data_dir: &Path,
    client: &mostrador_whatsapp::Client,
    org: OrgId,
    media_id: &str,
) -> Result<MediaOutcome, MediaError> {
    let row: Option<MediaRow> = sqlx::query_as(
        "SELECT id, provider_sha256, sha256, path, size_bytes, mime_type, state, announced_size
         FROM media WHERE org_id = ? AND provider_media_id = ?",
    )
    .bind(org.to_string())
    .bind(media_id)
    .fetch_optional(store.reader())
    .await?;
    let Some(row) = row else {
        return Err(MediaError::Unknown(media_id.to_owned()));
    };
    let limit = limit_for(store, org, row.mime_type.as_deref()).await?;
    if let (Some(sha), Some(path), Some(size)) = (&row.sha256, &row.path, row.size_bytes) {
        if tokio::fs::try_exists(data_dir.join(path))
            .await
            .unwrap_or(false)
        {
            return Ok(MediaOutcome::Stored(StoredMedia {
                id: row.id,
                path: path.clone(),
                sha256: sha.clone(),
                size_bytes: size as u64,
                mime_type: row.mime_type.unwrap_or_default(),
            }));
        }
    }
    if row.state == "too_large" {
        return Ok(MediaOutcome::TooLarge {
            id: row.id,
            size: row.announced_size.unwrap_or_default() as u64,
            limit,
        });
    }
    let r = download(store, data_dir, client, &row, media_id, limit).await;
    if let Err(e) = &r {
        // Kept pending for the next attempt; the reason is visible meanwhile.
        sqlx::query("UPDATE media SET error = ?, attempts = attempts + 1 WHERE id = ?")
            .bind(e.message_es())
            .bind(row.id)
            .execute(store.writer())
            .await?;
    }
    r
}

async fn download(
    store: &Store,
    data_dir: &Path,
    client: &mostrador_whatsapp::Client,
    row: &MediaRow,
    media_id: &str,
    limit: u64,
) -> Result<MediaOutcome, MediaError> {
    let id = row.id;
    let mid = MediaId::new(media_id).map_err(|e| MediaError::InvalidId(e.to_string()))?;
    let got = match client.download_media_limited(&mid, limit).await {
        Ok(Fetched::Downloaded(d)) => d,
        Ok(Fetched::TooLarge { size, info }) => {
            sqlx::query(
                "UPDATE media SET state = 'too_large', announced_size = ?,
                                  mime_type = coalesce(mime_type, ?), error = NULL,
                                  attempts = attempts + 1
                 WHERE id = ?",
            )
            .bind(size as i64)
            .bind(&info.mime_type)
            .bind(id)
            .execute(store.writer())
            .await?;
            tracing::info!(
                media_row = id,
                size,
                limit,
                "media over the size limit: kept as metadata"
            );
            return Ok(MediaOutcome::TooLarge { id, size, limit });
        }
        // The client's own check against Meta's lookup: the same failure as ours below.
        Err(mostrador_whatsapp::Error::UnexpectedResponse { cause, .. })
            if cause.contains("sha256") =>
        {
            return Err(MediaError::ShaMismatch)
        }
        Err(e) => return Err(MediaError::Provider(e)),
    };
    if let Some(a) = row.provider_sha256.as_deref().filter(|a| !a.is_empty()) {
        if !same_digest(a, &got.sha256) {
            return Err(MediaError::ShaMismatch);
        }
    }
    let rel = media_path(&got.sha256).expect("our own hex digest");
    let full: PathBuf = data_dir.join(&rel);
    write_atomic(&full, &got.bytes, id)
        .await
        .map_err(|source| MediaError::Io {
            path: full.clone(),
            source,
        })?;
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
    Ok(MediaOutcome::Stored(StoredMedia {
        id,
        path: rel,
        sha256: got.sha256,
        size_bytes: got.bytes.len() as u64,
        mime_type: row.mime_type.clone().unwrap_or(got.mime_type),
    }))
}

/// Writes `bytes` at `full` so that the final (trusted) name only ever holds a complete file:
/// a temp file in the same folder, fsynced, renamed, then the folder fsynced. Content-addressed:
/// a file already there has these very bytes and is kept.
async fn write_atomic(full: &Path, bytes: &[u8], unique: i64) -> std::io::Result<()> {
    if tokio::fs::try_exists(full).await.unwrap_or(false) {
        return Ok(());
    }
    let dir = full.parent().expect("media/ab/<sha>");
    tokio::fs::create_dir_all(dir).await?;
    let tmp = full.with_extension(format!("tmp{unique}"));
    let mut f = tokio::fs::File::create(&tmp).await?;
    f.write_all(bytes).await?;
    f.sync_all().await?;
    drop(f);
    tokio::fs::rename(&tmp, full).await?;
    // The rename itself survives a power cut only once the folder is synced.
    let d = tokio::fs::File::open(dir).await?;
    d.sync_all().await
}

/// The download gave up (retries exhausted, or the media is gone at Meta): the message shows it.
pub async fn mark_failed(
    store: &Store,
    org: OrgId,
    media_id: &str,
    reason_es: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE media SET state = 'failed', error = ?
         WHERE org_id = ? AND provider_media_id = ? AND state = 'pending' RETURNING id",
    )
    .bind(reason_es)
    .bind(org.to_string())
    .bind(media_id)
    .fetch_optional(store.writer())
    .await
}

/// Downloads the media `media_id` of `org` and stores it (direct call, outside the job queue).
/// Over the size limit is an error here.
pub async fn download_media(
    store: &Store,
    data_dir: &Path,
    client: &mostrador_whatsapp::Client,
    org: OrgId,
    media_id: &str,
) -> Result<StoredMedia, IntakeError> {
    match fetch_media(store, data_dir, client, org, media_id).await? {
        MediaOutcome::Stored(s) => Ok(s),
        MediaOutcome::TooLarge { size, limit, .. } => Err(IntakeError::Download(format!(
            "the file is {size} bytes, over the {limit} bytes limit"
        ))),
    }
}

/// Media ids still to download, oldest first.
pub async fn pending(store: &Store, org: OrgId, limit: u32) -> Result<Vec<String>, IntakeError> {
    Ok(sqlx::query_scalar(
        "SELECT provider_media_id FROM media WHERE org_id = ? AND state = 'pending' ORDER BY id LIMIT ?",
    )
    .bind(org.to_string())
    .bind(limit as i64)
    .fetch_all(store.reader())
    .await?)
}

/// Types the window shows inline (an `<img>`, `<video>` or `<audio>` through the asset
/// protocol). Anything else is kept and offered as a file, never previewed.
pub fn previewable(mime: Option<&str>) -> bool {
    let base = mime
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        base.as_str(),
        "image/jpeg"
            | "image/png"
            | "image/webp"
            | "video/mp4"
            | "audio/ogg"
            | "audio/mpeg"
            | "audio/mp4"
            | "audio/aac"
    )
}

/// Where a message's media is, for the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MediaLocation {
    pub message_id: i64,
    /// `pending`, `downloaded`, `failed` or `too_large`.
    pub state: String,
    /// Absolute path of the stored file (under the data dir's `media/` folder, the only folder
    /// the asset protocol serves), once downloaded and present.
    pub path: Option<String>,
    pub mime_type: Option<String>,
    /// Shown inline; otherwise offered as a file.
    pub previewable: bool,
    pub size_bytes: Option<i64>,
    /// The sender's name for it (display only).
    pub filename: Option<String>,
    /// Why it is not there (es-AR), when it failed.
    pub error: Option<String>,
}

/// The media of `org`'s message `message_id` (`None`: the message has none, or is not theirs).
/// The path is rebuilt from the stored sha256, never taken from anything a sender wrote.
pub async fn locate(
    store: &Store,
    data_dir: &Path,
    org: OrgId,
    message_id: i64,
) -> Result<Option<MediaLocation>, IntakeError> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT md.state, md.sha256, md.mime_type, coalesce(md.size_bytes, md.announced_size),
                coalesce(m.filename, md.filename), md.error
         FROM messages m JOIN media md ON md.id = m.media_id
         WHERE m.id = ? AND m.org_id = ?",
    )
    .bind(message_id)
    .bind(org.to_string())
    .fetch_optional(store.reader())
    .await?;
    let Some((state, sha, mime_type, size_bytes, filename, error)) = row else {
        return Ok(None);
    };
    let mut path = None;
    if state == "downloaded" {
        if let Some(rel) = sha.as_deref().and_then(media_path) {
            let full = data_dir.join(rel);
            if tokio::fs::try_exists(&full).await.unwrap_or(false) {
                path = Some(full.display().to_string());
            }
        }
    }
    Ok(Some(MediaLocation {
        message_id,
        previewable: path.is_some() && previewable(mime_type.as_deref()),
        state,
        path,
        mime_type,
        size_bytes,
        filename,
        error,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_hex_only() {
        let h = "ab".repeat(32);
        assert_eq!(media_path(&h).unwrap(), format!("media/ab/{h}"));
        assert_eq!(
            media_path(&"AB".repeat(32)).unwrap(),
            format!("media/ab/{h}")
        );
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

    #[test]
    fn limits_follow_whatsapp() {
        assert_eq!(default_limit(Some("image/jpeg")), 5 * 1024 * 1024);
        assert_eq!(default_limit(Some("image/webp")), 500 * 1024);
        assert_eq!(
            default_limit(Some("audio/ogg; codecs=opus")),
            16 * 1024 * 1024
        );
        assert_eq!(default_limit(Some("application/pdf")), 100 * 1024 * 1024);
        assert_eq!(default_limit(None), 100 * 1024 * 1024);
    }

    #[test]
    fn only_what_the_window_renders_is_previewed() {
        assert!(previewable(Some("image/jpeg")));
        assert!(previewable(Some("audio/ogg; codecs=opus")));
        assert!(!previewable(Some("application/pdf")));
        assert!(!previewable(Some("image/svg+xml")));
        assert!(!previewable(Some("text/html")));
        assert!(!previewable(None));
    }
}
