//! The API routes: Stripe's auth, error bodies and idempotency layer, sessions, PaymentIntents,
//! charges, refunds and events.

use std::collections::BTreeMap;

use axum::extract::{OriginalUri, Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine as _;
use serde_json::{json, Value};

use super::{webhooks, CloseDispute, IdemRecord, OpenDispute, SessionExtra, Shared, State};

/// A Stripe error answer: `{"error": {type, code, param, message}}`.
#[derive(Debug, Clone)]
pub struct StripeErr {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub param: Option<String>,
    pub message: String,
}

impl StripeErr {
    pub fn invalid(code: &'static str, param: Option<&str>, message: impl Into<String>) -> Self {
        StripeErr {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: Some(code),
            param: param.map(str::to_owned),
            message: message.into(),
        }
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(
            "parameter_missing",
            Some(param),
            format!("Missing required param: {param}."),
        )
    }

    pub fn no_such(object: &str, id: &str, param: &str) -> Self {
        let mut e = Self::invalid(
            "resource_missing",
            Some(param),
            format!("No such {object}: '{id}'"),
        );
        if param == "id" {
            e.status = StatusCode::NOT_FOUND;
        }
        e
    }

    pub fn unrecognized_url() -> Self {
        StripeErr {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: None,
            param: None,
            message: "Unrecognized request URL. Please see https://stripe.com/docs".into(),
        }
    }

    fn idempotency(message: String) -> Self {
        StripeErr {
            status: StatusCode::BAD_REQUEST,
            kind: "idempotency_error",
            code: None,
            param: None,
            message,
        }
    }

    pub fn body(&self) -> Value {
        let mut e = json!({ "type": self.kind, "message": self.message });
        if let Some(c) = self.code {
            e["code"] = json!(c);
            e["doc_url"] = json!(format!(
                "https://stripe.com/docs/error-codes/{}",
                c.replace('_', "-")
            ));
        }
        if let Some(p) = &self.param {
            e["param"] = json!(p);
        }
        json!({ "error": e })
    }
}

impl IntoResponse for StripeErr {
    fn into_response(self) -> Response {
        let body = self.body();
        with_request_id((self.status, Json(body)).into_response())
    }
}

pub(crate) fn with_request_id(mut r: Response) -> Response {
    r.headers_mut()
        .insert("request-id", new_id("req_").parse().expect("ascii"));
    r
}

pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{:024x}", rand::random::<u128>() >> 32)
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `Bearer sk_…`, or Basic with the key as the user (both accepted by Stripe).
fn authorize(sh: &Shared, headers: &HeaderMap) -> Result<(), StripeErr> {
    let unauthorized = |message: String| StripeErr {
        status: StatusCode::UNAUTHORIZED,
        kind: "invalid_request_error",
        code: None,
        param: None,
        message,
    };
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.".into(),
        ));
    };
    let key = if let Some(k) = value.strip_prefix("Bearer ") {
        k.trim().to_owned()
    } else if let Some(b) = value.strip_prefix("Basic ") {
        base64::engine::general_purpose::STANDARD
            .decode(b.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .map(|s| s.split(':').next().unwrap_or("").to_owned())
            .unwrap_or_default()
    } else {
        String::new()
    };
    if key == sh.state.lock().unwrap().account.secret_key {
        Ok(())
    } else {
        // Like Stripe: only the key's last four characters are echoed.
        let tail: String = key
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(unauthorized(format!(
            "Invalid API Key provided: sk_test_****{tail}"
        )))
    }
}

fn ok_json(v: &Value) -> Response {
    with_request_id(Json(v.clone()).into_response())
}

/// Runs a POST under Stripe's idempotency contract. `f` returns the object and the events it
/// caused; a success is cached under the key, errors from validation are not (as Stripe: "most
/// 400s that sent invalid parameters" can be retried with the same key).
fn idempotent(
    sh: &Shared,
    headers: &HeaderMap,
    path: &str,
    params: &[(String, String)],
    f: impl FnOnce(&mut State) -> Result<(Value, Vec<Value>), StripeErr>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut st = sh.state.lock().unwrap();
    if let Some(k) = &key {
        if let Some(rec) = st.idempotency.get(k) {
            if rec.path != path {
                return StripeErr::idempotency(format!(
                    "Keys for idempotent requests can only be used for the same endpoint they were first used for ('{path}' vs '{}'). Try using a key other than '{k}' if you meant to execute a different request.",
                    rec.path
                ))
                .into_response();
            }
            if rec.params != sorted {
                return StripeErr::idempotency(format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{k}' if you meant to execute a different request."
                ))
                .into_response();
            }
            let mut r = (
                StatusCode::from_u16(rec.status).unwrap_or(StatusCode::OK),
                [("content-type", "application/json")],
                rec.body.clone(),
            )
                .into_response();
            r.headers_mut()
                .insert("idempotent-replayed", "true".parse().expect("ascii"));
            r.headers_mut()
                .insert("idempotency-key", k.parse().expect("was a header"));
            return with_request_id(r);
        }
    }
    match f(&mut st) {
        Ok((object, events)) => {
            if let Some(k) = &key {
                st.idempotency.insert(
                    k.clone(),
                    IdemRecord {
                        path: path.to_owned(),
                        params: sorted,
                        status: 200,
                        body: serde_json::to_vec(&object).expect("json"),
                    },
                );
            }
            drop(st);
            webhooks::deliver(sh, events);
            let mut r = ok_json(&object);
            if let Some(k) = &key {
                r.headers_mut()
                    .insert("idempotency-key", k.parse().expect("was a header"));
            }
            r
        }
        Err(e) => e.into_response(),
    }
}

/// Appends an event to the log and returns it (to deliver).
pub(crate) fn new_event(st: &mut State, kind: &str, object: &Value) -> Value {
    let ev = json!({
        "id": new_id("evt_"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": now(),
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
        "data": { "object": object },
    });
    st.events.push(ev.clone());
    ev
}

fn int(params: &BTreeMap<&str, &str>, key: &str) -> Result<Option<i64>, StripeErr> {
    match params.get(key) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            StripeErr::invalid(
                "parameter_invalid_integer",
                Some(key),
                format!("Invalid integer: {v}"),
            )
        }),
    }
}

const SESSION_PARAMS: &[&str] = &[
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "metadata",
    "payment_intent_data",
    "expires_at",
    "customer_email",
];

/// The prefix the sandbox mounted us under (`/stripe`), from the original and the nested URI.
fn mount_prefix(original: &axum::http::Uri, nested_path: &str) -> String {
    original
        .path()
        .strip_suffix(nested_path)
        .unwrap_or("")
        .to_owned()
}

pub(crate) async fn create_session(
    AxState(sh): AxState<Shared>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = authorize(&sh, &headers) {
        return e.into_response();
    }
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let base = format!(
        "http://{host}{}",
        mount_prefix(&original, "/v1/checkout/sessions")
    );
    idempotent(&sh, &headers, "/v1/checkout/sessions", &params, |st| {
        build_session(st, &params, &base).map(|s| (s, Vec::new()))
    })
}

fn build_session(
    st: &mut State,
    params: &[(String, String)],
    base: &str,
) -> Result<Value, StripeErr> {
    let mut flat: BTreeMap<&str, &str> = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    let mut pi_metadata = BTreeMap::new();
    let mut items: BTreeMap<usize, BTreeMap<&str, &str>> = BTreeMap::new();
    for (k, v) in params {
        let top = k.split('[').next().unwrap_or("");
        if !SESSION_PARAMS.contains(&top) {
            return Err(StripeErr::invalid(
                "parameter_unknown",
                Some(k),
                format!("Received unknown parameter: {k}"),
            ));
        }
        if let Some(m) = k
            .strip_prefix("metadata[")
            .and_then(|r| r.strip_suffix(']'))
        {
            metadata.insert(m.to_owned(), v.clone());
        } else if let Some(m) = k
            .strip_prefix("payment_intent_data[metadata][")
            .and_then(|r| r.strip_suffix(']'))
        {
            pi_metadata.insert(m.to_owned(), v.clone());
        } else if let Some(rest) = k.strip_prefix("line_items[") {
            let (idx, field) = rest.split_once(']').ok_or_else(|| StripeErr::missing(k))?;
            let idx: usize = idx.parse().map_err(|_| {
                StripeErr::invalid("parameter_invalid_integer", Some(k), "Invalid array index")
            })?;
            items.entry(idx).or_default().insert(field, v);
        } else {
            flat.insert(k, v);
        }
    }
    match flat.get("mode") {
        None => return Err(StripeErr::missing("mode")),
        Some(&"payment") => {}
        Some(m) => {
            return Err(StripeErr::invalid(
                "parameter_invalid_string",
                Some("mode"),
                format!("The sandbox only simulates mode=payment, not {m}"),
            ))
        }
    }
    if items.is_empty() {
        return Err(StripeErr::missing("line_items"));
    }
    let mut currency: Option<String> = None;
    let mut lines = Vec::new();
    let mut total: i64 = 0;
    for (i, f) in &items {
        let p = |field: &str| format!("line_items[{i}]{field}");
        let cur = f
            .get("[price_data][currency]")
            .ok_or_else(|| StripeErr::missing(&p("[price_data][currency]")))?
            .to_ascii_lowercase();
        if currency.get_or_insert_with(|| cur.clone()) != &cur {
            return Err(StripeErr::invalid(
                "parameter_invalid_string",
                Some(&p("[price_data][currency]")),
                "All line items must use the same currency.",
            ));
        }
        let amount: i64 = f
            .get("[price_data][unit_amount]")
            .ok_or_else(|| StripeErr::missing(&p("[price_data][unit_amount]")))?
            .parse()
            .ok()
            .filter(|a| *a >= 0)
            .ok_or_else(|| {
                StripeErr::invalid(
                    "parameter_invalid_integer",
                    Some(&p("[price_data][unit_amount]")),
                    "Invalid non-negative integer",
                )
            })?;
        let name = f
            .get("[price_data][product_data][name]")
            .ok_or_else(|| StripeErr::missing(&p("[price_data][product_data][name]")))?;
        let qty: i64 = f
            .get("[quantity]")
            .ok_or_else(|| StripeErr::missing(&p("[quantity]")))?
            .parse()
            .ok()
            .filter(|q| *q >= 1)
            .ok_or_else(|| {
                StripeErr::invalid(
                    "parameter_invalid_integer",
                    Some(&p("[quantity]")),
                    "Quantity must be at least 1",
                )
            })?;
        total = amount
            .checked_mul(qty)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| StripeErr::invalid("amount_too_large", None, "Amount too large"))?;
        lines.push(((*name).to_owned(), amount, qty));
    }
    let success_url = flat
        .get("success_url")
        .ok_or_else(|| StripeErr::missing("success_url"))?;
    let created = now();
    let expires_at = match int(&flat, "expires_at")? {
        None => created + 24 * 3600,
        Some(t) if t < created + 30 * 60 - 60 || t > created + 24 * 3600 + 60 => {
            return Err(StripeErr::invalid(
                "parameter_invalid_integer",
                Some("expires_at"),
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
            ))
        }
        Some(t) => t,
    };
    let id = new_id("cs_test_");
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "mode": "payment",
        "url": format!("{base}/c/pay/{id}"),
        "status": "open",
        "payment_status": "unpaid",
        "payment_intent": null,
        "amount_subtotal": total,
        "amount_total": total,
        "currency": currency,
        "client_reference_id": flat.get("client_reference_id"),
        "customer_email": flat.get("customer_email"),
        "metadata": metadata,
        "success_url": success_url,
        "cancel_url": flat.get("cancel_url"),
        "expires_at": expires_at,
        "created": created,
        "livemode": false,
    });
    st.sessions.insert(id.clone(), session.clone());
    st.session_extra.insert(
        id,
        SessionExtra {
            items: lines,
            pi_metadata,
        },
    );
    Ok(session)
}

fn get_from(
    sh: &Shared,
    headers: &HeaderMap,
    object: &str,
    id: &str,
    pick: impl FnOnce(&State) -> Option<Value>,
) -> Response {
    if let Err(e) = authorize(sh, headers) {
        return e.into_response();
    }
    match pick(&sh.state.lock().unwrap()) {
        Some(v) => ok_json(&v),
        None => StripeErr::no_such(object, id, "id").into_response(),
    }
}

pub(crate) async fn get_session(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    get_from(&sh, &headers, "checkout.session", &id, |st| {
        st.sessions.get(&id).cloned()
    })
}

pub(crate) async fn get_intent(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    get_from(&sh, &headers, "payment_intent", &id, |st| {
        st.intents.get(&id).cloned()
    })
}

pub(crate) async fn get_charge(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    get_from(&sh, &headers, "charge", &id, |st| {
        st.charges.get(&id).cloned()
    })
}

pub(crate) async fn get_refund(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    get_from(&sh, &headers, "refund", &id, |st| {
        st.refunds.get(&id).cloned()
    })
}

pub(crate) async fn get_event(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    get_from(&sh, &headers, "event", &id, |st| {
        st.events.iter().find(|e| e["id"] == id.as_str()).cloned()
    })
}

pub(crate) async fn get_dispute(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    get_from(&sh, &headers, "dispute", &id, |st| {
        st.disputes.get(&id).cloned()
    })
}

/// `available`: per currency, what succeeded charges left after refunds and lost disputes.
pub(crate) async fn get_balance(AxState(sh): AxState<Shared>, headers: HeaderMap) -> Response {
    if let Err(e) = authorize(&sh, &headers) {
        return e.into_response();
    }
    let st = sh.state.lock().unwrap();
    let mut per: BTreeMap<String, i64> = BTreeMap::new();
    for c in st.charges.values() {
        let cur = c["currency"].as_str().unwrap_or("usd").to_owned();
        let kept = c["amount"].as_i64().unwrap_or(0) - c["amount_refunded"].as_i64().unwrap_or(0);
        *per.entry(cur).or_default() += kept;
    }
    for d in st.disputes.values() {
        if d["status"] != "won" {
            let cur = d["currency"].as_str().unwrap_or("usd").to_owned();
            *per.entry(cur).or_default() -= d["amount"].as_i64().unwrap_or(0);
        }
    }
    if per.is_empty() {
        per.insert("usd".into(), 0);
    }
    let available: Vec<Value> = per
        .into_iter()
        .map(|(currency, amount)| json!({ "amount": amount, "currency": currency, "source_types": { "card": amount } }))
        .collect();
    ok_json(&json!({
        "object": "balance",
        "available": available,
        "pending": [],
        "livemode": false,
    }))
}

pub(crate) async fn create_refund(
    AxState(sh): AxState<Shared>,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = authorize(&sh, &headers) {
        return e.into_response();
    }
    idempotent(&sh, &headers, "/v1/refunds", &params, |st| {
        build_refund(st, &params)
    })
}

fn build_refund(
    st: &mut State,
    params: &[(String, String)],
) -> Result<(Value, Vec<Value>), StripeErr> {
    let mut flat: BTreeMap<&str, &str> = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    for (k, v) in params {
        if let Some(m) = k
            .strip_prefix("metadata[")
            .and_then(|r| r.strip_suffix(']'))
        {
            metadata.insert(m.to_owned(), v.clone());
        } else if matches!(k.as_str(), "payment_intent" | "amount" | "reason") {
            flat.insert(k, v);
        } else {
            return Err(StripeErr::invalid(
                "parameter_unknown",
                Some(k),
                format!("Received unknown parameter: {k}"),
            ));
        }
    }
    let pi_id = *flat
        .get("payment_intent")
        .ok_or_else(|| StripeErr::missing("payment_intent"))?;
    let pi = st
        .intents
        .get(pi_id)
        .ok_or_else(|| StripeErr::no_such("payment_intent", pi_id, "payment_intent"))?;
    let Some(charge_id) = pi["latest_charge"].as_str().map(str::to_owned) else {
        return Err(StripeErr::invalid(
            "charge_not_refundable",
            Some("payment_intent"),
            format!("This PaymentIntent ({pi_id}) does not have a successful charge to refund."),
        ));
    };
    if let Some(r) = flat.get("reason") {
        if !matches!(*r, "duplicate" | "fraudulent" | "requested_by_customer") {
            return Err(StripeErr::invalid(
                "parameter_invalid_string",
                Some("reason"),
                format!("Invalid reason: {r}"),
            ));
        }
    }
    let charge = st.charges.get_mut(&charge_id).expect("charge of a PI");
    let paid = charge["amount"].as_i64().unwrap_or(0);
    let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
    let left = paid - refunded;
    if left <= 0 {
        return Err(StripeErr::invalid(
            "charge_already_refunded",
            None,
            format!("Charge {charge_id} has already been refunded."),
        ));
    }
    let amount = match int(&flat, "amount")? {
        None => left,
        Some(a) if a <= 0 => {
            return Err(StripeErr::invalid(
                "parameter_invalid_integer",
                Some("amount"),
                "Amount must be positive",
            ))
        }
        Some(a) if a > left => {
            return Err(StripeErr::invalid(
                "amount_too_large",
                Some("amount"),
                format!("Refund amount ({a}) is greater than unrefunded amount on charge ({left})"),
            ))
        }
        Some(a) => a,
    };
    charge["amount_refunded"] = json!(refunded + amount);
    charge["refunded"] = json!(refunded + amount == paid);
    let charge = charge.clone();
    let currency = charge["currency"].clone();
    let refund = json!({
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "currency": currency,
        "status": "succeeded",
        "payment_intent": pi_id,
        "charge": charge_id,
        "reason": flat.get("reason"),
        "metadata": metadata,
        "created": now(),
    });
    st.refunds
        .insert(refund["id"].as_str().unwrap().to_owned(), refund.clone());
    let events = vec![
        new_event(st, "charge.refunded", &charge),
        new_event(st, "refund.created", &refund),
    ];
    Ok((refund, events))
}

/// A chargeback on a paid PaymentIntent: the charge is marked disputed and
/// `charge.dispute.created` is delivered.
pub(crate) fn open_dispute(sh: &Shared, d: OpenDispute) -> Result<Value, String> {
    let (dispute, events) = {
        let mut st = sh.state.lock().unwrap();
        let pi = st
            .intents
            .get(&d.payment_intent)
            .ok_or_else(|| format!("no such payment_intent {}", d.payment_intent))?;
        let charge_id = pi["latest_charge"]
            .as_str()
            .ok_or("the PaymentIntent has no charge to dispute")?
            .to_owned();
        let charge = st.charges.get_mut(&charge_id).expect("charge of a PI");
        charge["disputed"] = json!(true);
        let dispute = json!({
            "id": new_id("dp_"),
            "object": "dispute",
            "amount": charge["amount"],
            "currency": charge["currency"],
            "charge": charge_id,
            "payment_intent": d.payment_intent,
            "reason": d.reason.unwrap_or_else(|| "fraudulent".into()),
            "status": "needs_response",
            "created": now(),
        });
        st.disputes
            .insert(dispute["id"].as_str().unwrap().to_owned(), dispute.clone());
        let ev = new_event(&mut st, "charge.dispute.created", &dispute);
        (dispute, vec![ev])
    };
    webhooks::deliver(sh, events);
    Ok(dispute)
}

/// Decides a chargeback: `charge.dispute.closed` is delivered with the new status.
pub(crate) fn close_dispute(sh: &Shared, id: &str, c: CloseDispute) -> Result<Value, String> {
    if !matches!(c.status.as_str(), "won" | "lost") {
        return Err(format!("a dispute closes as won or lost, not {}", c.status));
    }
    let (dispute, events) = {
        let mut st = sh.state.lock().unwrap();
        let d = st
            .disputes
            .get_mut(id)
            .ok_or_else(|| format!("no such dispute {id}"))?;
        d["status"] = json!(c.status);
        let d = d.clone();
        let ev = new_event(&mut st, "charge.dispute.closed", &d);
        (d, vec![ev])
    };
    webhooks::deliver(sh, events);
    Ok(dispute)
}
