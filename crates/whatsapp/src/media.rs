//! Media: upload (multipart), look up the short-lived download URL, download with the token
//! (asking again when the URL has expired), delete. MIME types and sizes are checked before upload.

use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::client::{expect_success, Client, Effect};
use crate::error::Error;
use crate::ids::MediaId;
use crate::send::{MediaKind, ValidationError};

const MB: u64 = 1024 * 1024;

/// A MIME type WhatsApp accepts for upload, with the kind of message it can be sent as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadType {
    /// The MIME type exactly as it will be declared to Meta.
    pub mime: String,
    pub kind: MediaKind,
    pub max_bytes: u64,
}

/// Checks a MIME type and size against Meta's table (reference §1.5).
///
/// Voice notes must be `audio/ogg; codecs=opus`; `audio/opus` is refused here because Meta fails
/// it later with 131053.
pub fn check_upload(mime: &str, len: u64) -> Result<UploadType, ValidationError> {
    let lower = mime.to_ascii_lowercase();
    let mut parts = lower.split(';').map(str::trim);
    let base = parts.next().unwrap_or_default();
    let params: Vec<&str> = parts.collect();
    let (kind, max_bytes) = match base {
        "image/jpeg" | "image/png" => (MediaKind::Image, 5 * MB),
        "image/webp" => (MediaKind::Sticker, 500 * 1024),
        "video/mp4" | "video/3gpp" => (MediaKind::Video, 16 * MB),
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" => (MediaKind::Audio, 16 * MB),
        "audio/ogg" => {
            if !params.iter().any(|p| p.replace(' ', "") == "codecs=opus") {
                return Err(ValidationError::new(
                    "media.type",
                    "OGG audio must be Opus and declared as \"audio/ogg; codecs=opus\"",
                ));
            }
            (MediaKind::Audio, 16 * MB)
        }
        "audio/opus" => {
            return Err(ValidationError::new(
                "media.type",
                "declare voice notes as \"audio/ogg; codecs=opus\", not audio/opus (Meta fails it with 131053)",
            ))
        }
        "text/plain"
        | "application/pdf"
        | "application/msword"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.ms-excel"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-powerpoint"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
            (MediaKind::Document, 100 * MB)
        }
        other => {
            return Err(ValidationError::new(
                "media.type",
                format!("WhatsApp does not accept {other:?} (JPEG/PNG, MP4/3GPP, AAC/AMR/MP3/M4A/OGG-Opus, WebP stickers, PDF/Office/text)"),
            ))
        }
    };
    if len == 0 {
        return Err(ValidationError::new("media.file", "the file is empty"));
    }
    if len > max_bytes {
        return Err(ValidationError::new(
            "media.file",
            format!(
                "{} is {len} bytes; WhatsApp allows at most {max_bytes} bytes for {base}",
                kind.type_name()
            ),
        ));
    }
    let mime = if base == "audio/ogg" {
        "audio/ogg; codecs=opus".to_owned()
    } else {
        base.to_owned()
    };
    Ok(UploadType {
        mime,
        kind,
        max_bytes,
    })
}

/// What `GET /{media-id}` returns. The `url` is valid for about 5 minutes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MediaInfo {
    pub id: MediaId,
    pub url: String,
    pub mime_type: String,
    pub sha256: Option<String>,
    /// Bytes. Meta's spec says a string; some answers carry a number: both are read.
    #[serde(default, deserialize_with = "crate::webhook::scalar::opt_u64")]
    pub file_size: Option<u64>,
}

/// What [`Client::download_media_limited`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Downloaded(Downloaded),
    /// Over the limit: not downloaded (or dropped), `size` bytes.
    TooLarge {
        size: u64,
        info: MediaInfo,
    },
}

/// A downloaded file, checked against Meta's sha256 when one was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: Bytes,
    pub mime_type: String,
    /// Hex sha256 of `bytes` (our own computation).
    pub sha256: String,
}

impl Client {
    /// Uploads a file; the returned id is valid for 30 days.
    pub async fn upload_media(
        &self,
        bytes: Bytes,
        mime: &str,
        filename: &str,
    ) -> Result<(MediaId, UploadType), Error> {
        let ty = check_upload(mime, bytes.len() as u64)?;
        let part = reqwest::multipart::Part::stream_with_length(bytes.clone(), bytes.len() as u64)
            .file_name(filename.to_owned())
            .mime_str(&ty.mime)
            .map_err(|e| Error::Config(format!("MIME {:?}: {e}", ty.mime)))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", ty.mime.clone())
            .part("file", part);
        let url = self.url(&[self.cfg.phone_number_id.as_str(), "media"]);
        let req = self
            .request(Method::POST, url)
            .timeout(self.cfg.media_timeout)
            .multipart(form);
        #[derive(Deserialize)]
        struct Resp {
            id: MediaId,
        }
        let body = self
            .execute("upload media", Effect::Safe, self.cfg.media_timeout, req)
            .await?;
        let r: Resp = serde_json::from_slice(&body).map_err(|e| Error::UnexpectedResponse {
            operation: "upload media",
            cause: crate::webhook::describe("answer", &e),
        })?;
        Ok((r.id, ty))
    }

    /// Looks up a media id: its short-lived URL, type, size and hash.
    pub async fn media_info(&self, id: &MediaId) -> Result<MediaInfo, Error> {
        let mut url = self.url(&[id.as_str()]);
        url.query_pairs_mut()
            .append_pair("phone_number_id", self.cfg.phone_number_id.as_str());
        let req = self.request(Method::GET, url);
        self.execute_json("get media URL", Effect::Safe, req).await
    }

    /// Downloads a media file (two steps). When the URL has expired, asks for a fresh one once.
    pub async fn download_media(&self, id: &MediaId) -> Result<Downloaded, Error> {
        match self.download_media_limited(id, u64::MAX).await? {
            Fetched::Downloaded(d) => Ok(d),
            Fetched::TooLarge { .. } => unreachable!("no limit"),
        }
    }

    /// Like [`Client::download_media`], but a file Meta announces (or delivers) larger than
    /// `max_bytes` is not kept: [`Fetched::TooLarge`] with the size, so the caller stores
    /// metadata only.
    pub async fn download_media_limited(
        &self,
        id: &MediaId,
        max_bytes: u64,
    ) -> Result<Fetched, Error> {
        let info = self.media_info(id).await?;
        if let Some(size) = info.file_size.filter(|s| *s > max_bytes) {
            return Ok(Fetched::TooLarge { size, info });
        }
        let got = self.fetch_media_refreshing(id, info).await?;
        if got.bytes.len() as u64 > max_bytes {
            // Meta announced less (or nothing): the bytes are dropped all the same.
            return Ok(Fetched::TooLarge {
                size: got.bytes.len() as u64,
                info: MediaInfo {
                    id: id.clone(),
                    url: String::new(),
                    mime_type: got.mime_type,
                    sha256: Some(got.sha256),
                    file_size: Some(got.bytes.len() as u64),
                },
            });
        }
        Ok(Fetched::Downloaded(got))
    }

    /// Fetches `info`'s URL; when it has expired (401/403/404/410), looks the id up once more
    /// and fetches the fresh URL (bounded: one re-lookup).
    async fn fetch_media_refreshing(
        &self,
        id: &MediaId,
        info: MediaInfo,
    ) -> Result<Downloaded, Error> {
        match self.fetch_media(&info).await {
            Err(Error::Http { status, .. })
                if status == StatusCode::UNAUTHORIZED.as_u16()
                    || status == StatusCode::FORBIDDEN.as_u16()
                    || status == StatusCode::NOT_FOUND.as_u16()
                    || status == StatusCode::GONE.as_u16() =>
            {
                tracing::debug!(media_id = %id, "media URL expired; asking for a new one");
                let info = self.media_info(id).await?;
                self.fetch_media(&info).await
            }
            Err(Error::Graph(g)) if g.http_status == 401 || g.http_status == 404 => {
                let info = self.media_info(id).await?;
                self.fetch_media(&info).await
            }
            other => other,
        }
    }

    async fn fetch_media(&self, info: &MediaInfo) -> Result<Downloaded, Error> {
        let url = url::Url::parse(&info.url).map_err(|e| Error::UnexpectedResponse {
            operation: "download media",
            cause: format!("media URL is not a URL: {e}"),
        })?;
        if !self.trusted_media_host(&url) {
            return Err(Error::UnexpectedResponse {
                operation: "download media",
                cause: format!(
                    "refusing to send the token to untrusted host {:?}",
                    url.host_str().unwrap_or_default()
                ),
            });
        }
        let req = self
            .request(Method::GET, url)
            .timeout(self.cfg.media_timeout);
        let bytes = self
            .execute("download media", Effect::Safe, self.cfg.media_timeout, req)
            .await?;
        let digest = Sha256::digest(&bytes);
        let sha256 = hex::encode(digest);
        if let Some(expected) = &info.sha256 {
            // Meta documents a hex digest for media but sends base64 in webhooks: accept both.
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
            if !expected.eq_ignore_ascii_case(&sha256) && *expected != b64 {
                return Err(Error::UnexpectedResponse {
                    operation: "download media",
                    cause: "the file does not match Meta's sha256 (truncated or corrupted)".into(),
                });
            }
        }
        Ok(Downloaded {
            bytes,
            mime_type: info.mime_type.clone(),
            sha256,
        })
    }

    /// The token only goes to Meta's own hosts, or to the configured base host (the sandbox).
    fn trusted_media_host(&self, url: &url::Url) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        if Some(host) == self.cfg.base_url.host_str()
            && url.port_or_known_default() == self.cfg.base_url.port_or_known_default()
        {
            return true;
        }
        url.scheme() == "https"
            && ["fbsbx.com", "facebook.com", "whatsapp.net", "fbcdn.net"]
                .iter()
                .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    }

    /// Deletes an uploaded media file.
    pub async fn delete_media(&self, id: &MediaId) -> Result<(), Error> {
        let mut url = self.url(&[id.as_str()]);
        url.query_pairs_mut()
            .append_pair("phone_number_id", self.cfg.phone_number_id.as_str());
        let req = self.request(Method::DELETE, url);
        let v: Value = self.execute_json("delete media", Effect::Safe, req).await?;
        expect_success("delete media", &v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_and_size_table() {
        assert_eq!(
            check_upload("image/jpeg", 10).unwrap().kind,
            MediaKind::Image
        );
        assert!(check_upload("image/jpeg", 5 * MB + 1).is_err());
        assert!(check_upload("image/gif", 10).is_err());
        let voice = check_upload("audio/ogg; codecs=opus", 1000).unwrap();
        assert_eq!(voice.mime, "audio/ogg; codecs=opus");
        assert!(check_upload("audio/ogg", 1000).is_err());
        let e = check_upload("audio/opus", 1000).unwrap_err();
        assert!(e.problem.contains("codecs=opus"));
        assert_eq!(
            check_upload("application/pdf", 99 * MB).unwrap().kind,
            MediaKind::Document
        );
        assert!(check_upload("application/pdf", 101 * MB).is_err());
        assert!(check_upload("image/webp", 600 * 1024).is_err());
        assert!(check_upload("video/mp4", 0).is_err());
    }

    #[test]
    fn file_size_is_read_as_a_string_or_a_number() {
        let info = |size: &str| {
            let body = format!(
                r#"{{"id":"1","url":"https://x.y/z","mime_type":"image/jpeg","file_size":{size}}}"#
            );
            serde_json::from_str::<MediaInfo>(&body).unwrap().file_size
        };
        assert_eq!(info(r#""4096""#), Some(4096));
        assert_eq!(info("4096"), Some(4096));
        assert_eq!(info("null"), None);
        assert_eq!(info(r#""big""#), None);
    }
}
