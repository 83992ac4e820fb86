//! The `x-signature` check of MercadoPago webhooks (reference §1.5).
//!
//! `x-signature: ts=1704908010,v1=<hex>`; the manifest is
//! `id:{data.id of the QUERY};request-id:{x-request-id};ts:{ts};` with a missing id or request id
//! left out (`ts:` and the trailing `;` always stay), HMAC-SHA256 keyed by the webhook secret, in
//! lower-case hex. Alphanumeric ids: the SDKs now sign the id as received, older docs said
//! lower-case; both are accepted (as received first). `ts` may be seconds or milliseconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const SIGNATURE_HEADER: &str = "x-signature";
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Why a notification's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "no x-signature header: not from MercadoPago (or a legacy IPN, which cannot be verified)"
    )]
    Missing,
    #[error("x-signature is malformed (needs ts=… and v1=…)")]
    Malformed,
    #[error(
        "x-signature does not match (wrong webhook secret, or data.id / x-request-id / ts altered)"
    )]
    Mismatch,
    #[error("x-signature's timestamp is {age_secs} s away from now (more than the tolerance): a replay or a wrong clock")]
    Stale { age_secs: u64 },
}

/// The parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub ts: String,
    /// `(version, hex)` pairs, e.g. `("v1", "…")`.
    pub hashes: Vec<(String, String)>,
}

impl SignatureHeader {
    pub fn parse(header: &str) -> Result<SignatureHeader, SignatureError> {
        let mut ts = None;
        let mut hashes = Vec::new();
        for part in header.split(',') {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            if k == "ts" {
                ts = Some(v.to_owned());
            } else if k.len() > 1
                && k.starts_with('v')
                && k[1..].bytes().all(|b| b.is_ascii_digit())
            {
                hashes.push((k.to_owned(), v.to_owned()));
            }
        }
        match ts {
            Some(ts) if !ts.is_empty() && !hashes.is_empty() => Ok(SignatureHeader { ts, hashes }),
            _ => Err(SignatureError::Malformed),
        }
    }

    /// `ts` as a time (values below 10^12 are seconds, the rest milliseconds).
    pub fn time(&self) -> Option<SystemTime> {
        let n: u64 = self.ts.parse().ok()?;
        let d = if n < 1_000_000_000_000 {
            Duration::from_secs(n)
        } else {
            Duration::from_millis(n)
        };
        UNIX_EPOCH.checked_add(d)
    }
}

/// The manifest MercadoPago signs.
pub fn manifest(data_id: Option<&str>, request_id: Option<&str>, ts: &str) -> String {
    let mut m = String::new();
    if let Some(id) = data_id.filter(|s| !s.is_empty()) {
        m.push_str("id:");
        m.push_str(id);
        m.push(';');
    }
    if let Some(r) = request_id.filter(|s| !s.is_empty()) {
        m.push_str("request-id:");
        m.push_str(r);
        m.push(';');
    }
    m.push_str("ts:");
    m.push_str(ts);
    m.push(';');
    m
}

/// The `v1` hash for a manifest.
pub fn sign(secret: &str, data_id: Option<&str>, request_id: Option<&str>, ts: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(manifest(data_id, request_id, ts).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// What the check needs from a received notification.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signed<'a> {
    /// The `x-signature` header.
    pub signature: Option<&'a str>,
    /// The `x-request-id` header.
    pub request_id: Option<&'a str>,
    /// `data.id` from the notification URL's query.
    pub data_id: Option<&'a str>,
}

/// Checks a notification. With `tolerance`, a `ts` further than that from `now` is
/// [`SignatureError::Stale`] (checked after the hash, so a forged header is `Mismatch`).
pub fn verify(
    secret: &str,
    n: Signed<'_>,
    now: SystemTime,
    tolerance: Option<Duration>,
) -> Result<SignatureHeader, SignatureError> {
    let header = SignatureHeader::parse(n.signature.ok_or(SignatureError::Missing)?)?;
    let lower = n.data_id.map(str::to_ascii_lowercase);
    let mut candidates = vec![n.data_id];
    if lower.as_deref() != n.data_id {
        candidates.push(lower.as_deref());
    }
    let ok = candidates.into_iter().any(|id| {
        let expected = sign(secret, id, n.request_id, &header.ts);
        header.hashes.iter().any(|(v, h)| {
            v == "v1"
                && h.to_ascii_lowercase()
                    .as_bytes()
                    .ct_eq(expected.as_bytes())
                    .into()
        })
    });
    if !ok {
        return Err(SignatureError::Mismatch);
    }
    if let Some(tol) = tolerance {
        let at = header.time().ok_or(SignatureError::Malformed)?;
        let age = now.duration_since(at).unwrap_or_else(|e| e.duration());
        if age > tol {
            return Err(SignatureError::Stale {
                age_secs: age.as_secs(),
            });
        }
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e";

    #[test]
    fn reference_vectors() {
        assert_eq!(
            manifest(Some("123456789"), Some(REQ), "1704908010"),
            "id:123456789;request-id:bb56a2f1-6aae-46ac-982e-9dcd3581d08e;ts:1704908010;"
        );
        assert_eq!(
            sign("test-secret", Some("123456789"), Some(REQ), "1704908010"),
            "836770f85a31cba847158857c687625d7d5bd268779abb39414d6abc6548b0b4"
        );
        // Missing parts are dropped, `ts` and the trailing `;` stay.
        assert_eq!(
            manifest(None, Some(REQ), "1704908010"),
            format!("request-id:{REQ};ts:1704908010;")
        );
        assert_eq!(
            sign("test-secret", None, Some(REQ), "1704908010"),
            "664c032a99e6fa4a3dfc1e87d330b9020a480414772a2389b5601835d9179cd8"
        );
        assert_eq!(manifest(Some(""), None, "1"), "ts:1;");
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn verifies_and_refuses() {
        let header =
            "ts=1704908010,v1=836770f85a31cba847158857c687625d7d5bd268779abb39414d6abc6548b0b4";
        let good = Signed {
            signature: Some(header),
            request_id: Some(REQ),
            data_id: Some("123456789"),
        };
        let h = verify("test-secret", good, at(1704908010), None).unwrap();
        assert_eq!(h.ts, "1704908010");
        // Spaces, unknown keys and an extra version are tolerated.
        let spaced = " ts = 1704908010 , foo=bar, v2=abc, v1=836770F85A31CBA847158857C687625D7D5BD268779ABB39414D6ABC6548B0B4";
        verify(
            "test-secret",
            Signed {
                signature: Some(spaced),
                ..good
            },
            at(0),
            None,
        )
        .unwrap();
        // Altered id, request id, ts, wrong secret.
        let e = |s: Signed| verify("test-secret", s, at(1704908010), None).unwrap_err();
        assert_eq!(
            e(Signed {
                data_id: Some("123456780"),
                ..good
            }),
            SignatureError::Mismatch
        );
        assert_eq!(
            e(Signed {
                request_id: Some("other"),
                ..good
            }),
            SignatureError::Mismatch
        );
        assert_eq!(
            e(Signed {
                request_id: None,
                ..good
            }),
            SignatureError::Mismatch
        );
        let other_ts = header.replace("1704908010", "1704908011");
        assert_eq!(
            e(Signed {
                signature: Some(&other_ts),
                ..good
            }),
            SignatureError::Mismatch
        );
        assert_eq!(
            verify("other-secret", good, at(0), None).unwrap_err(),
            SignatureError::Mismatch
        );
        assert_eq!(
            e(Signed {
                signature: None,
                ..good
            }),
            SignatureError::Missing
        );
        assert_eq!(
            e(Signed {
                signature: Some("v1=abc"),
                ..good
            }),
            SignatureError::Malformed
        );
        assert_eq!(
            e(Signed {
                signature: Some("ts=1"),
                ..good
            }),
            SignatureError::Malformed
        );
        assert_eq!(
            e(Signed {
                signature: Some("garbage"),
                ..good
            }),
            SignatureError::Malformed
        );
    }

    #[test]
    fn tolerance_accepts_seconds_and_milliseconds() {
        let tol = Some(Duration::from_secs(300));
        let sig = format!(
            "ts=1704908010,v1={}",
            sign("s", Some("1"), Some("r"), "1704908010")
        );
        let n = Signed {
            signature: Some(&sig),
            request_id: Some("r"),
            data_id: Some("1"),
        };
        verify("s", n, at(1704908010 + 299), tol).unwrap();
        assert_eq!(
            verify("s", n, at(1704908010 + 3600), tol).unwrap_err(),
            SignatureError::Stale { age_secs: 3600 }
        );
        let ms = format!(
            "ts=1704908010123,v1={}",
            sign("s", Some("1"), Some("r"), "1704908010123")
        );
        let n = Signed {
            signature: Some(&ms),
            ..n
        };
        verify("s", n, at(1704908010), tol).unwrap();
        assert!(verify("s", n, at(1704908010 + 301), tol).is_err());
    }

    #[test]
    fn alphanumeric_ids_as_received_or_lower_case() {
        let as_received = format!("ts=5,v1={}", sign("s", Some("ORD01ABC"), Some("r"), "5"));
        let n = Signed {
            signature: Some(&as_received),
            request_id: Some("r"),
            data_id: Some("ORD01ABC"),
        };
        verify("s", n, at(5), None).unwrap();
        let lowered = format!("ts=5,v1={}", sign("s", Some("ord01abc"), Some("r"), "5"));
        verify(
            "s",
            Signed {
                signature: Some(&lowered),
                ..n
            },
            at(5),
            None,
        )
        .unwrap();
        // Upper-casing is not a thing MercadoPago does.
        let upper = format!("ts=5,v1={}", sign("s", Some("ORD01ABC"), Some("r"), "5"));
        let lower_in = Signed {
            signature: Some(&upper),
            data_id: Some("ord01abc"),
            ..n
        };
        assert_eq!(
            verify("s", lower_in, at(5), None).unwrap_err(),
            SignatureError::Mismatch
        );
    }
}
