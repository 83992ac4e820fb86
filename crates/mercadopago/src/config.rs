//! Client configuration: where the API is, the access token, timeouts.

use std::time::Duration;

use mostrador_types::Secret;
use url::Url;

use crate::error::Error;

/// MercadoPago's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.mercadopago.com";

/// Everything the client needs. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct Config {
    /// `https://api.mercadopago.com`, or the sandbox's `…/mp`.
    pub base_url: Url,
    /// `APP_USR-…` (or `TEST-…`): sent as `Authorization: Bearer`.
    pub access_token: Secret,
    /// Limit for one call, connect to last byte. The official SDK uses 10 s.
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl Config {
    pub fn new(access_token: Secret) -> Self {
        Config {
            base_url: Url::parse(DEFAULT_BASE_URL).expect("constant URL"),
            access_token,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token_and_urls_are_checked() {
        let c = Config::new(Secret::new("APP_USR-very-secret"));
        assert!(!format!("{c:?}").contains("very-secret"));
        assert!(c.clone().with_base_url("ftp://x").is_err());
        assert!(c.with_base_url("http://127.0.0.1:1/mp").is_ok());
    }
}
