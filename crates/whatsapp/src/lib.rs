//! WhatsApp Business Cloud API protocol crate: a typed client for the Graph API, the webhook
//! model, and the webhook signature check. No database, no queue: the caller decides what to do
//! with every [`Error`] (see [`ErrorClass`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), mostrador_whatsapp::Error> {
//! use mostrador_whatsapp::{Client, Config, send::*, ids::*};
//! use mostrador_types::Secret;
//! let cfg = Config::new(PhoneNumberId::new("1065")?, WabaId::new("2023")?, Secret::new("EAAG…"))
//!     .with_base_url("http://127.0.0.1:8787/graph")?;
//! let client = Client::new(cfg)?;
//! let msg = OutgoingMessage::new(WaId::new("5491112345678")?, Content::Text(Text::new("Hola")?))
//!     .with_callback_data(CallbackData::new("outbox-42")?);
//! let sent = client.send(&msg).await?;
//! println!("accepted as {}", sent.message_id);
//! # Ok(()) }
//! ```

pub mod client;
pub mod config;
pub mod connection;
pub mod error;
pub mod ids;
pub mod media;
pub mod phone_number;
pub mod send;
pub mod signature;
pub mod subscription;
pub mod templates;
pub mod upload;
pub mod webhook;

pub use client::Client;
pub use config::{Config, GraphVersion, DEFAULT_GRAPH_VERSION};
pub use error::{Error, ErrorClass, GraphError, RetryScope};
