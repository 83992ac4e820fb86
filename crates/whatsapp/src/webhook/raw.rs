//! JSON kept as received, for what the model does not understand.

use std::fmt;

use serde_json::value::RawValue;

/// The exact JSON text of an item (unknown type, unknown field, unreadable item).
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    pub(crate) fn new(raw: &RawValue) -> Self {
        RawJson(raw.to_owned())
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parses it into a generic value, for code that wants to look inside.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print content (it may be a customer's message): only its size.
        write!(f, "RawJson({} bytes)", self.get().len())
    }
}
