//! SMTP through lettre: plain (a local relay only), STARTTLS (587, required: no silent downgrade)
//! or implicit TLS (465), with optional auth. One connection per send: a shop sends a few notices
//! an hour, and a pooled connection would only go stale.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as LAttachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mostrador_types::Secret;

use crate::error::Error;
use crate::message::Email;
use crate::Accepted;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// No TLS: only for a relay on this machine or the test server.
    None,
    /// Plain connection upgraded with STARTTLS (port 587); fails if the server cannot.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Per SMTP command (connect included).
    pub timeout: Duration,
    /// An extra trusted CA (PEM): a shop's own server with its own certificate, or the tests'.
    pub extra_root_pem: Option<Vec<u8>>,
}

impl SmtpConfig {
    pub fn new(host: impl Into<String>, port: u16, security: Security) -> Self {
        SmtpConfig {
            host: host.into(),
            port,
            security,
            username: None,
            password: None,
            timeout: Duration::from_secs(30),
            extra_root_pem: None,
        }
    }

    pub fn with_auth(mut self, username: impl Into<String>, password: Secret) -> Self {
        self.username = Some(username.into());
        self.password = Some(password);
        self
    }
}

/// Builds the MIME message: multipart/alternative (text + HTML), inside multipart/mixed when
/// there are attachments.
pub fn build(email: &Email) -> Result<Message, Error> {
    email.check_attachments()?;
    let bad = |e: &dyn std::fmt::Display| Error::Build(e.to_string());
    let from = Mailbox::new(
        Some(email.from_name.clone()),
        email.from.as_str().parse().map_err(|e| bad(&e))?,
    );
    let to = Mailbox::new(
        email.to_name.clone(),
        email.to.as_str().parse().map_err(|e| bad(&e))?,
    );
    let alternative = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    let body = if email.attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for a in &email.attachments {
            let ct = ContentType::parse(a.content_type()).map_err(|e| bad(&e))?;
            mixed = mixed
                .singlepart(LAttachment::new(a.filename().to_owned()).body(a.bytes().to_vec(), ct));
        }
        mixed
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(email.message_id()))
        .multipart(body)
        .map_err(|e| bad(&e))
}

/// Sends through one SMTP server.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpSender {
    pub fn new(cfg: &SmtpConfig) -> Result<Self, Error> {
        if cfg.host.trim().is_empty() {
            return Err(Error::Config("no SMTP host".into()));
        }
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.trim())
            .port(cfg.port)
            .timeout(Some(cfg.timeout));
        let tls = || {
            let mut p = TlsParameters::builder(cfg.host.trim().to_owned());
            if let Some(pem) = &cfg.extra_root_pem {
                let cert = Certificate::from_pem(pem).map_err(|e| Error::SmtpTls(e.to_string()))?;
                p = p.add_root_certificate(cert);
            }
            p.build().map_err(|e| Error::SmtpTls(e.to_string()))
        };
        b = match cfg.security {
            Security::None => b.tls(Tls::None),
            Security::StartTls => b.tls(Tls::Required(tls()?)),
            Security::Tls => b.tls(Tls::Wrapper(tls()?)),
        };
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            b = b.credentials(Credentials::new(u.clone(), p.expose().to_owned()));
        }
        Ok(SmtpSender {
            transport: b.build(),
        })
    }

    pub async fn send(&self, email: &Email) -> Result<Accepted, Error> {
        let message = build(email)?;
        let span = tracing::info_span!("smtp.send", reference = %email.reference, attachments = email.attachments.len());
        let _g = span.enter();
        match self.transport.send(message).await {
            Ok(_) => Ok(Accepted {
                provider_id: email.message_id(),
            }),
            Err(e) => Err(classify(&e)),
        }
    }
}

fn classify(e: &lettre::transport::smtp::Error) -> Error {
    let text = e.to_string();
    if let Some(code) = e.status() {
        let code: u16 = code.to_string().parse().unwrap_or(0);
        // 530 auth required, 534/535 credentials refused, 454 temporary auth failure.
        if matches!(code, 530 | 534 | 535) {
            return Error::SmtpAuth(text);
        }
        return Error::SmtpReply {
            code,
            message: text,
            permanent: e.is_permanent(),
        };
    }
    if e.is_tls() {
        return Error::SmtpTls(text);
    }
    if e.is_timeout() {
        // A command timed out: it may have been DATA's final dot.
        return Error::SmtpMaybeSent(text);
    }
    if e.is_client() {
        return Error::Config(text);
    }
    Error::SmtpConnect(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::attachment::Attachment;

    fn email() -> Email {
        Email {
            from: Address::parse("avisos@kiosco.example.com").unwrap(),
            from_name: "Kiosco Don Pepe".into(),
            to: Address::parse("ana@example.com").unwrap(),
            to_name: Some("Ana".into()),
            subject: "Tu turno de mañana".into(),
            text: "Hola Ana,\n\nTu turno es mañana.\n".into(),
            html: "<p>Hola Ana,</p><p>Tu turno es mañana.</p>".into(),
            attachments: vec![Attachment::new(
                "factura-0001.pdf",
                "application/pdf",
                b"%PDF-1.4 fake".to_vec(),
            )
            .unwrap()],
            reference: "42".into(),
        }
    }

    #[test]
    fn mime_has_text_html_and_the_attachment() {
        let raw = String::from_utf8(build(&email()).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("factura-0001.pdf"));
        assert!(raw.contains("Message-ID: <mostrador.42@kiosco.example.com>"));
        let mut plain = email();
        plain.attachments.clear();
        let raw = String::from_utf8(build(&plain).unwrap().formatted()).unwrap();
        assert!(!raw.contains("multipart/mixed"));
    }

    #[test]
    fn attachments_over_the_total_are_refused_before_sending() {
        let mut e = email();
        let part = vec![b'x'; crate::MAX_ATTACHMENT_BYTES as usize];
        e.attachments = vec![
            Attachment::new("a.pdf", "application/pdf", part.clone()).unwrap(),
            Attachment::new("b.pdf", "application/pdf", part).unwrap(),
        ];
        let err = build(&e).unwrap_err();
        assert!(matches!(err, Error::Attachment(_)), "{err}");
        assert_eq!(err.class(), crate::ErrorClass::Permanent);
        assert!(err.to_string().contains("en total"), "{err}");
    }

    #[test]
    fn tls_modes_build() {
        for s in [Security::None, Security::StartTls, Security::Tls] {
            let cfg =
                SmtpConfig::new("smtp.example.com", 587, s).with_auth("user", Secret::new("pw"));
            assert!(SmtpSender::new(&cfg).is_ok());
        }
        assert!(SmtpSender::new(&SmtpConfig::new(" ", 25, Security::None)).is_err());
    }
}
