//! `value.contacts[]`: who wrote. With usernames, `wa_id` may be missing; the BSUID (`user_id`)
//! is the stable key.

use serde::{Deserialize, Deserializer};

use crate::ids::{Bsuid, WaId};

/// The sender's profile and identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct Contact {
    #[serde(default, deserialize_with = "lenient_wa_id")]
    pub wa_id: Option<WaId>,
    #[serde(default, deserialize_with = "lenient_bsuid")]
    pub user_id: Option<Bsuid>,
    #[serde(default, deserialize_with = "lenient_bsuid")]
    pub parent_user_id: Option<Bsuid>,
    #[serde(default)]
    pub profile: Profile,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct Profile {
    pub name: Option<String>,
    pub username: Option<String>,
}

pub(crate) fn lenient_wa_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<WaId>, D::Error> {
    super::scalar::opt_str_map(d, |s| WaId::new(s).ok())
}

pub(crate) fn lenient_bsuid<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bsuid>, D::Error> {
    super::scalar::opt_str_map(d, |s| Bsuid::new(s).ok())
}
