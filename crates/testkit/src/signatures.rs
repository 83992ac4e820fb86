//! The providers' own signature checks, written from their documentation (payments-sms-email.md,
//! whatsapp.md), to prove that what the relay hands back still verifies. The provider crates will
//! have the production versions; these live in test code only.

use base64::Engine as _;
use hmac::{Hmac, Mac};

pub fn meta_signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// `X-Hub-Signature-256` check over the raw body.
pub fn meta_verify(app_secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(app_secret.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// Twilio: base64(HMAC-SHA1(auth_token, url + Σ sorted(name + value))) over the form params.
pub fn twilio_signature(auth_token: &str, url: &str, form_body: &[u8]) -> String {
    let mut params: Vec<(String, String)> = url::form_urlencoded::parse(form_body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    let mut data = url.to_owned();
    for (k, v) in params {
        data.push_str(&k);
        data.push_str(&v);
    }
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub fn twilio_verify(auth_token: &str, url: &str, form_body: &[u8], header: &str) -> bool {
    use subtle_eq::ct_eq;
    ct_eq(
        twilio_signature(auth_token, url, form_body).as_bytes(),
        header.as_bytes(),
    )
}

/// MercadoPago: `x-signature: ts=…,v1=…`, v1 = hex HMAC-SHA256 of
/// `id:{data.id from the query};request-id:{x-request-id};ts:{ts};` (missing parts dropped).
pub fn mercadopago_manifest(data_id: Option<&str>, request_id: Option<&str>, ts: &str) -> String {
    let mut m = String::new();
    if let Some(id) = data_id.filter(|s| !s.is_empty()) {
        m.push_str(&format!("id:{id};"));
    }
    if let Some(r) = request_id.filter(|s| !s.is_empty()) {
        m.push_str(&format!("request-id:{r};"));
    }
    m.push_str(&format!("ts:{ts};"));
    m
}

pub fn mercadopago_v1(secret: &str, manifest: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(manifest.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Verifies an arrived MercadoPago notification from its public URL (query) and headers.
pub fn mercadopago_verify(
    secret: &str,
    public_url: &str,
    x_signature: &str,
    x_request_id: Option<&str>,
) -> bool {
    let url = url::Url::parse(public_url).unwrap();
    let data_id = url
        .query_pairs()
        .find(|(k, _)| k == "data.id")
        .map(|(_, v)| v.into_owned());
    let (mut ts, mut v1) = (None, None);
    for part in x_signature.split(',') {
        if let Some((k, v)) = part.split_once('=') {
            match k.trim() {
                "ts" => ts = Some(v.trim().to_owned()),
                "v1" => v1 = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    let (Some(ts), Some(v1)) = (ts, v1) else {
        return false;
    };
    let manifest = mercadopago_manifest(data_id.as_deref(), x_request_id, &ts);
    subtle_eq::ct_eq(mercadopago_v1(secret, &manifest).as_bytes(), v1.as_bytes())
}

mod subtle_eq {
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[test]
fn documented_test_vectors() {
    // Twilio's official vector.
    let body = b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212";
    assert_eq!(
        twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", body),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
    // MercadoPago vectors (payments-sms-email.md §1.5).
    let m = mercadopago_manifest(
        Some("123456789"),
        Some("bb56a2f1-6aae-46ac-982e-9dcd3581d08e"),
        "1704908010",
    );
    assert_eq!(
        mercadopago_v1("test-secret", &m),
        "836770f85a31cba847158857c687625d7d5bd268779abb39414d6abc6548b0b4"
    );
    let m = mercadopago_manifest(
        None,
        Some("bb56a2f1-6aae-46ac-982e-9dcd3581d08e"),
        "1704908010",
    );
    assert_eq!(
        mercadopago_v1("test-secret", &m),
        "664c032a99e6fa4a3dfc1e87d330b9020a480414772a2389b5601835d9179cd8"
    );
}
