//! The hosted checkout page: the session's lines and total, and two buttons (`#pay`, `#fail`)
//! that a tester or a WebDriver test clicks. Paying redirects to the session's `success_url`.

use axum::extract::{Path, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Value};

use super::api::{new_event, new_id, now};
use super::{webhooks, Shared};

/// What the customer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pay,
    Decline,
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

/// Minor units for people: `5990 usd` → `59.90 USD`, `500 jpy` → `500 JPY`.
fn shown(amount: i64, currency: &str) -> String {
    let zero = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
        "xaf", "xof", "xpf",
    ];
    let cur = currency.to_ascii_uppercase();
    if zero.contains(&currency) {
        format!("{amount} {cur}")
    } else {
        format!("{}.{:02} {cur}", amount / 100, amount % 100)
    }
}

/// Expires an open session now (`checkout.session.expired` is delivered). `Ok(false)` when it
/// was not open.
pub(crate) fn expire(sh: &Shared, id: &str) -> Result<bool, String> {
    let events = {
        let mut st = sh.state.lock().unwrap();
        let s = st
            .sessions
            .get_mut(id)
            .ok_or_else(|| format!("no such checkout session {id}"))?;
        if s["status"] != "open" {
            return Ok(false);
        }
        s["status"] = json!("expired");
        s["url"] = Value::Null;
        let s = s.clone();
        vec![new_event(&mut st, "checkout.session.expired", &s)]
    };
    webhooks::deliver(sh, events);
    Ok(true)
}

/// The session if it can still be paid; expires it when its time has passed.
fn open_session(sh: &Shared, id: &str) -> Result<Value, String> {
    let past_expiry = {
        let st = sh.state.lock().unwrap();
        let s = st
            .sessions
            .get(id)
            .ok_or_else(|| format!("no such checkout session {id}"))?;
        s["status"] == "open" && s["expires_at"].as_i64().is_some_and(|t| t < now())
    };
    if past_expiry {
        expire(sh, id)?;
    }
    let st = sh.state.lock().unwrap();
    let s = &st.sessions[id];
    match s["status"].as_str() {
        Some("open") => Ok(s.clone()),
        Some(other) => Err(format!("this checkout session is {other}")),
        None => Err("broken session".into()),
    }
}

/// Pays or declines an open session, creating its PaymentIntent (and charge) on first use, and
/// delivers the events.
pub(crate) fn complete(sh: &Shared, id: &str, outcome: Outcome) -> Result<(), String> {
    open_session(sh, id)?;
    let events = {
        let mut st = sh.state.lock().unwrap();
        let session = st.sessions.get(id).cloned().expect("checked");
        let amount = session["amount_total"].as_i64().unwrap_or(0);
        let currency = session["currency"].clone();
        let pi_id = match session["payment_intent"].as_str() {
            Some(pi) => pi.to_owned(),
            None => {
                let pi_id = new_id("pi_");
                let metadata = st
                    .session_extra
                    .get(id)
                    .map(|x| x.pi_metadata.clone())
                    .unwrap_or_default();
                st.intents.insert(
                    pi_id.clone(),
                    json!({
                        "id": pi_id,
                        "object": "payment_intent",
                        "amount": amount,
                        "amount_received": 0,
                        "currency": currency,
                        "status": "requires_payment_method",
                        "latest_charge": null,
                        "last_payment_error": null,
                        "metadata": metadata,
                        "created": now(),
                        "livemode": false,
                    }),
                );
                st.sessions.get_mut(id).expect("checked")["payment_intent"] = json!(pi_id);
                pi_id
            }
        };
        match outcome {
            Outcome::Decline => {
                let pi = st.intents.get_mut(&pi_id).expect("created above");
                pi["status"] = json!("requires_payment_method");
                pi["last_payment_error"] = json!({
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                });
                let pi = pi.clone();
                vec![new_event(&mut st, "payment_intent.payment_failed", &pi)]
            }
            Outcome::Pay => {
                let charge_id = new_id("ch_");
                let metadata = st.intents[&pi_id]["metadata"].clone();
                let charge = json!({
                    "id": charge_id,
                    "object": "charge",
                    "amount": amount,
                    "amount_refunded": 0,
                    "currency": currency,
                    "payment_intent": pi_id,
                    "paid": true,
                    "refunded": false,
                    "disputed": false,
                    "status": "succeeded",
                    "metadata": metadata,
                    "created": now(),
                });
                st.charges.insert(charge_id.clone(), charge.clone());
                let pi = st.intents.get_mut(&pi_id).expect("created above");
                pi["status"] = json!("succeeded");
                pi["amount_received"] = json!(amount);
                pi["latest_charge"] = json!(charge_id);
                pi["last_payment_error"] = Value::Null;
                let pi = pi.clone();
                let s = st.sessions.get_mut(id).expect("checked");
                s["status"] = json!("complete");
                s["payment_status"] = json!("paid");
                s["url"] = Value::Null;
                let s = s.clone();
                vec![
                    new_event(&mut st, "charge.succeeded", &charge),
                    new_event(&mut st, "payment_intent.succeeded", &pi),
                    new_event(&mut st, "checkout.session.completed", &s),
                ]
            }
        }
    };
    webhooks::deliver(sh, events);
    Ok(())
}

fn render(sh: &Shared, id: &str, notice: Option<&str>) -> Response {
    let session = match open_session(sh, id) {
        Ok(s) => s,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Html(format!(
                    "<!doctype html><html lang=\"es\"><head><meta charset=\"utf-8\"><title>Checkout</title></head><body><p id=\"closed\">{}</p></body></html>",
                    escape(&e)
                )),
            )
                .into_response()
        }
    };
    let currency = session["currency"].as_str().unwrap_or("usd").to_owned();
    let rows: String = {
        let st = sh.state.lock().unwrap();
        st.session_extra
            .get(id)
            .map(|x| {
                x.items
                    .iter()
                    .map(|(name, amount, qty)| {
                        format!(
                            "<tr><td>{}</td><td>{qty}</td><td>{}</td></tr>",
                            escape(name),
                            shown(*amount, &currency)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let total = shown(session["amount_total"].as_i64().unwrap_or(0), &currency);
    let notice = notice
        .map(|n| format!("<p id=\"notice\" role=\"alert\">{}</p>", escape(n)))
        .unwrap_or_default();
    let id = escape(id);
    Html(format!(
        "<!doctype html>
<html lang=\"es\"><head><meta charset=\"utf-8\"><title>Stripe Checkout (sandbox)</title></head>
<body>
<h1>Stripe Checkout (sandbox)</h1>
{notice}
<table><thead><tr><th>Item</th><th>Qty</th><th>Price</th></tr></thead><tbody>{rows}</tbody></table>
<p>Total: <strong id=\"total\">{total}</strong></p>
<form method=\"post\" action=\"{id}/pay\"><button id=\"pay\" type=\"submit\">Pagar / Pay</button></form>
<form method=\"post\" action=\"{id}/fail\"><button id=\"fail\" type=\"submit\">Rechazar tarjeta / Decline</button></form>
</body></html>"
    ))
    .into_response()
}

pub(crate) async fn show(AxState(sh): AxState<Shared>, Path(id): Path<String>) -> Response {
    render(&sh, &id, None)
}

pub(crate) async fn pay(AxState(sh): AxState<Shared>, Path(id): Path<String>) -> Response {
    match complete(&sh, &id, Outcome::Pay) {
        Ok(()) => {
            let target = sh.state.lock().unwrap().sessions[&id]["success_url"]
                .as_str()
                .unwrap_or("/")
                .replace("{CHECKOUT_SESSION_ID}", &id);
            (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
        }
        Err(_) => render(&sh, &id, None),
    }
}

pub(crate) async fn fail(AxState(sh): AxState<Shared>, Path(id): Path<String>) -> Response {
    match complete(&sh, &id, Outcome::Decline) {
        Ok(()) => render(
            &sh,
            &id,
            Some("Tu tarjeta fue rechazada. / Your card was declined."),
        ),
        Err(_) => render(&sh, &id, None),
    }
}
