//! Channels the shop talks to customers through. Each knows its provider's settings, payloads and
//! send handler; the outbound engine (`crate::outbound`) decides when a send runs.

pub mod email;
pub mod sms;
pub mod whatsapp;
