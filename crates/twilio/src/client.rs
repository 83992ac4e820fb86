//! The HTTP client: builds URLs, adds Basic auth, applies timeouts and turns every failure into
//! an [`Error`]. It never retries: retries belong to the durable queue.

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, RequestBuilder};
use tracing::Instrument;
use url::Url;

use crate::config::Config;
use crate::error::{Error, ErrorClass, TwilioError};
use crate::ids::MessageSid;
use crate::message::{Message, NewSms};

/// The Messages API version in every path.
pub const API_VERSION: &str = "2010-04-01";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Creates a message: a lost answer means "may have been sent".
    Send,
    /// Reads.
    Safe,
}

/// A Twilio Messages API client for one account. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    cfg: std::sync::Arc<Config>,
}

impl Client {
    pub fn new(cfg: Config) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .user_agent(concat!("mostrador-twilio/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
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

    /// `{base}/2010-04-01/Accounts/{AccountSid}/{segments…}`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.cfg.base_url.clone();
        {
            let mut path = url.path_segments_mut().expect("checked in Config");
            path.pop_if_empty();
            path.extend([API_VERSION, "Accounts", self.cfg.account_sid.as_str()]);
            path.extend(segments);
        }
        url
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let (user, password) = self.cfg.basic_auth();
        self.http
            .request(method, url)
            .basic_auth(user, Some(password))
            .header("accept", "application/json")
    }

    async fn execute(
        &self,
        operation: &'static str,
        effect: Effect,
        req: RequestBuilder,
    ) -> Result<Bytes, Error> {
        let span = tracing::info_span!(
            "twilio.call",
            op = operation,
            account_sid = %self.cfg.account_sid,
            http_status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        let timeout = self.cfg.timeout;
        async move {
            let transport = |e: reqwest::Error| -> Error {
                let cause = describe(&e);
                if e.is_connect() || e.is_builder() {
                    Error::Network { operation, cause }
                } else if effect == Effect::Send {
                    Error::MaybeSent { operation, cause }
                } else if e.is_timeout() {
                    Error::Timeout { operation, timeout }
                } else {
                    Error::Network { operation, cause }
                }
            };
            let resp = req.send().await.map_err(transport)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let span = tracing::Span::current();
            span.record("http_status", status.as_u16());
            if let Some(id) = headers
                .get("twilio-request-id")
                .and_then(|v| v.to_str().ok())
            {
                span.record("request_id", id);
            }
            let body = resp.bytes().await.map_err(transport)?;
            if status.is_success() {
                tracing::debug!("twilio call succeeded");
                return Ok(body);
            }
            let retry_after_header = retry_after(&headers);
            let err = match TwilioError::from_body(status.as_u16(), &body) {
                Some(mut t) => {
                    t.retry_after_header = retry_after_header;
                    Error::Twilio(Box::new(t))
                }
                None => Error::Http {
                    operation,
                    status: status.as_u16(),
                    retry_after_header,
                },
            };
            let err = if effect == Effect::Send {
                in_doubt_on_5xx(operation, err)
            } else {
                err
            };
            match &err {
                Error::Twilio(t) => tracing::warn!(
                    code = t.code,
                    class = %t.class(),
                    "twilio call failed"
                ),
                other => tracing::warn!(error = %other, "twilio call failed"),
            }
            Err(err)
        }
        .instrument(span)
        .await
    }

    /// Sends an SMS. `Ok` means Twilio **accepted** it (`queued` or `accepted`); delivery comes by
    /// status callback. A timeout, a dropped connection or a 5xx is [`Error::MaybeSent`].
    pub async fn send(&self, sms: &NewSms) -> Result<Message, Error> {
        let url = self.url(&["Messages.json"]);
        let span = tracing::info_span!(
            "twilio.send",
            body_chars = sms.body().chars().count(),
            message_sid = tracing::field::Empty,
        );
        async move {
            let req = self.request(Method::POST, url).form(&sms.to_form());
            let body = self.execute("send SMS", Effect::Send, req).await?;
            // A 2xx without a readable sid is still "accepted, sid unknown": in doubt.
            let msg: Message = serde_json::from_slice(&body).map_err(|e| Error::MaybeSent {
                operation: "send SMS",
                cause: format!("accepted but the answer is unreadable: {e}"),
            })?;
            tracing::Span::current().record("message_sid", msg.sid.as_str());
            Ok(msg)
        }
        .instrument(span)
        .await
    }

    /// Fetches a message (reconciliation when a final status is missing).
    pub async fn fetch(&self, sid: &MessageSid) -> Result<Message, Error> {
        let file = format!("{sid}.json");
        let url = self.url(&["Messages", &file]);
        let req = self.request(Method::GET, url);
        let body = self.execute("fetch SMS", Effect::Safe, req).await?;
        serde_json::from_slice(&body).map_err(|e| Error::UnexpectedResponse {
            operation: "fetch SMS",
            cause: format!("not a message resource: {e}"),
        })
    }
}

/// A 5xx on a send may come after Twilio created the message, and the Messages API has no
/// idempotency key: it is "may have been sent", not "retry". Known codes keep their class.
fn in_doubt_on_5xx(operation: &'static str, err: Error) -> Error {
    match err {
        Error::Http { status, .. } if status >= 500 => Error::MaybeSent {
            operation,
            cause: format!("HTTP {status} without an error object"),
        },
        Error::Twilio(t)
            if t.http_status >= 500
                && matches!(t.class(), ErrorClass::Unknown | ErrorClass::ServerError) =>
        {
            Error::MaybeSent {
                operation,
                cause: format!(
                    "HTTP {} with Twilio error {}: {}",
                    t.http_status, t.code, t.message
                ),
            }
        }
        other => other,
    }
}

fn retry_after(headers: &HeaderMap) -> Option<std::time::Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(std::time::Duration::from_secs)
}

/// A transport error's chain, without the URL.
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
