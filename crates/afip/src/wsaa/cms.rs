//! Signing the TRA: CMS/PKCS#7 SignedData, content attached, signer certificate included, SHA-256,
//! DER, base64 — what `openssl smime -sign -nodetach -outform DER` produces.

use base64::Engine;
use mostrador_types::Secret;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::X509;

/// The certificate and private key of the computer ("CEE") that logs in.
pub struct Signer {
    cert: X509,
    key: PKey<Private>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("subject", &format!("{:?}", self.cert.subject_name()))
            .field("key", &"***")
            .finish()
    }
}

/// The certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("the certificate is not valid PEM: {0}")]
    Certificate(String),
    #[error("the private key is not a valid PEM key (the key itself is not shown)")]
    Key,
    #[error("the private key does not belong to the certificate; pair the key you generated the CSR with")]
    KeyMismatch,
    #[error("signing the login request failed: {0}")]
    Sign(String),
}

impl Signer {
    /// From PEM texts. The key stays in a [`Secret`] until parsed and is never printed.
    pub fn from_pem(cert_pem: &[u8], key_pem: &Secret) -> Result<Self, SignerError> {
        let cert = X509::from_pem(cert_pem).map_err(|e| SignerError::Certificate(e.to_string()))?;
        let key = PKey::private_key_from_pem(key_pem.expose().as_bytes())
            .map_err(|_| SignerError::Key)?;
        Self::new(cert, key)
    }

    pub fn new(cert: X509, key: PKey<Private>) -> Result<Self, SignerError> {
        let matches = cert
            .public_key()
            .map(|pk| pk.public_eq(&key))
            .unwrap_or(false);
        if !matches {
            return Err(SignerError::KeyMismatch);
        }
        Ok(Signer { cert, key })
    }

    pub fn certificate(&self) -> &X509 {
        &self.cert
    }

    /// DER of the attached SignedData over `content`.
    pub fn sign_der(&self, content: &[u8]) -> Result<Vec<u8>, SignerError> {
        let certs = Stack::new().map_err(|e| SignerError::Sign(e.to_string()))?;
        // No DETACHED: the TRA travels inside the CMS. BINARY: sign the bytes as they are.
        let p7 = Pkcs7::sign(&self.cert, &self.key, &certs, content, Pkcs7Flags::BINARY)
            .map_err(|e| SignerError::Sign(e.to_string()))?;
        p7.to_der().map_err(|e| SignerError::Sign(e.to_string()))
    }

    /// The `in0` of `loginCms`: base64 of the DER CMS.
    pub fn sign_tra(&self, tra_xml: &str) -> Result<String, SignerError> {
        Ok(base64::engine::general_purpose::STANDARD.encode(self.sign_der(tra_xml.as_bytes())?))
    }
}
