//! An e-mail to send: from, to, subject, the two renderings of one template, attachments.

use crate::address::Address;
use crate::attachment::{self, Attachment, AttachmentError};

/// One message. `Debug` never shows the body.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    pub from: Address,
    pub from_name: String,
    pub to: Address,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
    /// Our idempotency reference (the job id): the SMTP Message-ID and SendGrid's `custom_args`.
    pub reference: String,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("subject_chars", &self.subject.chars().count())
            .field("attachments", &self.attachments)
            .field("reference", &self.reference)
            .finish()
    }
}

impl Email {
    /// The attachments together within [`attachment::MAX_TOTAL_BYTES`] (each one was checked
    /// when it was built). Both senders call it before anything leaves.
    pub fn check_attachments(&self) -> Result<(), AttachmentError> {
        attachment::check_total(self.attachments.iter().map(Attachment::len))
    }

    /// The Message-ID we put on it: stable per reference, so a resend is recognizable.
    pub fn message_id(&self) -> String {
        let domain = self.from.as_str().rsplit('@').next().unwrap_or("mostrador");
        format!("<mostrador.{}@{}>", self.reference, domain)
    }
}
