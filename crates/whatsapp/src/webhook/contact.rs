//! `value.contacts[]`: who wrote. With usernames, `wa_id` may be missing; the BSUID (`user_id`)
//! is the stable key.
//!
//! A sender id of an unexpected shape is not dropped: the typed field is `None` and the id is kept
//! as sent in its `*_raw` field, so the message can still be attributed and shown.

use serde::{Deserialize, Deserializer};

use crate::ids::{Bsuid, WaId};

/// The sender's profile and identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(from = "ContactWire")]
pub struct Contact {
    pub wa_id: Option<WaId>,
    /// `wa_id` exactly as sent (a number rendered as digits), valid or not.
    pub wa_id_raw: Option<String>,
    pub user_id: Option<Bsuid>,
    /// `user_id` exactly as sent, valid or not.
    pub user_id_raw: Option<String>,
    pub parent_user_id: Option<Bsuid>,
    pub profile: Profile,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct Profile {
    pub name: Option<String>,
    pub username: Option<String>,
}

#[derive(Deserialize)]
struct ContactWire {
    #[serde(default, deserialize_with = "lenient_wa_id")]
    wa_id: Lenient<WaId>,
    #[serde(default, deserialize_with = "lenient_bsuid")]
    user_id: Lenient<Bsuid>,
    #[serde(default, deserialize_with = "lenient_bsuid")]
    parent_user_id: Lenient<Bsuid>,
    #[serde(default)]
    profile: Profile,
}

impl From<ContactWire> for Contact {
    fn from(w: ContactWire) -> Contact {
        Contact {
            wa_id: w.wa_id.typed,
            wa_id_raw: w.wa_id.raw,
            user_id: w.user_id.typed,
            user_id_raw: w.user_id.raw,
            parent_user_id: w.parent_user_id.typed,
            profile: w.profile,
        }
    }
}

/// An id as sent, and its typed form when it has the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lenient<T> {
    pub typed: Option<T>,
    pub raw: Option<String>,
}

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient {
            typed: None,
            raw: None,
        }
    }
}

fn lenient<'de, D: Deserializer<'de>, T, E>(
    d: D,
    new: impl FnOnce(String) -> Result<T, E>,
) -> Result<Lenient<T>, D::Error> {
    Ok(match super::scalar::opt_id_string(d)? {
        Some(raw) => Lenient {
            typed: new(raw.clone()).ok(),
            raw: Some(raw),
        },
        None => Lenient::default(),
    })
}

pub(crate) fn lenient_wa_id<'de, D: Deserializer<'de>>(d: D) -> Result<Lenient<WaId>, D::Error> {
    lenient(d, WaId::new)
}

pub(crate) fn lenient_bsuid<'de, D: Deserializer<'de>>(d: D) -> Result<Lenient<Bsuid>, D::Error> {
    lenient(d, Bsuid::new)
}
