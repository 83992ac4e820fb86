//! Creating and deleting templates from the app. Meta's limits are checked before anything is
//! sent (the field is named); a media header's example is uploaded through the resumable upload
//! API first; Meta's refusal comes back naming the field.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mostrador_whatsapp::ids::AppId;
use mostrador_whatsapp::templates::{
    BodyExamples, CreateRejection, NewButton, NewHeader, NewTemplate, TemplateCategory,
};
use serde::Deserialize;

use super::error::field_label_es;
use super::mapping::ContextField;
use super::shape::{HeaderFormat, Part, TemplateShape};
use super::{client, get, insert_mapping, TemplateError, TemplateView};
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::store::Store;

/// Organization setting: the Meta app id, which owns resumable uploads (media header examples).
pub const APP_ID: &str = "whatsapp.app_id";

/// A file for a media header's example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaFile {
    /// A file the owner picked.
    Path(PathBuf),
    /// Bytes the app has (the suggested invoice's sample PDF).
    Bytes {
        file_name: String,
        mime_type: String,
        bytes: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HeaderInput {
    Text {
        text: String,
        example: Option<String>,
    },
    /// Image, video or document, with an example file (a path on this computer).
    Media {
        format: HeaderFormatInput,
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        file: PathBuf,
    },
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    MediaBytes {
        format: HeaderFormatInput,
        file: MediaFile,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HeaderFormatInput {
    Image,
    Video,
    Document,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ButtonInput {
    QuickReply {
        text: String,
    },
    Url {
        text: String,
        url: String,
        example: Option<String>,
    },
    PhoneNumber {
        text: String,
        phone_number: String,
    },
    CopyCode {
        example: String,
    },
}

/// A template the owner writes in the Crear form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewTemplateInput {
    pub name: String,
    pub language: String,
    /// `UTILITY`, `MARKETING` or `AUTHENTICATION`.
    pub category: String,
    pub header: Option<HeaderInput>,
    pub body: String,
    /// Variable (`1` or the name) → example value, in the body's order.
    pub examples: Vec<(String, String)>,
    /// `{{name}}` variables instead of `{{1}}`.
    pub named: bool,
    pub footer: Option<String>,
    pub buttons: Vec<ButtonInput>,
    /// Variable key (`body.1`) → the context field that fills it.
    pub mapping: BTreeMap<String, ContextField>,
}

fn category(c: &str) -> Result<TemplateCategory, TemplateError> {
    match c {
        "UTILITY" => Ok(TemplateCategory::Utility),
        "MARKETING" => Ok(TemplateCategory::Marketing),
        "AUTHENTICATION" => Ok(TemplateCategory::Authentication),
        _ => Err(TemplateError::invalid(
            "category",
            "Elegí la categoría: utilidad, marketing o autenticación.",
        )),
    }
}

/// The request for Meta, with `handle` as the media header's example.
fn to_new(input: &NewTemplateInput, handle: &str) -> Result<NewTemplate, TemplateError> {
    let header = match &input.header {
        None => None,
        Some(HeaderInput::Text { text, example }) => Some(NewHeader::Text {
            text: text.clone(),
            example: example.clone().filter(|e| !e.is_empty()),
        }),
        Some(HeaderInput::Media { format, .. } | HeaderInput::MediaBytes { format, .. }) => {
            let example_handle = handle.to_owned();
            Some(match format {
                HeaderFormatInput::Image => NewHeader::Image { example_handle },
                HeaderFormatInput::Video => NewHeader::Video { example_handle },
                HeaderFormatInput::Document => NewHeader::Document { example_handle },
            })
        }
    };
    let body_examples = if input.examples.is_empty() {
        BodyExamples::None
    } else if input.named {
        BodyExamples::Named(input.examples.clone())
    } else {
        BodyExamples::Positional(input.examples.iter().map(|(_, e)| e.clone()).collect())
    };
    Ok(NewTemplate {
        name: input.name.trim().to_owned(),
        language: input.language.clone(),
        category: category(&input.category)?,
        header,
        body: input.body.clone(),
        body_examples,
        footer: input.footer.clone().filter(|f| !f.trim().is_empty()),
        buttons: input
            .buttons
            .iter()
            .map(|b| match b.clone() {
                ButtonInput::QuickReply { text } => NewButton::QuickReply { text },
                ButtonInput::Url { text, url, example } => NewButton::Url { text, url, example },
                ButtonInput::PhoneNumber { text, phone_number } => {
                    NewButton::PhoneNumber { text, phone_number }
                }
                ButtonInput::CopyCode { example } => NewButton::CopyCode { example },
            })
            .collect(),
    })
}

fn local_refusal(v: mostrador_whatsapp::send::ValidationError) -> TemplateError {
    TemplateError::invalid(
        v.field.clone(),
        format!(
            "Revisá {}: no cumple los límites de WhatsApp ({}).",
            field_label_es(&v.field),
            v.problem
        ),
    )
}

fn mime_of(path: &std::path::Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "mp4" => "video/mp4",
        _ => return None,
    })
}

async fn read_media(file: &MediaFile) -> Result<(String, String, Vec<u8>), TemplateError> {
    match file {
        MediaFile::Bytes {
            file_name,
            mime_type,
            bytes,
        } => Ok((file_name.clone(), mime_type.clone(), bytes.clone())),
        MediaFile::Path(p) => {
            let mime = mime_of(p).ok_or_else(|| {
                TemplateError::invalid(
                    "components.HEADER.example",
                    "El archivo de ejemplo tiene que ser PDF, JPG, PNG o MP4.",
                )
            })?;
            let bytes = tokio::fs::read(p).await.map_err(|e| {
                TemplateError::invalid(
                    "components.HEADER.example",
                    format!("No se pudo leer el archivo de ejemplo: {e}."),
                )
            })?;
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("ejemplo")
                .to_owned();
            Ok((name, mime.to_owned(), bytes))
        }
    }
}

/// Submits a new template to Meta and stores it (status `PENDING` until the review webhook).
pub async fn create(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    input: NewTemplateInput,
) -> Result<TemplateView, TemplateError> {
    // Every local rule first, with a stand-in handle: nothing is uploaded for a form that
    // would be refused anyway.
    to_new(&input, "pending-upload")?
        .validate()
        .map_err(local_refusal)?;
    let file = match &input.header {
        Some(HeaderInput::Media { file, .. }) => Some(MediaFile::Path(file.clone())),
        Some(HeaderInput::MediaBytes { file, .. }) => Some(file.clone()),
        _ => None,
    };
    let client = client(store, secrets, org).await?;
    let handle = match file {
        None => String::new(),
        Some(f) => {
            let app = crate::settings::get(store, Some(org), APP_ID)
                .await?
                .filter(|a| !a.trim().is_empty())
                .ok_or_else(|| {
                    TemplateError::invalid(
                        "components.HEADER.example",
                        "Para un encabezado con archivo falta el identificador de la app de Meta (Ajustes → WhatsApp).",
                    )
                })?;
            let app = AppId::new(app).map_err(|e| TemplateError::NotConfigured(e.to_string()))?;
            let (name, mime, bytes) = read_media(&f).await?;
            let session = client
                .start_upload(&app, &name, bytes.len() as u64, &mime)
                .await
                .map_err(|e| match e {
                    mostrador_whatsapp::Error::Invalid(v) => local_refusal(v),
                    other => TemplateError::WhatsApp(other),
                })?;
            client
                .upload(&session, bytes.into())
                .await
                .map_err(TemplateError::WhatsApp)?
                .into_string()
        }
    };
    let new = to_new(&input, &handle)?;
    let created = client.create_template(&new).await.map_err(|e| {
        if let mostrador_whatsapp::Error::Invalid(v) = e {
            return local_refusal(v);
        }
        match CreateRejection::from_error(&e) {
            Some(r) => TemplateError::Rejected {
                field: r.field,
                meta: r.meta,
                code: r.code,
                subcode: r.subcode,
            },
            None => TemplateError::WhatsApp(e),
        }
    })?;
    tracing::info!(%org, name = %new.name, id = %created.id.as_str(), "template submitted");
    let json = new.to_json();
    let components = json["components"].clone();
    let shape =
        TemplateShape::from_components(components.as_array().map(Vec::as_slice).unwrap_or(&[]));
    let status = serde_json::to_value(&created.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned));
    let category = created
        .category
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| input.category.clone());
    let now = super::local_stamp();
    let mut tx = store.begin_immediate().await?;
    // A review webhook may have landed first: its status wins (it is newer).
    sqlx::query(
        "INSERT INTO templates (org_id, name, language, provider_id, status, category, components,
                                parameter_format, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (org_id, name, language) DO UPDATE SET
           provider_id = excluded.provider_id,
           category = coalesce(category, excluded.category),
           status = coalesce(status, excluded.status),
           components = excluded.components,
           parameter_format = excluded.parameter_format",
    )
    .bind(org.to_string())
    .bind(&new.name)
    .bind(&new.language)
    .bind(created.id.as_str())
    .bind(status)
    .bind(category)
    .bind(components.to_string())
    .bind(if input.named { "NAMED" } else { "POSITIONAL" })
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let mapping: Vec<(Part, String, ContextField)> = shape
        .variables
        .iter()
        .filter_map(|v| {
            input
                .mapping
                .get(&v.key)
                .map(|f| (v.part, v.variable.clone(), *f))
        })
        .collect();
    insert_mapping(&mut tx, org, &new.name, &new.language, mapping).await?;
    tx.commit().await?;
    get(store, org, &new.name, &new.language).await
}

/// Deletes a template at Meta (this language only when its id is known) and here.
pub async fn delete(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    name: &str,
    language: &str,
) -> Result<(), TemplateError> {
    let t = get(store, org, name, language).await?;
    let client = client(store, secrets, org).await?;
    let id = t
        .provider_id
        .as_deref()
        .and_then(|i| mostrador_whatsapp::ids::TemplateId::new(i.to_owned()).ok());
    match client.delete_template(name, id.as_ref()).await {
        Ok(()) => {}
        // Already gone at Meta (deleted in WhatsApp Manager): forget it here too.
        Err(e) if e.graph().is_some_and(|g| g.subcode == Some(2593002)) => {}
        Err(e) => return Err(TemplateError::WhatsApp(e)),
    }
    let mut tx = store.begin_immediate().await?;
    for table in ["templates", "template_variables"] {
        // With the id, Meta deleted this language only; by name, every language.
        let sql = if id.is_some() {
            format!("DELETE FROM {table} WHERE org_id = ? AND name = ? AND language = ?")
        } else {
            format!("DELETE FROM {table} WHERE org_id = ? AND name = ?")
        };
        let mut q = sqlx::query(&sql).bind(org.to_string()).bind(name);
        if id.is_some() {
            q = q.bind(language);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    tracing::info!(%org, name, "template deleted");
    Ok(())
}

/// For the suggested templates: the format of a header the app fills itself.
pub(crate) fn media_header(format: HeaderFormat, file: MediaFile) -> Option<HeaderInput> {
    let format = match format {
        HeaderFormat::Image => HeaderFormatInput::Image,
        HeaderFormat::Video => HeaderFormatInput::Video,
        HeaderFormat::Document => HeaderFormatInput::Document,
        _ => return None,
    };
    Some(HeaderInput::MediaBytes { format, file })
}

#[cfg(test)]
pub(crate) fn to_new_for_test(input: &NewTemplateInput) -> NewTemplate {
    to_new(input, "4::aGFuZGxl:ARZ").unwrap()
}
