//! Contact cards (vCard-like), sent as `contacts: [...]`.

use serde::Serialize;
use serde_json::Value;

use super::{check_len, ValidationError};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ContactName {
    pub formatted_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ContactPhone {
    pub phone: String,
    /// `CELL`, `MAIN`, `HOME`, `WORK`…
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ContactEmail {
    pub email: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ContactUrl {
    pub url: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ContactOrg {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ContactAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// One contact card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ContactCard {
    pub name: ContactName,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactPhone>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ContactEmail>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<ContactUrl>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<ContactAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<ContactOrg>,
    /// `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
}

impl ContactCard {
    pub fn new(formatted_name: impl Into<String>) -> Self {
        ContactCard {
            name: ContactName {
                formatted_name: formatted_name.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    pub fn phone(mut self, phone: impl Into<String>, kind: Option<&str>) -> Self {
        self.phones.push(ContactPhone {
            phone: phone.into(),
            kind: kind.map(str::to_owned),
            wa_id: None,
        });
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

pub(crate) fn validate_all(cards: &[ContactCard]) -> Result<(), ValidationError> {
    if cards.is_empty() {
        return Err(ValidationError::new("contacts", "at least one contact"));
    }
    for (i, c) in cards.iter().enumerate() {
        check_len(
            &format!("contacts[{i}].name.formatted_name"),
            &c.name.formatted_name,
            1,
            512,
        )?;
        if c.phones.is_empty() && c.emails.is_empty() {
            return Err(ValidationError::new(
                format!("contacts[{i}]"),
                "needs at least one phone or e-mail",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_and_validates() {
        let c = ContactCard::new("Ana Pérez").phone("+5491112345678", Some("CELL"));
        validate_all(std::slice::from_ref(&c)).unwrap();
        let j = c.to_json();
        assert_eq!(j["name"]["formatted_name"], "Ana Pérez");
        assert_eq!(j["phones"][0]["type"], "CELL");
        assert!(j.get("emails").is_none());
        assert!(validate_all(&[ContactCard::new("Sin datos")]).is_err());
        assert!(validate_all(&[]).is_err());
    }
}
