//! Template webhooks: status (approved/rejected/paused…), category and quality updates.

use serde::Deserialize;

use super::scalar;

/// `message_template_status_update`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TemplateStatusUpdate {
    /// `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, `FLAGGED`, `PENDING_DELETION`…
    pub event: String,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub message_template_id: Option<String>,
    pub message_template_name: Option<String>,
    pub message_template_language: Option<String>,
    pub message_template_category: Option<String>,
    /// Rejection reason (`INVALID_FORMAT`, `PROMOTIONAL`, `NONE`…).
    pub reason: Option<String>,
    pub disable_info: Option<serde_json::Value>,
    pub other_info: Option<serde_json::Value>,
}

/// `template_category_update`: Meta re-categorized a template (its price changes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TemplateCategoryUpdate {
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub message_template_id: Option<String>,
    pub message_template_name: Option<String>,
    pub message_template_language: Option<String>,
    pub previous_category: Option<String>,
    pub new_category: Option<String>,
    pub correct_category: Option<String>,
}

/// `message_template_quality_update`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TemplateQualityUpdate {
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub message_template_id: Option<String>,
    pub message_template_name: Option<String>,
    pub message_template_language: Option<String>,
    pub previous_quality_score: Option<String>,
    pub new_quality_score: Option<String>,
}
