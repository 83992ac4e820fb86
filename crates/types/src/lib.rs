//! Value types shared by `mostrador-core` and the provider protocol crates.
//!
//! They live in their own small crate so that a protocol crate (AFIP, WhatsApp) can use the same
//! validated `Cuit` or `Secret` as the core without depending on the core's database layer.

mod cuit;
mod iva;
mod money;
mod phone;
mod secret;

pub use cuit::{Cuit, CuitError};
pub use iva::{IvaCondition, UnknownIvaCondition};
pub use money::{
    round_half_even_div, BasisPoints, CurrencyCode, InvalidCurrencyCode, Money, ParseAmountError,
    Priced, Rate,
};
pub use phone::{AreaCode, Phone, PhoneError};
pub use secret::Secret;
