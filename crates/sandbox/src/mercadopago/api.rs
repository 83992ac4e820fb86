//! The API routes: bearer auth, idempotency replay, MercadoPago's error bodies.

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::state::{amount, cents_of, now, SimPreference, SimRefund};
use super::{Shared, PREFIX};

/// `{message, error, status, cause: []}`.
#[derive(Debug, Clone)]
pub struct MpErr {
    pub status: StatusCode,
    pub error: String,
    pub message: String,
}

impl MpErr {
    pub fn new(status: StatusCode, error: impl Into<String>, message: impl Into<String>) -> Self {
        MpErr {
            status,
            error: error.into(),
            message: message.into(),
        }
    }

    pub fn not_found(message: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    fn bad(error: &str, message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, message)
    }
}

impl IntoResponse for MpErr {
    fn into_response(self) -> Response {
        let body = json!({
            "message": self.message,
            "error": self.error,
            "status": self.status.as_u16(),
            "cause": [{ "code": self.error, "description": self.message }],
        });
        (self.status, axum::Json(body)).into_response()
    }
}

fn json_response(status: u16, body: &serde_json::Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn authorize(sh: &Shared, headers: &HeaderMap) -> Result<(), MpErr> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let st = sh.state.lock().unwrap();
    if token == Some(st.account.access_token.as_str()) {
        Ok(())
    } else {
        Err(MpErr::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "invalid access token",
        ))
    }
}

fn idem_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The stored answer for this key on this route, if any.
fn replay(sh: &Shared, route: &str, key: &Option<String>) -> Option<Response> {
    let key = key.as_ref()?;
    let st = sh.state.lock().unwrap();
    let (status, body) = st.idempotency.get(&(route.to_owned(), key.clone()))?;
    Some(json_response(*status, body))
}

fn remember(sh: &Shared, route: &str, key: &Option<String>, status: u16, body: &serde_json::Value) {
    if let Some(k) = key {
        sh.state
            .lock()
            .unwrap()
            .idempotency
            .insert((route.to_owned(), k.clone()), (status, body.clone()));
    }
}

fn host(headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned()
}

pub(crate) async fn create_preference(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let key = idem_key(&headers);
    if let Some(r) = replay(&sh, "preferences", &key) {
        return Ok(r);
    }
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| MpErr::bad("bad_request", "invalid JSON body"))?;
    let items = v["items"]
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| MpErr::bad("invalid_items", "items must be a non-empty array"))?;
    let mut total = 0i64;
    let mut currency = None;
    for it in items {
        let title = it["title"].as_str().unwrap_or("");
        let qty = it["quantity"].as_i64().unwrap_or(0);
        let price = cents_of(&it["unit_price"]).unwrap_or(0);
        if title.is_empty() || qty < 1 || price <= 0 {
            return Err(MpErr::bad(
                "invalid_items",
                "each item needs title, quantity >= 1 and unit_price > 0",
            ));
        }
        total += qty * price;
        currency.get_or_insert_with(|| it["currency_id"].as_str().unwrap_or("ARS").to_owned());
    }
    if v.get("auto_return").is_some_and(|a| !a.is_null())
        && v["back_urls"]["success"].as_str().is_none()
    {
        return Err(MpErr::bad(
            "invalid_auto_return",
            "auto_return invalid. back_url.success must be defined",
        ));
    }
    let (id, pref_json) = {
        let mut st = sh.state.lock().unwrap();
        let user = st.account.user_id;
        let n = st.next_id();
        let id = format!(
            "{user}-{:08x}-{:04x}-4000-8000-{:012x}",
            n,
            n & 0xffff,
            rand::random::<u64>() & 0xffff_ffff_ffff
        );
        let init_point = format!(
            "http://{}{PREFIX}/checkout/v1/redirect?pref_id={id}",
            host(&headers)
        );
        let created = now();
        let pref = SimPreference {
            id: id.clone(),
            idempotency_key: key.clone(),
            external_reference: v["external_reference"].as_str().map(str::to_owned),
            notification_url: v["notification_url"].as_str().map(str::to_owned),
            title: items[0]["title"].as_str().unwrap_or("").to_owned(),
            amount_cents: total,
            currency: currency.unwrap_or_else(|| "ARS".into()),
            init_point: init_point.clone(),
            kind: "preference".into(),
            body: v.clone(),
            date_created: created.clone(),
        };
        let out = json!({
            "id": id,
            "client_id": user.to_string(),
            "collector_id": user,
            "date_created": created,
            "external_reference": pref.external_reference,
            "init_point": init_point,
            "sandbox_init_point": init_point,
            "items": v["items"],
            "notification_url": pref.notification_url,
            "expiration_date_to": v.get("expiration_date_to"),
            "site_id": "MLA",
            "operation_type": "regular_payment",
        });
        st.preferences.push(pref);
        (id, out)
    };
    tracing::debug!(preference = %id, "sandbox mercadopago: preference created");
    remember(&sh, "preferences", &key, 201, &pref_json);
    Ok(json_response(201, &pref_json))
}

pub(crate) async fn get_preference(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let st = sh.state.lock().unwrap();
    let p = st
        .preferences
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| MpErr::not_found("preference not found"))?;
    Ok(json_response(
        200,
        &json!({ "id": p.id, "init_point": p.init_point, "external_reference": p.external_reference,
                 "collector_id": st.account.user_id, "date_created": p.date_created }),
    ))
}

pub(crate) async fn get_payment(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let st = sh.state.lock().unwrap();
    let p = id
        .parse::<u64>()
        .ok()
        .and_then(|id| st.payments.iter().find(|p| p.id == id))
        .ok_or_else(|| MpErr::not_found("Payment not found"))?;
    Ok(json_response(200, &p.to_json(st.account.user_id)))
}

pub(crate) async fn search_payments(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let st = sh.state.lock().unwrap();
    let wanted = q.get("external_reference");
    let mut results: Vec<serde_json::Value> = st
        .payments
        .iter()
        .filter(|p| wanted.is_none() || p.external_reference.as_ref() == wanted)
        .map(|p| p.to_json(st.account.user_id))
        .collect();
    results.reverse();
    Ok(json_response(
        200,
        &json!({ "paging": { "total": results.len(), "limit": 30, "offset": 0 }, "results": results }),
    ))
}

pub(crate) async fn refund(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let key = idem_key(&headers);
    if key.is_none() {
        // Mandatory on refunds since 2023 (reference §1.4).
        return Err(MpErr::bad(
            "bad_request",
            "X-Idempotency-Key header is required",
        ));
    }
    let route = format!("refund-{id}");
    if let Some(r) = replay(&sh, &route, &key) {
        return Ok(r);
    }
    let v: serde_json::Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&body).map_err(|_| MpErr::bad("bad_request", "invalid JSON body"))?
    };
    let (out, change) = {
        let mut st = sh.state.lock().unwrap();
        let rid = st.next_id();
        let p = st
            .payments
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| MpErr::not_found("Payment not found"))?;
        if p.status != "approved" {
            return Err(MpErr::bad(
                "invalid_status",
                "only approved payments can be refunded",
            ));
        }
        let left = p.amount_cents - p.refunded_cents();
        let want = match v.get("amount").filter(|a| !a.is_null()) {
            Some(a) => cents_of(a).ok_or_else(|| MpErr::bad("invalid_amount", "invalid amount"))?,
            None => left,
        };
        if want <= 0 || want > left {
            return Err(MpErr::new(
                StatusCode::BAD_REQUEST,
                "invalid_refund_amount",
                "the refund amount exceeds the available amount",
            ));
        }
        let at = now();
        p.refunds.push(SimRefund {
            id: rid,
            amount_cents: want,
            idempotency_key: key.clone(),
            date_created: at.clone(),
        });
        if p.refunded_cents() == p.amount_cents {
            p.status = "refunded".into();
            p.status_detail = "refunded".into();
        } else {
            p.status_detail = "partially_refunded".into();
        }
        p.date_last_updated = at.clone();
        let out = serde_json::from_str::<serde_json::Value>(&format!(
            r#"{{"id":{rid},"payment_id":{id},"amount":{},"status":"approved","date_created":"{at}"}}"#,
            amount(want).get()
        ))
        .expect("valid JSON");
        (out, super::webhooks::Change::payment(p, "payment.updated"))
    };
    remember(&sh, &route, &key, 201, &out);
    super::webhooks::emit(&sh, change).await;
    Ok(json_response(201, &out))
}

pub(crate) async fn list_refunds(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let st = sh.state.lock().unwrap();
    let p = st
        .payments
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| MpErr::not_found("Payment not found"))?;
    Ok(json_response(
        200,
        &p.to_json(st.account.user_id)["refunds"],
    ))
}

pub(crate) async fn get_chargeback(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let st = sh.state.lock().unwrap();
    let c = st
        .chargebacks
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| MpErr::not_found("chargeback not found"))?;
    Ok((
        StatusCode::OK,
        [("content-type", "application/json")],
        c.to_json(),
    )
        .into_response())
}

pub(crate) async fn installments(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let total = q
        .get("amount")
        .and_then(|a| cents_of(&serde_json::Value::String(a.clone())))
        .filter(|c| *c > 0)
        .ok_or_else(|| MpErr::bad("invalid_amount", "amount is required"))?;
    let method = q
        .get("payment_method_id")
        .cloned()
        .unwrap_or_else(|| "visa".into());
    // 1, 3 and 6 without interest; 12 with 45 % (a typical Argentine offer).
    let costs: Vec<String> = [(1u32, 0i64, "0"), (3, 0, "0"), (6, 0, "0"), (12, 4500, "45")]
        .iter()
        .map(|&(n, bps, rate)| {
            let with = total + total * bps / 10_000;
            format!(
                r#"{{"installments":{n},"installment_rate":{rate},"installment_amount":{},"total_amount":{},"recommended_message":"{n} cuota(s) de $ {}"}}"#,
                amount(with / i64::from(n)).get(),
                amount(with).get(),
                amount(with / i64::from(n)).get()
            )
        })
        .collect();
    let body = format!(
        r#"[{{"payment_method_id":"{method}","payment_type_id":"credit_card","issuer":{{"id":"1","name":"Sandbox Bank"}},"payer_costs":[{}]}}]"#,
        costs.join(",")
    );
    Ok((StatusCode::OK, [("content-type", "application/json")], body).into_response())
}

pub(crate) async fn create_qr(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path((user, pos)): Path<(i64, String)>,
    body: Bytes,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let key = idem_key(&headers);
    let route = format!("qr-{user}-{pos}");
    if let Some(r) = replay(&sh, &route, &key) {
        return Ok(r);
    }
    if user != sh.state.lock().unwrap().account.user_id {
        return Err(MpErr::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "collector does not match the token",
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| MpErr::bad("bad_request", "invalid JSON body"))?;
    let reference = v["external_reference"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            MpErr::bad(
                "invalid_external_reference",
                "external_reference is required",
            )
        })?
        .to_owned();
    let total = cents_of(&v["total_amount"])
        .filter(|c| *c > 0)
        .ok_or_else(|| MpErr::bad("invalid_total_amount", "total_amount is required"))?;
    let out = {
        let mut st = sh.state.lock().unwrap();
        let n = st.next_id();
        let order_id = format!("{n:x}-qr");
        let page = format!("http://{}{PREFIX}/qr/{order_id}", host(&headers));
        st.preferences.push(SimPreference {
            id: order_id.clone(),
            idempotency_key: key.clone(),
            external_reference: Some(reference),
            notification_url: v["notification_url"].as_str().map(str::to_owned),
            title: v["title"].as_str().unwrap_or("QR").to_owned(),
            amount_cents: total,
            currency: "ARS".into(),
            init_point: page.clone(),
            kind: "qr".into(),
            body: v.clone(),
            date_created: now(),
        });
        // EMVCo-shaped text; the simulator's wallet is the QR page itself.
        json!({
            "qr_data": format!("00020101021243650016COM.MERCADOLIBRE02013063638{page}5204970053030325802AR5909Sandbox6009CABA6304ABCD"),
            "in_store_order_id": order_id,
        })
    };
    remember(&sh, &route, &key, 201, &out);
    Ok(json_response(201, &out))
}

pub(crate) async fn me(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
) -> Result<Response, MpErr> {
    authorize(&sh, &headers)?;
    let st = sh.state.lock().unwrap();
    let a = &st.account;
    Ok(json_response(
        200,
        &json!({ "id": a.user_id, "nickname": a.nickname, "email": a.email, "site_id": "MLA", "country_id": "AR" }),
    ))
}
