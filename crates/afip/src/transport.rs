//! A small HTTP/1.1 POST client on hyper over TCP or OpenSSL, one connection per call.
//!
//! reqwest's native-tls backend cannot take a per-host cipher list, so AFIP gets this transport
//! (see [`crate::tls`]). It never retries: a SOAP POST that may have reached the server is reported
//! as such ([`TransportError::may_have_arrived`]), and the caller decides.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use url::Url;

use crate::tls::TlsSettings;

/// Largest response body accepted (parameter tables are the biggest answers, well under this).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A failed HTTP call, classified by whether the request may have reached the server.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid service URL {0}: it needs an http(s) scheme and a host")]
    Url(String),
    #[error("could not connect to {host}: {detail}. Check the internet connection")]
    Connect { host: String, detail: String },
    #[error("TLS handshake with {host} failed: {detail}")]
    Tls { host: String, detail: String },
    #[error("{host} did not answer within {timeout:?} (the request {})", if *.sent { "was sent and may have been processed" } else { "was not sent" })]
    Timeout {
        host: String,
        timeout: Duration,
        sent: bool,
    },
    #[error("the connection to {host} broke after the request was sent ({detail}); it may have been processed")]
    ConnectionLost { host: String, detail: String },
}

impl TransportError {
    /// True when the server may have received and processed the request: never blindly resend.
    pub fn may_have_arrived(&self) -> bool {
        matches!(
            self,
            TransportError::ConnectionLost { .. } | TransportError::Timeout { sent: true, .. }
        )
    }
}

/// Status, server `Date` (for clock-skew detection) and body of a response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub date: Option<DateTime<Utc>>,
    pub body: String,
}

/// The client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tls: TlsSettings,
    resolve: HashMap<String, SocketAddr>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::new(TlsSettings::afip())
    }
}

impl HttpClient {
    pub fn new(tls: TlsSettings) -> Self {
        HttpClient {
            inner: Arc::new(Inner {
                tls,
                resolve: HashMap::new(),
            }),
        }
    }

    /// Sends connections for `host` to `addr` instead of resolving it (tests, pinned IPs).
    pub fn with_resolve(self, host: &str, addr: SocketAddr) -> Self {
        let mut inner = Arc::try_unwrap(self.inner).unwrap_or_else(|a| Inner {
            tls: a.tls.clone(),
            resolve: a.resolve.clone(),
        });
        inner.resolve.insert(host.to_ascii_lowercase(), addr);
        HttpClient {
            inner: Arc::new(inner),
        }
    }

    async fn connect(
        &self,
        url: &Url,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<(Box<dyn Io>, String), TransportError> {
        let host = url
            .host_str()
            .ok_or_else(|| TransportError::Url(url.to_string()))?
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| TransportError::Url(url.to_string()))?;
        let timed_out = || TransportError::Timeout {
            host: host.clone(),
            timeout,
            sent: false,
        };
        let tcp = match self.inner.resolve.get(&host.to_ascii_lowercase()) {
            Some(addr) => timeout_at(deadline, TcpStream::connect(*addr)).await,
            None => timeout_at(deadline, TcpStream::connect((host.as_str(), port))).await,
        }
        .map_err(|_| timed_out())?
        .map_err(|e| TransportError::Connect {
            host: host.clone(),
            detail: e.to_string(),
        })?;
        let _ = tcp.set_nodelay(true);
        match url.scheme() {
            "http" => Ok((Box::new(tcp), host)),
            "https" => {
                let tls_err = |detail: String| TransportError::Tls {
                    host: host.clone(),
                    detail,
                };
                let connector = self
                    .inner
                    .tls
                    .connector_for(&host)
                    .map_err(|e| tls_err(e.to_string()))?;
                let ssl = connector
                    .configure()
                    .and_then(|c| c.into_ssl(&host))
                    .map_err(|e| tls_err(e.to_string()))?;
                let mut stream =
                    tokio_openssl::SslStream::new(ssl, tcp).map_err(|e| tls_err(e.to_string()))?;
                timeout_at(deadline, Pin::new(&mut stream).connect())
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|e| {
                        let detail = match e.ssl_error() {
                            Some(stack) => stack.to_string(),
                            None => e.to_string(),
                        };
                        tls_err(detail)
                    })?;
                Ok((Box::new(stream), host))
            }
            _ => Err(TransportError::Url(url.to_string())),
        }
    }

    /// Connects and completes the TLS handshake only (a probe of a host's TLS setup).
    pub async fn handshake(&self, url: &Url, timeout: Duration) -> Result<(), TransportError> {
        let deadline = Instant::now() + timeout;
        self.connect(url, deadline, timeout).await.map(|_| ())
    }

    /// POSTs a SOAP 1.1 body. The whole call (connect, TLS, send, read) shares one `timeout`.
    pub async fn post_soap(
        &self,
        url: &Url,
        soap_action: &str,
        body: String,
        timeout: Duration,
    ) -> Result<HttpResponse, TransportError> {
        let deadline = Instant::now() + timeout;
        let (io, host) = self.connect(url, deadline, timeout).await?;
        let lost = |detail: String| TransportError::ConnectionLost {
            host: host.clone(),
            detail,
        };
        let timed_out = || TransportError::Timeout {
            host: host.clone(),
            timeout,
            sent: true,
        };
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| TransportError::Connect {
                host: host.clone(),
                detail: e.to_string(),
            })?;
        let conn_task = tokio::spawn(async move {
            let _ = conn.await;
        });
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let req = hyper::Request::post(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{soap_action}\""))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| TransportError::Url(e.to_string()))?;
        let result = async {
            let resp = timeout_at(deadline, sender.send_request(req))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| lost(e.to_string()))?;
            let status = resp.status().as_u16();
            let date = resp
                .headers()
                .get(hyper::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| DateTime::parse_from_rfc2822(s).ok())
                .map(|d| d.with_timezone(&Utc));
            let collected =
                timeout_at(deadline, Limited::new(resp.into_body(), MAX_BODY).collect())
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|e| lost(e.to_string()))?;
            let body = String::from_utf8_lossy(&collected.to_bytes()).into_owned();
            Ok(HttpResponse { status, date, body })
        }
        .await;
        conn_task.abort();
        result
    }
}
