//! MercadoPago protocol crate: Checkout Pro preferences (payment links), payments, refunds,
//! chargebacks, installment options, the counter's dynamic QR, account info, the `x-signature`
//! webhook check and the notification model. No database, no queue: the caller decides what to
//! do with every [`Error`] (see [`ErrorClass`]).
//!
//! A notification is never the truth about a payment: it only says which resource to fetch
//! ([`notification::parse`]); the state comes from [`Client::get_payment`].

pub mod account;
pub mod amount;
pub mod chargeback;
pub mod client;
pub mod config;
pub mod error;
pub mod installments;
pub mod notification;
pub mod payment;
pub mod preference;
pub mod qr;
pub mod signature;

pub use account::Account;
pub use chargeback::Chargeback;
pub use client::{Client, IdempotencyKey};
pub use config::Config;
pub use error::{Error, ErrorClass, MpError};
pub use installments::{InstallmentOption, PayerCost};
pub use notification::{Notification, Topic};
pub use payment::{Payment, PaymentId, PaymentStatus, Refund};
pub use preference::{NewPreference, Preference};
pub use qr::{QrCode, QrOrder};
pub use signature::{SignatureError, Signed};
