//! Client configuration: where Graph is, which version, which account, and the token.

use std::fmt;
use std::time::Duration;

use mostrador_types::Secret;
use url::Url;

use crate::error::Error;
use crate::ids::{PhoneNumberId, WabaId};

/// The Graph API version used when none is configured. A setting, not a constant of the
/// protocol: Meta retires versions about two years after release.
pub const DEFAULT_GRAPH_VERSION: &str = "v25.0";

/// Meta's production Graph API.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";

/// A Graph API version, `vNN.N`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GraphVersion(String);

impl GraphVersion {
    pub fn new(v: impl Into<String>) -> Result<Self, Error> {
        let v = v.into();
        let ok = v
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(major, minor)| {
                !major.is_empty()
                    && !minor.is_empty()
                    && major.len() <= 3
                    && minor.len() <= 2
                    && major.bytes().all(|b| b.is_ascii_digit())
                    && minor.bytes().all(|b| b.is_ascii_digit())
            });
        if !ok {
            return Err(Error::Config(format!(
                "Graph API version {v:?} must look like v25.0"
            )));
        }
        Ok(GraphVersion(v))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for GraphVersion {
    fn default() -> Self {
        GraphVersion(DEFAULT_GRAPH_VERSION.to_owned())
    }
}

impl fmt::Display for GraphVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for GraphVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GraphVersion({})", self.0)
    }
}

/// Everything the client needs. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct Config {
    /// `https://graph.facebook.com`, or the sandbox's `…/graph`.
    pub base_url: Url,
    pub version: GraphVersion,
    pub phone_number_id: PhoneNumberId,
    pub waba_id: WabaId,
    /// A System User (permanent) token.
    pub access_token: Secret,
    /// Limit for an ordinary call, from connect to the last byte of the answer.
    pub timeout: Duration,
    /// Limit to establish a connection.
    pub connect_timeout: Duration,
    /// Limit for media uploads and downloads (bigger bodies).
    pub media_timeout: Duration,
}

impl Config {
    /// Production defaults: Meta's base URL, [`DEFAULT_GRAPH_VERSION`], 20 s per call.
    pub fn new(phone_number_id: PhoneNumberId, waba_id: WabaId, access_token: Secret) -> Self {
        Config {
            base_url: Url::parse(DEFAULT_BASE_URL).expect("constant URL"),
            version: GraphVersion::default(),
            phone_number_id,
            waba_id,
            access_token,
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            media_timeout: Duration::from_secs(120),
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

    pub fn with_version(mut self, version: GraphVersion) -> Self {
        self.version = version;
        self
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
    fn version_shape() {
        assert!(GraphVersion::new("v23.0").is_ok());
        assert!(GraphVersion::new("23.0").is_err());
        assert!(GraphVersion::new("v23").is_err());
        assert!(GraphVersion::new("v23.0/../x").is_err());
    }

    #[test]
    fn debug_hides_token() {
        let c = Config::new(
            PhoneNumberId::new("1").unwrap(),
            WabaId::new("2").unwrap(),
            Secret::new("EAAG-very-secret"),
        );
        assert!(!format!("{c:?}").contains("very-secret"));
    }
}
