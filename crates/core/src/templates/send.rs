//! Sending a template to a customer: every variable filled (from what the owner typed, else from
//! the notice's context through the template's mapping) and checked as Meta would, then the
//! message row and its `whatsapp.send` job in one transaction. Templates may go out when the 24 h
//! window is closed; marketing ones never to a customer who opted out.

use std::collections::BTreeMap;

use chrono::Utc;
use mostrador_queue::{Enqueued, Queue};
use serde::Deserialize;

use super::mapping::TemplateContext;
use super::params::{self, BODY_PARAM_MAX, BUTTON_PARAM_MAX, HEADER_PARAM_MAX};
use super::shape::{HeaderFormat, Part};
use super::{get, TemplateError, TemplateView};
use crate::channels::whatsapp::{TemplateHeader, WhatsAppContent, WhatsAppSend};
use crate::conversations::NewMessage;
use crate::events::EventBus;
use crate::org::OrgId;
use crate::store::timestamp::now_text;
use crate::store::Store;
use mostrador_whatsapp::send::MediaKind;

/// A template to send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SendTemplate {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub customer_id: i64,
    pub name: String,
    pub language: String,
    /// Variable key (`body.1`, `header.1`, `button.0`) → value typed in the picker. A missing key
    /// is filled from `context` through the template's mapping.
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub context: TemplateContext,
    /// An uploaded media id for an image, video or document header.
    pub header_media_id: Option<String>,
    /// Or a file on this computer for that header (the invoice PDF, a photo the owner picked):
    /// checked now, uploaded by the send job.
    #[serde(default)]
    pub header_file: Option<HeaderFile>,
    pub header_filename: Option<String>,
    /// Chosen by the caller once per intent: a double click or a retried command sends once.
    pub idempotency_key: String,
}

/// A header file on this computer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HeaderFile {
    /// Absolute path.
    pub path: String,
    pub mime_type: String,
}

/// A header file checked as WhatsApp would check it, and against the template's header format,
/// before anything is written.
async fn header_file(
    format: HeaderFormat,
    file: &HeaderFile,
    filename: Option<String>,
) -> Result<TemplateHeader, TemplateError> {
    let bad = |m: &str| TemplateError::invalid("header", m.to_owned());
    let path = std::path::Path::new(&file.path);
    if !path.is_absolute() {
        return Err(bad("El archivo del encabezado no es válido."));
    }
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|_| bad("No se encontró el archivo del encabezado."))?;
    if !meta.is_file() {
        return Err(bad("El encabezado tiene que ser un archivo."));
    }
    let ty = mostrador_whatsapp::media::check_upload(&file.mime_type, meta.len())
        .map_err(|_| bad("WhatsApp no acepta ese tipo de archivo en el encabezado."))?;
    let fits = matches!(
        (format, ty.kind),
        (HeaderFormat::Image, MediaKind::Image)
            | (HeaderFormat::Video, MediaKind::Video)
            | (HeaderFormat::Document, MediaKind::Document)
    );
    if !fits {
        return Err(bad(match format {
            HeaderFormat::Image => {
                "Esta plantilla lleva una imagen en el encabezado: elegí un JPG o PNG."
            }
            HeaderFormat::Video => "Esta plantilla lleva un video en el encabezado: elegí un MP4.",
            _ => {
                "Esta plantilla lleva un documento en el encabezado: elegí un PDF u otro documento."
            }
        }));
    }
    if meta.len() > ty.max_bytes {
        return Err(TemplateError::invalid(
            "header",
            format!(
                "El archivo pesa {:.1} MB y WhatsApp acepta hasta {} MB para ese tipo.",
                meta.len() as f64 / 1_048_576.0,
                ty.max_bytes / 1_048_576
            ),
        ));
    }
    let filename = filename.or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()));
    Ok(TemplateHeader::File {
        path: file.path.clone(),
        mime_type: file.mime_type.clone(),
        filename: if format == HeaderFormat::Document {
            filename
        } else {
            None
        },
    })
}

/// The queued message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SentTemplate {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub message_id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub job_id: i64,
    /// The idempotency key had been used: this is the earlier message, nothing new was queued.
    pub already_sent: bool,
}

/// The filled values, in the shapes the payload and the preview need.
struct Filled {
    body: Vec<String>,
    body_names: Vec<String>,
    header_text: Option<(String, Option<String>)>,
    url_buttons: Vec<(u8, String)>,
    preview: String,
}

fn fill(t: &TemplateView, req: &SendTemplate) -> Result<Filled, TemplateError> {
    let named = t.parameter_format.as_deref() == Some("NAMED");
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for v in &t.shape.variables {
        let field = t.mapping.get(&v.key).copied();
        let value = req
            .params
            .get(&v.key)
            .cloned()
            .or_else(|| field.and_then(|f| req.context.get(f)).map(str::to_owned))
            .unwrap_or_default();
        let max = match v.part {
            Part::Body => BODY_PARAM_MAX,
            Part::Header => HEADER_PARAM_MAX,
            Part::Button => BUTTON_PARAM_MAX,
        };
        params::check(&v.key, &value, max).map_err(|e| {
            let label = field
                .map(|f| f.label_es().to_owned())
                .unwrap_or_else(|| format!("variable {{{{{}}}}}", v.variable));
            TemplateError::invalid(v.key.clone(), e.message_es(&label))
        })?;
        values.insert(v.key.clone(), value);
    }
    let get = |part: &str, var: &str| values.get(&format!("{part}.{var}")).cloned();
    let preview = params::fill(&t.shape.body, |v| get("body", v));
    if preview.chars().count() > 1024 {
        return Err(TemplateError::invalid(
            "body",
            "Con las variables completas, el mensaje supera los 1024 caracteres que acepta WhatsApp.",
        ));
    }
    let mut body = Vec::new();
    let mut body_names = Vec::new();
    let mut header_text = None;
    let mut url_buttons = Vec::new();
    for v in &t.shape.variables {
        let value = values[&v.key].clone();
        match v.part {
            Part::Body => {
                body.push(value);
                if named {
                    body_names.push(v.variable.clone());
                }
            }
            Part::Header => header_text = Some((value, named.then(|| v.variable.clone()))),
            Part::Button => {
                let index: u8 = v.variable.parse().unwrap_or(0);
                url_buttons.push((index, value));
            }
        }
    }
    Ok(Filled {
        body,
        body_names,
        header_text,
        url_buttons,
        preview,
    })
}

/// A template send checked and filled, not yet queued: what [`send_template`] queues, and what a
/// notice's WhatsApp step carries ([`crate::notifications`]).
#[derive(Debug, Clone)]
pub struct PreparedTemplate {
    pub send: WhatsAppSend,
    /// The body with its variables filled: the message's text in the thread.
    pub preview: String,
    pub name: String,
    pub language: String,
    pub customer_id: i64,
    /// A document header's file name: the thread shows the template carried that file.
    pub document_filename: Option<String>,
}

/// Checks and fills a template send as [`send_template`] does (approved, the customer reachable
/// and not opted out, every variable valid, the header file acceptable, the Graph payload valid),
/// without writing anything.
pub async fn prepare_template(
    store: &Store,
    org: OrgId,
    req: &SendTemplate,
) -> Result<PreparedTemplate, TemplateError> {
    let t = get(store, org, &req.name, &req.language).await?;
    if !t.sendable {
        return Err(TemplateError::NotApproved {
            name: t.name,
            status: t.status.unwrap_or_else(|| "desconocido".into()),
        });
    }
    let customer = crate::customers::get(store.reader(), org, req.customer_id)
        .await?
        .ok_or(TemplateError::NoRecipient)?;
    if customer.opted_out {
        return Err(TemplateError::OptedOut {
            marketing_only: false,
        });
    }
    if t.category.as_deref() == Some("MARKETING") && customer.opted_out_marketing {
        return Err(TemplateError::OptedOut {
            marketing_only: true,
        });
    }
    let to = customer
        .wa_id
        .clone()
        .or(customer.phone.clone())
        .or(customer.bsuid.clone())
        .ok_or(TemplateError::NoRecipient)?;
    let filled = fill(&t, req)?;
    let document_filename = matches!(t.shape.media_header(), Some(HeaderFormat::Document))
        .then(|| req.header_filename.clone())
        .flatten();
    let header = match t.shape.media_header() {
        Some(format) if req.header_file.is_some() && req.header_media_id.is_none() => {
            let file = req.header_file.as_ref().expect("checked");
            Some(header_file(format, file, req.header_filename.clone()).await?)
        }
        Some(format) => {
            let media_id = req
                .header_media_id
                .clone()
                .filter(|m| !m.trim().is_empty())
                .ok_or_else(|| {
                    TemplateError::invalid(
                        "header",
                        "Esta plantilla lleva un archivo en el encabezado: adjuntalo antes de enviar.",
                    )
                })?;
            Some(match format {
                HeaderFormat::Image => TemplateHeader::Image { media_id },
                HeaderFormat::Video => TemplateHeader::Video { media_id },
                _ => TemplateHeader::Document {
                    media_id,
                    filename: req.header_filename.clone(),
                },
            })
        }
        None => filled
            .header_text
            .clone()
            .map(|(text, name)| TemplateHeader::Text { text, name }),
    };
    let send = WhatsAppSend {
        to,
        content: WhatsAppContent::Template {
            name: t.name.clone(),
            language: t.language.clone(),
            body_params: filled.body,
            body_param_names: filled.body_names,
            header,
            url_buttons: filled.url_buttons,
        },
        reply_to: None,
    };
    // The payload must turn into a valid Graph message before it is queued (a header file as
    // if already uploaded: the job uploads it).
    let uploaded = match &send.content {
        WhatsAppContent::Template {
            header: Some(TemplateHeader::File { mime_type, .. }),
            ..
        } => mostrador_whatsapp::media::check_upload(mime_type, 1)
            .ok()
            .zip(mostrador_whatsapp::ids::MediaId::new("0".to_owned()).ok())
            .map(|(ty, id)| (id, ty.kind)),
        _ => None,
    };
    send.to_message_with_media("0", uploaded)
        .map_err(|e| match e {
            mostrador_whatsapp::Error::Invalid(v) => TemplateError::invalid(
                v.field.clone(),
                format!(
                    "WhatsApp no aceptaría este envío ({}: {}).",
                    v.field, v.problem
                ),
            ),
            other => TemplateError::invalid("template", other.to_string()),
        })?;
    Ok(PreparedTemplate {
        send,
        preview: filled.preview,
        name: t.name,
        language: t.language,
        customer_id: customer.id,
        document_filename,
    })
}

/// Queues the template for the customer. Returns the message (new, or the earlier one for the
/// same idempotency key).
pub async fn send_template(
    store: &Store,
    queue: &Queue,
    events: &EventBus,
    org: OrgId,
    req: SendTemplate,
) -> Result<SentTemplate, TemplateError> {
    if req.idempotency_key.trim().is_empty() || req.idempotency_key.len() > 200 {
        return Err(TemplateError::invalid(
            "idempotency_key",
            "Falta la clave del envío (un error de la aplicación).",
        ));
    }
    let PreparedTemplate {
        send,
        preview,
        name,
        language,
        customer_id,
        document_filename,
    } = prepare_template(store, org, &req).await?;
    let job = send
        .job(org, Utc::now())?
        .unique_key(format!("template:{}", req.idempotency_key));
    let mut tx = store.begin_immediate().await?;
    let (enqueued, wake) = queue.enqueue_in(&mut tx, &job).await?;
    let job_id = enqueued.id().0;
    if let Enqueued::AlreadyExists(_) = enqueued {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, conversation_id FROM messages WHERE org_id = ? AND job_id = ?",
        )
        .bind(org.to_string())
        .bind(job_id)
        .fetch_optional(&mut *tx)
        .await?;
        drop(tx);
        let (message_id, conversation_id) = row.ok_or_else(|| {
            TemplateError::invalid(
                "idempotency_key",
                "Esa clave de envío ya se usó para otro envío (un error de la aplicación).",
            )
        })?;
        return Ok(SentTemplate {
            message_id,
            conversation_id,
            job_id,
            already_sent: true,
        });
    }
    let now = now_text();
    let data = serde_json::json!({ "template": { "name": name, "language": language } });
    let (message_id, out) = crate::conversations::record_outbound(
        &mut tx,
        org,
        customer_id,
        NewMessage {
            kind: "template",
            text: Some(&preview),
            filename: document_filename.as_deref(),
            data: Some(data.to_string()),
            job_id: Some(job_id),
            at: &now,
            ..Default::default()
        },
    )
    .await?;
    let conversation_id: i64 =
        sqlx::query_scalar("SELECT conversation_id FROM messages WHERE id = ?")
            .bind(message_id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    wake.after_commit();
    events.emit_all(out);
    tracing::info!(%org, template = %name, job_id, message_id, "template queued");
    Ok(SentTemplate {
        message_id,
        conversation_id,
        job_id,
        already_sent: false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::mapping::ContextField;
    use super::super::shape::TemplateShape;
    use super::*;
    use serde_json::json;

    fn template(named: bool) -> TemplateView {
        let comps = if named {
            json!([{"type": "BODY", "text": "Hola {{nombre}}, tu turno es el {{fecha}}."}])
        } else {
            json!([{"type": "BODY", "text": "Hola {{1}}, tu turno es el {{2}}."},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Ver", "url": "https://t.example/{{1}}"}]}])
        };
        let shape = TemplateShape::from_components(comps.as_array().unwrap());
        let mut mapping = BTreeMap::new();
        let first = if named { "body.nombre" } else { "body.1" };
        mapping.insert(first.to_owned(), ContextField::CustomerName);
        TemplateView {
            name: "turno".into(),
            language: "es_AR".into(),
            provider_id: None,
            status: Some("APPROVED".into()),
            category: Some("UTILITY".into()),
            quality: None,
            reason: None,
            reason_es: None,
            parameter_format: Some(if named { "NAMED" } else { "POSITIONAL" }.into()),
            shape,
            mapping,
            sendable: true,
            updated_at: String::new(),
            previous_category: None,
            category_changed_at: None,
        }
    }

    fn req(params: &[(&str, &str)]) -> SendTemplate {
        SendTemplate {
            customer_id: 1,
            name: "turno".into(),
            language: "es_AR".into(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            context: TemplateContext::default().with(ContextField::CustomerName, "Ana"),
            header_media_id: None,
            header_file: None,
            header_filename: None,
            idempotency_key: "k".into(),
        }
    }

    #[test]
    fn context_fills_mapped_variables_and_typed_values_win() {
        let f = fill(
            &template(false),
            &req(&[("body.2", "lunes 3"), ("button.0", "abc")]),
        )
        .unwrap();
        assert_eq!(f.body, ["Ana", "lunes 3"]);
        assert_eq!(f.preview, "Hola Ana, tu turno es el lunes 3.");
        assert_eq!(f.url_buttons, [(0, "abc".to_owned())]);
        let f = fill(
            &template(false),
            &req(&[("body.1", "Juana"), ("body.2", "hoy"), ("button.0", "x")]),
        )
        .unwrap();
        assert_eq!(f.body[0], "Juana");
        let f = fill(&template(true), &req(&[("body.fecha", "hoy")])).unwrap();
        assert_eq!(f.body_names, ["nombre", "fecha"]);
    }

    #[test]
    fn refuses_what_meta_refuses_naming_the_variable() {
        let field = |params: &[(&str, &str)]| match fill(&template(false), &req(params)) {
            Err(TemplateError::Invalid { field, message_es }) => (field, message_es),
            other => panic!("{:?}", other.map(|f| f.preview)),
        };
        let (f, m) = field(&[("button.0", "x")]);
        assert_eq!(f, "body.2");
        assert!(m.contains("{{2}}"), "{m}");
        let (f, m) = field(&[
            ("body.1", "Ana\nMaría"),
            ("body.2", "hoy"),
            ("button.0", "x"),
        ]);
        assert_eq!(f, "body.1");
        assert!(
            m.contains("Nombre del cliente") && m.contains("saltos de línea"),
            "{m}"
        );
        let (f, _) = field(&[("body.2", "a\tb"), ("button.0", "x")]);
        assert_eq!(f, "body.2");
        let (f, _) = field(&[("body.2", "a      b"), ("button.0", "x")]);
        assert_eq!(f, "body.2");
        let long = "x".repeat(1100);
        let (f, _) = field(&[("body.2", long.as_str()), ("button.0", "x")]);
        assert_eq!(f, "body.2");
        let (f, _) = field(&[("body.2", "hoy"), ("button.0", "  ")]);
        assert_eq!(f, "button.0");
    }
}
