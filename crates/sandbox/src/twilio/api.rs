//! The Messages API: create and fetch, with Twilio's auth and error bodies.

use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine as _;
use serde_json::json;

use super::{callbacks, Shared, SimMessage};

/// A Twilio error answer: `{code, message, more_info, status}`.
#[derive(Debug, Clone)]
pub struct TwilioErr {
    pub status: StatusCode,
    pub code: i64,
    pub message: String,
}

impl TwilioErr {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        TwilioErr {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        )
    }
}

impl IntoResponse for TwilioErr {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.as_u16(),
        });
        (self.status, Json(body)).into_response()
    }
}

/// Basic auth with the Account SID + auth token or the API key + secret, for the account in the
/// path (Twilio answers 20003 / 401 for all of these).
fn authorize(sh: &Shared, headers: &HeaderMap, account: &str) -> Result<(), TwilioErr> {
    let denied = || TwilioErr::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    let value = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(denied)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(denied)?;
    let (user, pass) = decoded.split_once(':').ok_or_else(denied)?;
    let st = sh.state.lock().unwrap();
    let a = &st.account;
    let ok = account == a.account_sid
        && ((user == a.account_sid && pass == a.auth_token)
            || (user == a.api_key_sid && pass == a.api_key_secret));
    if ok {
        Ok(())
    } else {
        Err(denied())
    }
}

pub(crate) fn is_e164(v: &str) -> bool {
    v.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// GSM 03.38 basic set and extension table (the simulator counts segments on its own).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

pub(crate) fn num_segments(text: &str) -> usize {
    let gsm: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM7_BASIC.contains(c) {
                Some(1)
            } else if GSM7_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (units, single, multi) = match gsm {
        Some(u) => (u, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    if units <= single {
        1
    } else {
        units.div_ceil(multi)
    }
}

pub(crate) fn new_sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

pub(crate) fn now_rfc2822() -> String {
    chrono::Utc::now().to_rfc2822()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

pub(crate) async fn send(
    AxState(sh): AxState<Shared>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, TwilioErr> {
    authorize(&sh, &headers, &account)?;
    let bad = |code, msg: String| TwilioErr::new(StatusCode::BAD_REQUEST, code, msg);
    let to =
        field(&form, "To").ok_or_else(|| bad(21604, "A 'To' phone number is required.".into()))?;
    let from = field(&form, "From");
    let service = field(&form, "MessagingServiceSid");
    if from.is_none() && service.is_none() {
        return Err(bad(21603, "A 'From' phone number is required.".into()));
    }
    let body =
        field(&form, "Body").ok_or_else(|| bad(21602, "Message body is required.".into()))?;
    if body.chars().count() > 1600 {
        return Err(bad(
            21617,
            "The concatenated message body exceeds the 1600 character limit.".into(),
        ));
    }
    let invalid = || {
        bad(
            21211,
            format!("The 'To' number {to} is not a valid phone number."),
        )
    };
    if !is_e164(to) {
        return Err(invalid());
    }
    match to {
        "+15005550001" => return Err(invalid()),
        "+15005550002" => {
            return Err(bad(21612, format!("The 'To' phone number: {to}, is not currently reachable using the 'From' phone number via SMS.")))
        }
        "+15005550004" => {
            return Err(bad(21610, "Attempt to send to unsubscribed recipient".into()))
        }
        "+15005550009" => {
            return Err(bad(21614, format!("'To' number {to} is not a valid mobile number")))
        }
        _ => {}
    }
    let status_callback = field(&form, "StatusCallback").map(str::to_owned);
    let msg = {
        let mut st = sh.state.lock().unwrap();
        if st.account.unsubscribed.contains(to) {
            return Err(bad(
                21610,
                "Attempt to send to unsubscribed recipient".into(),
            ));
        }
        let sid = new_sid("SM");
        let now = now_rfc2822();
        let msg = SimMessage {
            uri: format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
            sid,
            account_sid: account.clone(),
            messaging_service_sid: service.map(str::to_owned),
            to: to.to_owned(),
            from: from.map(str::to_owned),
            body: body.to_owned(),
            // With a Messaging Service Twilio answers `accepted` (reference §2.1).
            status: if service.is_some() {
                "accepted"
            } else {
                "queued"
            }
            .into(),
            num_segments: num_segments(body).to_string(),
            num_media: "0".into(),
            direction: "outbound-api".into(),
            api_version: "2010-04-01".into(),
            price: None,
            price_unit: "USD".into(),
            error_code: None,
            error_message: None,
            date_created: now.clone(),
            date_updated: now,
            date_sent: None,
            status_callback,
        };
        st.messages.push(msg.clone());
        msg
    };
    callbacks::spawn_progress(&sh, msg.sid.clone());
    Ok((StatusCode::CREATED, Json(msg)).into_response())
}

pub(crate) async fn fetch(
    AxState(sh): AxState<Shared>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<SimMessage>, TwilioErr> {
    authorize(&sh, &headers, &account)?;
    let sid = file
        .strip_suffix(".json")
        .ok_or_else(TwilioErr::not_found)?;
    let st = sh.state.lock().unwrap();
    st.messages
        .iter()
        .find(|m| m.sid == sid && m.account_sid == account)
        .cloned()
        .map(Json)
        .ok_or_else(TwilioErr::not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert_eq!(num_segments("hola"), 1);
        assert_eq!(num_segments(&"a".repeat(161)), 2);
        assert_eq!(num_segments(&"á".repeat(71)), 2);
        assert_eq!(num_segments(&"a".repeat(100)), 1);
        assert_eq!(num_segments(&format!("está{}", "a".repeat(70))), 2);
    }
}
