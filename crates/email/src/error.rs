//! Every failure of a send, with the class the caller's queue acts on.

use std::time::Duration;

/// How a failure should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later (4xx SMTP replies, 5xx HTTP, a connection never made).
    Transient,
    /// Too fast: wait (SendGrid 429).
    RateLimited,
    /// Credentials refused: every send stops until a person fixes them.
    Auth,
    /// The message or the recipient is refused for good (5xx SMTP reply to RCPT, 400).
    Permanent,
    /// The server may have taken it (the connection broke after DATA): never resend blindly.
    MaybeSent,
    /// Our settings are unusable (bad host, TLS parameters).
    Config,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the SMTP server refused the credentials: {0}")]
    SmtpAuth(String),
    #[error("SMTP {code}: {message}")]
    SmtpReply {
        code: u16,
        message: String,
        permanent: bool,
    },
    #[error("cannot reach the SMTP server ({0}); nothing was sent")]
    SmtpConnect(String),
    #[error("the SMTP connection broke during the send ({0}); the e-mail MAY HAVE BEEN SENT")]
    SmtpMaybeSent(String),
    #[error("SMTP TLS failed: {0}")]
    SmtpTls(String),
    #[error("SendGrid answered HTTP {status}: {message}")]
    SendGrid {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("cannot reach SendGrid ({0}); nothing was sent")]
    SendGridConnect(String),
    #[error("no clear answer from SendGrid ({0}); the e-mail MAY HAVE BEEN SENT")]
    SendGridMaybeSent(String),
    #[error("the e-mail cannot be built: {0}")]
    Build(String),
    #[error("e-mail configuration: {0}")]
    Config(String),
    /// An attachment (or all of them together) is refused before anything is sent.
    #[error(transparent)]
    Attachment(#[from] crate::attachment::AttachmentError),
}

impl Error {
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::SmtpAuth(_) => ErrorClass::Auth,
            Error::SmtpReply { permanent, .. } => {
                if *permanent {
                    ErrorClass::Permanent
                } else {
                    ErrorClass::Transient
                }
            }
            Error::SmtpConnect(_) | Error::SendGridConnect(_) => ErrorClass::Transient,
            Error::SmtpMaybeSent(_) | Error::SendGridMaybeSent(_) => ErrorClass::MaybeSent,
            Error::SmtpTls(_) | Error::Config(_) => ErrorClass::Config,
            Error::Build(_) | Error::Attachment(_) => ErrorClass::Permanent,
            Error::SendGrid { status, .. } => match status {
                401 | 403 => ErrorClass::Auth,
                429 => ErrorClass::RateLimited,
                s if *s >= 500 => ErrorClass::Transient,
                _ => ErrorClass::Permanent,
            },
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::SendGrid { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A stable code for logs and the job's error (`smtp_550`, `sendgrid_429`, `timeout`…).
    pub fn code(&self) -> String {
        match self {
            Error::SmtpAuth(_) => "smtp_auth".into(),
            Error::SmtpReply { code, .. } => format!("smtp_{code}"),
            Error::SmtpConnect(_) => "smtp_connect".into(),
            Error::SmtpMaybeSent(_) => "maybe_sent".into(),
            Error::SmtpTls(_) => "smtp_tls".into(),
            Error::SendGrid { status, .. } => format!("sendgrid_{status}"),
            Error::SendGridConnect(_) => "sendgrid_connect".into(),
            Error::SendGridMaybeSent(_) => "maybe_sent".into(),
            Error::Build(_) => "invalid".into(),
            Error::Config(_) => "email_not_configured".into(),
            Error::Attachment(_) => "attachment".into(),
        }
    }
}
