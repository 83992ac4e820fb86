//! Customers' media in the window: where a message's file is, for the asset protocol (scoped in
//! tauri.conf.json, and here for a `MOSTRADOR_DATA_DIR` data dir, to the `media/` folder only),
//! links opened in the system browser and documents with the OS, only on the owner's click.

use mostrador_core::intake::media::{self, MediaLocation, MEDIA_DIR};
use mostrador_core::org::OrgId;
use mostrador_core::AppError;
use tauri::{AppHandle, Manager, State};

use crate::boot::Boot;
use crate::ipc::command;

/// Lets the asset protocol serve the data dir's media folder (and nothing else of it). The
/// static scope in tauri.conf.json covers the default data dir; this covers an overridden one.
pub fn allow(app: &AppHandle, data_dir: &std::path::Path) {
    let dir = data_dir.join(MEDIA_DIR);
    if let Err(e) = app.asset_protocol_scope().allow_directory(&dir, true) {
        tracing::warn!(error = %e, "media folder not added to the asset protocol scope");
    }
}

/// The media of a message: its state and, once downloaded, the file's absolute path (give it to
/// `convertFileSrc`). `previewable` says whether to show it inline; `null` when the message has
/// no media.
#[command]
pub async fn message_media(
    boot: State<'_, Boot>,
    org_id: OrgId,
    message_id: i64,
) -> Result<Option<MediaLocation>, AppError> {
    let store = boot.store().await?;
    Ok(media::locate(&store, &boot.dirs().data, org_id, message_id).await?)
}

/// The documents "Abrir" hands to the OS, by MIME type, with the extension the copy gets (the
/// stored file is named by its sha256 only). Anything else — an executable, a script, an
/// unknown type — is never opened from here.
const OPENABLE: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("text/plain", "txt"),
    ("text/csv", "csv"),
    ("application/msword", "doc"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("application/vnd.ms-excel", "xls"),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("application/vnd.ms-powerpoint", "ppt"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    ("application/vnd.oasis.opendocument.text", "odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
    ("video/mp4", "mp4"),
    ("video/3gpp", "3gp"),
    ("audio/ogg", "ogg"),
    ("audio/mpeg", "mp3"),
    ("audio/mp4", "m4a"),
    ("audio/aac", "aac"),
    ("audio/amr", "amr"),
];

/// The extension a file of `mime` is opened with, or `None`: not handed to the OS.
pub fn openable_extension(mime: Option<&str>) -> Option<&'static str> {
    let base = mime?.split(';').next()?.trim().to_ascii_lowercase();
    OPENABLE
        .iter()
        .find(|(m, _)| *m == base)
        .map(|(_, ext)| *ext)
}

/// Only http(s) links with a host go to the browser (never `file:`, `javascript:`, custom
/// schemes…).
pub fn check_link(raw: &str) -> Result<tauri::Url, AppError> {
    let refused = || {
        AppError::new(
            mostrador_core::ErrorCode::InvalidMessage,
            "Ese enlace no es una dirección web (http o https): no se abre.",
        )
    };
    let url = tauri::Url::parse(raw.trim()).map_err(|_| refused())?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        _ => Err(refused()),
    }
}

/// A link in a message: opened in the system browser (the webview never navigates).
#[command]
pub async fn open_link(app: AppHandle, url: String) -> Result<(), AppError> {
    use tauri_plugin_opener::OpenerExt;
    let url = check_link(&url)?;
    // The host only: a link's path and query can carry a customer's data.
    tracing::info!(
        host = url.host_str().unwrap_or_default(),
        "link opened in the browser"
    );
    app.opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| {
            tracing::warn!(error = %e, "no browser to open a link");
            AppError::new(
                mostrador_core::ErrorCode::Internal,
                "No se pudo abrir el navegador del sistema.",
            )
        })
}

/// "Abrir" on a document (or a media file): a copy named with its type's extension, opened
/// with the OS's program for that type. Only when the owner clicks; only known document and
/// media types (never an executable).
#[command]
pub async fn open_media(
    app: AppHandle,
    boot: State<'_, Boot>,
    org_id: OrgId,
    message_id: i64,
) -> Result<(), AppError> {
    use tauri_plugin_opener::OpenerExt;
    let store = boot.store().await?;
    let data = &boot.dirs().data;
    let not_there = || {
        AppError::new(
            mostrador_core::ErrorCode::MediaDownloadFailed,
            "El archivo todavía no se descargó (o no se pudo descargar).",
        )
    };
    let loc = media::locate(&store, data, org_id, message_id)
        .await?
        .ok_or_else(not_there)?;
    let path = loc.path.as_deref().ok_or_else(not_there)?;
    let ext = openable_extension(loc.mime_type.as_deref()).ok_or_else(|| {
        AppError::new(
            mostrador_core::ErrorCode::InvalidMessage,
            "Mostrador no abre este tipo de archivo, por seguridad.",
        )
    })?;
    let source = std::path::Path::new(path);
    let name = source
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(not_there)?;
    let dir = data.join(OPEN_DIR);
    let copy = dir.join(format!("{name}.{ext}"));
    let io = |e: std::io::Error| {
        tracing::warn!(error = %e, "cannot prepare a document to open");
        AppError::new(
            mostrador_core::ErrorCode::Internal,
            "No se pudo preparar el archivo para abrirlo (¿disco lleno?).",
        )
    };
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    if !tokio::fs::try_exists(&copy).await.unwrap_or(false) {
        tokio::fs::copy(source, &copy).await.map_err(io)?;
    }
    tracing::info!(message_id, ext, "media opened with the OS");
    app.opener()
        .open_path(copy.display().to_string(), None::<&str>)
        .map_err(|e| {
            tracing::warn!(error = %e, "no program to open a document");
            AppError::new(
                mostrador_core::ErrorCode::Internal,
                "No hay un programa para abrir este archivo en la computadora.",
            )
        })
}

/// Folder under the data dir for the named copies "Abrir" hands to the OS (outside `media/`,
/// so the asset protocol never serves them).
const OPEN_DIR: &str = "media-open";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_open() {
        assert_eq!(
            check_link("https://mostrador.ar/x?y=1").unwrap().host_str(),
            Some("mostrador.ar")
        );
        assert!(check_link("http://192.168.0.1:8080/").is_ok());
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,<b>x</b>",
            "mailto:a@b.c",
            "ftp://x.y/",
            "https://",
            "nada",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn documents_open_by_type_never_executables() {
        assert_eq!(openable_extension(Some("application/pdf")), Some("pdf"));
        assert_eq!(
            openable_extension(Some("audio/ogg; codecs=opus")),
            Some("ogg")
        );
        assert_eq!(openable_extension(Some("Application/PDF")), Some("pdf"));
        for bad in [
            "application/x-msdownload",
            "application/x-sh",
            "application/x-executable",
            "text/html",
            "image/svg+xml",
            "application/octet-stream",
        ] {
            assert_eq!(openable_extension(Some(bad)), None, "{bad}");
        }
        assert_eq!(openable_extension(None), None);
    }
}
