//! Certificate inspection: which CUIT it represents and when it expires.

use chrono::{DateTime, Utc};
use mostrador_types::Cuit;
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::nid::Nid;
use openssl::x509::{X509NameRef, X509};

/// What the UI and the login flow need to know about the WSAA certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject as `CN=…, serialNumber=…` (one line).
    pub subject: String,
    pub issuer: String,
    /// From the subject's `serialNumber=CUIT nnnnnnnnnnn`.
    pub cuit: Option<Cuit>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the certificate: {0}")]
pub struct CertificateError(pub String);

impl CertificateInfo {
    pub fn from_pem(pem: &[u8]) -> Result<Self, CertificateError> {
        let cert = X509::from_pem(pem).map_err(|e| CertificateError(e.to_string()))?;
        Self::from_x509(&cert)
    }

    pub fn from_x509(cert: &X509) -> Result<Self, CertificateError> {
        Ok(CertificateInfo {
            subject: name_line(cert.subject_name()),
            issuer: name_line(cert.issuer_name()),
            cuit: subject_cuit(cert.subject_name()),
            not_before: asn1_to_utc(cert.not_before())?,
            not_after: asn1_to_utc(cert.not_after())?,
        })
    }

    /// Valid at `now` (inside notBefore..notAfter).
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.not_before <= now && now < self.not_after
    }

    /// Expires within `margin` of `now` (warn the user ahead of time).
    pub fn expires_within(&self, now: DateTime<Utc>, margin: chrono::Duration) -> bool {
        self.not_after - now <= margin
    }
}

/// The CUIT in a subject's `serialNumber` ("CUIT 20123456786").
pub fn subject_cuit(name: &X509NameRef) -> Option<Cuit> {
    name.entries_by_nid(Nid::SERIALNUMBER).find_map(|e| {
        let s = e.data().to_string().ok()?;
        let digits = s
            .trim()
            .strip_prefix("CUIT")
            .unwrap_or(&s)
            .trim()
            .to_owned();
        Cuit::parse(&digits).ok()
    })
}

fn name_line(name: &X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An ASN.1 time as UTC.
pub fn asn1_to_utc(t: &Asn1TimeRef) -> Result<DateTime<Utc>, CertificateError> {
    let epoch = Asn1Time::from_unix(0).map_err(|e| CertificateError(e.to_string()))?;
    let diff = epoch.diff(t).map_err(|e| CertificateError(e.to_string()))?;
    DateTime::from_timestamp(diff.days as i64 * 86_400 + diff.secs as i64, 0)
        .ok_or_else(|| CertificateError("time out of range".into()))
}
