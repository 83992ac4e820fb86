//! The seed notices (turno confirmado, trabajo agendado, factura disponible, pago recibido,
//! recordatorio de pago, bienvenida) as one call: the suggested template of that name on WhatsApp,
//! its variables filled from the context, and the same text by SMS or e-mail when WhatsApp cannot
//! carry it — through the notice's chain ([`super::send_notice_once`]), once per idempotency key.

use std::collections::BTreeMap;

use mostrador_queue::Queue;

use super::{send_notice_once, NewNotice, NotifyError, SentNotice};
use crate::channels::email::AttachmentRef;
use crate::events::EventBus;
use crate::org::OrgId;
use crate::store::Store;
use crate::templates::{
    self, fill, suggested, ContextField, HeaderFile, SendTemplate, SuggestedTemplate,
    TemplateContext, TemplateError, ES_AR,
};

/// A seed notice to send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedNotice {
    pub customer_id: i64,
    /// The suggested template's name (`turno_confirmado`, `factura_disponible`…): it picks the
    /// WhatsApp template, the notification type (its chain) and the SMS / e-mail text.
    pub template: String,
    /// What fills the variables. The customer's name and the business's name are added when
    /// missing.
    pub context: TemplateContext,
    /// Values for variables the WABA's template has and its mapping does not fill (a template
    /// synced from Meta with its own variables), by key (`body.descuento`).
    pub params: BTreeMap<String, String>,
    /// The document header (the invoice PDF) of a template that has one.
    pub header_file: Option<HeaderFile>,
    pub header_filename: Option<String>,
    /// Files the e-mail step attaches.
    pub attachments: Vec<AttachmentRef>,
    /// Once per intent: a second call with the same key sends nothing.
    pub idempotency_key: String,
}

/// The notification type of a suggested template: the chain it goes through.
pub fn seed_kind(template: &str) -> Option<&'static str> {
    suggested()
        .into_iter()
        .find(|s| s.name == template)
        .map(|s| s.notice_kind)
}

/// Why the WhatsApp step cannot be used (Spanish, for the thread's "enviado por SMS porque
/// WhatsApp falló: …"), or the error when it is not about WhatsApp.
fn whatsapp_unusable(template: &str, e: TemplateError) -> Result<String, NotifyError> {
    Ok(match e {
        TemplateError::Store(s) => return Err(NotifyError::Store(s)),
        TemplateError::NotFound { .. } => {
            format!("la plantilla {template} no existe: creala en Plantillas")
        }
        TemplateError::NotApproved { status, .. } => {
            format!("la plantilla {template} no está aprobada ({status})")
        }
        TemplateError::NoRecipient => "el cliente no tiene WhatsApp".into(),
        TemplateError::OptedOut {
            marketing_only: true,
        } => format!(
            "Meta pasó la plantilla {template} a Marketing y el cliente no recibe publicidad"
        ),
        TemplateError::OptedOut { .. } => "el cliente pidió no recibir mensajes".into(),
        TemplateError::Invalid { message_es, .. } => message_es,
        TemplateError::NotConfigured(_) => "WhatsApp no está conectado".into(),
        other => other.to_string(),
    })
}

/// The suggested text with every field filled: the SMS and the e-mail body.
fn text(s: &SuggestedTemplate, ctx: &TemplateContext) -> Result<String, NotifyError> {
    for f in &s.fields {
        if ctx.get(*f).is_none_or(|v| v.trim().is_empty()) {
            return Err(NotifyError::MissingContext {
                field: f.as_str(),
                label: f.label_es(),
            });
        }
    }
    Ok(fill(s.body, |v| {
        let i: usize = v.parse().ok()?;
        s.fields
            .get(i.checked_sub(1)?)
            .and_then(|f| ctx.get(*f))
            .map(str::to_owned)
    }))
}

/// A seed's text filled for a customer: what the scheduler stores and the SMS / e-mail say.
pub(super) struct Filled {
    pub(super) seed: SuggestedTemplate,
    /// The context with the customer's and the business's names added.
    pub(super) context: TemplateContext,
    pub(super) body: String,
}

/// Fills a seed's text for a customer; fails when the seed is unknown or a field is missing.
pub(super) async fn fill_seed(
    store: &Store,
    org: OrgId,
    customer_id: i64,
    template: &str,
    context: &TemplateContext,
) -> Result<Filled, NotifyError> {
    let s = suggested()
        .into_iter()
        .find(|s| s.name == template)
        .ok_or_else(|| NotifyError::UnknownSeed(template.to_owned()))?;
    let customer = crate::customers::get(store.reader(), org, customer_id)
        .await?
        .ok_or(NotifyError::UnknownCustomer)?;
    let mut ctx = context.clone();
    if ctx.get(ContextField::CustomerName).is_none() {
        ctx = ctx.with(ContextField::CustomerName, customer.display_name());
    }
    if ctx.get(ContextField::BusinessName).is_none() {
        let business: Option<String> =
            sqlx::query_scalar("SELECT name FROM organizations WHERE id = ?")
                .bind(org.to_string())
                .fetch_optional(store.reader())
                .await?;
        if let Some(b) = business {
            ctx = ctx.with(ContextField::BusinessName, b);
        }
    }
    let body = text(&s, &ctx)?;
    Ok(Filled {
        seed: s,
        context: ctx,
        body,
    })
}

/// The notice a seed is: its template prepared for the WhatsApp step (or why WhatsApp cannot
/// carry it), its text for the others. Reads only; the caller sends it in its transaction.
pub(super) async fn seed_notice(
    store: &Store,
    org: OrgId,
    n: &SeedNotice,
) -> Result<NewNotice, NotifyError> {
    if n.idempotency_key.trim().is_empty() {
        return Err(NotifyError::MissingContext {
            field: "idempotency_key",
            label: "la clave del envío",
        });
    }
    let Filled {
        seed: s,
        context: ctx,
        body,
    } = fill_seed(store, org, n.customer_id, &n.template, &n.context).await?;
    let request = SendTemplate {
        customer_id: n.customer_id,
        name: s.name.into(),
        language: ES_AR.into(),
        params: n.params.clone(),
        context: ctx,
        header_media_id: None,
        header_file: n.header_file.clone(),
        header_filename: n.header_filename.clone(),
        idempotency_key: n.idempotency_key.clone(),
    };
    let (whatsapp, whatsapp_preview, whatsapp_unusable) =
        match templates::prepare_template(store, org, &request).await {
            Ok(p) => (Some(p.send.content), Some(p.preview), None),
            Err(e) => (None, None, Some(self::whatsapp_unusable(s.name, e)?)),
        };
    Ok(NewNotice {
        customer_id: n.customer_id,
        kind: s.notice_kind.into(),
        subject: s.title.into(),
        body,
        whatsapp,
        whatsapp_preview,
        whatsapp_unusable,
        attachments: n.attachments.clone(),
        idempotency_key: Some(format!("{}:{}", s.name, n.idempotency_key)),
    })
}

/// Sends a seed notice by the first channel of its type's chain that works (own transaction).
pub async fn send_seed_notice(
    store: &Store,
    queue: &Queue,
    events: &EventBus,
    org: OrgId,
    n: &SeedNotice,
) -> Result<SentNotice, NotifyError> {
    let notice = seed_notice(store, org, n).await?;
    let sent = send_notice_once(store, queue, events, org, &notice).await?;
    tracing::info!(
        %org,
        template = n.template.as_str(),
        notice_id = sent.notice_id,
        channel = sent.channel.as_str(),
        already_sent = sent.already_sent,
        "seed notice queued"
    );
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_has_a_kind_and_its_text_needs_every_field() {
        for s in suggested() {
            assert_eq!(seed_kind(s.name), Some(s.notice_kind));
            let mut ctx = TemplateContext::default();
            for (f, e) in s.fields.iter().zip(&s.examples) {
                ctx = ctx.with(*f, *e);
            }
            let t = text(&s, &ctx).unwrap();
            assert!(!t.contains("{{"), "{}: {t}", s.name);
            let missing = s.fields[s.fields.len() - 1];
            ctx.0.remove(&missing);
            assert!(
                matches!(text(&s, &ctx), Err(NotifyError::MissingContext { field, .. }) if field == missing.as_str()),
                "{}",
                s.name
            );
        }
        assert_eq!(seed_kind("factura_disponible"), Some("factura"));
        assert_eq!(seed_kind("hola"), None);
    }
}
