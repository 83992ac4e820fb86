//! Typed identifiers: Stripe object ids (a fixed prefix, `_`, then letters and digits) and our
//! idempotency keys.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An identifier with the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is invalid: {expected}")]
pub struct IdError {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// `prefix` then at least one of `[A-Za-z0-9_]` (test-mode ids have `_test_` inside them).
fn is_object_id(v: &str, prefix: &str) -> bool {
    v.len() <= 255
        && v.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

macro_rules! object_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn new(v: impl Into<String>) -> Result<Self, IdError> {
                let v = v.into();
                if is_object_id(&v, $prefix) {
                    Ok($name(v))
                } else {
                    Err(IdError {
                        kind: $kind,
                        value: v,
                        expected: concat!("expected ", $prefix, " followed by letters and digits"),
                    })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(v: String) -> Result<Self, IdError> {
                $name::new(v)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}

object_id!(
    /// A Checkout Session, `cs_…`.
    CheckoutSessionId, "Checkout Session id", "cs_"
);
object_id!(
    /// A PaymentIntent, `pi_…`.
    PaymentIntentId, "PaymentIntent id", "pi_"
);
object_id!(
    /// A charge, `ch_…` (`py_…` charges of some local methods are not supported here).
    ChargeId, "Charge id", "ch_"
);
object_id!(
    /// A refund, `re_…`.
    RefundId, "Refund id", "re_"
);
object_id!(
    /// A dispute (chargeback), `dp_…` (`du_…` for some methods).
    DisputeId, "Dispute id", "dp_"
);
object_id!(
    /// A webhook event, `evt_…`: the dedupe key of a delivery.
    EventId, "Event id", "evt_"
);

/// The `Idempotency-Key` of a POST: at most 255 printable ASCII characters. Derive it from our own
/// ids (never from customer data: Stripe's docs advise against personal data in keys) so that a
/// retry of the same operation sends the same key.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn new(v: impl Into<String>) -> Result<Self, IdError> {
        let v = v.into();
        if !v.is_empty() && v.len() <= 255 && v.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(IdempotencyKey(v))
        } else {
            Err(IdError {
                kind: "Idempotency key",
                value: v,
                expected: "expected 1 to 255 printable ASCII characters without spaces",
            })
        }
    }

    /// `{operation}-{reference}-{attempt}`: one key per operation on one of our objects, with an
    /// `attempt` the caller bumps only when it deliberately wants a new object (e.g. a new link
    /// after the previous session expired).
    pub fn derive(operation: &str, reference: &str, attempt: u32) -> Result<Self, IdError> {
        IdempotencyKey::new(format!("{operation}-{reference}-{attempt}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = IdError;
    fn try_from(v: String) -> Result<Self, IdError> {
        IdempotencyKey::new(v)
    }
}

impl From<IdempotencyKey> for String {
    fn from(v: IdempotencyKey) -> String {
        v.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_need_their_prefix() {
        assert!(CheckoutSessionId::new("cs_test_a1B2c3").is_ok());
        assert!(CheckoutSessionId::new("pi_123").is_err());
        assert!(CheckoutSessionId::new("cs_").is_err());
        assert!(PaymentIntentId::new("pi_3MtwBwLkdIwHu7ix28a3tqPa").is_ok());
        assert!(PaymentIntentId::new("pi_3Mtw/../x").is_err());
        assert!(EventId::new("evt_1NG8Du2eZvKYlo2CUI79vXWy").is_ok());
        let e: Result<RefundId, _> = serde_json::from_str("\"ch_1\"");
        assert!(e.is_err());
        let ok: RefundId = serde_json::from_str("\"re_1\"").unwrap();
        assert_eq!(ok.as_str(), "re_1");
    }

    #[test]
    fn idempotency_keys() {
        let k = IdempotencyKey::derive("checkout", "inv-42", 0).unwrap();
        assert_eq!(k.as_str(), "checkout-inv-42-0");
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("has space").is_err());
        assert!(IdempotencyKey::new("x".repeat(256)).is_err());
        assert!(IdempotencyKey::new("x".repeat(255)).is_ok());
    }
}
