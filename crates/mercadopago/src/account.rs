//! `GET /users/me`: whose token this is ("Probar" in Ajustes).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The collector / user id (also the QR API's `user_id`).
    pub id: i64,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `MLA` for Argentina.
    #[serde(default)]
    pub site_id: Option<String>,
    #[serde(default)]
    pub country_id: Option<String>,
}
