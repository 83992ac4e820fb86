//! A test certification authority playing AFIP's "Computadores" CA: it signs the CSR a client
//! generated, issuing `SERIALNUMBER=CUIT n, CN=alias` (AFIP keeps only those and the public key;
//! reference §1.2). Trust it with [`super::AfipSim::trust_ca`]; tests of the certificate set-up
//! use it to answer the app's real CSR.

use chrono::{DateTime, Utc};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509Name, X509Req, X509};

/// A self-signed CA and its key (generated at run time: nothing secret is committed).
pub struct TestCa {
    cert: X509,
    key: PKey<Private>,
}

fn serial() -> Result<openssl::asn1::Asn1Integer, String> {
    let mut bn = BigNum::new().map_err(|e| e.to_string())?;
    bn.rand(64, MsbOption::MAYBE_ZERO, false)
        .map_err(|e| e.to_string())?;
    bn.to_asn1_integer().map_err(|e| e.to_string())
}

fn time(t: DateTime<Utc>) -> Result<Asn1Time, String> {
    Asn1Time::from_unix(t.timestamp()).map_err(|e| e.to_string())
}

impl TestCa {
    /// `C=AR, O=AFIP, CN={cn}`, valid ten years from now.
    pub fn generate(cn: &str) -> Result<TestCa, String> {
        let e = |e: openssl::error::ErrorStack| e.to_string();
        let key = PKey::from_rsa(Rsa::generate(2048).map_err(e)?).map_err(e)?;
        let mut name = X509Name::builder().map_err(e)?;
        name.append_entry_by_text("C", "AR").map_err(e)?;
        name.append_entry_by_text("O", "AFIP").map_err(e)?;
        name.append_entry_by_text("CN", cn).map_err(e)?;
        let name = name.build();
        let mut b = X509::builder().map_err(e)?;
        b.set_version(2).map_err(e)?;
        let serial = serial()?;
        let from = Asn1Time::days_from_now(0).map_err(e)?;
        let to = Asn1Time::days_from_now(3650).map_err(e)?;
        b.set_serial_number(&serial).map_err(e)?;
        b.set_subject_name(&name).map_err(e)?;
        b.set_issuer_name(&name).map_err(e)?;
        b.set_pubkey(&key).map_err(e)?;
        b.set_not_before(&from).map_err(e)?;
        b.set_not_after(&to).map_err(e)?;
        b.append_extension(BasicConstraints::new().critical().ca().build().map_err(e)?)
            .map_err(e)?;
        b.append_extension(
            KeyUsage::new()
                .key_cert_sign()
                .crl_sign()
                .build()
                .map_err(e)?,
        )
        .map_err(e)?;
        b.sign(&key, MessageDigest::sha256()).map_err(e)?;
        Ok(TestCa {
            cert: b.build(),
            key,
        })
    }

    pub fn certificate(&self) -> &X509 {
        &self.cert
    }

    /// Issues a certificate for the CSR (PEM), valid `from..to`. Like AFIP, the subject keeps
    /// only the CSR's `serialNumber` and `CN`; the CSR's own signature must verify.
    pub fn sign_csr(
        &self,
        csr_pem: &[u8],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<X509, String> {
        let e = |e: openssl::error::ErrorStack| e.to_string();
        let req = X509Req::from_pem(csr_pem).map_err(e)?;
        let public = req.public_key().map_err(e)?;
        if !req.verify(&public).map_err(e)? {
            return Err("the CSR's signature does not verify".into());
        }
        let mut name = X509Name::builder().map_err(e)?;
        for nid in [Nid::SERIALNUMBER, Nid::COMMONNAME] {
            for entry in req.subject_name().entries_by_nid(nid) {
                let value = entry.data().to_string().map_err(e)?;
                name.append_entry_by_nid(nid, &value).map_err(e)?;
            }
        }
        let name = name.build();
        let mut b = X509::builder().map_err(e)?;
        b.set_version(2).map_err(e)?;
        let serial = serial()?;
        let (from, to) = (time(from)?, time(to)?);
        b.set_serial_number(&serial).map_err(e)?;
        b.set_subject_name(&name).map_err(e)?;
        b.set_issuer_name(self.cert.subject_name()).map_err(e)?;
        b.set_pubkey(&public).map_err(e)?;
        b.set_not_before(&from).map_err(e)?;
        b.set_not_after(&to).map_err(e)?;
        b.sign(&self.key, MessageDigest::sha256()).map_err(e)?;
        Ok(b.build())
    }
}
