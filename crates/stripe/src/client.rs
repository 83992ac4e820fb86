//! The HTTP client: builds URLs, adds the bearer key, the `Stripe-Version` and the
//! `Idempotency-Key` of every POST, applies timeouts and turns every failure into an [`Error`]. It
//! never retries: retries belong to the durable queue, which reuses the same key.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::balance::Balance;
use crate::charge::{Charge, Dispute};
use crate::checkout::{CheckoutSession, NewCheckoutSession};
use crate::config::Config;
use crate::error::{ApiError, Error, StripeError};
use crate::event::Event;
use crate::form::Form;
use crate::ids::{
    ChargeId, CheckoutSessionId, DisputeId, EventId, IdempotencyKey, PaymentIntentId, RefundId,
};
use crate::payment_intent::PaymentIntent;
use crate::refund::{NewRefund, Refund};

/// A Stripe API client for one account. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    cfg: std::sync::Arc<Config>,
}

impl Client {
    pub fn new(cfg: Config) -> Result<Self, Error> {
        if cfg.secret_key.expose().trim().is_empty() {
            return Err(Error::Config("the secret key is empty".into()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .user_agent(concat!("mostrador-stripe/", env!("CARGO_PKG_VERSION")))
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

    /// `{base}/v1/{segments…}`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.cfg.base_url.clone();
        {
            let mut path = url.path_segments_mut().expect("checked in Config");
            path.pop_if_empty();
            path.push("v1");
            path.extend(segments);
        }
        url
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(self.cfg.secret_key.expose())
            .header("accept", "application/json");
        if let Some(v) = &self.cfg.api_version {
            req = req.header("stripe-version", v);
        }
        req
    }

    async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        segments: &[&str],
    ) -> Result<T, Error> {
        let req = self.request(Method::GET, self.url(segments));
        let body = self.execute(operation, false, req).await?;
        parse(operation, false, &body)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        segments: &[&str],
        form: &Form,
        key: &IdempotencyKey,
    ) -> Result<T, Error> {
        let req = self
            .request(Method::POST, self.url(segments))
            .header("idempotency-key", key.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.encode());
        let span = tracing::info_span!("stripe.post", idempotency_key = %key);
        let body = self.execute(operation, true, req).instrument(span).await?;
        parse(operation, true, &body)
    }

    async fn execute(
        &self,
        operation: &'static str,
        mutation: bool,
        req: RequestBuilder,
    ) -> Result<Bytes, Error> {
        let span = tracing::info_span!(
            "stripe.call",
            op = operation,
            http_status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            replayed = tracing::field::Empty,
        );
        let timeout = self.cfg.timeout;
        async move {
            let transport = |e: reqwest::Error| -> Error {
                if e.is_timeout() {
                    Error::Timeout { operation, timeout }
                } else {
                    Error::Network {
                        operation,
                        cause: describe(&e),
                    }
                }
            };
            let resp = req.send().await.map_err(transport)?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let span = tracing::Span::current();
            span.record("http_status", status.as_u16());
            let request_id = header(&headers, "request-id");
            if let Some(id) = &request_id {
                span.record("request_id", id.as_str());
            }
            if header(&headers, "idempotent-replayed").as_deref() == Some("true") {
                span.record("replayed", true);
            }
            let body = resp.bytes().await.map_err(transport)?;
            if status.is_success() {
                tracing::debug!("stripe call succeeded");
                return Ok(body);
            }
            let err = ApiError {
                operation,
                http_status: status.as_u16(),
                error: StripeError::from_body(&body),
                request_id,
                should_retry: header(&headers, "stripe-should-retry").map(|v| v == "true"),
                retry_after: retry_after(&headers),
                mutation,
            };
            tracing::warn!(
                code = %err.code(),
                class = %err.class(),
                param = err.error.as_ref().and_then(|e| e.param.as_deref()),
                "stripe call failed"
            );
            Err(Error::Api(Box::new(err)))
        }
        .instrument(span)
        .await
    }

    /// Creates a Checkout Session. The same `key` with the same session returns the first
    /// session (a retry after a timeout never makes a second page); the same key with another
    /// session is refused (`idempotency_error`, [`Error::is_idempotency_mismatch`]).
    pub async fn create_checkout_session(
        &self,
        session: &NewCheckoutSession,
        key: &IdempotencyKey,
    ) -> Result<CheckoutSession, Error> {
        session.validate()?;
        let span = tracing::info_span!(
            "stripe.checkout.create",
            items = session.line_items.len(),
            session_id = tracing::field::Empty,
        );
        async move {
            let s: CheckoutSession = self
                .post(
                    "create checkout session",
                    &["checkout", "sessions"],
                    &session.to_form(),
                    key,
                )
                .await?;
            tracing::Span::current().record("session_id", s.id.as_str());
            Ok(s)
        }
        .instrument(span)
        .await
    }

    pub async fn retrieve_checkout_session(
        &self,
        id: &CheckoutSessionId,
    ) -> Result<CheckoutSession, Error> {
        self.get(
            "retrieve checkout session",
            &["checkout", "sessions", id.as_str()],
        )
        .instrument(tracing::info_span!("stripe.checkout.retrieve", session_id = %id))
        .await
    }

    pub async fn retrieve_payment_intent(
        &self,
        id: &PaymentIntentId,
    ) -> Result<PaymentIntent, Error> {
        self.get("retrieve payment intent", &["payment_intents", id.as_str()])
            .instrument(tracing::info_span!("stripe.payment_intent.retrieve", payment_intent = %id))
            .await
    }

    /// Refunds all or part of a payment. Refused by Stripe (`amount_too_large`,
    /// [`Error::is_refund_too_large`]) when it exceeds what is left.
    pub async fn create_refund(
        &self,
        refund: &NewRefund,
        key: &IdempotencyKey,
    ) -> Result<Refund, Error> {
        let span = tracing::info_span!(
            "stripe.refund.create",
            payment_intent = %refund.payment_intent,
            refund_id = tracing::field::Empty,
        );
        async move {
            let r: Refund = self
                .post("create refund", &["refunds"], &refund.to_form(), key)
                .await?;
            tracing::Span::current().record("refund_id", r.id.as_str());
            Ok(r)
        }
        .instrument(span)
        .await
    }

    /// A charge: what was refunded of it, whether it is disputed.
    pub async fn retrieve_charge(&self, id: &ChargeId) -> Result<Charge, Error> {
        self.get("retrieve charge", &["charges", id.as_str()])
            .instrument(tracing::info_span!("stripe.charge.retrieve", charge = %id))
            .await
    }

    /// A dispute (chargeback) and its current status.
    pub async fn retrieve_dispute(&self, id: &DisputeId) -> Result<Dispute, Error> {
        self.get("retrieve dispute", &["disputes", id.as_str()])
            .instrument(tracing::info_span!("stripe.dispute.retrieve", dispute = %id))
            .await
    }

    /// The account's balance: the cheapest call that proves the key works ("Probar").
    pub async fn retrieve_balance(&self) -> Result<Balance, Error> {
        self.get("retrieve balance", &["balance"])
            .instrument(tracing::info_span!("stripe.balance.retrieve"))
            .await
    }

    pub async fn retrieve_refund(&self, id: &RefundId) -> Result<Refund, Error> {
        self.get("retrieve refund", &["refunds", id.as_str()])
            .instrument(tracing::info_span!("stripe.refund.retrieve", refund_id = %id))
            .await
    }

    /// Fetches an event by id: a webhook's body is a hint, this is Stripe's word.
    pub async fn retrieve_event(&self, id: &EventId) -> Result<Event, Error> {
        let body = self
            .execute(
                "retrieve event",
                false,
                self.request(Method::GET, self.url(&["events", id.as_str()])),
            )
            .instrument(tracing::info_span!("stripe.event.retrieve", event_id = %id))
            .await?;
        Event::parse(&body).map_err(|e| Error::UnexpectedResponse {
            operation: "retrieve event",
            cause: e.to_string(),
            mutation: false,
        })
    }
}

fn parse<T: DeserializeOwned>(
    operation: &'static str,
    mutation: bool,
    body: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::UnexpectedResponse {
        operation,
        cause: format!("not the expected object: {e}"),
        mutation,
    })
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header(headers, RETRY_AFTER.as_str())?
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// A transport error's chain, without the URL.
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut s = if e.is_connect() {
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
