//! Meta-shaped error answers: `{"error": {message, type, code, error_subcode?, error_data, fbtrace_id}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// An error the simulator answers with.
#[derive(Debug, Clone)]
pub struct GraphErr {
    pub status: StatusCode,
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    pub details: Option<String>,
}

impl GraphErr {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        GraphErr {
            status: default_status(code),
            code,
            subcode: None,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_message(mut self, m: impl Into<String>) -> Self {
        self.message = m.into();
        self
    }

    pub fn details(mut self, d: impl Into<String>) -> Self {
        self.details = Some(d.into());
        self
    }

    pub fn subcode(mut self, s: i64) -> Self {
        self.subcode = Some(s);
        self
    }

    pub fn status(mut self, s: StatusCode) -> Self {
        self.status = s;
        self
    }

    /// Error 100 about one parameter.
    pub fn invalid(details: impl Into<String>) -> Self {
        GraphErr::new(100, "(#100) Invalid parameter").details(details)
    }

    /// Error 131009 "Parameter value is not valid".
    pub fn bad_value(details: impl Into<String>) -> Self {
        GraphErr::new(131009, "(#131009) Parameter value is not valid").details(details)
    }

    pub fn body(&self) -> Value {
        let mut e = json!({
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": format!("Sandbox{:08x}", (self.code as u64).wrapping_mul(2654435761) as u32),
        });
        if let Some(s) = self.subcode {
            e["error_subcode"] = json!(s);
        }
        if let Some(d) = &self.details {
            e["error_data"] = json!({ "messaging_product": "whatsapp", "details": d });
        }
        json!({ "error": e })
    }
}

fn default_status(code: i64) -> StatusCode {
    match code {
        190 => StatusCode::UNAUTHORIZED,
        10 | 200..=299 => StatusCode::FORBIDDEN,
        4 | 80007 | 130429 | 131056 => StatusCode::TOO_MANY_REQUESTS,
        131000 | 131016 => StatusCode::INTERNAL_SERVER_ERROR,
        131057 => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for GraphErr {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body())).into_response();
        r.headers_mut().insert(
            "x-fb-trace-id",
            axum::http::HeaderValue::from_static("SandboxTrace"),
        );
        r
    }
}

/// A short description for known codes, used by injected faults.
pub fn title(code: i64) -> &'static str {
    match code {
        0 => "AuthException",
        3 => "API Method",
        4 => "API Too Many Calls",
        10 => "Permission Denied",
        100 => "Invalid parameter",
        190 => "Invalid OAuth access token",
        200..=299 => "API Permission",
        368 => "Temporarily blocked for policies violations",
        80007 => "Rate limit issues",
        130429 => "Rate limit hit",
        130497 => "Business account is restricted from messaging users in this country",
        131000 => "Something went wrong",
        131008 => "Required parameter is missing",
        131009 => "Parameter value is not valid",
        131016 => "Service unavailable",
        131021 => "Recipient cannot be sender",
        131026 => "Message undeliverable",
        131030 => "Recipient phone number not in allowed list",
        131031 => "Account has been locked",
        131042 => "Business eligibility payment issue",
        131047 => "Re-engagement message",
        131048 => "Spam rate limit hit",
        131049 => "Meta chose not to deliver",
        131050 => "User has stopped marketing messages",
        131051 => "Unsupported message type",
        131052 => "Media download error",
        131053 => "Media upload error",
        131056 => "(Business Account, Consumer Account) pair rate limit hit",
        131057 => "Account in maintenance mode",
        131062 => "Business-scoped user ID recipient not supported",
        131064 => "Messaging limit reached for template classification violations",
        132000 => "Number of parameters does not match the expected number of params",
        132001 => "Template does not exist",
        132005 => "Translated text too long",
        132007 => "Template format character policy violated",
        132008 => "Template parameter format mismatch",
        132012 => "Template parameter format mismatch",
        132015 => "Template is paused",
        132016 => "Template is disabled",
        137000 => "Identity key mismatch",
        _ => "Unknown error",
    }
}
