//! Webhook authenticity: the `X-Hub-Signature-256` HMAC over the raw body, and the GET handshake.
//!
//! Verify the **raw bytes** as received: re-serialising JSON changes the hash (reference §2.2).

use hmac::{Hmac, Mac};
use mostrador_types::Secret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The header Meta signs webhooks with.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

const PREFIX: &str = "sha256=";

/// Why a webhook signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing: the request is not from Meta (or a proxy dropped it)")]
    Missing,
    #[error("the X-Hub-Signature-256 header must start with \"sha256=\"")]
    WrongPrefix,
    #[error("the X-Hub-Signature-256 header is not 64 hex digits")]
    Malformed,
    #[error("the signature does not match the body: wrong App Secret, or the body was altered or re-serialised")]
    Mismatch,
}

fn mac(app_secret: &Secret, body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(app_secret.expose().as_bytes())
        .expect("HMAC accepts any key length");
    m.update(body);
    m
}

/// The header value Meta would send for `body` (`sha256=<hex>`). Used by the simulator and tests.
pub fn sign(app_secret: &Secret, body: &[u8]) -> String {
    let tag = mac(app_secret, body).finalize().into_bytes();
    format!("{PREFIX}{}", hex::encode(tag))
}

/// Checks `header` (the value of `X-Hub-Signature-256`, if any) against `body`, in constant time.
pub fn verify(
    app_secret: &Secret,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let hex_part = header
        .strip_prefix(PREFIX)
        .ok_or(SignatureError::WrongPrefix)?;
    let mut expected = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut expected).map_err(|_| SignatureError::Malformed)?;
    let actual = mac(app_secret, body).finalize().into_bytes();
    if bool::from(actual.as_slice().ct_eq(&expected)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Why a subscription handshake was refused (answer 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("hub.mode is not \"subscribe\"")]
    WrongMode,
    #[error("hub.verify_token does not match ours")]
    WrongToken,
    #[error("hub.challenge is missing")]
    MissingChallenge,
}

/// Meta's `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`: returns the challenge to
/// answer with (status 200, raw body) when the mode and token are right.
pub fn verify_handshake(query: &str, verify_token: &Secret) -> Result<String, HandshakeError> {
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "hub.mode" => mode = Some(v.into_owned()),
            "hub.verify_token" => token = Some(v.into_owned()),
            "hub.challenge" => challenge = Some(v.into_owned()),
            _ => {}
        }
    }
    if mode.as_deref() != Some("subscribe") {
        return Err(HandshakeError::WrongMode);
    }
    let token = token.unwrap_or_default();
    let same_len = token.len() == verify_token.expose().len();
    let same = token.as_bytes().ct_eq(verify_token.expose().as_bytes());
    if !(same_len && bool::from(same)) {
        return Err(HandshakeError::WrongToken);
    }
    challenge.ok_or(HandshakeError::MissingChallenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("app-secret-123")
    }

    const BODY: &[u8] =
        br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]}"#;

    #[test]
    fn valid_signature_passes() {
        let h = sign(&secret(), BODY);
        assert!(h.starts_with("sha256=") && h.len() == 7 + 64);
        verify(&secret(), BODY, Some(&h)).unwrap();
        verify(
            &secret(),
            BODY,
            Some(&h.to_uppercase().replace("SHA256=", "sha256=")),
        )
        .unwrap();
    }

    #[test]
    fn one_changed_byte_fails() {
        let h = sign(&secret(), BODY);
        for i in 0..BODY.len() {
            let mut b = BODY.to_vec();
            b[i] ^= 0x01;
            assert_eq!(
                verify(&secret(), &b, Some(&h)),
                Err(SignatureError::Mismatch),
                "byte {i}"
            );
        }
    }

    #[test]
    fn reserialized_json_fails() {
        let pretty = br#"{
  "object": "whatsapp_business_account",
  "entry": [{"id": "1", "changes": []}]
}"#;
        let value: serde_json::Value = serde_json::from_slice(pretty).unwrap();
        let h = sign(&secret(), pretty);
        let compact = serde_json::to_vec(&value).unwrap();
        assert_eq!(
            verify(&secret(), &compact, Some(&h)),
            Err(SignatureError::Mismatch)
        );
        // Unicode escaping is another re-serialisation that changes the bytes.
        let escaped = br#"{"name":"Jos\u00e9"}"#;
        let h = sign(&secret(), escaped);
        assert_eq!(
            verify(&secret(), "{\"name\":\"José\"}".as_bytes(), Some(&h)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_header_and_wrong_prefix_fail() {
        assert_eq!(verify(&secret(), BODY, None), Err(SignatureError::Missing));
        let h = sign(&secret(), BODY);
        let hex = h.trim_start_matches("sha256=");
        assert_eq!(
            verify(&secret(), BODY, Some(hex)),
            Err(SignatureError::WrongPrefix)
        );
        assert_eq!(
            verify(&secret(), BODY, Some(&format!("sha1={hex}"))),
            Err(SignatureError::WrongPrefix)
        );
        assert_eq!(
            verify(&secret(), BODY, Some("sha256=zz")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(&Secret::new("other"), BODY, Some(&h)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn handshake() {
        let t = Secret::new("mi-token");
        let ok = "hub.mode=subscribe&hub.verify_token=mi-token&hub.challenge=1158201444";
        assert_eq!(verify_handshake(ok, &t).unwrap(), "1158201444");
        assert_eq!(
            verify_handshake(
                "hub.mode=subscribe&hub.verify_token=otro&hub.challenge=1",
                &t
            ),
            Err(HandshakeError::WrongToken)
        );
        assert_eq!(
            verify_handshake(
                "hub.mode=unsubscribe&hub.verify_token=mi-token&hub.challenge=1",
                &t
            ),
            Err(HandshakeError::WrongMode)
        );
        assert_eq!(
            verify_handshake("hub.mode=subscribe&hub.verify_token=mi-token", &t),
            Err(HandshakeError::MissingChallenge)
        );
    }
}
