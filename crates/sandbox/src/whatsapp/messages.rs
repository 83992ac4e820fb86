//! `POST /{version}/{phone-number-id}/messages`: sends and mark-as-read, with Meta's rules.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::graph_error::GraphErr;
use super::rate::Bucket;
use super::state::{now_unix, SentMessage, State as SimState};
use super::{authorize, success, template_rules, unknown_object, webhooks, Shared};

const WINDOW_SECS: i64 = 24 * 3600;

/// What to do after the state lock is released.
enum Outcome {
    Answer(Value),
    Accepted {
        answer: Value,
        wamid: String,
        recipient: String,
        callback: Option<String>,
        category: &'static str,
        failure: Option<(i64, &'static str, String)>,
    },
}

pub(crate) async fn send(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = {
        let mut st = shared.state.lock().unwrap();
        handle(&mut st, &headers, &version, &id, &body)
    };
    match outcome {
        Err(e) => e.into_response(),
        Ok(Outcome::Answer(v)) => Json(v).into_response(),
        Ok(Outcome::Accepted {
            answer,
            wamid,
            recipient,
            callback,
            category,
            failure,
        }) => {
            webhooks::schedule_statuses(&shared, wamid, recipient, callback, category, failure);
            Json(answer).into_response()
        }
    }
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn check_len(v: &Value, key: &str, field: &str, min: usize, max: usize) -> Result<(), GraphErr> {
    match v.get(key) {
        Some(Value::String(s)) if (min..=max).contains(&chars(s)) => Ok(()),
        Some(Value::String(s)) => Err(GraphErr::bad_value(format!(
            "{field} must be {min} to {max} characters, got {}",
            chars(s)
        ))),
        Some(_) => Err(GraphErr::invalid(format!(
            "Param {field} must be a string."
        ))),
        None if min == 0 => Ok(()),
        None => Err(
            GraphErr::new(131008, "(#131008) Required parameter is missing")
                .details(format!("The parameter {field} is required.")),
        ),
    }
}

fn handle(
    st: &mut SimState,
    headers: &HeaderMap,
    version: &str,
    id: &str,
    raw: &[u8],
) -> Result<Outcome, GraphErr> {
    authorize(st, headers, version)?;
    if id != st.account.phone_number_id {
        return Err(unknown_object(&Method::POST, id));
    }
    let body: Value = serde_json::from_slice(raw)
        .map_err(|e| GraphErr::invalid(format!("The request body is not valid JSON: {e}")))?;
    if str_field(&body, "messaging_product") != Some("whatsapp") {
        return Err(GraphErr::invalid(
            "The parameter messaging_product is required and must be \"whatsapp\".",
        ));
    }
    let path = format!("/{version}/{id}/messages");

    // Mark as read (+ typing indicator).
    if body.get("status").is_some() {
        if str_field(&body, "status") != Some("read") {
            return Err(GraphErr::invalid("status must be \"read\"."));
        }
        let mid = str_field(&body, "message_id")
            .ok_or_else(|| GraphErr::invalid("The parameter message_id is required."))?;
        if !st.inbound.contains_key(mid) {
            return Err(GraphErr::invalid(format!(
                "message_id {mid} is not a message received by this number."
            )));
        }
        if let Some(t) = body.get("typing_indicator") {
            if str_field(t, "type") != Some("text") {
                return Err(GraphErr::invalid("typing_indicator.type must be \"text\"."));
            }
        }
        let answer = success();
        st.log(
            "mark_read",
            Method::POST.as_str(),
            &path,
            body,
            answer.clone(),
        );
        return Ok(Outcome::Answer(answer));
    }

    // Recipient: a phone number in `to`, or a BSUID in `recipient`.
    let (recipient, input, bsuid_in_to) =
        match (str_field(&body, "to"), str_field(&body, "recipient")) {
            (Some(_), Some(_)) => {
                return Err(GraphErr::invalid("Use either to or recipient, not both."))
            }
            (None, None) => return Err(GraphErr::invalid("The parameter to is required.")),
            (Some(to), None) if to.contains('.') => (to.to_owned(), to.to_owned(), true),
            (Some(to), None) => {
                let digits = to.trim_start_matches('+');
                if digits.is_empty()
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || digits.len() > 15
                {
                    return Err(GraphErr::bad_value(format!(
                        "{to} is not a valid phone number."
                    )));
                }
                (digits.to_owned(), to.to_owned(), false)
            }
            (None, Some(r)) => {
                let ok = r.split_once('.').is_some_and(|(cc, rest)| {
                    cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_uppercase()) && !rest.is_empty()
                });
                if !ok {
                    return Err(GraphErr::bad_value(format!(
                        "recipient {r} is not a business-scoped user ID."
                    )));
                }
                (r.to_owned(), r.to_owned(), false)
            }
        };
    if let Some(rt) = str_field(&body, "recipient_type") {
        if rt != "individual" {
            return Err(GraphErr::invalid("recipient_type must be \"individual\"."));
        }
    }
    let callback = match body.get("biz_opaque_callback_data") {
        None => None,
        Some(Value::String(s)) if s.len() <= 512 => Some(s.clone()),
        Some(Value::String(_)) => {
            return Err(GraphErr::invalid(
                "biz_opaque_callback_data must be at most 512 characters.",
            ))
        }
        Some(_) => {
            return Err(GraphErr::invalid(
                "biz_opaque_callback_data must be a string.",
            ))
        }
    };
    if let Some(ctx) = body.get("context") {
        if str_field(ctx, "message_id").is_none() {
            return Err(GraphErr::invalid("context.message_id is required."));
        }
    }
    let kind = str_field(&body, "type").unwrap_or("text").to_owned();
    let obj = body.get(kind.as_str()).cloned().ok_or_else(|| {
        GraphErr::new(131008, "(#131008) Required parameter is missing")
            .details(format!("The parameter {kind} is required."))
    })?;
    let mut category: &'static str = "service";
    match kind.as_str() {
        "text" => {
            check_len(&obj, "body", "text.body", 1, 4096)?;
            if let Some(p) = obj.get("preview_url") {
                if !p.is_boolean() {
                    return Err(GraphErr::invalid(
                        "Param text.preview_url must be a boolean.",
                    ));
                }
            }
        }
        "image" | "video" | "audio" | "document" | "sticker" => check_media(st, &kind, &obj)?,
        "location" => {
            let lat = obj.get("latitude").and_then(Value::as_f64);
            let lon = obj.get("longitude").and_then(Value::as_f64);
            match (lat, lon) {
                (Some(a), Some(o))
                    if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) => {}
                _ => {
                    return Err(GraphErr::bad_value(
                        "location needs a latitude (-90..90) and a longitude (-180..180).",
                    ))
                }
            }
        }
        "contacts" => {
            let list = obj
                .as_array()
                .filter(|a| !a.is_empty())
                .ok_or_else(|| GraphErr::invalid("contacts must be a non-empty array."))?;
            for c in list {
                let name = c.get("name").cloned().unwrap_or(Value::Null);
                check_len(
                    &name,
                    "formatted_name",
                    "contacts.name.formatted_name",
                    1,
                    512,
                )?;
            }
        }
        "reaction" => {
            let mid = str_field(&obj, "message_id")
                .ok_or_else(|| GraphErr::invalid("reaction.message_id is required."))?;
            if !st.sent.contains_key(mid) && !st.inbound.contains_key(mid) {
                return Err(GraphErr::bad_value(format!(
                    "reaction.message_id {mid} is unknown."
                )));
            }
            match obj.get("emoji") {
                Some(Value::String(e)) if chars(e) <= 10 => {}
                _ => {
                    return Err(GraphErr::invalid(
                        "reaction.emoji must be an emoji or \"\".",
                    ))
                }
            }
        }
        "interactive" => check_interactive(&obj)?,
        "template" => category = template_rules::check(st, &obj)?,
        other => {
            return Err(GraphErr::new(131051, "(#131051) Unsupported message type")
                .details(format!("Message type {other} is not supported.")))
        }
    }
    if recipient.trim_start_matches('+')
        == st
            .account
            .display_phone_number
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    {
        return Err(GraphErr::new(
            131021,
            "(#131021) Recipient cannot be sender",
        ));
    }

    // Rates.
    let limits = st.rates;
    let throughput = st.throughput.get_or_insert_with(|| {
        Bucket::new(
            limits.throughput_per_sec.max(1.0),
            limits.throughput_per_sec,
        )
    });
    if !throughput.try_take() {
        return Err(GraphErr::new(130429, "(#130429) Rate limit hit")
            .details("Cloud API message throughput has been reached."));
    }
    let pair = st.pair.entry(recipient.clone()).or_insert_with(|| {
        Bucket::new(
            limits.pair_burst.max(1.0),
            1.0 / limits.pair_refill_secs.max(0.001),
        )
    });
    if !pair.try_take() {
        return Err(GraphErr::new(
            131056,
            "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        )
        .details("Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."));
    }

    let wamid = st.wamid();
    let mut contact = json!({ "input": input });
    if recipient.contains('.') {
        contact["user_id"] = json!(recipient);
    } else {
        contact["wa_id"] = json!(recipient);
    }
    let mut message = json!({ "id": wamid });
    if kind == "template" {
        message["message_status"] = json!("accepted");
    }
    let answer =
        json!({ "messaging_product": "whatsapp", "contacts": [contact], "messages": [message] });

    if bsuid_in_to {
        // Meta's trap: a BSUID in `to` is accepted and then silently dropped.
        st.log("dropped_message", "POST", &path, body, answer.clone());
        return Ok(Outcome::Answer(answer));
    }

    // Delivery rules: unknown numbers are undeliverable; the window applies to non-templates.
    let customer = st.customer_by_recipient(&recipient).cloned();
    let mut failure = None;
    match &customer {
        Some(c) if c.on_whatsapp => {
            let open = c
                .last_inbound_at
                .is_some_and(|t| now_unix() - t < WINDOW_SECS);
            if kind != "template" && !open {
                let details = "Message failed to send because more than 24 hours have passed since the customer last replied to this number.";
                if st.account.async_failures {
                    failure = Some((131047, "Re-engagement message", details.to_owned()));
                } else {
                    return Err(GraphErr::new(131047, "(#131047) Re-engagement message").details(details));
                }
            }
        }
        _ => {
            failure = Some((
                131026,
                "Message undeliverable",
                "Message failed to send because the recipient is not a WhatsApp user or has not accepted the terms.".to_owned(),
            ))
        }
    }
    st.sent.insert(
        wamid.clone(),
        SentMessage {
            recipient: recipient.clone(),
            callback_data: callback.clone(),
        },
    );
    st.log("send_message", "POST", &path, body, answer.clone());
    Ok(Outcome::Accepted {
        answer,
        wamid,
        recipient,
        callback,
        category,
        failure,
    })
}

fn check_media(st: &SimState, kind: &str, obj: &Value) -> Result<(), GraphErr> {
    let id = str_field(obj, "id");
    let link = str_field(obj, "link");
    match (id, link) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(GraphErr::invalid(format!(
                "{kind} needs exactly one of id or link."
            )))
        }
        (None, Some(l)) if !(l.starts_with("https://") || l.starts_with("http://")) => {
            return Err(GraphErr::bad_value(format!(
                "{kind}.link must be a public HTTP(S) URL."
            )))
        }
        (Some(id), None) => {
            let item = st.media.get(id).ok_or_else(|| {
                GraphErr::bad_value(format!("{kind}.id {id} is not an uploaded media id."))
            })?;
            let base = item.mime_type.split(';').next().unwrap_or_default();
            let fits = match kind {
                "image" => matches!(base, "image/jpeg" | "image/png"),
                "sticker" => base == "image/webp",
                "video" => base.starts_with("video/"),
                "audio" => base.starts_with("audio/"),
                _ => {
                    !base.starts_with("image/")
                        && !base.starts_with("video/")
                        && !base.starts_with("audio/")
                }
            };
            if !fits {
                return Err(
                    GraphErr::new(131053, "(#131053) Media upload error").details(format!(
                        "Media of type {} cannot be sent as {kind}.",
                        item.mime_type
                    )),
                );
            }
        }
        _ => {}
    }
    if obj.get("caption").is_some() {
        if matches!(kind, "audio" | "sticker") {
            return Err(GraphErr::invalid(format!(
                "Param {kind}['caption'] is not allowed."
            )));
        }
        check_len(obj, "caption", &format!("{kind}.caption"), 1, 1024)?;
    }
    if obj.get("filename").is_some() && kind != "document" {
        return Err(GraphErr::invalid(format!(
            "Param {kind}['filename'] is not allowed."
        )));
    }
    Ok(())
}

fn check_interactive(obj: &Value) -> Result<(), GraphErr> {
    let kind =
        str_field(obj, "type").ok_or_else(|| GraphErr::invalid("interactive.type is required."))?;
    let body = obj.get("body").cloned().unwrap_or(Value::Null);
    if let Some(f) = obj.get("footer") {
        check_len(f, "text", "interactive.footer.text", 1, 60)?;
    }
    if let Some(h) = obj.get("header") {
        if str_field(h, "type") == Some("text") {
            check_len(h, "text", "interactive.header.text", 1, 60)?;
        }
    }
    let action = obj.get("action").cloned().unwrap_or(Value::Null);
    match kind {
        "button" => {
            check_len(&body, "text", "interactive.body.text", 1, 1024)?;
            let buttons = action
                .get("buttons")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if buttons.is_empty() || buttons.len() > 3 {
                return Err(GraphErr::bad_value(
                    "interactive.action.buttons must have 1 to 3 buttons.",
                ));
            }
            let mut titles = std::collections::HashSet::new();
            let mut ids = std::collections::HashSet::new();
            for b in &buttons {
                let reply = b.get("reply").cloned().unwrap_or(Value::Null);
                check_len(&reply, "id", "button reply id", 1, 256)?;
                check_len(&reply, "title", "button reply title", 1, 20)?;
                if !titles.insert(reply["title"].as_str().unwrap_or_default().to_owned())
                    || !ids.insert(reply["id"].as_str().unwrap_or_default().to_owned())
                {
                    return Err(GraphErr::bad_value("Button titles and ids must be unique."));
                }
            }
        }
        "list" => {
            check_len(&body, "text", "interactive.body.text", 1, 4096)?;
            check_len(&action, "button", "interactive.action.button", 1, 20)?;
            let sections = action
                .get("sections")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if sections.is_empty() || sections.len() > 10 {
                return Err(GraphErr::bad_value("A list must have 1 to 10 sections."));
            }
            let mut ids = std::collections::HashSet::new();
            let mut total = 0;
            for s in &sections {
                if sections.len() > 1 || s.get("title").is_some() {
                    check_len(s, "title", "section title", 1, 24)?;
                }
                let rows = s
                    .get("rows")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if rows.is_empty() {
                    return Err(GraphErr::bad_value("Every section needs at least one row."));
                }
                total += rows.len();
                for r in &rows {
                    check_len(r, "id", "row id", 1, 200)?;
                    check_len(r, "title", "row title", 1, 24)?;
                    check_len(r, "description", "row description", 0, 72)?;
                    if !ids.insert(r["id"].as_str().unwrap_or_default().to_owned()) {
                        return Err(GraphErr::bad_value("Row ids must be unique."));
                    }
                }
            }
            if total > 10 {
                return Err(GraphErr::bad_value(
                    "A list can have at most 10 rows in total.",
                ));
            }
        }
        "cta_url"
        | "flow"
        | "product"
        | "product_list"
        | "catalog_message"
        | "location_request_message" => {
            check_len(&body, "text", "interactive.body.text", 0, 1024)?;
        }
        other => {
            return Err(GraphErr::invalid(format!(
                "interactive.type {other} is not supported."
            )))
        }
    }
    Ok(())
}
