//! Errors carried inside webhooks (`value.errors`, `statuses[].errors`, `messages[].errors`).

use serde::Deserialize;

use super::scalar;
use crate::error::ErrorClass;

/// An error Meta reports asynchronously.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebhookError {
    #[serde(default, deserialize_with = "scalar::opt_i64")]
    pub code: Option<i64>,
    pub title: Option<String>,
    pub message: Option<String>,
    #[serde(default)]
    error_data: Option<ErrorData>,
    pub href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct ErrorData {
    details: Option<String>,
}

impl WebhookError {
    pub fn details(&self) -> Option<&str> {
        self.error_data.as_ref().and_then(|d| d.details.as_deref())
    }

    pub fn class(&self) -> ErrorClass {
        self.code
            .map(ErrorClass::from_code)
            .unwrap_or(ErrorClass::Unknown)
    }
}
