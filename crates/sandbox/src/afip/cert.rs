//! Reading the signer's certificate the way WSAA needs it: the CUIT in the subject's
//! `serialNumber` ("CUIT 20267565393") and the validity dates. The simulator's own code.

use chrono::{DateTime, Utc};
use mostrador_types::Cuit;
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::nid::Nid;
use openssl::x509::X509Ref;

/// The CUIT a computer certificate represents: `serialNumber=CUIT nnnnnnnnnnn` with a valid
/// check digit. Anything else (no serialNumber, another prefix, a bad CUIT) is `None`.
pub fn represented_cuit(cert: &X509Ref) -> Option<Cuit> {
    cert.subject_name()
        .entries_by_nid(Nid::SERIALNUMBER)
        .find_map(|entry| {
            let value = entry.data().to_string().ok()?;
            let digits = value.trim().strip_prefix("CUIT ")?.trim();
            if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Cuit::parse(digits).ok()
        })
}

/// `notBefore` / `notAfter` as UTC.
pub fn validity(cert: &X509Ref) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    Some((utc(cert.not_before())?, utc(cert.not_after())?))
}

fn utc(t: &Asn1TimeRef) -> Option<DateTime<Utc>> {
    let epoch = Asn1Time::from_unix(0).ok()?;
    let d = epoch.diff(t).ok()?;
    DateTime::from_timestamp(i64::from(d.days) * 86_400 + i64::from(d.secs), 0)
}

/// The subject as WSAA writes the ticket's `destination`: `SERIALNUMBER=CUIT …, CN=alias`.
pub fn subject_dn(cert: &X509Ref) -> String {
    cert.subject_name()
        .entries()
        .map(|e| {
            let key = match e.object().nid() {
                Nid::SERIALNUMBER => "SERIALNUMBER".to_owned(),
                nid => nid.short_name().unwrap_or("?").to_owned(),
            };
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
