//! The desktop side of polling: a thin HTTP client for `GET /v1/events`, `POST /v1/ack` and
//! `GET /v1/status`. It holds no state beyond the relay's base URL and the device token; the durable
//! loop (commit, cursor, ack, backoff) lives in `mostrador-core`'s inbox.

use crate::protocol::{AckRequest, AckResponse, EventsResponse, StatusResponse};
use mostrador_types::Secret;
use std::time::Duration;

/// Added to the long-poll `wait` to get the request timeout: the relay may answer a little after
/// `wait` seconds.
const LONG_POLL_GRACE: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const SHORT_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest response read. The relay stops a poll response near 8 MiB, beyond which it adds one
/// event at most (a webhook body is limited to a few MiB): anything larger is refused unread.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the relay URL is invalid: {0}")]
    InvalidUrl(String),
    /// 401: the device token is wrong or was rotated. Retrying will not help.
    #[error("the relay rejected the device token")]
    Unauthorized,
    #[error("the relay answered HTTP {status}")]
    Status { status: u16 },
    /// 409 on an ack: the relay holds another event at that seq, so the ack belongs to a stream
    /// that is no longer the relay's. Nothing was acknowledged.
    #[error("the relay's event stream is not the one this acknowledgement belongs to")]
    CursorMismatch,
    #[error("the relay request timed out")]
    Timeout,
    #[error("could not reach the relay: {0}")]
    Transport(String),
    #[error("the relay sent an invalid response: {0}")]
    Decode(String),
}

impl ClientError {
    fn from_reqwest(e: reqwest::Error) -> ClientError {
        if e.is_timeout() {
            ClientError::Timeout
        } else if e.is_decode() {
            ClientError::Decode(e.to_string())
        } else {
            // reqwest's messages contain the URL but never headers, so no token can leak here.
            ClientError::Transport(without_url(e).to_string())
        }
    }
}

fn without_url(e: reqwest::Error) -> reqwest::Error {
    e.without_url()
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Client of one relay tenant (one organization's device token).
#[derive(Clone)]
pub struct RelayClient {
    base: url::Url,
    token: std::sync::Arc<Secret>,
    http: reqwest::Client,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl RelayClient {
    /// `base_url` is the relay's public base, e.g. `https://relay.example.com`.
    pub fn new(base_url: &str, device_token: Secret) -> Result<RelayClient, ClientError> {
        let mut base =
            url::Url::parse(base_url).map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
        match base.scheme() {
            "https" => {}
            // Plain HTTP would carry the device token and every customer message in clear: only
            // for a relay on this computer (tests, a local relay).
            "http" if is_loopback(&base) => {}
            "http" => {
                return Err(ClientError::InvalidUrl(
                    "plain http:// is only allowed for a relay on this computer; use https://"
                        .into(),
                ))
            }
            _ => {
                return Err(ClientError::InvalidUrl(
                    "the scheme must be https (or http for localhost)".into(),
                ))
            }
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(RelayClient {
            base,
            token: std::sync::Arc::new(device_token),
            http,
        })
    }

    fn url(&self, path: &str) -> Result<url::Url, ClientError> {
        self.base
            .join(path)
            .map_err(|e| ClientError::InvalidUrl(e.to_string()))
    }

    /// Long poll: events with `seq > after`, at most `limit`; the relay answers as soon as one
    /// exists, or after `wait` with an empty list. `after_event_id` is the `event_id` the client
    /// stored at `after`: the relay checks it and answers `cursor_mismatch` when its event at that
    /// seq is another one.
    pub async fn events(
        &self,
        after: i64,
        after_event_id: Option<&str>,
        limit: u32,
        wait: Duration,
    ) -> Result<EventsResponse, ClientError> {
        let mut url = self.url("v1/events")?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("after", &after.to_string());
            if let Some(id) = after_event_id {
                q.append_pair("after_event_id", id);
            }
            q.append_pair("limit", &limit.to_string())
                .append_pair("wait", &wait.as_secs().to_string());
        }
        let resp = self
            .http
            .get(url)
            .bearer_auth(self.token.expose())
            .timeout(wait + LONG_POLL_GRACE)
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        decode(resp).await
    }

    /// Cumulative, idempotent acknowledgement of every event with `seq <= up_to_seq`. With
    /// `event_id` (the id stored at `up_to_seq`) the relay refuses an ack that belongs to another
    /// stream ([`ClientError::CursorMismatch`]).
    pub async fn ack(
        &self,
        up_to_seq: i64,
        event_id: Option<&str>,
    ) -> Result<AckResponse, ClientError> {
        let resp = self
            .http
            .post(self.url("v1/ack")?)
            .bearer_auth(self.token.expose())
            .timeout(SHORT_TIMEOUT)
            .json(&AckRequest {
                up_to_seq,
                event_id: event_id.map(str::to_owned),
            })
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        decode(resp).await
    }

    pub async fn status(&self) -> Result<StatusResponse, ClientError> {
        let resp = self
            .http
            .get(self.url("v1/status")?)
            .bearer_auth(self.token.expose())
            .timeout(SHORT_TIMEOUT)
            .send()
            .await
            .map_err(ClientError::from_reqwest)?;
        decode(resp).await
    }
}

async fn decode<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T, ClientError> {
    let status = resp.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(ClientError::Unauthorized);
    }
    if status == reqwest::StatusCode::CONFLICT {
        return Err(ClientError::CursorMismatch);
    }
    if !status.is_success() {
        return Err(ClientError::Status {
            status: status.as_u16(),
        });
    }
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    let mut resp = resp;
    while let Some(chunk) = resp.chunk().await.map_err(ClientError::from_reqwest)? {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
}

fn too_large() -> ClientError {
    ClientError::Decode(format!(
        "the response is larger than {} MiB",
        MAX_RESPONSE_BYTES / (1024 * 1024)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_for_loopback() {
        let ok = |u: &str| RelayClient::new(u, Secret::new("t")).is_ok();
        assert!(ok("https://relay.example.com"));
        assert!(ok("http://127.0.0.1:8080"));
        assert!(ok("http://127.9.9.9"));
        assert!(ok("http://[::1]:8080/relay"));
        assert!(ok("http://localhost:8080"));
        assert!(!ok("http://relay.example.com"));
        assert!(!ok("http://192.168.1.10:8080"));
        assert!(!ok("http://localhost.example.com"));
        assert!(!ok("ftp://127.0.0.1"));
    }
}
