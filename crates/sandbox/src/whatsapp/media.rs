//! Media endpoints: upload (multipart, Meta's MIME/size table), look-up (short-lived URL),
//! authenticated download, delete.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::graph_error::GraphErr;
use super::state::{MediaItem, State as SimState};
use super::{authorize, multipart, success, unknown_object, Shared};

const MB: usize = 1024 * 1024;

/// Meta's supported types and their limits; `None` if the type is not accepted.
pub(crate) fn limit_for(mime: &str) -> Option<usize> {
    let lower = mime.to_ascii_lowercase();
    let base = lower.split(';').next().unwrap_or_default().trim();
    let params = lower.replace(' ', "");
    Some(match base {
        "image/jpeg" | "image/png" => 5 * MB,
        "image/webp" => 500 * 1024,
        "video/mp4" | "video/3gpp" => 16 * MB,
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" => 16 * MB,
        "audio/ogg" if params.contains("codecs=opus") => 16 * MB,
        "text/plain"
        | "application/pdf"
        | "application/msword"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.ms-excel"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-powerpoint"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => 100 * MB,
        _ => return None,
    })
}

/// Stores a file and returns its id.
pub(crate) fn store(st: &mut SimState, bytes: Bytes, mime: &str) -> (String, String) {
    let id = st.id();
    let sha256_hex = hex::encode(Sha256::digest(&bytes));
    st.media.insert(
        id.clone(),
        MediaItem {
            bytes,
            mime_type: mime.to_owned(),
            sha256_hex: sha256_hex.clone(),
        },
    );
    (id, sha256_hex)
}

fn media_error(details: String) -> GraphErr {
    GraphErr::new(131053, "(#131053) Media upload error").details(details)
}

pub(crate) async fn upload(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    let r = (|| {
        authorize(&st, &headers, &version)?;
        if id != st.account.phone_number_id {
            return Err(unknown_object(&Method::POST, &id));
        }
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let boundary = multipart::boundary(ct)
            .ok_or_else(|| GraphErr::invalid("The upload must be multipart/form-data."))?;
        let parts = multipart::parse(&body, &boundary)
            .ok_or_else(|| GraphErr::invalid("The multipart body is malformed."))?;
        let field = |n: &str| parts.iter().find(|p| p.name == n);
        let text = |n: &str| field(n).map(|p| String::from_utf8_lossy(&p.data).into_owned());
        if text("messaging_product").as_deref() != Some("whatsapp") {
            return Err(GraphErr::invalid(
                "The parameter messaging_product is required.",
            ));
        }
        let file =
            field("file").ok_or_else(|| GraphErr::invalid("The parameter file is required."))?;
        let mime = text("type")
            .or_else(|| file.content_type.clone())
            .ok_or_else(|| GraphErr::invalid("The parameter type is required."))?;
        let Some(max) = limit_for(&mime) else {
            let hint = if mime.eq_ignore_ascii_case("audio/opus")
                || mime.eq_ignore_ascii_case("audio/ogg")
            {
                " Voice notes must be declared as audio/ogg; codecs=opus."
            } else {
                ""
            };
            return Err(media_error(format!("Unsupported media type {mime}.{hint}")));
        };
        if file.data.is_empty() || file.data.len() > max {
            return Err(media_error(format!(
                "{mime} files must be 1 to {max} bytes; got {}.",
                file.data.len()
            )));
        }
        let (media_id, _) = store(&mut st, file.data.clone(), &mime);
        let answer = json!({ "id": media_id });
        let summary = json!({ "type": mime, "filename": file.filename, "size": file.data.len() });
        st.log(
            "upload_media",
            "POST",
            &format!("/{version}/{id}/media"),
            summary,
            answer.clone(),
        );
        Ok(answer)
    })();
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /{version}/{media-id}`: the media's details and a fresh download URL.
pub(crate) fn info(
    st: &mut SimState,
    headers: &HeaderMap,
    version: &str,
    id: &str,
) -> Option<serde_json::Value> {
    let item = st.media.get(id)?.clone();
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let token = format!("{:x}", Sha256::digest(format!("{id}:{}", st.next_id)));
    st.next_id += 1;
    let expires = if st.expire_next_media_urls > 0 {
        st.expire_next_media_urls -= 1;
        Instant::now()
    } else {
        Instant::now() + st.account.media_url_ttl
    };
    st.media_urls
        .insert(token.clone(), (id.to_owned(), expires));
    let answer = json!({
        "messaging_product": "whatsapp",
        "url": format!("http://{host}{}/_media/{token}", crate::GRAPH_PREFIX),
        "mime_type": item.mime_type,
        "sha256": item.sha256_hex,
        // A string, as in Meta's spec (the client accepts a number too).
        "file_size": item.bytes.len().to_string(),
        "id": id,
    });
    st.log(
        "get_media",
        "GET",
        &format!("/{version}/{id}"),
        json!({}),
        answer.clone(),
    );
    Some(answer)
}

/// The download URL: needs the bearer token, and expires.
pub(crate) async fn download(
    State(shared): State<Shared>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    let bearer_ok = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        == Some(st.account.access_token.as_str());
    if !bearer_ok {
        return (
            StatusCode::UNAUTHORIZED,
            "Sandbox: the media URL needs the access token",
        )
            .into_response();
    }
    let Some((id, expires)) = st.media_urls.get(&token).cloned() else {
        return (StatusCode::NOT_FOUND, "Sandbox: unknown media URL").into_response();
    };
    if Instant::now() >= expires {
        return (
            StatusCode::NOT_FOUND,
            "Sandbox: the media URL expired; ask for a new one",
        )
            .into_response();
    }
    let Some(item) = st.media.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "Sandbox: media deleted").into_response();
    };
    st.log(
        "download_media",
        "GET",
        &format!("/_media/{token}"),
        json!({ "media_id": id }),
        json!({ "size": item.bytes.len() }),
    );
    let bytes = if st.corrupt_next_media_downloads > 0 {
        st.corrupt_next_media_downloads -= 1;
        let mut b = item.bytes.to_vec();
        match b.first_mut() {
            Some(x) => *x ^= 0xff,
            None => b.push(0),
        }
        Bytes::from(b)
    } else {
        item.bytes
    };
    ([("content-type", item.mime_type.clone())], bytes).into_response()
}

#[derive(serde::Deserialize)]
pub(crate) struct PhoneQuery {
    phone_number_id: Option<String>,
}

pub(crate) async fn delete(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    Query(q): Query<PhoneQuery>,
    headers: HeaderMap,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    if let Err(e) = authorize(&st, &headers, &version) {
        return e.into_response();
    }
    if let Some(p) = &q.phone_number_id {
        if *p != st.account.phone_number_id {
            return unknown_object(&Method::DELETE, p).into_response();
        }
    }
    if st.media.remove(&id).is_none() {
        return unknown_object(&Method::DELETE, &id).into_response();
    }
    st.media_urls.retain(|_, (m, _)| *m != id);
    st.log(
        "delete_media",
        "DELETE",
        &format!("/{version}/{id}"),
        json!({}),
        success(),
    );
    Json(success()).into_response()
}
