//! Client configuration: where the API is, which account, which credentials, timeouts.

use std::time::Duration;

use mostrador_types::Secret;
use url::Url;

use crate::error::Error;
use crate::ids::{AccountSid, ApiKeySid};

/// Twilio's production REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// How the client authenticates (HTTP Basic either way). `Debug` never shows a secret.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `AccountSid:AuthToken`. The auth token is also the key of `X-Twilio-Signature`.
    AuthToken(Secret),
    /// `ApiKeySid:ApiKeySecret` (revocable; the auth token is still needed to check callbacks).
    ApiKey { sid: ApiKeySid, secret: Secret },
}

/// Everything the client needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// `https://api.twilio.com`, or the sandbox's `…/twilio`.
    pub base_url: Url,
    pub account_sid: AccountSid,
    pub credentials: Credentials,
    /// Limit for one call, from connect to the last byte of the answer.
    pub timeout: Duration,
    /// Limit to establish a connection.
    pub connect_timeout: Duration,
}

impl Config {
    /// Production defaults: Twilio's base URL, 15 s per call.
    pub fn new(account_sid: AccountSid, credentials: Credentials) -> Self {
        Config {
            base_url: Url::parse(DEFAULT_BASE_URL).expect("constant URL"),
            account_sid,
            credentials,
            timeout: Duration::from_secs(15),
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

    /// The Basic-auth user and password.
    pub(crate) fn basic_auth(&self) -> (&str, &str) {
        match &self.credentials {
            Credentials::AuthToken(t) => (self.account_sid.as_str(), t.expose()),
            Credentials::ApiKey { sid, secret } => (sid.as_str(), secret.expose()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let sid = AccountSid::new("AC0123456789abcdef0123456789abcdef").unwrap();
        let c = Config::new(
            sid.clone(),
            Credentials::AuthToken(Secret::new("tok-very-secret")),
        );
        assert!(!format!("{c:?}").contains("very-secret"));
        assert_eq!(c.basic_auth().0, sid.as_str());
        let k = Config::new(
            sid,
            Credentials::ApiKey {
                sid: ApiKeySid::new("SK0123456789abcdef0123456789abcdef").unwrap(),
                secret: Secret::new("key-very-secret"),
            },
        );
        assert!(!format!("{k:?}").contains("very-secret"));
        assert!(k.basic_auth().0.starts_with("SK"));
        assert!(Config::new(
            AccountSid::new("AC0123456789abcdef0123456789abcdef").unwrap(),
            Credentials::AuthToken(Secret::new("x"))
        )
        .with_base_url("ftp://x")
        .is_err());
    }
}
