//! Stripe protocol crate, for shops that sell abroad: a typed client for Checkout Sessions,
//! PaymentIntents and refunds (form-encoded, every POST with an `Idempotency-Key`), the
//! `Stripe-Signature` webhook check and typed events. No database, no queue: the caller decides
//! what to do with every [`Error`] (see [`RetryClass`]). Design notes: `README.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mostrador_stripe::Error> {
//! use mostrador_stripe::{Client, Config, Currency, IdempotencyKey, MinorUnits, NewCheckoutSession};
//! use mostrador_types::Secret;
//! let cfg = Config::new(Secret::new("sk_test_…")).with_base_url("http://127.0.0.1:8787/stripe")?;
//! let client = Client::new(cfg)?;
//! let session = NewCheckoutSession::new(Currency::usd(), "inv-42", "https://shop/ok", "https://shop/cancel")
//!     .item("Mate", MinorUnits::positive(2500)?, 1)
//!     .expires_at(1_800_000_000);
//! let created = client
//!     .create_checkout_session(&session, &IdempotencyKey::derive("checkout", "inv-42", 0)?)
//!     .await?;
//! println!("pay at {:?}", created.url);
//! # Ok(()) }
//! ```

pub mod balance;
pub mod charge;
pub mod checkout;
pub mod client;
pub mod config;
pub mod error;
pub mod event;
pub mod form;
pub mod ids;
pub mod money;
pub mod payment_intent;
pub mod refund;
pub mod signature;

pub use balance::{Balance, BalanceAmount};
pub use charge::{Charge, Dispute, DisputeStatus};
pub use checkout::{CheckoutSession, NewCheckoutSession, SessionPaymentStatus, SessionStatus};
pub use client::Client;
pub use config::Config;
pub use error::{ApiError, Error, RetryClass, StripeError};
pub use event::{Event, EventKind, FetchTarget};
pub use ids::IdempotencyKey;
pub use money::{Currency, MinorUnits};
pub use payment_intent::{PaymentIntent, PaymentIntentStatus};
pub use refund::{NewRefund, Refund, RefundReason, RefundStatus};
pub use signature::{SignatureError, Verifier};
