//! WSAA: log in with a signed TRA and get an access ticket (TA).

pub mod cert;
pub mod cms;
pub mod envelope;
pub mod ticket;
pub mod tra;

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::Instrument;
use url::Url;

pub use cert::CertificateInfo;
pub use cms::{Signer, SignerError};
pub use ticket::{AccessTicket, DEFAULT_TA_MARGIN};
pub use tra::LoginTicketRequest;

use crate::exchange::Exchange;
use crate::transport::{HttpClient, TransportError};
use envelope::LoginResponse;

/// Default timeout of a `loginCms` call.
pub const DEFAULT_WSAA_TIMEOUT: Duration = Duration::from_secs(30);

/// A failed login, classified so the caller can act on it.
#[derive(Debug, thiserror::Error)]
pub enum WsaaError {
    #[error("WSAA already issued a valid ticket for this certificate and service (coe.alreadyAuthenticated) and will not return it again: use the stored ticket, or wait until it expires (the preventive window is 2 min in production, 10 min in homologation)")]
    AlreadyAuthenticated,
    #[error("WSAA rejected the request's times ({code}): the computer's clock looks wrong{}. Sync the clock (NTP) and retry", skew_text(.skew_seconds))]
    ClockSkew {
        code: String,
        message: String,
        /// Local minus server time, from the response's `Date` header, when known.
        skew_seconds: Option<i64>,
    },
    #[error("this certificate is not authorized for the service ({code}: {message}). Link it to the web service in WSASS (homologation) or Administrador de Relaciones (production)")]
    NotAuthorized { code: String, message: String },
    #[error("the certificate has expired ({code}); generate a new one")]
    CertificateExpired { code: String },
    #[error("WSAA does not trust the certificate ({code}: {message}); is it from the other environment?")]
    CertificateUntrusted { code: String, message: String },
    #[error("WSAA is unavailable ({code}); wait at least 60 s before retrying")]
    Unavailable { code: String },
    #[error("WSAA fault {code}: {message}")]
    Fault { code: String, message: String },
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("unexpected answer from WSAA (HTTP {status}): {detail}")]
    Unexpected { status: u16, detail: String },
}

fn skew_text(skew: &Option<i64>) -> String {
    match skew {
        Some(s) if *s > 0 => format!(" (it is {s} s ahead of AFIP's)"),
        Some(s) if *s < 0 => format!(" (it is {} s behind AFIP's)", -s),
        _ => String::new(),
    }
}

/// A successful login: the ticket and the raw exchange.
#[derive(Debug, Clone)]
pub struct Login {
    pub ticket: AccessTicket,
    pub exchange: Exchange,
}

/// The WSAA client.
#[derive(Debug, Clone)]
pub struct WsaaClient {
    http: HttpClient,
    url: Url,
    timeout: Duration,
}

impl WsaaClient {
    pub fn new(http: HttpClient, url: Url) -> Self {
        WsaaClient {
            http,
            url,
            timeout: DEFAULT_WSAA_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Signs a TRA for `service` at `now` and calls `loginCms`.
    pub async fn login(
        &self,
        signer: &Signer,
        service: &str,
        now: DateTime<Utc>,
    ) -> Result<Login, WsaaError> {
        let tra = LoginTicketRequest::new(service, now);
        let span = tracing::info_span!("wsaa.loginCms", service, unique_id = tra.unique_id);
        async {
            let cms = signer.sign_tra(&tra.to_xml())?;
            let request_xml = envelope::login_cms_request(&cms);
            let resp = self
                .http
                .post_soap(&self.url, "", request_xml.clone(), self.timeout)
                .await
                .inspect_err(|e| tracing::warn!(error = %e, "loginCms transport error"))?;
            tracing::debug!(
                status = resp.status,
                bytes = resp.body.len(),
                "loginCms answered"
            );
            let exchange = Exchange {
                operation: "loginCms",
                request_xml: request_xml.replace(&cms, crate::exchange::REDACTED),
                response_xml: Some(resp.body.clone()),
                http_status: Some(resp.status),
                server_date: resp.date,
            };
            let unexpected = |detail: String| WsaaError::Unexpected {
                status: resp.status,
                detail,
            };
            match envelope::parse_login_response(&resp.body).map_err(unexpected)? {
                LoginResponse::Ticket(doc) => {
                    let ticket = AccessTicket::parse(service, &doc)
                        .map_err(|e| unexpected(e.to_string()))?;
                    tracing::info!(expires = %ticket.expiration_time, "logged in");
                    let exchange = exchange.redact(&[ticket.token.expose(), ticket.sign.expose()]);
                    Ok(Login { ticket, exchange })
                }
                LoginResponse::Fault { code, message } => {
                    tracing::warn!(fault = %code, "loginCms fault");
                    let skew = resp.date.map(|d| (now - d).num_seconds());
                    Err(classify_fault(code, message, skew))
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// Maps an Axis fault code to an actionable error.
pub fn classify_fault(code: String, message: String, skew_seconds: Option<i64>) -> WsaaError {
    match code.as_str() {
        "coe.alreadyAuthenticated" => WsaaError::AlreadyAuthenticated,
        "xml.generationTime.invalid"
        | "xml.expirationTime.expired"
        | "xml.expirationTime.invalid"
        | "cms.cert.invalid" => WsaaError::ClockSkew {
            code,
            message,
            skew_seconds,
        },
        "coe.notAuthorized" | "wsn.notFound" => WsaaError::NotAuthorized { code, message },
        "cms.cert.expired" => WsaaError::CertificateExpired { code },
        "cms.cert.untrusted" => WsaaError::CertificateUntrusted { code, message },
        "wsn.unavailable" | "wsaa.unavailable" | "wsaa.internalError" => {
            WsaaError::Unavailable { code }
        }
        _ => WsaaError::Fault { code, message },
    }
}
