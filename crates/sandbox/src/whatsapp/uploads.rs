//! Meta's Resumable Upload API, which gives the file handle (`h`) a template's media header needs
//! as its example:
//!
//! 1. `POST /{version}/{app-id}/uploads?file_name&file_length&file_type` (bearer token or
//!    `access_token`) ⇒ `{"id": "upload:<session>?sig=<sig>"}`.
//! 2. `POST /{version}/upload:<session>?sig=<sig>` with `Authorization: OAuth <token>`, a
//!    `file_offset` header and the bytes from that offset ⇒ `{"h": "<handle>"}` once complete.
//! 3. `GET /{version}/upload:<session>?sig=<sig>` (same header) ⇒ `{"id", "file_offset"}`, to resume
//!    an interrupted upload from where the bytes stopped.
//!
//! The simulator follows the documented scheme strictly (`OAuth`, not `Bearer`, on the session),
//! so a client that deviates fails here as it might at Meta.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::graph_error::GraphErr;
use super::state::State as SimState;
use super::{authorize, unknown_object, Shared};

/// The MIME types the Resumable Upload API accepts.
pub const FILE_TYPES: [&str; 5] = [
    "application/pdf",
    "image/jpeg",
    "image/jpg",
    "image/png",
    "video/mp4",
];

/// Largest file a session accepts (Meta's biggest template example, a document, is 100 MB).
const MAX_FILE_LENGTH: u64 = 100 * 1024 * 1024;

/// An upload in progress (or finished).
#[derive(Debug, Clone)]
pub(crate) struct UploadSession {
    pub sig: String,
    pub file_name: String,
    pub file_length: u64,
    pub file_type: String,
    pub data: Vec<u8>,
    pub handle: Option<String>,
}

/// A finished upload, by handle.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub file_name: String,
    pub file_type: String,
    pub bytes: Bytes,
}

impl UploadedFile {
    /// The template header formats this file can be the example of.
    pub fn fits_header(&self, format: &str) -> bool {
        match format.to_ascii_uppercase().as_str() {
            "IMAGE" => matches!(
                self.file_type.as_str(),
                "image/jpeg" | "image/jpg" | "image/png"
            ),
            "VIDEO" => self.file_type == "video/mp4",
            "DOCUMENT" => self.file_type == "application/pdf",
            _ => false,
        }
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct CreateQuery {
    file_name: Option<String>,
    file_length: Option<String>,
    file_type: Option<String>,
    access_token: Option<String>,
}

pub(crate) async fn create(
    State(shared): State<Shared>,
    Path((version, app_id)): Path<(String, String)>,
    Query(q): Query<CreateQuery>,
    headers: HeaderMap,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    let r = (|| {
        // The token may come as a bearer header or as `access_token` in the query.
        let mut auth = headers.clone();
        if let Some(t) = q.access_token.as_deref() {
            if !auth.contains_key("authorization") {
                let v = format!("Bearer {t}")
                    .parse()
                    .map_err(|_| GraphErr::new(190, "Invalid OAuth access token"))?;
                auth.insert("authorization", v);
            }
        }
        authorize(&st, &auth, &version)?;
        if app_id != st.account.app_id {
            return Err(unknown_object(&Method::POST, &app_id));
        }
        let file_name = q
            .file_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| GraphErr::invalid("The parameter file_name is required."))?;
        let file_length: u64 = q
            .file_length
            .as_deref()
            .ok_or_else(|| GraphErr::invalid("The parameter file_length is required."))?
            .parse()
            .map_err(|_| GraphErr::invalid("file_length must be a positive integer."))?;
        if file_length == 0 || file_length > MAX_FILE_LENGTH {
            return Err(GraphErr::invalid(format!(
                "file_length must be 1 to {MAX_FILE_LENGTH} bytes."
            )));
        }
        let file_type = q
            .file_type
            .clone()
            .ok_or_else(|| GraphErr::invalid("The parameter file_type is required."))?;
        if !FILE_TYPES.contains(&file_type.as_str()) {
            return Err(GraphErr::invalid(format!(
                "file_type {file_type} is not supported; use one of {}.",
                FILE_TYPES.join(", ")
            )));
        }
        st.next_id += 1;
        let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
            "sandbox-upload:{}:{file_name}:{file_length}:{file_type}",
            st.next_id
        ));
        let sig = format!(
            "ARZ{}",
            &hex::encode(Sha256::digest(format!("{key}:{}", st.account.app_secret)))[..24]
        );
        let id = format!("upload:{key}?sig={sig}");
        st.uploads.insert(
            key,
            UploadSession {
                sig,
                file_name: file_name.clone(),
                file_length,
                file_type: file_type.clone(),
                data: Vec::new(),
                handle: None,
            },
        );
        let answer = json!({ "id": id });
        st.log(
            "create_upload_session",
            "POST",
            &format!("/{version}/{app_id}/uploads"),
            json!({ "file_name": file_name, "file_length": file_length, "file_type": file_type }),
            answer.clone(),
        );
        Ok(answer)
    })();
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct SessionQuery {
    sig: Option<String>,
}

/// Checks `Authorization: OAuth <token>`, the session and its signature; returns the session key.
fn session_key(
    st: &SimState,
    headers: &HeaderMap,
    version: &str,
    id: &str,
    sig: Option<&str>,
    method: &Method,
) -> Result<String, GraphErr> {
    let scheme_ok = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("OAuth "));
    let Some(token) = scheme_ok else {
        return Err(GraphErr::new(
            190,
            "An active access token must be used to query information about the current user.",
        )
        .details("Upload sessions take the token as `Authorization: OAuth <token>`."));
    };
    let mut bearer = HeaderMap::new();
    bearer.insert(
        "authorization",
        format!("Bearer {token}")
            .parse()
            .map_err(|_| GraphErr::new(190, "Invalid OAuth access token"))?,
    );
    authorize(st, &bearer, version)?;
    let key = id.strip_prefix("upload:").unwrap_or(id);
    match st.uploads.get(key) {
        Some(s) if Some(s.sig.as_str()) == sig => Ok(key.to_owned()),
        _ => Err(unknown_object(method, id)),
    }
}

/// `GET /{version}/upload:<session>`: how many bytes arrived, to resume from there.
pub(crate) fn offset(
    st: &mut SimState,
    headers: &HeaderMap,
    version: &str,
    id: &str,
    sig: Option<&str>,
) -> Result<Value, GraphErr> {
    let key = session_key(st, headers, version, id, sig, &Method::GET)?;
    let s = &st.uploads[&key];
    let done = if s.handle.is_some() {
        s.file_length
    } else {
        s.data.len() as u64
    };
    let answer = json!({ "id": format!("upload:{key}?sig={}", s.sig), "file_offset": done });
    st.log(
        "upload_offset",
        "GET",
        &format!("/{version}/{id}"),
        json!({}),
        answer.clone(),
    );
    Ok(answer)
}

/// `POST /{version}/upload:<session>`: the bytes from `file_offset` on.
pub(crate) async fn upload(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    Query(q): Query<SessionQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    let r = (|| {
        if !id.starts_with("upload:") {
            return Err(unknown_object(&Method::POST, &id));
        }
        let key = session_key(
            &st,
            &headers,
            &version,
            &id,
            q.sig.as_deref(),
            &Method::POST,
        )?;
        let offset: u64 = headers
            .get("file_offset")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| GraphErr::invalid("The file_offset header is required."))?
            .trim()
            .parse()
            .map_err(|_| GraphErr::invalid("file_offset must be a non-negative integer."))?;
        let next_id = st.next_id + 1;
        let s = st.uploads.get_mut(&key).expect("checked");
        if let Some(h) = &s.handle {
            return Ok((json!({ "h": h }), None));
        }
        let have = s.data.len() as u64;
        if offset != have {
            return Err(GraphErr::invalid(format!(
                "file_offset {offset} does not match the {have} bytes already uploaded; GET the session for the offset to resume from."
            )));
        }
        if have + body.len() as u64 > s.file_length {
            return Err(GraphErr::invalid(format!(
                "{} bytes from offset {offset} exceed file_length {}.",
                body.len(),
                s.file_length
            )));
        }
        s.data.extend_from_slice(&body);
        if (s.data.len() as u64) < s.file_length {
            let answer =
                json!({ "id": format!("upload:{key}?sig={}", s.sig), "file_offset": s.data.len() });
            return Ok((answer, None));
        }
        let handle = format!(
            "4::{}:ARZ{}{next_id}",
            base64::engine::general_purpose::STANDARD.encode(&s.file_type),
            &hex::encode(Sha256::digest(&s.data))[..16]
        );
        s.handle = Some(handle.clone());
        let file = UploadedFile {
            file_name: s.file_name.clone(),
            file_type: s.file_type.clone(),
            bytes: Bytes::from(std::mem::take(&mut s.data)),
        };
        Ok((json!({ "h": handle }), Some((handle, file))))
    })();
    match r {
        Ok((answer, finished)) => {
            if let Some((handle, file)) = finished {
                st.next_id += 1;
                st.file_handles.insert(handle, file);
            }
            st.log(
                "upload_bytes",
                "POST",
                &format!("/{version}/upload:…"),
                json!({ "size": body.len(), "file_offset": headers.get("file_offset").and_then(|v| v.to_str().ok()) }),
                answer.clone(),
            );
            Json(answer).into_response()
        }
        Err(e) => e.into_response(),
    }
}
