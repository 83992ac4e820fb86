//! `/{waba-id}/message_templates`: list (paginated), create (then reviewed, with a status
//! webhook), delete.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::graph_error::GraphErr;
use super::state::{SimTemplate, State as SimState, TemplateReview, SEED_HEADER_HANDLE};
use super::template_rules::variables;
use super::{authorize, success, unknown_object, webhooks, Shared};

#[derive(serde::Deserialize)]
pub(crate) struct ListQuery {
    limit: Option<usize>,
    after: Option<String>,
    name: Option<String>,
    status: Option<String>,
    /// `total_count`, `message_template_count`, `message_template_limit`,
    /// `are_translations_complete` (comma-separated), or `true` for all.
    summary: Option<String>,
}

/// How many templates (names × languages) a WABA may have.
const TEMPLATE_LIMIT: usize = 250;

pub(crate) async fn list(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    if let Err(e) = authorize(&st, &headers, &version) {
        return e.into_response();
    }
    if id != st.account.waba_id {
        return unknown_object(&Method::GET, &id).into_response();
    }
    let all: Vec<&SimTemplate> = st
        .templates
        .iter()
        .filter(|t| q.name.as_deref().is_none_or(|n| t.name.contains(n)))
        .filter(|t| q.status.as_deref().is_none_or(|s| t.status == s))
        .collect();
    let limit = q.limit.unwrap_or(25).clamp(1, 100);
    let start: usize = match &q.after {
        None => 0,
        Some(c) => match c.strip_prefix("cursor-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return GraphErr::invalid("Invalid pagination cursor.").into_response(),
        },
    };
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|t| t.to_json())
        .collect();
    let end = start + page.len();
    let mut answer = json!({ "data": page });
    if !page.is_empty() {
        let mut paging = json!({ "cursors": { "before": format!("cursor-{start}"), "after": format!("cursor-{end}") } });
        if end < all.len() {
            let host = headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("127.0.0.1");
            paging["next"] = json!(format!(
                "http://{host}{}/{version}/{id}/message_templates?limit={limit}&after=cursor-{end}",
                crate::GRAPH_PREFIX
            ));
        }
        answer["paging"] = paging;
    }
    if let Some(summary) = q.summary.as_deref() {
        let all_fields = summary == "true" || summary == "1";
        let wanted = |f: &str| all_fields || summary.split(',').any(|s| s.trim() == f);
        let mut out = serde_json::Map::new();
        if wanted("total_count") {
            out.insert("total_count".into(), json!(all.len()));
        }
        if wanted("message_template_count") {
            out.insert("message_template_count".into(), json!(st.templates.len()));
        }
        if wanted("message_template_limit") {
            out.insert("message_template_limit".into(), json!(TEMPLATE_LIMIT));
        }
        if wanted("are_translations_complete") {
            out.insert("are_translations_complete".into(), json!(true));
        }
        answer["summary"] = Value::Object(out);
    }
    let path = format!("/{version}/{id}/message_templates");
    st.log(
        "list_templates",
        "GET",
        &path,
        json!({ "after": q.after, "limit": limit }),
        json!({ "count": end - start }),
    );
    Json(answer).into_response()
}

/// A media header's example must be a file handle from the resumable upload API, of a type that
/// fits the header; Meta refuses anything else (a URL, a media id) with subcode 2388273.
fn check_header_example(st: &SimState, components: &[Value]) -> Result<(), GraphErr> {
    let Some(header) = components.iter().find(|c| {
        c.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("HEADER"))
    }) else {
        return Ok(());
    };
    let format = header
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("TEXT")
        .to_ascii_uppercase();
    if !matches!(format.as_str(), "IMAGE" | "VIDEO" | "DOCUMENT") {
        return Ok(());
    }
    let missing = |details: String| {
        GraphErr::invalid(details)
            .subcode(2388273)
            .with_message(format!(
            "Templates with {format} header type need an example/sample, but it was not provided."
        ))
    };
    let handle = header
        .pointer("/example/header_handle/0")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("example.header_handle is required for a media header.".into()))?;
    if handle == SEED_HEADER_HANDLE {
        return Ok(());
    }
    match st.file_handles.get(handle) {
        Some(f) if f.fits_header(&format) => Ok(()),
        Some(f) => Err(missing(format!(
            "the file of example.header_handle is {}, which does not fit a {format} header.",
            f.file_type
        ))),
        None => Err(missing(
            "example.header_handle is not a handle from the resumable upload API (POST /{app-id}/uploads)."
                .into(),
        )),
    }
}

fn validate_new(body: &Value) -> Result<(String, String, String, String, Vec<Value>), GraphErr> {
    let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let name = s("name").ok_or_else(|| GraphErr::invalid("The parameter name is required."))?;
    if name.is_empty()
        || name.len() > 512
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(GraphErr::invalid(
            "name must be lowercase letters, digits and underscores.",
        ));
    }
    let language =
        s("language").ok_or_else(|| GraphErr::invalid("The parameter language is required."))?;
    let category =
        s("category").ok_or_else(|| GraphErr::invalid("The parameter category is required."))?;
    if !matches!(
        category.as_str(),
        "MARKETING" | "UTILITY" | "AUTHENTICATION"
    ) {
        return Err(GraphErr::invalid(
            "category must be MARKETING, UTILITY or AUTHENTICATION.",
        ));
    }
    let format = s("parameter_format").unwrap_or_else(|| "POSITIONAL".into());
    if !matches!(format.as_str(), "POSITIONAL" | "NAMED") {
        return Err(GraphErr::invalid(
            "parameter_format must be POSITIONAL or NAMED.",
        ));
    }
    let components = body
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| GraphErr::invalid("The parameter components is required."))?;
    let body_c = components
        .iter()
        .find(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("BODY"))
        })
        .ok_or_else(|| GraphErr::invalid("A template needs a BODY component."))?;
    let text = body_c
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if text.is_empty() || text.chars().count() > 1024 {
        return Err(GraphErr::invalid("BODY text must be 1 to 1024 characters."));
    }
    let vars = variables(text);
    if !vars.is_empty() {
        let examples = if format == "NAMED" {
            body_c
                .pointer("/example/body_text_named_params")
                .and_then(Value::as_array)
                .map(Vec::len)
        } else {
            body_c
                .pointer("/example/body_text/0")
                .and_then(Value::as_array)
                .map(Vec::len)
        };
        if examples != Some(vars.len()) {
            return Err(GraphErr::invalid(format!(
                "The BODY has {} variables; give an example for each.",
                vars.len()
            ))
            .subcode(2388043));
        }
    }
    if format == "POSITIONAL" && vars.iter().any(|v| v.parse::<u32>().is_err()) {
        return Err(GraphErr::invalid(
            "Positional templates use {{1}}, {{2}}…; set parameter_format NAMED.",
        ));
    }
    check_variable_rules("BODY", text, &format)?;
    check_other_components(&components, &format)?;
    Ok((name, language, category, format, components))
}

fn component<'a>(components: &'a [Value], kind: &str) -> Option<&'a Value> {
    components.iter().find(|c| {
        c.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    })
}

/// Meta refuses variables at the start or end of a text (subcode 2388299), and positional
/// variables that are not `{{1}}…{{n}}` (2388293).
fn check_variable_rules(what: &str, text: &str, format: &str) -> Result<(), GraphErr> {
    let vars = variables(text);
    if vars.is_empty() {
        return Ok(());
    }
    if format == "POSITIONAL" {
        let mut nums: Vec<u32> = vars.iter().filter_map(|v| v.parse().ok()).collect();
        nums.sort_unstable();
        if nums.iter().enumerate().any(|(i, n)| *n as usize != i + 1) {
            return Err(GraphErr::invalid(format!(
                "{what}: variable parameters must be sequential {{{{1}}}}, {{{{2}}}}…"
            ))
            .subcode(2388293));
        }
    }
    let t = text.trim();
    if t.starts_with("{{") || t.ends_with("}}") {
        return Err(GraphErr::invalid(format!(
            "{what}: variables can't be at the start or end of the template."
        ))
        .subcode(2388299));
    }
    Ok(())
}

/// Header, footer and buttons as Meta limits them.
fn check_other_components(components: &[Value], format: &str) -> Result<(), GraphErr> {
    let too_long = |what: &str| GraphErr::invalid(what.to_owned()).subcode(2388040);
    if let Some(h) = component(components, "HEADER") {
        let hf = h.get("format").and_then(Value::as_str).unwrap_or("TEXT");
        if !matches!(
            hf.to_ascii_uppercase().as_str(),
            "TEXT" | "IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION"
        ) {
            return Err(GraphErr::invalid(format!("Invalid header format {hf}.")).subcode(2388047));
        }
        if hf.eq_ignore_ascii_case("TEXT") {
            let text = h.get("text").and_then(Value::as_str).unwrap_or_default();
            if text.is_empty() || text.chars().count() > 60 {
                return Err(too_long("HEADER text must be 1 to 60 characters."));
            }
            let vars = variables(text);
            if vars.len() > 1 {
                return Err(
                    GraphErr::invalid("HEADER text may have one variable.").subcode(2388047)
                );
            }
            if vars.len() == 1 {
                if h.pointer("/example/header_text/0")
                    .and_then(Value::as_str)
                    .is_none()
                    && h.pointer("/example/header_text_named_params/0").is_none()
                {
                    return Err(
                        GraphErr::invalid("The HEADER variable needs an example.").subcode(2388043)
                    );
                }
                check_variable_rules("HEADER", text, format)?;
            }
        }
    }
    if let Some(f) = component(components, "FOOTER") {
        let text = f.get("text").and_then(Value::as_str).unwrap_or_default();
        if text.is_empty() || text.chars().count() > 60 {
            return Err(too_long("FOOTER text must be 1 to 60 characters."));
        }
        if !variables(text).is_empty() {
            return Err(GraphErr::invalid("FOOTER cannot have variables.").subcode(2388072));
        }
    }
    if let Some(b) = component(components, "BUTTONS") {
        let buttons = b
            .get("buttons")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let bad = |d: String| GraphErr::invalid(d).subcode(2388158);
        if buttons.is_empty() || buttons.len() > 10 {
            return Err(bad("BUTTONS: 1 to 10 buttons.".into()));
        }
        let (mut urls, mut phones, mut codes) = (0, 0, 0);
        let mut quick = Vec::new();
        for (i, b) in buttons.iter().enumerate() {
            let ty = b.get("type").and_then(Value::as_str).unwrap_or_default();
            let text = b.get("text").and_then(Value::as_str).unwrap_or_default();
            let text_ok = !text.is_empty() && text.chars().count() <= 25;
            quick.push(ty == "QUICK_REPLY");
            match ty {
                "QUICK_REPLY" if text_ok => {}
                "URL" if text_ok => {
                    urls += 1;
                    let url = b.get("url").and_then(Value::as_str).unwrap_or_default();
                    let vars = variables(url);
                    if !url.starts_with("http") || url.chars().count() > 2000 {
                        return Err(bad(format!("buttons[{i}].url is not a valid URL.")));
                    }
                    if vars.len() > 1 || (vars.len() == 1 && !url.ends_with("}}")) {
                        return Err(bad(format!("buttons[{i}].url: one variable, at the end.")));
                    }
                    if vars.len() == 1 && b.pointer("/example/0").and_then(Value::as_str).is_none()
                    {
                        return Err(GraphErr::invalid(format!(
                            "buttons[{i}]: the URL variable needs an example."
                        ))
                        .subcode(2388043));
                    }
                }
                "PHONE_NUMBER" if text_ok => {
                    phones += 1;
                    let n = b
                        .get("phone_number")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let d = n.trim_start_matches('+');
                    if d.is_empty() || n.len() > 20 || !d.bytes().all(|c| c.is_ascii_digit()) {
                        return Err(bad(format!("buttons[{i}].phone_number is invalid.")));
                    }
                }
                "COPY_CODE" => {
                    codes += 1;
                    let e = b.get("example").and_then(Value::as_str).unwrap_or_default();
                    if e.is_empty() || e.chars().count() > 15 {
                        return Err(bad(format!(
                            "buttons[{i}].example must be 1 to 15 characters."
                        )));
                    }
                }
                "QUICK_REPLY" | "URL" | "PHONE_NUMBER" => {
                    return Err(bad(format!(
                        "buttons[{i}].text must be 1 to 25 characters."
                    )))
                }
                other => return Err(bad(format!("buttons[{i}]: unknown type {other}."))),
            }
        }
        if urls > 2 || phones > 1 || codes > 1 {
            return Err(bad(
                "BUTTONS: at most 2 URL, 1 phone number and 1 copy code buttons.".into(),
            ));
        }
        if quick.windows(2).filter(|w| w[0] != w[1]).count() > 1 {
            return Err(bad(
                "BUTTONS: quick replies must be grouped together.".into()
            ));
        }
    }
    Ok(())
}

pub(crate) async fn create(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = {
        let mut st = shared.state.lock().unwrap();
        (|| {
            authorize(&st, &headers, &version)?;
            if id != st.account.waba_id {
                return Err(unknown_object(&Method::POST, &id));
            }
            let req: Value = serde_json::from_slice(&body)
                .map_err(|_| GraphErr::invalid("The request body is not valid JSON."))?;
            let (name, language, category, format, components) = validate_new(&req)?;
            check_header_example(&st, &components)?;
            if st
                .templates
                .iter()
                .any(|t| t.name == name && t.language == language)
            {
                return Err(GraphErr::invalid(format!(
                    "Content in this language already exists: {name} ({language})."
                ))
                .subcode(2388024));
            }
            let tid = st.id();
            st.templates.push(SimTemplate {
                id: tid.clone(),
                name: name.clone(),
                language: language.clone(),
                status: "PENDING".into(),
                category: category.clone(),
                parameter_format: format,
                components,
                quality_score: "UNKNOWN".into(),
                rejected_reason: "NONE".into(),
                previous_category: None,
            });
            let answer = json!({ "id": tid, "status": "PENDING", "category": category });
            st.log(
                "create_template",
                "POST",
                &format!("/{version}/{id}/message_templates"),
                req,
                answer.clone(),
            );
            Ok((answer, name, language, st.account.template_review.clone()))
        })()
    };
    match result {
        Err(e) => e.into_response(),
        Ok((answer, name, language, review)) => {
            let (delay, status, reason) = match review {
                TemplateReview::Approve { delay_ms } => (Some(delay_ms), "APPROVED", None),
                TemplateReview::Reject { delay_ms, reason } => {
                    (Some(delay_ms), "REJECTED", Some(reason))
                }
                TemplateReview::Manual => (None, "", None),
            };
            if let Some(ms) = delay {
                let shared = shared.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    set_status(&shared, &name, &language, status, reason.as_deref());
                });
            }
            Json(answer).into_response()
        }
    }
}

/// Changes a template's status and emits `message_template_status_update`.
pub(crate) fn set_status(
    shared: &Shared,
    name: &str,
    language: &str,
    status: &str,
    reason: Option<&str>,
) -> bool {
    let value = {
        let mut st = shared.state.lock().unwrap();
        let Some(t) = st
            .templates
            .iter_mut()
            .find(|t| t.name == name && t.language == language)
        else {
            return false;
        };
        t.status = status.to_owned();
        t.rejected_reason = match status {
            "REJECTED" => reason.unwrap_or("NONE").to_owned(),
            _ => "NONE".to_owned(),
        };
        json!({
            "event": status,
            "message_template_id": t.id.parse::<u64>().map(Value::from).unwrap_or_else(|_| json!(t.id)),
            "message_template_name": t.name,
            "message_template_language": t.language,
            "message_template_category": t.category,
            "reason": reason.unwrap_or("NONE"),
        })
    };
    webhooks::emit(shared, "message_template_status_update", value);
    true
}

/// The template's id as Meta writes it in webhooks (a number).
fn webhook_id(t: &SimTemplate) -> Value {
    t.id.parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(t.id))
}

/// Re-categorizes a template and emits `template_category_update`.
pub(crate) fn set_category(shared: &Shared, name: &str, language: &str, category: &str) -> bool {
    let value = {
        let mut st = shared.state.lock().unwrap();
        let Some(t) = st
            .templates
            .iter_mut()
            .find(|t| t.name == name && t.language == language)
        else {
            return false;
        };
        let previous = std::mem::replace(&mut t.category, category.to_owned());
        // The listed object says where it came from, as Meta's does after a re-categorization.
        if previous != category {
            t.previous_category = Some(previous.clone());
        }
        json!({
            "message_template_id": webhook_id(t),
            "message_template_name": t.name,
            "message_template_language": t.language,
            "previous_category": previous,
            "new_category": category,
        })
    };
    webhooks::emit(shared, "template_category_update", value);
    true
}

/// Changes a template's quality and emits `message_template_quality_update`.
pub(crate) fn set_quality(shared: &Shared, name: &str, language: &str, score: &str) -> bool {
    let value = {
        let mut st = shared.state.lock().unwrap();
        let Some(t) = st
            .templates
            .iter_mut()
            .find(|t| t.name == name && t.language == language)
        else {
            return false;
        };
        let previous = std::mem::replace(&mut t.quality_score, score.to_owned());
        json!({
            "previous_quality_score": previous,
            "new_quality_score": score,
            "message_template_id": webhook_id(t),
            "message_template_name": t.name,
            "message_template_language": t.language,
        })
    };
    webhooks::emit(shared, "message_template_quality_update", value);
    true
}

#[derive(serde::Deserialize)]
pub(crate) struct DeleteQuery {
    name: Option<String>,
    hsm_id: Option<String>,
}

pub(crate) async fn delete(
    State(shared): State<Shared>,
    Path((version, id)): Path<(String, String)>,
    Query(q): Query<DeleteQuery>,
    headers: HeaderMap,
) -> Response {
    let mut st = shared.state.lock().unwrap();
    if let Err(e) = authorize(&st, &headers, &version) {
        return e.into_response();
    }
    if id != st.account.waba_id {
        return unknown_object(&Method::DELETE, &id).into_response();
    }
    let Some(name) = q.name.clone() else {
        return GraphErr::invalid("The parameter name is required.").into_response();
    };
    let before = st.templates.len();
    st.templates
        .retain(|t| !(t.name == name && q.hsm_id.as_deref().is_none_or(|h| t.id == h)));
    if st.templates.len() == before {
        return GraphErr::invalid(format!("Message template {name} not found."))
            .subcode(2593002)
            .into_response();
    }
    st.log(
        "delete_template",
        "DELETE",
        &format!("/{version}/{id}/message_templates"),
        json!({ "name": name, "hsm_id": q.hsm_id }),
        success(),
    );
    Json(success()).into_response()
}
