//! Mostrador's core: the domain (organizations, settings, ...), the SQLite store, the OS keychain
//! and logging. It knows no HTTP routes and no Tauri; `src-tauri` only translates to and from it.

pub mod activity;
pub mod channels;
pub mod conversations;
pub mod customers;
pub mod demo;
pub mod error;
pub mod events;
pub mod inbox;
pub mod intake;
pub mod invoicing;
pub mod logging;
pub mod notifications;
pub mod org;
pub mod outbound;
pub mod payments;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod store;
pub mod templates;

pub use error::{AppError, ErrorCode};
