//! The HTTP client: one place that builds URLs, adds the token, applies timeouts and turns
//! every failure into an [`Error`]. It never retries: retries belong to the durable queue.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;
use url::Url;

use crate::config::Config;
use crate::error::{Error, ErrorClass, GraphError};
use crate::ids::MessageId;
use crate::send::{MarkRead, OutgoingMessage, SendOutcome};

/// Whether a failed call may have had an effect on Meta's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Sends a message: a lost answer means "may have been sent".
    Send,
    /// Reads, or writes that are harmless to repeat.
    Safe,
}

/// A WhatsApp Cloud API client for one phone number / WABA. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) cfg: std::sync::Arc<Config>,
}

impl Client {
    pub fn new(cfg: Config) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .user_agent(concat!("mostrador-whatsapp/", env!("CARGO_PKG_VERSION")))
            // reqwest drops the Authorization header when a redirect leaves the host.
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            cfg: std::sync::Arc::new(cfg),
        })
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// `{base}/{version}/{segments…}`, each segment percent-encoded.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.cfg.base_url.clone();
        {
            let mut path = url.path_segments_mut().expect("checked in Config");
            path.pop_if_empty();
            path.push(self.cfg.version.as_str());
            for s in segments {
                path.push(s);
            }
        }
        url
    }

    pub(crate) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.http
            .request(method, url)
            .bearer_auth(self.cfg.access_token.expose())
            .timeout(self.cfg.timeout)
    }

    /// Sends `req`, reads the whole answer and maps failures. Returns the body of a 2xx.
    pub(crate) async fn execute(
        &self,
        operation: &'static str,
        effect: Effect,
        timeout: Duration,
        req: RequestBuilder,
    ) -> Result<Bytes, Error> {
        let span = tracing::info_span!(
            "whatsapp.call",
            op = operation,
            phone_number_id = %self.cfg.phone_number_id,
            http_status = tracing::field::Empty,
            fbtrace_id = tracing::field::Empty,
        );
        async move {
            let transport = |e: reqwest::Error| -> Error {
                let cause = describe(&e);
                if e.is_connect() || e.is_builder() {
                    Error::Network { operation, cause }
                } else if effect == Effect::Send {
                    Error::MaybeSent {
                        operation,
                        cause,
                        trace: None,
                    }
                } else if e.is_timeout() {
                    Error::Timeout { operation, timeout }
                } else {
                    Error::Network { operation, cause }
                }
            };
            let resp = req.send().await.map_err(transport)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let trace = trace_id(&headers);
            let span = tracing::Span::current();
            span.record("http_status", status.as_u16());
            if let Some(t) = &trace {
                span.record("fbtrace_id", t.as_str());
            }
            let body = resp.bytes().await.map_err(transport)?;
            if status.is_success() {
                tracing::debug!("whatsapp call succeeded");
                return Ok(body);
            }
            let err = match GraphError::from_body(status.as_u16(), &body) {
                Some(mut g) => {
                    g.retry_after_header = retry_after(&headers);
                    if g.fbtrace_id.is_none() {
                        g.fbtrace_id = trace;
                    }
                    Error::Graph(Box::new(g))
                }
                None => Error::Http {
                    operation,
                    status: status.as_u16(),
                    trace,
                },
            };
            let err = if effect == Effect::Send {
                in_doubt_on_5xx(operation, err)
            } else {
                err
            };
            match &err {
                Error::Graph(g) => tracing::warn!(
                    code = g.code,
                    subcode = g.subcode,
                    class = %g.class(),
                    fbtrace_id = g.fbtrace_id.as_deref(),
                    "whatsapp call failed"
                ),
                other => tracing::warn!(error = %other, "whatsapp call failed"),
            }
            Err(err)
        }
        .instrument(span)
        .await
    }

    pub(crate) async fn execute_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        effect: Effect,
        req: RequestBuilder,
    ) -> Result<T, Error> {
        let body = self
            .execute(operation, effect, self.cfg.timeout, req)
            .await?;
        serde_json::from_slice(&body).map_err(|e| Error::UnexpectedResponse {
            operation,
            cause: crate::webhook::describe("answer", &e),
        })
    }

    /// Sends a message. `Ok` means Meta **accepted** it; delivery comes by status webhook.
    ///
    /// A timeout or a dropped connection is [`Error::MaybeSent`]: the queue marks the job in doubt
    /// and resolves it by the status webhook carrying the message's callback data.
    pub async fn send(&self, message: &OutgoingMessage) -> Result<SendOutcome, Error> {
        message.validate()?;
        let url = self.url(&[self.cfg.phone_number_id.as_str(), "messages"]);
        let span = tracing::info_span!(
            "whatsapp.send",
            kind = message.content.type_name(),
            callback_data = message.callback_data.as_ref().map(|c| c.as_str()),
            message_id = tracing::field::Empty,
        );
        async move {
            let req = self.request(Method::POST, url).json(&message.to_json());
            let body = self
                .execute("send message", Effect::Send, self.cfg.timeout, req)
                .await?;
            // A 2xx without a readable id is still "accepted, id unknown": in doubt.
            let outcome = SendOutcome::from_body(&body).map_err(|cause| Error::MaybeSent {
                operation: "send message",
                cause: format!("accepted but the answer is unreadable: {cause}"),
                trace: None,
            })?;
            tracing::Span::current().record("message_id", outcome.message_id.as_str());
            Ok(outcome)
        }
        .instrument(span)
        .await
    }

    /// Marks a customer's message (and the earlier ones) as read, optionally with "typing…".
    pub async fn mark_read(&self, read: &MarkRead) -> Result<(), Error> {
        let url = self.url(&[self.cfg.phone_number_id.as_str(), "messages"]);
        let req = self.request(Method::POST, url).json(&read.to_json());
        let v: Value = self.execute_json("mark as read", Effect::Safe, req).await?;
        expect_success("mark as read", &v)
    }

    /// Shorthand for [`Client::mark_read`] without the typing indicator.
    pub async fn mark_read_id(&self, message_id: &MessageId) -> Result<(), Error> {
        self.mark_read(&MarkRead::new(message_id.clone())).await
    }
}

/// A 5xx on a send may come from a gateway that gave up after Meta accepted the message, and Meta
/// has no idempotency key for messages: it is "may have been sent", not "retry". Known codes keep
/// their class (throttling is a definite "not now"; a 429 is never a 5xx).
fn in_doubt_on_5xx(operation: &'static str, err: Error) -> Error {
    match err {
        Error::Http { status, trace, .. } if status >= 500 => Error::MaybeSent {
            operation,
            cause: format!("HTTP {status} without an error object"),
            trace,
        },
        Error::Graph(g) if g.http_status >= 500 && g.class() == ErrorClass::Unknown => {
            Error::MaybeSent {
                operation,
                cause: format!(
                    "HTTP {} with WhatsApp error {}: {}",
                    g.http_status, g.code, g.message
                ),
                trace: g.fbtrace_id,
            }
        }
        other => other,
    }
}

pub(crate) fn expect_success(operation: &'static str, v: &Value) -> Result<(), Error> {
    if v.get("success").and_then(Value::as_bool) == Some(true) {
        Ok(())
    } else {
        Err(Error::UnexpectedResponse {
            operation,
            cause: "no \"success\": true in the answer".into(),
        })
    }
}

fn trace_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-fb-trace-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// A transport error's chain, without the URL (which may carry ids; never the token).
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut s = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "answer interrupted".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}
