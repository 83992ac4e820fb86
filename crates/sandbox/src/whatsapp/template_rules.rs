//! Template send rules: the template exists in that language and is approved, and the
//! parameters match its components in count, type and (for NAMED templates) names.

use std::collections::BTreeSet;

use serde_json::Value;

use super::graph_error::GraphErr;
use super::state::{SimTemplate, State};

/// Distinct `{{…}}` variables of a template text, in order of first appearance.
pub fn variables(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 2..];
    }
    out
}

fn count_mismatch(what: &str, expected: usize, got: usize) -> GraphErr {
    GraphErr::new(
        132000,
        "(#132000) Number of parameters does not match the expected number of params",
    )
    .details(format!("{what}: number of localizable_params ({got}) does not match the expected number of params ({expected})"))
}

fn format_mismatch(details: String) -> GraphErr {
    GraphErr::new(
        132012,
        "(#132012) Parameter format does not match format in the created template",
    )
    .details(details)
}

fn params(component: Option<&Value>) -> Vec<Value> {
    component
        .and_then(|c| c.get("parameters"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Checks the text parameters against the variables (names for NAMED templates).
fn check_text_params(
    t: &SimTemplate,
    what: &str,
    vars: &[String],
    given: &[Value],
) -> Result<(), GraphErr> {
    if vars.len() != given.len() {
        return Err(count_mismatch(what, vars.len(), given.len()));
    }
    let named = t.parameter_format == "NAMED";
    let mut names = BTreeSet::new();
    for p in given {
        let ty = p.get("type").and_then(Value::as_str).unwrap_or_default();
        if what == "header" && ty != "text" {
            return Err(format_mismatch(format!(
                "header: expected TEXT, got {}",
                ty.to_uppercase()
            )));
        }
        match ty {
            "text" => match p.get("text") {
                Some(Value::String(s)) if !s.trim().is_empty() => {}
                Some(Value::String(_)) => {
                    return Err(GraphErr::new(
                        132008,
                        "(#132008) Template parameter format mismatch",
                    )
                    .details(format!("{what}: a text parameter is empty")))
                }
                _ => {
                    return Err(GraphErr::invalid(format!(
                        "(#100) Param text must be a string ({what})"
                    )))
                }
            },
            "currency" => {
                let c = p.get("currency").cloned().unwrap_or(Value::Null);
                if c.get("fallback_value").and_then(Value::as_str).is_none()
                    || c.get("code").and_then(Value::as_str).is_none()
                    || c.get("amount_1000").and_then(Value::as_i64).is_none()
                {
                    return Err(GraphErr::invalid(format!(
                        "{what}: currency needs fallback_value, code and an integer amount_1000"
                    )));
                }
            }
            "date_time" => {
                if p.pointer("/date_time/fallback_value")
                    .and_then(Value::as_str)
                    .is_none()
                {
                    return Err(GraphErr::invalid(format!(
                        "{what}: date_time needs fallback_value"
                    )));
                }
            }
            other => {
                return Err(format_mismatch(format!(
                    "{what}: parameter type {} is not allowed here",
                    if other.is_empty() { "(none)" } else { other }
                )))
            }
        }
        let pname = p.get("parameter_name").and_then(Value::as_str);
        match (named, pname) {
            (true, Some(n)) if vars.iter().any(|v| v == n) => {
                names.insert(n.to_owned());
            }
            (true, Some(n)) => {
                return Err(count_mismatch(
                    &format!("{what} (parameter_name {n} is not in the template)"),
                    vars.len(),
                    given.len(),
                ))
            }
            (true, None) => {
                return Err(GraphErr::invalid(format!(
                    "{what}: this template uses named parameters; parameter_name is required"
                )))
            }
            (false, Some(_)) => {
                return Err(GraphErr::invalid(format!(
                    "{what}: this template uses positional parameters; remove parameter_name"
                )))
            }
            (false, None) => {}
        }
    }
    if named && names.len() != vars.len() {
        return Err(count_mismatch(
            &format!("{what} (repeated parameter_name)"),
            vars.len(),
            names.len(),
        ));
    }
    Ok(())
}

/// A component's `type`, lower-cased.
fn component_type(c: &Value) -> Option<String> {
    c.get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
}

/// Checks a `template` object; returns the pricing category.
pub fn check(st: &State, obj: &Value) -> Result<&'static str, GraphErr> {
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphErr::invalid("template.name is required."))?;
    let lang = obj
        .pointer("/language/code")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphErr::invalid("template.language.code is required."))?;
    if let Some(p) = obj.pointer("/language/policy").and_then(Value::as_str) {
        if p != "deterministic" {
            return Err(GraphErr::invalid(
                "template.language.policy must be \"deterministic\".",
            ));
        }
    }
    let not_found = |why: &str| {
        GraphErr::new(
            132001,
            "(#132001) Template name does not exist in the translation",
        )
        .details(format!(
            "template name ({name}) does not exist in {lang}{why}"
        ))
    };
    let t = st
        .templates
        .iter()
        .find(|t| t.name == name && t.language == lang)
        .ok_or_else(|| not_found(""))?;
    match t.status.as_str() {
        "APPROVED" => {}
        "PAUSED" => {
            return Err(GraphErr::new(132015, "(#132015) Template is paused")
                .details(format!("template {name} is paused because of low quality")))
        }
        "DISABLED" => {
            return Err(GraphErr::new(132016, "(#132016) Template is disabled")
                .details(format!("template {name} was disabled")))
        }
        other => return Err(not_found(&format!(" (status {other}, not approved)"))),
    }
    let given: Vec<Value> = obj
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Meta reads component types and sub-types in any case (`BODY`, `body`, `URL`, `url`).
    let of_type = |ty: &str| {
        given
            .iter()
            .find(|c| component_type(c).as_deref() == Some(ty))
    };
    for c in &given {
        match component_type(c).as_deref() {
            Some("header" | "body" | "button") => {}
            Some(_) => {
                return Err(GraphErr::invalid(format!(
                    "component type {} is not valid; use header, body or button",
                    c["type"].as_str().unwrap_or_default()
                )))
            }
            None => {
                return Err(GraphErr::invalid(
                    "every component needs a type: header, body or button",
                ))
            }
        }
    }

    // Header.
    let header = t.component("HEADER");
    let header_params = params(of_type("header"));
    let header_format = header
        .and_then(|h| h.get("format"))
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase);
    match header_format.as_deref() {
        None => {
            if !header_params.is_empty() {
                return Err(count_mismatch("header", 0, header_params.len()));
            }
        }
        Some("TEXT") => {
            let vars = variables(
                header
                    .and_then(|h| h.get("text"))
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            );
            check_text_params(t, "header", &vars, &header_params)?;
        }
        Some(format) => {
            let expected = format.to_lowercase();
            if header_params.len() != 1 {
                return Err(count_mismatch("header", 1, header_params.len()));
            }
            let p = &header_params[0];
            let ty = p.get("type").and_then(Value::as_str).unwrap_or("UNKNOWN");
            if ty != expected {
                return Err(format_mismatch(format!(
                    "header: expected {format}, received {}",
                    ty.to_uppercase()
                )));
            }
            let media = p.get(expected.as_str()).cloned().unwrap_or(Value::Null);
            if expected == "location" {
                for k in ["latitude", "longitude", "name", "address"] {
                    if media.get(k).is_none() {
                        return Err(GraphErr::invalid(format!("header location needs {k}")));
                    }
                }
            } else {
                let id = media.get("id").and_then(Value::as_str);
                let link = media.get("link").and_then(Value::as_str);
                match (id, link) {
                    (Some(id), None) if st.media.contains_key(id) => {}
                    (Some(id), None) => {
                        return Err(GraphErr::bad_value(format!(
                            "header {expected}.id {id} is not an uploaded media id"
                        )))
                    }
                    (None, Some(l)) if l.starts_with("http") => {}
                    _ => {
                        return Err(GraphErr::invalid(format!(
                            "header {expected} needs one of id or link"
                        )))
                    }
                }
                if expected == "document" && media.get("caption").is_some() {
                    return Err(GraphErr::invalid("header documents take no caption"));
                }
            }
        }
    }

    // Body.
    let body_text = t
        .component("BODY")
        .and_then(|b| b.get("text"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let body_params = params(of_type("body"));
    check_text_params(t, "body", &variables(body_text), &body_params)?;
    let filled: usize = body_text.chars().count()
        + body_params
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .map(|s| s.chars().count())
            .sum::<usize>();
    if filled > 1024 {
        return Err(GraphErr::new(132005, "(#132005) Translated text too long")
            .details("the body with its parameters is longer than 1024 characters"));
    }

    // Buttons.
    let buttons: Vec<Value> = t
        .component("BUTTONS")
        .and_then(|b| b.get("buttons"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    for c in given
        .iter()
        .filter(|c| component_type(c).as_deref() == Some("button"))
    {
        let index: usize = match c.get("index") {
            Some(Value::String(s)) => s
                .parse()
                .map_err(|_| GraphErr::invalid("button index must be a number"))?,
            Some(Value::Number(n)) => n.as_u64().unwrap_or(99) as usize,
            _ => return Err(GraphErr::invalid("button index is required")),
        };
        let Some(b) = buttons.get(index) else {
            return Err(GraphErr::bad_value(format!(
                "the template has no button at index {index}"
            )));
        };
        if !seen.insert(index) {
            return Err(GraphErr::invalid(format!(
                "button index {index} given twice"
            )));
        }
        let sub = c
            .get("sub_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let ty = b
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_uppercase();
        let expected = match ty.as_str() {
            "URL" => "url",
            "QUICK_REPLY" => "quick_reply",
            "COPY_CODE" => "copy_code",
            other => {
                return Err(GraphErr::bad_value(format!(
                    "button {index} ({other}) takes no parameters"
                )))
            }
        };
        if sub != expected {
            return Err(format_mismatch(format!(
                "button {index}: expected sub_type {expected}, got {}",
                if sub.is_empty() { "none" } else { &sub }
            )));
        }
        let p = params(Some(c));
        let (ptype, key) = match expected {
            "url" => ("text", "text"),
            "quick_reply" => ("payload", "payload"),
            _ => ("coupon_code", "coupon_code"),
        };
        if p.len() != 1 {
            return Err(count_mismatch(&format!("button {index}"), 1, p.len()));
        }
        if p[0].get("type").and_then(Value::as_str) != Some(ptype)
            || p[0]
                .get(key)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            return Err(format_mismatch(format!(
                "button {index}: expected a {ptype} parameter"
            )));
        }
        if expected == "copy_code" && p[0][key].as_str().unwrap_or_default().chars().count() > 15 {
            return Err(GraphErr::bad_value("coupon_code is at most 15 characters"));
        }
    }
    // A dynamic URL button needs its parameter.
    for (i, b) in buttons.iter().enumerate() {
        let dynamic = b
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("URL"))
            && b.get("url")
                .and_then(Value::as_str)
                .is_some_and(|u| u.contains("{{"));
        if dynamic && !seen.contains(&i) {
            return Err(count_mismatch(&format!("button {i} (dynamic URL)"), 1, 0));
        }
    }
    Ok(match t.category.as_str() {
        "MARKETING" => "marketing",
        "AUTHENTICATION" => "authentication",
        _ => "utility",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variables() {
        assert_eq!(variables("Hola {{1}}, {{2}} y {{1}}"), vec!["1", "2"]);
        assert_eq!(variables("{{first_name}}!"), vec!["first_name"]);
        assert!(variables("nada").is_empty());
    }
}
