//! E-mail: the organization's provider (SMTP or SendGrid, chosen in Ajustes → E-mail), its
//! secrets in the keychain, the `email.send` job handler, and the enqueue that records the message
//! in the customer's conversation (channel `email`) together with its job.

mod config;
mod enqueue;
mod send;

pub use config::{
    load_sender, EmailProvider, EmailSettings, Sender, FROM_ADDRESS, FROM_NAME, PROVIDER,
    SENDGRID_API_KEY, SENDGRID_BASE_URL, SMTP_CA_PEM, SMTP_HOST, SMTP_PASSWORD, SMTP_PORT,
    SMTP_SECURITY, SMTP_USERNAME,
};
pub use enqueue::{enqueue_in, AttachmentRef, EmailError, EmailRequest, EmailSend};
pub use send::{send_test, SendHandler, KIND};
