//! "Test connection": the three checks of reference §1.7 in one call.

use reqwest::Method;
use serde_json::Value;

use crate::client::{Client, Effect};
use crate::error::Error;
use crate::phone_number::PhoneNumberInfo;

/// What a connection test found. An `Err` from [`Client::test_connection`] means the token, the
/// phone number id or the WABA id is wrong (see the error's class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionCheck {
    /// Proves the token and the phone number id.
    pub phone: PhoneNumberInfo,
    /// Whether our app receives this WABA's webhooks (`subscribed_apps` is not empty).
    pub app_subscribed: bool,
    /// The callback override in force, if any.
    pub callback_override: Option<String>,
}

impl Client {
    /// Reads the phone number, one template (proves the WABA id) and the subscriptions.
    pub async fn test_connection(&self) -> Result<ConnectionCheck, Error> {
        let phone = self.phone_number_info().await?;
        let mut url = self.url(&[self.cfg.waba_id.as_str(), "message_templates"]);
        url.query_pairs_mut()
            .append_pair("limit", "1")
            .append_pair("fields", "id");
        let _: Value = self
            .execute_json("check WABA", Effect::Safe, self.request(Method::GET, url))
            .await?;
        let apps = self.subscribed_apps().await?;
        Ok(ConnectionCheck {
            phone,
            app_subscribed: !apps.is_empty(),
            callback_override: apps.into_iter().find_map(|a| a.override_callback_uri),
        })
    }
}
