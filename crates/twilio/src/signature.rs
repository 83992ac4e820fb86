//! `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, URL + every POST parameter sorted by name,
//! name and value concatenated)). Reference §2.3.
//!
//! The URL must be the exact public URL Twilio called (scheme, host, path and query), not the
//! relay-internal one, and form values must not be trimmed. Because Twilio is inconsistent about
//! default ports, the check accepts the URL with and without `:443` / `:80`.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Why a callback's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request has no X-Twilio-Signature header; refuse it")]
    Missing,
    #[error("X-Twilio-Signature does not match (forged, altered, wrong auth token, or not the public URL Twilio called)")]
    Mismatch,
}

/// The signature Twilio would send for `url` and the decoded form `params`.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // By name, then by value for repeated names (twilio-python sorts the values of a name).
    sorted.sort();
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(auth_token.as_bytes()).expect("any key");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a callback. `header` is the `X-Twilio-Signature` value (None when absent).
pub fn verify(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let mut ok = false;
    for candidate in [Some(url.to_owned()), toggle_default_port(url)]
        .into_iter()
        .flatten()
    {
        let expected = sign(auth_token, &candidate, params);
        // Evaluate every candidate: no early exit that timing could tell apart.
        ok |= bool::from(expected.as_bytes().ct_eq(header.as_bytes()));
    }
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The URL with its default port added when absent, or removed when present. `None` when the
/// URL has another port or no recognizable authority. Done on the string: re-serializing with a
/// URL parser could change the encoding the signature covers.
fn toggle_default_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_end = authority.rfind('@').map_or(0, |i| i + 1);
    let hostport = &authority[host_end..];
    // An IPv6 literal's colons are inside brackets.
    let port_sep = hostport
        .rfind(':')
        .filter(|&i| !hostport[i..].contains(']'));
    let new_hostport = match port_sep {
        Some(i) if &hostport[i + 1..] == port => hostport[..i].to_owned(),
        Some(_) => return None,
        None => format!("{hostport}:{port}"),
    };
    Some(format!(
        "{scheme}://{}{new_hostport}{tail}",
        &authority[..host_end]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Twilio's documented vector (reference §2.3, verified there with Python).
    fn documented() -> (&'static str, Vec<(String, String)>) {
        (
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            p(&[
                ("CallSid", "CA1234567890ABCDE"),
                ("Caller", "+12349013030"),
                ("Digits", "1234"),
                ("From", "+12349013030"),
                ("To", "+18005551212"),
            ]),
        )
    }

    #[test]
    fn documented_test_vector() {
        let (url, params) = documented();
        assert_eq!(sign("12345", url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        // Order of arrival does not matter.
        let mut rev = params.clone();
        rev.reverse();
        assert!(verify("12345", url, &rev, Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")).is_ok());
        // With the default port, as Twilio sometimes signs.
        assert!(verify(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            Some("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        )
        .is_ok());
    }

    #[test]
    fn tampered_requests_fail() {
        let (url, params) = documented();
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        let mut changed = params.clone();
        changed[2].1 = "1235".into();
        assert_eq!(
            verify("12345", url, &changed, Some(good)),
            Err(SignatureError::Mismatch)
        );
        let mut extra = params.clone();
        extra.push(("Extra".into(), "1".into()));
        assert!(verify("12345", url, &extra, Some(good)).is_err());
        // A trimmed value is a different request.
        let mut trimmed = params.clone();
        trimmed[4].1 = " +18005551212".into();
        assert!(verify("12345", url, &trimmed, Some(good)).is_err());
        assert!(verify(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &params,
            Some(good)
        )
        .is_err());
        assert!(verify("12346", url, &params, Some(good)).is_err());
        assert_eq!(
            verify("12345", url, &params, None),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn default_port_toggle() {
        assert_eq!(
            toggle_default_port("https://a.com/x?y=1").as_deref(),
            Some("https://a.com:443/x?y=1")
        );
        assert_eq!(
            toggle_default_port("http://a.com:80").as_deref(),
            Some("http://a.com")
        );
        assert_eq!(toggle_default_port("http://a.com:8080/x"), None);
        assert_eq!(
            toggle_default_port("https://[::1]/x").as_deref(),
            Some("https://[::1]:443/x")
        );
    }
}
