//! Client configuration: where the API is, which secret key, which API version, timeouts.

use std::time::Duration;

use mostrador_types::Secret;
use url::Url;

use crate::error::Error;

/// Stripe's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";

/// The API version the types of this crate were written against (sent as `Stripe-Version`, so an
/// account upgrade on Stripe's dashboard cannot change the shapes we parse).
pub const API_VERSION: &str = "2024-06-20";

/// Everything the client needs. `Debug` never shows the key.
#[derive(Debug, Clone)]
pub struct Config {
    /// `https://api.stripe.com`, or the sandbox's `…/stripe`.
    pub base_url: Url,
    /// `sk_live_…`, `sk_test_…` or a restricted `rk_…` key.
    pub secret_key: Secret,
    /// `Stripe-Version`; `None` uses the account's default version.
    pub api_version: Option<String>,
    /// Limit for one call, from connect to the last byte of the answer.
    pub timeout: Duration,
    /// Limit to establish a connection.
    pub connect_timeout: Duration,
}

impl Config {
    /// Production defaults: Stripe's base URL, [`API_VERSION`], 20 s per call (Stripe's own
    /// libraries wait up to 80 s; a desktop queue prefers to fail sooner and retry with the same
    /// idempotency key).
    pub fn new(secret_key: Secret) -> Self {
        Config {
            base_url: Url::parse(DEFAULT_BASE_URL).expect("constant URL"),
            secret_key,
            api_version: Some(API_VERSION.to_owned()),
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// Points the client somewhere else (the sandbox in tests and demo mode).
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        let url = Url::parse(base_url)
            .map_err(|e| Error::Config(format!("base URL {base_url:?} is not a URL: {e}")))?;
        if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL {base_url:?} must be an http(s) URL"
            )));
        }
        self.base_url = url;
        Ok(self)
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether the key is a test-mode key (`sk_test_` / `rk_test_`): shown in Ajustes so the owner
    /// does not believe test payments are real.
    pub fn is_test_mode(&self) -> bool {
        let k = self.secret_key.expose();
        k.starts_with("sk_test_") || k.starts_with("rk_test_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key_and_base_url_is_checked() {
        let c = Config::new(Secret::new("sk_test_very_secret"));
        assert!(!format!("{c:?}").contains("very_secret"));
        assert!(c.is_test_mode());
        assert!(!Config::new(Secret::new("sk_live_x")).is_test_mode());
        assert!(c.clone().with_base_url("ftp://x").is_err());
        assert!(c.with_base_url("http://127.0.0.1:1/stripe").is_ok());
    }
}
