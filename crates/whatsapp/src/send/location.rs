//! Location messages.

use serde_json::{json, Map, Value};

use super::ValidationError;

/// A pin on the map, optionally named.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

impl Location {
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, ValidationError> {
        let l = Location {
            latitude,
            longitude,
            name: None,
            address: None,
        };
        l.validate()?;
        Ok(l)
    }

    pub fn named(mut self, name: impl Into<String>, address: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self.address = Some(address.into());
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        if !(-90.0..=90.0).contains(&self.latitude) {
            return Err(ValidationError::new(
                "location.latitude",
                "must be between -90 and 90",
            ));
        }
        if !(-180.0..=180.0).contains(&self.longitude) {
            return Err(ValidationError::new(
                "location.longitude",
                "must be between -180 and 180",
            ));
        }
        Ok(())
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("latitude".into(), json!(self.latitude));
        m.insert("longitude".into(), json!(self.longitude));
        if let Some(n) = &self.name {
            m.insert("name".into(), json!(n));
        }
        if let Some(a) = &self.address {
            m.insert("address".into(), json!(a));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(Location::new(-34.6, -58.4).is_ok());
        assert!(Location::new(91.0, 0.0).is_err());
        assert!(Location::new(0.0, -181.0).is_err());
        assert!(Location::new(f64::NAN, 0.0).is_err());
    }
}
