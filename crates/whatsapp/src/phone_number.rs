//! The shop's phone number: display number, verified name, quality, status ("test connection").

use reqwest::Method;
use serde::Deserialize;

use crate::client::{Client, Effect};
use crate::error::Error;
use crate::ids::PhoneNumberId;

/// Quality rating of the number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QualityRating {
    Green,
    Yellow,
    Red,
    #[serde(rename = "NA")]
    NotAvailable,
    #[serde(untagged)]
    Other(String),
}

/// Review status of the display name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NameStatus {
    Approved,
    AvailableWithoutReview,
    Declined,
    Expired,
    PendingReview,
    None,
    #[serde(untagged)]
    Other(String),
}

/// Connection status of the number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NumberStatus {
    Connected,
    Disconnected,
    Unverified,
    Pending,
    Flagged,
    Restricted,
    #[serde(untagged)]
    Other(String),
}

/// `GET /{phone-number-id}` with the fields a "test connection" needs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PhoneNumberInfo {
    pub id: PhoneNumberId,
    pub display_phone_number: String,
    pub verified_name: Option<String>,
    pub quality_rating: Option<QualityRating>,
    pub name_status: Option<NameStatus>,
    pub status: Option<NumberStatus>,
    pub code_verification_status: Option<String>,
}

impl Client {
    /// Reads the number's info; success also proves the token and phone number id are right.
    pub async fn phone_number_info(&self) -> Result<PhoneNumberInfo, Error> {
        let mut url = self.url(&[self.cfg.phone_number_id.as_str()]);
        url.query_pairs_mut().append_pair(
            "fields",
            "id,display_phone_number,verified_name,quality_rating,name_status,status,code_verification_status",
        );
        self.execute_json(
            "phone number info",
            Effect::Safe,
            self.request(Method::GET, url),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_meta_example() {
        let info: PhoneNumberInfo = serde_json::from_str(
            r#"{"verified_name":"Kiosco Don Pepe","display_phone_number":"+54 9 11 5000-0000","id":"106540352242922","quality_rating":"GREEN","name_status":"APPROVED","status":"CONNECTED","code_verification_status":"VERIFIED"}"#,
        )
        .unwrap();
        assert_eq!(info.quality_rating, Some(QualityRating::Green));
        assert_eq!(info.status, Some(NumberStatus::Connected));
        let na: QualityRating = serde_json::from_str("\"NA\"").unwrap();
        assert_eq!(na, QualityRating::NotAvailable);
        let unknown: QualityRating = serde_json::from_str("\"PURPLE\"").unwrap();
        assert_eq!(unknown, QualityRating::Other("PURPLE".into()));
    }
}
