//! The suggested Argentine templates (es_AR, utility): what most shops send. "Crear plantillas
//! sugeridas" syncs first, then submits only the ones the WABA does not have yet.

use std::collections::BTreeMap;

use serde::Serialize;

use super::manage::{create, media_header, ButtonInput, MediaFile, NewTemplateInput};
use super::mapping::ContextField;
use super::shape::HeaderFormat;
use super::sync::{sync, SyncProgress};
use super::{list, TemplateError, ES_AR};
use crate::error::AppError;
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::store::Store;

/// A suggested template: its text and what fills each `{{n}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedTemplate {
    pub name: &'static str,
    /// The notification type it is sent as (its channel chain): `turno`, `factura`…
    pub notice_kind: &'static str,
    /// What it is for, in Spanish.
    pub title: &'static str,
    pub body: &'static str,
    /// Example values of `{{1}}`, `{{2}}`…
    pub examples: Vec<&'static str>,
    /// The context field of `{{1}}`, `{{2}}`…
    pub fields: Vec<ContextField>,
    /// A document header (the invoice PDF).
    pub document_header: bool,
    pub footer: Option<&'static str>,
    pub quick_replies: Vec<&'static str>,
}

/// The six suggested templates.
pub fn suggested() -> Vec<SuggestedTemplate> {
    use ContextField::*;
    vec![
        SuggestedTemplate {
            name: "turno_confirmado",
            notice_kind: "turno",
            title: "Turno confirmado",
            body: "Hola {{1}}, tu turno en {{2}} quedó confirmado para el {{3}} a las {{4}}. Si no podés venir, avisanos respondiendo este mensaje.",
            examples: vec!["Ana", "Peluquería Sol", "lunes 3 de marzo", "10:30"],
            fields: vec![CustomerName, BusinessName, Date, Time],
            document_header: false,
            footer: None,
            quick_replies: vec!["Confirmo", "Necesito cambiarlo"],
        },
        SuggestedTemplate {
            name: "trabajo_agendado",
            notice_kind: "trabajo",
            title: "Trabajo agendado",
            body: "Hola {{1}}, agendamos {{2}} para el {{3}} a las {{4}}. Cualquier cambio te avisamos por acá.",
            examples: vec!["Juan", "la instalación del aire", "martes 4 de marzo", "15:00"],
            fields: vec![CustomerName, Service, Date, Time],
            document_header: false,
            footer: None,
            quick_replies: vec![],
        },
        SuggestedTemplate {
            name: "factura_disponible",
            notice_kind: "factura",
            title: "Factura disponible",
            body: "Hola {{1}}, te enviamos la factura {{2}} por un total de {{3}}. ¡Gracias por tu compra!",
            examples: vec!["Ana", "B 0001-00000042", "$ 12.500,00"],
            fields: vec![CustomerName, InvoiceNumber, InvoiceTotal],
            document_header: true,
            footer: None,
            quick_replies: vec![],
        },
        SuggestedTemplate {
            name: "pago_recibido",
            notice_kind: "pago",
            title: "Pago recibido",
            body: "Hola {{1}}, recibimos tu pago de {{2}} el {{3}}. ¡Muchas gracias!",
            examples: vec!["Ana", "$ 12.500,00", "3 de marzo"],
            fields: vec![CustomerName, Amount, Date],
            document_header: false,
            footer: None,
            quick_replies: vec![],
        },
        SuggestedTemplate {
            name: "recordatorio_de_pago",
            notice_kind: "recordatorio",
            title: "Recordatorio de pago",
            body: "Hola {{1}}, te recordamos que tenés un saldo de {{2}} que vence el {{3}}. Podés pagarlo acá: {{4}}. Si ya lo pagaste, ignorá este mensaje.",
            examples: vec!["Juan", "$ 8.000,00", "10 de marzo", "https://mpago.la/2abc3de"],
            fields: vec![CustomerName, Amount, DueDate, PaymentLink],
            document_header: false,
            footer: None,
            quick_replies: vec![],
        },
        SuggestedTemplate {
            name: "bienvenida",
            notice_kind: "bienvenida",
            title: "Bienvenida",
            body: "¡Hola {{1}}! Gracias por escribirle a {{2}}. Por este número te vamos a mandar tus turnos, facturas y avisos de pago.",
            examples: vec!["Ana", "Peluquería Sol"],
            fields: vec![CustomerName, BusinessName],
            document_header: false,
            footer: None,
            quick_replies: vec![],
        },
    ]
}

/// A one-page sample invoice: the example Meta reviews for the document header.
const SAMPLE_INVOICE_PDF: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 58 >> stream
BT /F1 18 Tf 20 70 Td (Factura B 0001-00000042) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

impl SuggestedTemplate {
    fn input(&self) -> NewTemplateInput {
        let mapping: BTreeMap<String, ContextField> = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("body.{}", i + 1), *f))
            .collect();
        NewTemplateInput {
            name: self.name.into(),
            language: ES_AR.into(),
            category: "UTILITY".into(),
            header: self.document_header.then(|| {
                media_header(
                    HeaderFormat::Document,
                    MediaFile::Bytes {
                        file_name: "factura_ejemplo.pdf".into(),
                        mime_type: "application/pdf".into(),
                        bytes: SAMPLE_INVOICE_PDF.to_vec(),
                    },
                )
                .expect("a document is a media header")
            }),
            body: self.body.into(),
            examples: self
                .examples
                .iter()
                .enumerate()
                .map(|(i, e)| ((i + 1).to_string(), (*e).to_owned()))
                .collect(),
            named: false,
            footer: self.footer.map(str::to_owned),
            buttons: self
                .quick_replies
                .iter()
                .map(|t| ButtonInput::QuickReply {
                    text: (*t).to_owned(),
                })
                .collect(),
            mapping,
        }
    }
}

/// What happened to one suggested template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SuggestedOutcome {
    Created,
    AlreadyThere,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SuggestedResult {
    pub name: String,
    pub outcome: SuggestedOutcome,
    /// Why it failed (Spanish), when it did.
    pub error: Option<AppError>,
}

/// Syncs, then submits each suggested template the WABA does not have in es_AR. One failure
/// does not stop the others.
pub async fn create_suggested(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    progress: impl Fn(SyncProgress),
) -> Result<Vec<SuggestedResult>, TemplateError> {
    sync(store, secrets, org, progress).await?;
    let have: Vec<(String, String)> = list(store, org)
        .await?
        .into_iter()
        .map(|t| (t.name, t.language))
        .collect();
    let mut out = Vec::new();
    for s in suggested() {
        if have.iter().any(|(n, l)| n == s.name && l == ES_AR) {
            out.push(SuggestedResult {
                name: s.name.into(),
                outcome: SuggestedOutcome::AlreadyThere,
                error: None,
            });
            continue;
        }
        let r = create(store, secrets, org, s.input()).await;
        out.push(match r {
            Ok(_) => SuggestedResult {
                name: s.name.into(),
                outcome: SuggestedOutcome::Created,
                error: None,
            },
            Err(e) => {
                tracing::warn!(%org, name = s.name, error = %e, "suggested template not created");
                SuggestedResult {
                    name: s.name.into(),
                    outcome: SuggestedOutcome::Failed,
                    error: Some(e.into()),
                }
            }
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suggestion_passes_meta_limits_and_maps_every_variable() {
        for s in suggested() {
            let input = s.input();
            let new = super::super::manage::to_new_for_test(&input);
            new.validate()
                .unwrap_or_else(|e| panic!("{}: {e:?}", s.name));
            assert_eq!(
                mostrador_whatsapp::templates::variables(s.body).len(),
                s.fields.len(),
                "{}",
                s.name
            );
            assert_eq!(s.examples.len(), s.fields.len(), "{}", s.name);
        }
        assert_eq!(suggested().len(), 6);
    }
}
