//! The HTTP client: URLs, bearer auth, `X-Idempotency-Key` on every creating call, timeouts,
//! and every failure turned into an [`Error`]. It never retries: retries belong to the durable
//! queue, which repeats a creating call with the SAME key (so MercadoPago answers with the
//! resource it already created).

use std::fmt;

use bytes::Bytes;
use mostrador_types::Money;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::account::Account;
use crate::chargeback::Chargeback;
use crate::config::Config;
use crate::error::{Error, MpError};
use crate::installments::InstallmentOption;
use crate::payment::{Payment, PaymentId, Refund, RefundRequest};
use crate::preference::{NewPreference, Preference};
use crate::qr::{QrCode, QrOrder};

/// The `X-Idempotency-Key` of one creating request. Deterministic keys (e.g.
/// `pref-inv-42-1`) make a retry after a timeout return the same resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// 1–64 characters of `[A-Za-z0-9._:-]`.
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let key = key.into();
        if key.is_empty()
            || key.len() > 64
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        {
            return Err(Error::Invalid(format!(
                "idempotency key {key:?}: 1-64 characters of letters, digits, - _ . :"
            )));
        }
        Ok(IdempotencyKey(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A MercadoPago API client for one access token. Cheap to clone.
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
            .user_agent(concat!("mostrador-mercadopago/", env!("CARGO_PKG_VERSION")))
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

    /// `{base}/{segments…}`, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.cfg.base_url.clone();
        {
            let mut path = url.path_segments_mut().expect("checked in Config");
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    fn request(&self, method: Method, url: Url, key: Option<&IdempotencyKey>) -> RequestBuilder {
        let mut r = self
            .http
            .request(method, url)
            .bearer_auth(self.cfg.access_token.expose())
            .header("accept", "application/json");
        if let Some(k) = key {
            r = r.header("x-idempotency-key", k.as_str());
        }
        r
    }

    async fn execute<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        req: RequestBuilder,
        key: Option<&IdempotencyKey>,
    ) -> Result<T, Error> {
        let span = tracing::info_span!(
            "mercadopago.call",
            op = operation,
            idempotency_key = key.map(IdempotencyKey::as_str),
            http_status = tracing::field::Empty,
            request_id = tracing::field::Empty,
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
            if let Some(id) = headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
                span.record("request_id", id);
            }
            let body: Bytes = resp.bytes().await.map_err(transport)?;
            if status.is_success() {
                tracing::debug!("mercadopago call succeeded");
                return serde_json::from_slice(&body).map_err(|e| Error::UnexpectedResponse {
                    operation,
                    cause: format!("not the expected resource: {e}"),
                });
            }
            let retry_after_header = retry_after(&headers);
            let err = match MpError::from_body(status.as_u16(), &body) {
                Some(mut e) => {
                    e.retry_after_header = retry_after_header;
                    Error::Api(Box::new(e))
                }
                None => Error::Http {
                    operation,
                    status: status.as_u16(),
                    retry_after_header,
                },
            };
            tracing::warn!(code = %err.code(), "mercadopago call failed");
            Err(err)
        }
        .instrument(span)
        .await
    }

    /// Creates a Checkout Pro preference (the payment link). Always idempotent: the same key
    /// returns the same preference.
    pub async fn create_preference(
        &self,
        pref: &NewPreference,
        key: &IdempotencyKey,
    ) -> Result<Preference, Error> {
        pref.validate()?;
        let req = self
            .request(
                Method::POST,
                self.url(&["checkout", "preferences"]),
                Some(key),
            )
            .json(pref);
        let p: Preference = self.execute("create preference", req, Some(key)).await?;
        if p.link().is_none() {
            return Err(Error::UnexpectedResponse {
                operation: "create preference",
                cause: "no init_point (MercadoPago refuses back URLs on IP hosts)".into(),
            });
        }
        Ok(p)
    }

    pub async fn get_preference(&self, id: &str) -> Result<Preference, Error> {
        let req = self.request(
            Method::GET,
            self.url(&["checkout", "preferences", id]),
            None,
        );
        self.execute("get preference", req, None).await
    }

    /// The payment as MercadoPago holds it: the only truth a notification leads to.
    pub async fn get_payment(&self, id: PaymentId) -> Result<Payment, Error> {
        let id = id.to_string();
        let req = self.request(Method::GET, self.url(&["v1", "payments", &id]), None);
        self.execute("get payment", req, None).await
    }

    /// Payments for one `external_reference`, newest first (reconciliation when a webhook is lost).
    pub async fn search_payments(&self, external_reference: &str) -> Result<Vec<Payment>, Error> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            results: Vec<Payment>,
        }
        let req = self
            .request(Method::GET, self.url(&["v1", "payments", "search"]), None)
            .query(&[
                ("external_reference", external_reference),
                ("sort", "date_created"),
                ("criteria", "desc"),
            ]);
        let page: Page = self.execute("search payments", req, None).await?;
        Ok(page.results)
    }

    /// Refunds `amount` of a payment, or all of it with `None`. Idempotent by `key`.
    pub async fn refund(
        &self,
        payment: PaymentId,
        amount: Option<Money>,
        key: &IdempotencyKey,
    ) -> Result<Refund, Error> {
        if amount.is_some_and(|a| a.cents() <= 0) {
            return Err(Error::Invalid("a refund amount must be > 0".into()));
        }
        let id = payment.to_string();
        let req = self
            .request(
                Method::POST,
                self.url(&["v1", "payments", &id, "refunds"]),
                Some(key),
            )
            .json(&RefundRequest { amount });
        self.execute("refund payment", req, Some(key)).await
    }

    pub async fn list_refunds(&self, payment: PaymentId) -> Result<Vec<Refund>, Error> {
        let id = payment.to_string();
        let req = self.request(
            Method::GET,
            self.url(&["v1", "payments", &id, "refunds"]),
            None,
        );
        self.execute("list refunds", req, None).await
    }

    pub async fn get_chargeback(&self, id: &str) -> Result<Chargeback, Error> {
        let req = self.request(Method::GET, self.url(&["v1", "chargebacks", id]), None);
        self.execute("get chargeback", req, None).await
    }

    /// Installment options ("cuotas") for `amount`, optionally for one payment method (`visa`).
    pub async fn installments(
        &self,
        amount: Money,
        payment_method_id: Option<&str>,
    ) -> Result<Vec<InstallmentOption>, Error> {
        let amount = amount.to_wire();
        let mut q = vec![("amount", amount.as_str())];
        if let Some(m) = payment_method_id {
            q.push(("payment_method_id", m));
        }
        let req = self
            .request(
                Method::GET,
                self.url(&["v1", "payment_methods", "installments"]),
                None,
            )
            .query(&q);
        self.execute("installments", req, None).await
    }

    /// A dynamic QR for the counter (see [`crate::qr`] for why this API).
    pub async fn create_dynamic_qr(
        &self,
        user_id: i64,
        external_pos_id: &str,
        order: &QrOrder,
        key: &IdempotencyKey,
    ) -> Result<QrCode, Error> {
        let user = user_id.to_string();
        let url = self.url(&[
            "instore",
            "orders",
            "qr",
            "seller",
            "collectors",
            &user,
            "pos",
            external_pos_id,
            "qrs",
        ]);
        let req = self.request(Method::POST, url, Some(key)).json(order);
        self.execute("create dynamic QR", req, Some(key)).await
    }

    /// Whose token this is ("Probar").
    pub async fn me(&self) -> Result<Account, Error> {
        let req = self.request(Method::GET, self.url(&["users", "me"]), None);
        self.execute("account info", req, None).await
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

/// A transport error's chain, without the URL (which is harmless, but the token never is there).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_checked() {
        assert!(IdempotencyKey::new("pref-inv-42-1").is_ok());
        assert!(IdempotencyKey::new("").is_err());
        assert!(IdempotencyKey::new("a b").is_err());
        assert!(IdempotencyKey::new("x".repeat(65)).is_err());
    }
}
