//! Messages to the customer: the payment link and the "pago recibido" notice. Inside WhatsApp's
//! 24 h window they go as text; outside it as a notice ([`crate::notifications::send_seed_notice`]):
//! the suggested template (`recordatorio_de_pago`, `pago_recibido`), or its text by SMS or e-mail
//! when WhatsApp cannot carry it. Each carries a fixed key, so a retry never sends a second one.

use std::collections::BTreeMap;

use mostrador_queue::Queue;

use crate::conversations::{self as compose, ComposeError, Outgoing, SendRequest};
use crate::events::EventBus;
use crate::notifications::{self, NotifyError, SeedNotice};
use crate::org::OrgId;
use crate::store::Store;
use crate::templates::{self, TemplateContext};

/// `$ 1.500,50` (es-AR).
pub fn format_ars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let units = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && matches!((units.len() - i) % 3, 0) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    format!("{sign}$ {grouped},{:02}", c % 100)
}

/// An amount in its currency (es-AR): `$ 1.500,50` for pesos, `US$ 25,00` for dollars, the ISO
/// code before any other.
pub fn format_money(cents: i64, currency: &str) -> String {
    let pesos = format_ars(cents);
    let (sign, rest) = match pesos.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", pesos.as_str()),
    };
    let digits = rest.trim_start_matches("$ ");
    match currency.to_ascii_uppercase().as_str() {
        "ARS" | "PES" => pesos.clone(),
        "USD" | "DOL" => format!("{sign}US$ {digits}"),
        other => format!("{sign}{other} {digits}"),
    }
}

/// The message to send, in both forms.
pub(crate) struct Notice<'a> {
    pub key: String,
    pub text: String,
    pub template: &'a str,
    /// `body.1`, `body.2`… values of the template.
    pub params: Vec<String>,
}

/// What happened to a notice.
#[derive(Debug)]
pub(crate) enum Sent {
    Message(i64),
    /// Not sent, for a reason the owner should see (no conversation, opted out, no template…).
    NotSent(String),
}

/// Sends `n` to the customer (text in the window, else the template). Errors that a retry cannot
/// fix come back as [`Sent::NotSent`]; store errors as `Err`.
pub(crate) async fn send(
    store: &Store,
    queue: &Queue,
    events: &EventBus,
    org: OrgId,
    customer_id: i64,
    n: Notice<'_>,
) -> Result<Sent, crate::store::StoreError> {
    let conversation: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM conversations WHERE org_id = ? AND customer_id = ? AND channel = 'whatsapp'",
    )
    .bind(org.to_string())
    .bind(customer_id)
    .fetch_optional(store.reader())
    .await?;
    if let Some(conversation_id) = conversation {
        let req = SendRequest {
            conversation_id,
            client_key: n.key.clone(),
            content: Outgoing::Text {
                body: n.text.clone(),
            },
            reply_to_message_id: None,
        };
        match compose::send(store, queue, events, org, &req).await {
            Ok(m) => return Ok(Sent::Message(m.id)),
            Err(ComposeError::WindowClosed { .. }) => {}
            Err(ComposeError::Store(s)) => return Err(s),
            Err(e) => return Ok(Sent::NotSent(e.to_string())),
        }
    }
    let params: BTreeMap<String, String> = n
        .params
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("body.{}", i + 1), v.clone()))
        .collect();
    // Outside the window it is a notice: the suggested template on WhatsApp, its text by SMS or
    // e-mail when WhatsApp cannot carry it (issue 12's chain), once per key.
    let context = templates::suggested()
        .into_iter()
        .find(|s| s.name == n.template)
        .map(|s| {
            s.fields
                .iter()
                .zip(&n.params)
                .fold(TemplateContext::default(), |c, (f, v)| {
                    c.with(*f, v.clone())
                })
        })
        .unwrap_or_default();
    let seed = SeedNotice {
        customer_id,
        template: n.template.to_owned(),
        context,
        params,
        idempotency_key: n.key,
        ..Default::default()
    };
    match notifications::send_seed_notice(store, queue, events, org, &seed).await {
        Ok(s) => Ok(Sent::Message(s.message_id)),
        Err(NotifyError::Store(s)) => Err(s),
        Err(NotifyError::Sqlx(e)) => Err(crate::store::StoreError::Sqlx(e)),
        Err(e) => Ok(Sent::NotSent(format!(
            "fuera de la ventana de 24 h y el aviso «{}» no se pudo enviar: {e}",
            n.template
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pesos_es_ar() {
        assert_eq!(format_ars(150050), "$ 1.500,50");
        assert_eq!(format_ars(5), "$ 0,05");
        assert_eq!(format_ars(123456789), "$ 1.234.567,89");
        assert_eq!(format_ars(-100000), "-$ 1.000,00");
        assert_eq!(format_money(150050, "ARS"), "$ 1.500,50");
        assert_eq!(format_money(2500, "usd"), "US$ 25,00");
        assert_eq!(format_money(-2500, "USD"), "-US$ 25,00");
        assert_eq!(format_money(990, "EUR"), "EUR 9,90");
    }
}
