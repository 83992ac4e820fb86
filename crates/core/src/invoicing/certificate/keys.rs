//! The cryptography of the set-up, synchronous and pure: the RSA key and CSR with AFIP's subject,
//! reading certificates (PEM or DER), keys and PKCS#12 files, and the checks an imported
//! certificate must pass before anything is stored.

use chrono::{DateTime, Utc};
use mostrador_afip::wsaa::CertificateInfo;
use mostrador_types::{Cuit, Secret};
use openssl::hash::MessageDigest;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509Name, X509Req, X509};

use super::error::CertError;

/// AFIP asks for RSA 2048 (reference §1.2).
const KEY_BITS: u32 = 2048;
const MAX_ALIAS: usize = 50;

/// A new key and its certificate signing request.
pub struct GeneratedRequest {
    /// PKCS#8 PEM: goes to the keychain only.
    pub key_pem: Secret,
    pub csr_pem: String,
}

/// The alias ("nombre simbólico" in AFIP's forms): letters, digits, `-` and `_`.
pub fn validate_alias(alias: &str) -> Result<&str, CertError> {
    let alias = alias.trim();
    let ok = !alias.is_empty()
        && alias.len() <= MAX_ALIAS
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(alias)
    } else {
        Err(CertError::InvalidAlias { max: MAX_ALIAS })
    }
}

/// RSA 2048 key + CSR with subject `C=AR, O=<razón social>, CN=<alias>, serialNumber=CUIT n`.
/// CPU-heavy (key generation): call it off the async runtime.
pub fn generate(legal_name: &str, alias: &str, cuit: Cuit) -> Result<GeneratedRequest, CertError> {
    let alias = validate_alias(alias)?;
    let crypto = |e: openssl::error::ErrorStack| CertError::Crypto(e.to_string());
    let key = PKey::from_rsa(Rsa::generate(KEY_BITS).map_err(crypto)?).map_err(crypto)?;
    let mut name = X509Name::builder().map_err(crypto)?;
    name.append_entry_by_text("C", "AR").map_err(crypto)?;
    name.append_entry_by_text("O", legal_name.trim())
        .map_err(crypto)?;
    name.append_entry_by_text("CN", alias).map_err(crypto)?;
    name.append_entry_by_text("serialNumber", &format!("CUIT {}", cuit.digits()))
        .map_err(crypto)?;
    let name = name.build();
    let mut req = X509Req::builder().map_err(crypto)?;
    req.set_version(0).map_err(crypto)?;
    req.set_subject_name(&name).map_err(crypto)?;
    req.set_pubkey(&key).map_err(crypto)?;
    req.sign(&key, MessageDigest::sha256()).map_err(crypto)?;
    let csr_pem = String::from_utf8(req.build().to_pem().map_err(crypto)?)
        .map_err(|e| CertError::Crypto(e.to_string()))?;
    let key_pem = String::from_utf8(key.private_key_to_pem_pkcs8().map_err(crypto)?)
        .map_err(|e| CertError::Crypto(e.to_string()))?;
    Ok(GeneratedRequest {
        key_pem: Secret::new(key_pem),
        csr_pem,
    })
}

/// A certificate file as AFIP hands it out: PEM (`.crt`/`.pem`) or DER.
pub fn parse_certificate(bytes: &[u8]) -> Result<X509, CertError> {
    X509::from_pem(bytes)
        .or_else(|_| X509::from_der(bytes))
        .map_err(|_| CertError::NotACertificate)
}

/// A PEM private key (PKCS#8 or PKCS#1). The error never quotes the key.
pub fn parse_key(pem: &Secret) -> Result<PKey<Private>, CertError> {
    PKey::private_key_from_pem(pem.expose().as_bytes()).map_err(|_| CertError::NotAKey)
}

/// The key as stored in the keychain (PKCS#8 PEM).
pub fn key_to_pem(key: &PKey<Private>) -> Result<Secret, CertError> {
    let pem = key
        .private_key_to_pem_pkcs8()
        .map_err(|e| CertError::Crypto(e.to_string()))?;
    String::from_utf8(pem)
        .map(Secret::new)
        .map_err(|e| CertError::Crypto(e.to_string()))
}

/// A `.p12`/`.pfx` with its password: the certificate and the key.
pub fn parse_p12(bytes: &[u8], password: &Secret) -> Result<(X509, PKey<Private>), CertError> {
    let p12 = Pkcs12::from_der(bytes).map_err(|_| CertError::NotAP12)?;
    // A wrong password fails the MAC check; OpenSSL gives no finer reason worth showing.
    let parsed = p12
        .parse2(password.expose())
        .map_err(|_| CertError::WrongP12Password)?;
    match (parsed.cert, parsed.pkey) {
        (Some(cert), Some(key)) => Ok((cert, key)),
        _ => Err(CertError::P12Incomplete),
    }
}

/// Whether `cert` carries `key`'s public half.
pub fn matches(cert: &X509, key: &PKey<Private>) -> bool {
    cert.public_key()
        .map(|pk| pk.public_eq(key))
        .unwrap_or(false)
}

/// The checks before storing: the certificate is for `key`, represents `cuit`, and is valid at
/// `now`.
pub fn check(
    cert: &X509,
    key: &PKey<Private>,
    cuit: Cuit,
    now: DateTime<Utc>,
) -> Result<CertificateInfo, CertError> {
    if !matches(cert, key) {
        return Err(CertError::KeyMismatch);
    }
    let info = CertificateInfo::from_x509(cert).map_err(|e| CertError::Crypto(e.to_string()))?;
    match info.cuit {
        Some(c) if c == cuit => {}
        found => {
            return Err(CertError::CuitMismatch {
                certificate: found,
                organization: cuit,
            })
        }
    }
    if now >= info.not_after {
        return Err(CertError::Expired {
            not_after: info.not_after,
        });
    }
    if now < info.not_before {
        return Err(CertError::NotYetValid {
            not_before: info.not_before,
        });
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuit() -> Cuit {
        Cuit::parse("20-12345678-6").unwrap()
    }

    #[test]
    fn the_csr_has_afips_subject_and_the_keys_public_half() {
        let g = generate("Almacén Ñandú S.A.", "mostrador-caja1", cuit()).unwrap();
        let req = X509Req::from_pem(g.csr_pem.as_bytes()).unwrap();
        let key = parse_key(&g.key_pem).unwrap();
        assert_eq!(key.bits(), 2048);
        assert!(req.public_key().unwrap().public_eq(&key));
        assert!(req.verify(&req.public_key().unwrap()).unwrap());
        let subject: Vec<(String, String)> = req
            .subject_name()
            .entries()
            .map(|e| {
                (
                    e.object().nid().short_name().unwrap().to_owned(),
                    e.data().to_string().unwrap(),
                )
            })
            .collect();
        let expected = [
            ("C", "AR"),
            ("O", "Almacén Ñandú S.A."),
            ("CN", "mostrador-caja1"),
            ("serialNumber", "CUIT 20123456786"),
        ];
        assert_eq!(
            subject,
            expected
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn aliases_are_letters_digits_dash_underscore() {
        assert!(validate_alias("caja-1_A").is_ok());
        for bad in ["", "   ", "con espacio", "ñandú", &"x".repeat(51)] {
            assert!(validate_alias(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn garbage_is_neither_certificate_nor_key_nor_p12() {
        assert!(matches!(
            parse_certificate(b"hola"),
            Err(CertError::NotACertificate)
        ));
        assert!(matches!(
            parse_key(&Secret::new(String::from("hola"))),
            Err(CertError::NotAKey)
        ));
        assert!(matches!(
            parse_p12(b"hola", &Secret::new(String::from("x"))),
            Err(CertError::NotAP12)
        ));
    }
}
