//! The local checkout page of a preference (and of a counter QR): three buttons that approve,
//! reject or leave pending a payment. Ids on the buttons (`mp-approve`, `mp-reject`,
//! `mp-pending`) and on the result (`mp-result`) are for WebDriver tests.

use axum::extract::{Path, Query, State as AxState};
use axum::response::Html;
use axum::Form;
use serde::Deserialize;

use super::state::{default_detail, now, SimPayment};
use super::webhooks::{self, Change};
use super::{PayRequest, Shared, PREFIX};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page_for(sh: &Shared, id: &str) -> Html<String> {
    let st = sh.state.lock().unwrap();
    let Some(p) = st.preferences.iter().find(|p| p.id == id) else {
        return Html("<html><body><h1 id=\"mp-result\">Link inválido</h1></body></html>".into());
    };
    let amount = format!("{}.{:02}", p.amount_cents / 100, p.amount_cents % 100);
    let button = |outcome: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"{PREFIX}/checkout/v1/pay\" style=\"display:inline\">\
             <input type=\"hidden\" name=\"preference_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"outcome\" value=\"{outcome}\">\
             <button id=\"mp-{outcome}\" type=\"submit\">{label}</button></form>",
            escape(&p.id)
        )
    };
    Html(format!(
        "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\"><title>Mercado Pago (sandbox)</title></head>\
         <body><h1>Mercado Pago — simulador</h1><p id=\"mp-title\">{}</p>\
         <p id=\"mp-amount\">{} $ {amount}</p>{}{}{}</body></html>",
        escape(&p.title),
        escape(&p.currency),
        button("approve", "Pagar (aprobado)"),
        button("reject", "Rechazar"),
        button("pending", "Dejar pendiente"),
    ))
}

#[derive(Deserialize)]
pub(crate) struct PrefQuery {
    pref_id: String,
}

pub(crate) async fn page(AxState(sh): AxState<Shared>, Query(q): Query<PrefQuery>) -> Html<String> {
    page_for(&sh, &q.pref_id)
}

pub(crate) async fn qr_page(AxState(sh): AxState<Shared>, Path(id): Path<String>) -> Html<String> {
    page_for(&sh, &id)
}

#[derive(Deserialize)]
pub(crate) struct PayForm {
    preference_id: String,
    outcome: String,
}

pub(crate) async fn pay(AxState(sh): AxState<Shared>, Form(f): Form<PayForm>) -> Html<String> {
    let r = pay_preference(
        &sh,
        PayRequest {
            preference_id: f.preference_id,
            outcome: f.outcome.clone(),
            amount_cents: None,
            installments: None,
        },
    )
    .await;
    let text = match (&r, f.outcome.as_str()) {
        (Ok(_), "approve") => "¡Listo! Tu pago fue aprobado.",
        (Ok(_), "reject") => "Tu pago fue rechazado.",
        (Ok(_), _) => "Tu pago quedó pendiente.",
        (Err(_), _) => "No se pudo procesar el pago.",
    };
    let id = r.map(|id| id.to_string()).unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\"><title>Mercado Pago (sandbox)</title></head>\
         <body><h1 id=\"mp-result\">{text}</h1><p id=\"mp-payment-id\">{id}</p></body></html>"
    ))
}

/// A buyer pays a preference or a QR: a payment is created and notified (`payment.created`).
pub(crate) async fn pay_preference(sh: &Shared, r: PayRequest) -> Result<u64, String> {
    let (id, change) = {
        let mut st = sh.state.lock().unwrap();
        let p = st
            .preferences
            .iter()
            .find(|p| p.id == r.preference_id)
            .cloned()
            .ok_or_else(|| format!("no preference {}", r.preference_id))?;
        let status = match r.outcome.as_str() {
            "approve" | "approved" => "approved",
            "reject" | "rejected" => "rejected",
            "pending" => "pending",
            other => {
                return Err(format!(
                    "unknown outcome {other:?} (approve, reject, pending)"
                ))
            }
        };
        let amount_cents = r.amount_cents.unwrap_or(p.amount_cents);
        let fee_cents = amount_cents * st.account.fee_bps / 10_000;
        let id = st.next_id();
        let at = now();
        let installments = r.installments.unwrap_or(1).max(1);
        let payment = SimPayment {
            id,
            preference_id: p.id.clone(),
            status: status.into(),
            status_detail: default_detail(status).into(),
            external_reference: p.external_reference.clone(),
            amount_cents,
            currency: p.currency.clone(),
            fee_cents,
            installments,
            payment_method_id: if p.kind == "qr" {
                "account_money".into()
            } else {
                "visa".into()
            },
            payment_type_id: if p.kind == "qr" {
                "account_money".into()
            } else {
                "credit_card".into()
            },
            notification_url: p.notification_url.clone(),
            refunds: Vec::new(),
            date_created: at.clone(),
            date_approved: (status == "approved").then(|| at.clone()),
            date_last_updated: at,
            before_dispute: None,
        };
        let change = Change::payment(&payment, "payment.created");
        st.payments.push(payment);
        (id, change)
    };
    webhooks::emit(sh, change).await;
    Ok(id)
}
