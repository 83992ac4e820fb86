//! "Enviar por WhatsApp" on a ready link: the link goes to the customer's conversation — a text
//! inside the 24 h window, the `recordatorio_de_pago` template outside it — with the same key the
//! preference job uses, so a second click (or the job having sent it already) never sends twice.
//! The text names the provider that made the link (Mercado Pago or Stripe).

use mostrador_queue::Queue;

use super::error::{invalid, PaymentsError};
use super::jobs::link_notice;
use super::notice::{self, format_money, Sent};
use super::providers::ProviderName;
use crate::events::EventBus;
use crate::org::OrgId;
use crate::store::timestamp::now_text;
use crate::store::Store;

#[derive(sqlx::FromRow)]
struct Row {
    kind: String,
    state: String,
    title: String,
    amount_cents: i64,
    currency: String,
    provider: String,
    idempotency_key: String,
    customer_id: Option<i64>,
    url: Option<String>,
    message_id: Option<i64>,
    name: Option<String>,
}

/// Sends link `link_id` to its customer; returns the message id (the earlier one if it was sent).
pub async fn send_link(
    store: &Store,
    queue: &Queue,
    events: &EventBus,
    org: OrgId,
    link_id: i64,
) -> Result<i64, PaymentsError> {
    let row: Row = sqlx::query_as(
        "SELECT l.kind, l.state, l.title, l.amount_cents, l.currency, l.provider, l.idempotency_key, l.customer_id, l.url,
                l.message_id, coalesce(c.owner_name, c.name) AS name
         FROM payment_links l LEFT JOIN customers c ON c.id = l.customer_id
         WHERE l.org_id = ? AND l.id = ?",
    )
    .bind(org.to_string())
    .bind(link_id)
    .fetch_optional(store.reader())
    .await?
    .ok_or(PaymentsError::LinkNotFound(link_id))?;
    if let Some(id) = row.message_id {
        return Ok(id);
    }
    let Some(customer) = row.customer_id else {
        return Err(invalid(
            "customer_id",
            "Este cobro no es de ningún cliente: copiá el link y mandalo vos.",
        ));
    };
    let (Some(url), "ready", "link") = (row.url.as_deref(), row.state.as_str(), row.kind.as_str())
    else {
        return Err(invalid(
            "link_id",
            "El link todavía no está listo: esperá unos segundos.",
        ));
    };
    let name = row
        .name
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .unwrap_or("¡hola")
        .to_owned();
    let provider = ProviderName::parse(&row.provider).unwrap_or(ProviderName::MercadoPago);
    let amount = format_money(row.amount_cents, &row.currency);
    // The link job's message: whichever sends first, the other finds that message.
    let n = link_notice(
        provider,
        &row.idempotency_key,
        name,
        &row.title,
        amount,
        url,
    );
    match notice::send(store, queue, events, org, customer, n).await? {
        Sent::Message(id) => {
            sqlx::query(
                "UPDATE payment_links SET message_id = ?, error = NULL, updated_at = ? WHERE id = ?",
            )
            .bind(id)
            .bind(now_text())
            .bind(link_id)
            .execute(store.writer())
            .await?;
            tracing::info!(%org, link_id, message_id = id, "payment link sent to the customer");
            Ok(id)
        }
        Sent::NotSent(why) => Err(invalid(
            "link_id",
            format!("El link está listo pero no se pudo enviar: {why}"),
        )),
    }
}
