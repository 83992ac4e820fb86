//! E-mail for Mostrador, without a database or a queue: [`Address`] (checked at entry),
//! [`Notice`] (one template rendered to HTML and plain text, in Spanish, with the shop's name),
//! [`Email`] with checked [`Attachment`]s (name, MIME type, size limits), and two senders — [`smtp::SmtpSender`] (lettre: STARTTLS, TLS,
//! auth) and [`sendgrid::SendGridSender`] (v3 `mail/send`). Every failure is an [`Error`] with
//! an [`ErrorClass`] the caller maps onto its retry classes.

pub mod address;
pub mod attachment;
pub mod error;
pub mod message;
pub mod sendgrid;
pub mod smtp;
pub mod template;

pub use address::{Address, AddressError};
pub use attachment::{Attachment, AttachmentError, MAX_ATTACHMENT_BYTES, MAX_TOTAL_BYTES};
pub use error::{Error, ErrorClass};
pub use message::Email;
pub use sendgrid::{SendGridConfig, SendGridSender};
pub use smtp::{Security, SmtpConfig, SmtpSender};
pub use template::Notice;

/// What a sender answers when the provider took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// SMTP: the Message-ID we set; SendGrid: `X-Message-Id`.
    pub provider_id: String,
}
