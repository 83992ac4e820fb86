//! Twilio Programmable SMS protocol crate: a typed client for the Messages API, the
//! status-callback and inbound-SMS model, the `X-Twilio-Signature` check and an SMS segment
//! counter. No database, no queue: the caller decides what to do with every [`Error`] (see
//! [`ErrorClass`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), mostrador_twilio::Error> {
//! use mostrador_twilio::{Client, Config, Credentials, NewSms, Sender, ids::*};
//! use mostrador_types::Secret;
//! let account = AccountSid::new("AC0123456789abcdef0123456789abcdef")?;
//! let cfg = Config::new(account, Credentials::AuthToken(Secret::new("…")))
//!     .with_base_url("http://127.0.0.1:8787/twilio")?;
//! let client = Client::new(cfg)?;
//! let sms = NewSms::new(PhoneNumber::new("+5491112345678")?, Sender::From(PhoneNumber::new("+15005550006")?), "Hola")?;
//! let msg = client.send(&sms).await?;
//! println!("accepted as {}", msg.sid);
//! # Ok(()) }
//! ```

pub mod callback;
pub mod client;
pub mod config;
pub mod error;
pub mod ids;
pub mod message;
pub mod segments;
pub mod signature;

pub use callback::{InboundSms, StatusCallback};
pub use client::Client;
pub use config::{Config, Credentials};
pub use error::{Error, ErrorClass, TwilioError};
pub use message::{Message, MessageStatus, NewSms, Sender};
pub use segments::{Encoding, SegmentCount};
pub use signature::{sign, verify, SignatureError};
