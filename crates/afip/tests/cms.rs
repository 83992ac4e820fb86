//! The signed TRA has the structure WSAA expects (reference §1.2): SignedData, SHA-256,
//! rsaEncryption, attached id-data eContent holding the TRA, signer certificate included, signed
//! attributes contentType / signingTime / messageDigest. Checked with `openssl cms -print`.

use chrono::Utc;
use mostrador_afip::wsaa::{CertificateInfo, LoginTicketRequest, Signer, SignerError};
use mostrador_afip::{Cuit, Secret};
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Name, X509};

fn self_signed() -> (X509, PKey<Private>) {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("serialNumber", "CUIT 20267565393")
        .unwrap();
    name.append_entry_by_text("CN", "caja1").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(730).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (b.build(), key)
}

#[test]
fn signed_tra_structure() {
    let (cert, key) = self_signed();
    let key_pem = Secret::new(String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap());
    let signer = Signer::from_pem(&cert.to_pem().unwrap(), &key_pem).unwrap();
    assert!(!format!("{signer:?}").contains("PRIVATE"));
    let tra = LoginTicketRequest::new("wsfe", Utc::now()).to_xml();
    let der = signer.sign_der(tra.as_bytes()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tra.cms");
    std::fs::write(&path, &der).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["cms", "-inform", "DER", "-cmsout", "-print", "-in"])
        .arg(&path)
        .output()
        .expect("the openssl CLI is installed");
    assert!(out.status.success());
    let print = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "contentType: pkcs7-signedData",
        "algorithm: sha256",
        "eContentType: pkcs7-data",
        "contentType",
        "signingTime",
        "messageDigest",
        "rsaEncryption",
        "certificates:",
    ] {
        assert!(print.contains(needle), "missing {needle}:\n{print}");
    }
    assert!(!print.contains("eContent: <ABSENT>"), "detached:\n{print}");

    // The TRA is inside (attached), byte for byte.
    let compact: Vec<u8> = der.clone();
    assert!(compact.windows(tra.len()).any(|w| w == tra.as_bytes()));

    // in0 is standard base64 of that DER.
    use base64::Engine;
    let b64 = signer.sign_tra(&tra).unwrap();
    assert!(base64::engine::general_purpose::STANDARD
        .decode(b64)
        .is_ok());
}

#[test]
fn key_must_match_the_certificate_and_is_never_printed() {
    let (cert, _) = self_signed();
    let (_, other_key) = self_signed();
    let pem =
        Secret::new(String::from_utf8(other_key.private_key_to_pem_pkcs8().unwrap()).unwrap());
    let err = Signer::from_pem(&cert.to_pem().unwrap(), &pem).unwrap_err();
    assert!(matches!(err, SignerError::KeyMismatch));
    let err = Signer::from_pem(&cert.to_pem().unwrap(), &Secret::new("garbage")).unwrap_err();
    assert!(matches!(err, SignerError::Key));
    assert!(!err.to_string().contains("garbage"));
}

#[test]
fn certificate_inspection() {
    let (cert, _) = self_signed();
    let info = CertificateInfo::from_pem(&cert.to_pem().unwrap()).unwrap();
    assert_eq!(info.cuit, Some(Cuit::parse("20267565393").unwrap()));
    assert!(info.subject.contains("CN=caja1"), "{}", info.subject);
    let now = Utc::now();
    assert!(info.is_valid_at(now));
    assert!(!info.expires_within(now, chrono::Duration::days(30)));
    assert!(info.expires_within(now, chrono::Duration::days(731)));
}
