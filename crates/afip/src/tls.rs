//! TLS on OpenSSL, with a per-host override for AFIP.
//!
//! Why: AFIP's production hosts (`servicios1.afip.gov.ar`, `aws.afip.gov.ar`, …) negotiate
//! finite-field DHE with a 1024-bit group. OpenSSL at security level 2 (Debian's default) refuses
//! that with "dh key too small", and rustls does not do DHE at all (reference §12, pitfall 1). The
//! fix seen in every long-lived client is `DEFAULT@SECLEVEL=1` for those hosts. We apply it **only**
//! to AFIP's domains; every other host keeps the strict default (level 2), so a weak server
//! elsewhere still fails loudly.

use openssl::error::ErrorStack;
use openssl::ssl::{SslConnector, SslMethod};
use openssl::x509::X509;

/// Domains whose hosts get the relaxed cipher list / security level.
pub const AFIP_DOMAINS: &[&str] = &["afip.gov.ar", "afip.gob.ar", "arca.gob.ar"];

/// Cipher list for AFIP's hosts: OpenSSL's default suite at security level 1 (accepts 1024-bit DH).
pub const AFIP_CIPHER_LIST: &str = "DEFAULT@SECLEVEL=1";

/// Which hosts are AFIP's and which extra roots to trust.
#[derive(Clone, Default)]
pub struct TlsSettings {
    extra_roots: Vec<X509>,
    relaxed_domains: Vec<String>,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("extra_roots", &self.extra_roots.len())
            .field("relaxed_domains", &self.relaxed_domains)
            .finish()
    }
}

impl TlsSettings {
    /// Strict everywhere except AFIP's domains.
    pub fn afip() -> Self {
        TlsSettings {
            extra_roots: Vec::new(),
            relaxed_domains: AFIP_DOMAINS.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// Strict everywhere (no override at all).
    pub fn strict() -> Self {
        TlsSettings::default()
    }

    /// Also trust this root (tests, or a corporate proxy's CA).
    pub fn with_root(mut self, root: X509) -> Self {
        self.extra_roots.push(root);
        self
    }

    /// Whether `host` is one of the relaxed domains or a subdomain of one.
    pub fn is_relaxed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.relaxed_domains
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
    }

    /// The connector for one host: certificate and hostname verification always on; security
    /// level 1 for AFIP's hosts, 2 for everyone else.
    pub fn connector_for(&self, host: &str) -> Result<SslConnector, ErrorStack> {
        let mut b = SslConnector::builder(SslMethod::tls_client())?;
        for root in &self.extra_roots {
            b.cert_store_mut().add_cert(root.clone())?;
        }
        if self.is_relaxed(host) {
            b.set_cipher_list(AFIP_CIPHER_LIST)?;
            b.set_security_level(1);
        } else {
            b.set_cipher_list("DEFAULT@SECLEVEL=2")?;
            b.set_security_level(2);
        }
        Ok(b.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_afip_domains_are_relaxed() {
        let s = TlsSettings::afip();
        assert!(s.is_relaxed("servicios1.afip.gov.ar"));
        assert!(s.is_relaxed("WSAA.AFIP.GOV.AR."));
        assert!(s.is_relaxed("aws.arca.gob.ar"));
        assert!(!s.is_relaxed("afip.gov.ar.evil.com"));
        assert!(!s.is_relaxed("notafip.gov.ar"));
        assert!(!s.is_relaxed("graph.facebook.com"));
        assert!(!TlsSettings::strict().is_relaxed("wsaa.afip.gov.ar"));
    }
}
