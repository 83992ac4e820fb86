//! `Stripe-Signature` on webhook deliveries: `t=<unix secs>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`,
//! where each `v1` is hex(HMAC-SHA256(endpoint secret, "{t}.{raw body}")).
//!
//! Several `v1` appear while an endpoint secret is being rolled (one per active secret): any one
//! may match. `v0` (a legacy test-mode scheme) and unknown schemes are ignored, as Stripe's own
//! libraries do. The body must be the exact bytes received — never parsed and re-serialised.
//! The timestamp is checked after the signature, so a replay of an old genuine delivery is
//! refused; unlike Stripe's libraries, a timestamp too far in the *future* is refused as well
//! (a clock that far off would make the tolerance meaningless).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use mostrador_types::Secret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Stripe's default tolerance.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request has no Stripe-Signature header; refuse it")]
    Missing,
    #[error("Stripe-Signature is malformed ({0}); refuse it")]
    Malformed(&'static str),
    #[error("Stripe-Signature has no v1 signature; refuse it")]
    NoV1,
    #[error("no v1 signature matches (forged, altered body, or the wrong endpoint secret)")]
    Mismatch,
    #[error("the signature is {age_secs} s away from now, beyond the {tolerance_secs} s tolerance (a replay, or a wrong clock)")]
    OutsideTolerance { age_secs: i64, tolerance_secs: u64 },
}

/// hex(HMAC-SHA256(secret, "{timestamp}.{payload}")).
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// The header Stripe would send for one secret (tests and the simulator).
pub fn header(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, payload))
}

/// A parsed `Stripe-Signature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub v1: Vec<String>,
}

impl SignatureHeader {
    pub fn parse(value: &str) -> Result<SignatureHeader, SignatureError> {
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for item in value.split(',') {
            let (k, v) = item
                .trim()
                .split_once('=')
                .ok_or(SignatureError::Malformed("an item without '='"))?;
            match k {
                "t" => {
                    if timestamp.is_some() {
                        return Err(SignatureError::Malformed("more than one timestamp"));
                    }
                    let t = v
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed("the timestamp is not a number"))?;
                    timestamp = Some(t);
                }
                "v1" => v1.push(v.to_owned()),
                // v0 and future schemes: not ours to check.
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed("no timestamp"))?;
        if v1.is_empty() {
            return Err(SignatureError::NoV1);
        }
        Ok(SignatureHeader { timestamp, v1 })
    }
}

/// Checks deliveries for one endpoint secret (`whsec_…`).
#[derive(Debug, Clone)]
pub struct Verifier {
    secret: Secret,
    tolerance: Duration,
}

impl Verifier {
    pub fn new(secret: Secret) -> Self {
        Verifier {
            secret,
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Checks `payload` (the raw body) against `header` (None when absent) at `now` (Unix
    /// seconds; injected so tests and the relay's replay path control the clock). Returns the
    /// signed timestamp.
    pub fn verify_at(
        &self,
        payload: &[u8],
        header: Option<&str>,
        now: i64,
    ) -> Result<i64, SignatureError> {
        let parsed = SignatureHeader::parse(header.ok_or(SignatureError::Missing)?)?;
        let expected = sign(self.secret.expose(), parsed.timestamp, payload);
        let mut ok = false;
        for candidate in &parsed.v1 {
            // Every candidate is compared: no early exit that timing could tell apart.
            ok |= bool::from(expected.as_bytes().ct_eq(candidate.as_bytes()));
        }
        if !ok {
            return Err(SignatureError::Mismatch);
        }
        let age = now.saturating_sub(parsed.timestamp);
        if age.unsigned_abs() > self.tolerance.as_secs() {
            return Err(SignatureError::OutsideTolerance {
                age_secs: age,
                tolerance_secs: self.tolerance.as_secs(),
            });
        }
        Ok(parsed.timestamp)
    }

    /// [`Verifier::verify_at`] with the system clock.
    pub fn verify(&self, payload: &[u8], header: Option<&str>) -> Result<i64, SignatureError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.verify_at(payload, header, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const PAYLOAD: &[u8] = br#"{"id":"evt_test_webhook","object":"event"}"#;
    const T: i64 = 1_700_000_000;
    /// Computed outside this crate, with OpenSSL:
    /// `printf '%s' '1700000000.{"id":"evt_test_webhook","object":"event"}' |
    ///  openssl dgst -sha256 -hmac 'whsec_test_secret'`
    /// (and checked with Python: `hmac.new(b"whsec_test_secret", b"1700000000." + payload,
    /// hashlib.sha256).hexdigest()`).
    const V1: &str = "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";

    fn verifier() -> Verifier {
        Verifier::new(Secret::new(SECRET))
    }

    #[test]
    fn independent_vector() {
        assert_eq!(sign(SECRET, T, PAYLOAD), V1);
        let h = format!("t={T},v1={V1}");
        assert_eq!(verifier().verify_at(PAYLOAD, Some(&h), T + 10), Ok(T));
    }

    #[test]
    fn tampered_body_fails() {
        let h = format!("t={T},v1={V1}");
        let tampered = br#"{"id":"evt_test_webhook","object":"event" }"#;
        assert_eq!(
            verifier().verify_at(tampered, Some(&h), T),
            Err(SignatureError::Mismatch)
        );
        // A signature for another timestamp does not carry over.
        let moved = format!("t={},v1={V1}", T + 1);
        assert_eq!(
            verifier().verify_at(PAYLOAD, Some(&moved), T),
            Err(SignatureError::Mismatch)
        );
        // Nor for another secret.
        assert_eq!(
            Verifier::new(Secret::new("whsec_other")).verify_at(PAYLOAD, Some(&h), T),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn stale_and_future_timestamps_fail() {
        let h = format!("t={T},v1={V1}");
        assert_eq!(verifier().verify_at(PAYLOAD, Some(&h), T + 300), Ok(T));
        assert_eq!(
            verifier().verify_at(PAYLOAD, Some(&h), T + 301),
            Err(SignatureError::OutsideTolerance {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert!(verifier().verify_at(PAYLOAD, Some(&h), T - 301).is_err());
        assert_eq!(
            verifier()
                .with_tolerance(Duration::from_secs(600))
                .verify_at(PAYLOAD, Some(&h), T + 301),
            Ok(T)
        );
    }

    #[test]
    fn missing_or_malformed_headers_fail() {
        assert_eq!(
            verifier().verify_at(PAYLOAD, None, T),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verifier().verify_at(PAYLOAD, Some(""), T),
            Err(SignatureError::Malformed("an item without '='"))
        );
        assert_eq!(
            verifier().verify_at(PAYLOAD, Some(&format!("v1={V1}")), T),
            Err(SignatureError::Malformed("no timestamp"))
        );
        assert_eq!(
            verifier().verify_at(PAYLOAD, Some(&format!("t={T},v0={V1}")), T),
            Err(SignatureError::NoV1)
        );
        assert!(verifier()
            .verify_at(PAYLOAD, Some(&format!("t={T},t={T},v1={V1}")), T)
            .is_err());
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let other = sign("whsec_rolled_old", T, PAYLOAD);
        let h = format!("t={T},v1={other},v1={V1},v0=deadbeef");
        assert_eq!(verifier().verify_at(PAYLOAD, Some(&h), T), Ok(T));
        let h = format!("t={T}, v1={V1} , v1={other}");
        assert_eq!(verifier().verify_at(PAYLOAD, Some(&h), T), Ok(T));
        let none = format!("t={T},v1={other},v1={}", "0".repeat(64));
        assert_eq!(
            verifier().verify_at(PAYLOAD, Some(&none), T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(header(SECRET, T, PAYLOAD), format!("t={T},v1={V1}"));
    }
}
