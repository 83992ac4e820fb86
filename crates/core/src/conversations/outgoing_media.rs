//! Files the owner sends, kept like the customers' ones: copied at send time into the same
//! content-addressed store under the data dir (`media/<first two hex>/<sha256 hex>`, the original
//! name is metadata only) and linked to the message through a `media` row already `downloaded`,
//! so the thread previews our photo at once — before the upload and after it — and the send job
//! (and a later "Reintentar") reads our copy even if the original is moved or deleted.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::intake::media::media_path;
use crate::org::OrgId;

/// A file copied into the media store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCopy {
    /// Relative to the data dir (`media/ab/ab12…`).
    pub rel: String,
    /// Absolute: what the send job uploads.
    pub full: PathBuf,
    /// Hex.
    pub sha256: String,
    pub size_bytes: u64,
}

/// The `provider_media_id` of a file we send: ours until WhatsApp gives the upload an id (which
/// is per upload, so the same file sent twice shares one row).
pub fn local_media_id(sha256_hex: &str) -> String {
    format!("local:{sha256_hex}")
}

/// Copies `src` into `data_dir`'s media store, hashing while copying (no whole file in memory).
/// A file already there has these very bytes and is kept.
pub async fn copy_into_store(data_dir: &Path, src: &Path) -> std::io::Result<LocalCopy> {
    let incoming = data_dir.join(crate::intake::media::MEDIA_DIR);
    tokio::fs::create_dir_all(&incoming).await?;
    // Under the media folder, so the final rename never crosses file systems.
    let tmp = incoming.join(format!(".outgoing-{}", uuid::Uuid::new_v4()));
    let r = copy_hashing(src, &tmp).await;
    let (sha256, size_bytes) = match r {
        Ok(v) => v,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    let rel = media_path(&sha256).expect("our own hex digest");
    let full = data_dir.join(&rel);
    if tokio::fs::try_exists(&full).await.unwrap_or(false) {
        let _ = tokio::fs::remove_file(&tmp).await;
    } else {
        let dir = full.parent().expect("media/ab/<sha>");
        tokio::fs::create_dir_all(dir).await?;
        tokio::fs::rename(&tmp, &full).await?;
        // The rename survives a power cut only once the folder is synced.
        tokio::fs::File::open(dir).await?.sync_all().await?;
    }
    Ok(LocalCopy {
        rel,
        full,
        sha256,
        size_bytes,
    })
}

async fn copy_hashing(src: &Path, tmp: &Path) -> std::io::Result<(String, u64)> {
    let mut from = tokio::fs::File::open(src).await?;
    let mut to = tokio::fs::File::create(tmp).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n]).await?;
        size += n as u64;
    }
    to.sync_all().await?;
    Ok((hex::encode(hasher.finalize()), size))
}

/// The `media` row of a copied file (created, or the one of an earlier send of the same bytes).
pub(crate) async fn link(
    conn: &mut SqliteConnection,
    org: OrgId,
    copy: &LocalCopy,
    mime_type: &str,
    filename: Option<&str>,
    now: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO media (org_id, provider_media_id, mime_type, sha256, size_bytes, path,
                            filename, state, created_at, downloaded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'downloaded', ?, ?)
         ON CONFLICT (org_id, provider_media_id) DO UPDATE
           SET state = 'downloaded', sha256 = excluded.sha256, size_bytes = excluded.size_bytes,
               path = excluded.path, error = NULL
         RETURNING id",
    )
    .bind(org.to_string())
    .bind(local_media_id(&copy.sha256))
    .bind(mime_type)
    .bind(&copy.sha256)
    .bind(copy.size_bytes as i64)
    .bind(&copy.rel)
    .bind(filename)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_copy_is_named_by_its_sha256_and_never_by_the_original_name() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("..evil name.png");
        std::fs::write(&src, b"\x89PNG\r\n\x1a\nbytes").unwrap();
        let data = dir.path().join("data");
        let c = copy_into_store(&data, &src).await.unwrap();
        let want = hex::encode(Sha256::digest(b"\x89PNG\r\n\x1a\nbytes"));
        assert_eq!(c.sha256, want);
        assert_eq!(c.rel, format!("media/{}/{want}", &want[..2]));
        assert_eq!(std::fs::read(&c.full).unwrap(), b"\x89PNG\r\n\x1a\nbytes");
        assert_eq!(c.size_bytes, b"\x89PNG\r\n\x1a\nbytes".len() as u64);
        // Again: the same file, no temp left behind.
        let again = copy_into_store(&data, &src).await.unwrap();
        assert_eq!(again, c);
        let leftovers: Vec<_> = std::fs::read_dir(data.join("media"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".outgoing"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[tokio::test]
    async fn a_missing_source_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        assert!(copy_into_store(&data, &dir.path().join("nope"))
            .await
            .is_err());
        assert_eq!(std::fs::read_dir(data.join("media")).unwrap().count(), 0);
    }
}
