//! Meta's Resumable Upload API: the file handle (`h`) a new template's media header needs as its
//! example (`example.header_handle`). It is not a media id and cannot be sent in a message.
//!
//! Three calls: [`Client::start_upload`] opens a session on the app
//! (`POST /{app-id}/uploads?file_name&file_length&file_type`), [`Client::upload`] sends the bytes
//! (`POST /upload:{session}` with `Authorization: OAuth …` and `file_offset`), and when that was
//! interrupted, [`Client::resume_upload`] asks where the bytes stopped (`GET /upload:{session}`) and
//! sends the rest. Nothing here retries by itself: the caller decides when to resume.

use std::fmt;

use bytes::Bytes;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::Method;
use serde::Deserialize;
use url::Url;

use crate::client::{Client, Effect};
use crate::error::Error;
use crate::ids::AppId;
use crate::send::ValidationError;

/// The MIME types the Resumable Upload API accepts.
pub const UPLOAD_TYPES: [&str; 5] = [
    "application/pdf",
    "image/jpeg",
    "image/jpg",
    "image/png",
    "video/mp4",
];

/// An upload session as Meta names it (`upload:…`, usually with `?sig=…`). Opaque: it is appended
/// to the version path as given, so its signature travels as Meta expects.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadSessionId(String);

impl UploadSessionId {
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        let ok = id.starts_with("upload:")
            && id.len() <= 4096
            && id
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '/' && c != '#');
        if ok {
            Ok(UploadSessionId(id))
        } else {
            Err(Error::UnexpectedResponse {
                operation: "start upload",
                cause: "the upload session id is not `upload:…` without `/`, `#` or spaces".into(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UploadSessionId {
    // The signature is a capability: keep it out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.0.split('?').next().unwrap_or_default();
        write!(f, "UploadSessionId({shown}?…)")
    }
}

/// An open upload session and the length it was opened for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSession {
    pub id: UploadSessionId,
    pub file_length: u64,
}

/// The handle of an uploaded file, for `example.header_handle` when creating a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHandle(String);

impl FileHandle {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for FileHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the type, name and length before a session is opened.
pub fn check_upload_type(
    file_name: &str,
    file_length: u64,
    file_type: &str,
) -> Result<(), ValidationError> {
    if !UPLOAD_TYPES.contains(&file_type) {
        return Err(ValidationError::new(
            "upload.file_type",
            format!("the resumable upload API takes {}", UPLOAD_TYPES.join(", ")),
        ));
    }
    if file_name.trim().is_empty() || file_name.len() > 255 {
        return Err(ValidationError::new(
            "upload.file_name",
            "give a file name of 1 to 255 bytes",
        ));
    }
    if file_length == 0 {
        return Err(ValidationError::new(
            "upload.file_length",
            "the file is empty",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct OffsetAnswer {
    #[serde(default, deserialize_with = "crate::webhook::scalar::opt_u64")]
    file_offset: Option<u64>,
}

#[derive(Deserialize)]
struct UploadAnswer {
    h: Option<String>,
    #[serde(default, deserialize_with = "crate::webhook::scalar::opt_u64")]
    file_offset: Option<u64>,
}

impl Client {
    /// Opens an upload session on the app for a file of `file_length` bytes.
    pub async fn start_upload(
        &self,
        app_id: &AppId,
        file_name: &str,
        file_length: u64,
        file_type: &str,
    ) -> Result<UploadSession, Error> {
        check_upload_type(file_name, file_length, file_type)?;
        let mut url = self.url(&[app_id.as_str(), "uploads"]);
        url.query_pairs_mut()
            .append_pair("file_name", file_name)
            .append_pair("file_length", &file_length.to_string())
            .append_pair("file_type", file_type);
        #[derive(Deserialize)]
        struct Answer {
            id: String,
        }
        // A second session for the same file is harmless: safe to repeat.
        let a: Answer = self
            .execute_json(
                "start upload",
                Effect::Safe,
                self.request(Method::POST, url),
            )
            .await?;
        Ok(UploadSession {
            id: UploadSessionId::new(a.id)?,
            file_length,
        })
    }

    /// How many bytes of the session Meta has: where to resume from.
    pub async fn upload_offset(&self, session: &UploadSession) -> Result<u64, Error> {
        let req = self.session_request(Method::GET, session)?;
        let a: OffsetAnswer = self
            .execute_json("upload offset", Effect::Safe, req)
            .await?;
        a.file_offset.ok_or_else(|| Error::UnexpectedResponse {
            operation: "upload offset",
            cause: "no file_offset in the answer".into(),
        })
    }

    /// Sends the whole file (`file` is all of it, `session.file_length` bytes) from offset 0.
    pub async fn upload(&self, session: &UploadSession, file: Bytes) -> Result<FileHandle, Error> {
        self.upload_from(session, 0, file).await
    }

    /// Asks where the bytes stopped and sends the rest of `file` (all of it, not the rest).
    pub async fn resume_upload(
        &self,
        session: &UploadSession,
        file: Bytes,
    ) -> Result<FileHandle, Error> {
        let offset = self.upload_offset(session).await?;
        self.upload_from(session, offset, file).await
    }

    /// Sends `file[offset..]` with `file_offset: offset`.
    pub async fn upload_from(
        &self,
        session: &UploadSession,
        offset: u64,
        file: Bytes,
    ) -> Result<FileHandle, Error> {
        if file.len() as u64 != session.file_length {
            return Err(ValidationError::new(
                "upload.file",
                format!(
                    "the session is for {} bytes but the file has {}",
                    session.file_length,
                    file.len()
                ),
            )
            .into());
        }
        if offset > session.file_length {
            return Err(Error::UnexpectedResponse {
                operation: "upload",
                cause: format!(
                    "Meta reports offset {offset} past the file's {} bytes",
                    session.file_length
                ),
            });
        }
        let rest = file.slice(offset as usize..);
        let req = self
            .session_request(Method::POST, session)?
            .timeout(self.cfg.media_timeout)
            .header("file_offset", offset.to_string())
            .body(rest);
        let body = self
            .execute("upload", Effect::Safe, self.cfg.media_timeout, req)
            .await?;
        let a: UploadAnswer =
            serde_json::from_slice(&body).map_err(|e| Error::UnexpectedResponse {
                operation: "upload",
                cause: crate::webhook::describe("answer", &e),
            })?;
        match a.h {
            Some(h) if !h.is_empty() => Ok(FileHandle(h)),
            _ => Err(Error::UnexpectedResponse {
                operation: "upload",
                cause: format!(
                    "no file handle in the answer (Meta has {} bytes); resume the upload",
                    a.file_offset
                        .map_or("an unknown number of".into(), |o| o.to_string())
                ),
            }),
        }
    }

    /// A request to the session URL with `Authorization: OAuth <token>` (the documented scheme).
    fn session_request(
        &self,
        method: Method,
        session: &UploadSession,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let base = self.cfg.base_url.as_str().trim_end_matches('/');
        let url = Url::parse(&format!(
            "{base}/{}/{}",
            self.cfg.version.as_str(),
            session.id.as_str()
        ))
        .map_err(|e| Error::Config(format!("upload session URL: {e}")))?;
        let mut auth = HeaderValue::from_str(&format!("OAuth {}", self.cfg.access_token.expose()))
            .map_err(|_| Error::Config("the access token is not a valid header value".into()))?;
        auth.set_sensitive(true);
        Ok(self
            .http
            .request(method, url)
            .header(AUTHORIZATION, auth)
            .timeout(self.cfg.timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_and_types() {
        let id = UploadSessionId::new("upload:MTphdHRh?sig=ARZ123").unwrap();
        assert!(
            !format!("{id:?}").contains("ARZ123"),
            "the signature stays out of Debug"
        );
        assert!(UploadSessionId::new("MTphdHRh").is_err());
        assert!(UploadSessionId::new("upload:a/../b").is_err());
        assert!(UploadSessionId::new("upload:a b").is_err());
        assert!(check_upload_type("a.png", 10, "image/png").is_ok());
        assert!(check_upload_type("a.gif", 10, "image/gif").is_err());
        assert!(check_upload_type("", 10, "image/png").is_err());
        assert!(check_upload_type("a.png", 0, "image/png").is_err());
    }
}
