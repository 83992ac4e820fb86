//! Shared fixtures of the AFIP simulator tests: a test PKI generated at run time (nothing secret is
//! committed), a running sandbox, and clients pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use chrono::NaiveDate;
use mostrador_afip::invoice::*;
use mostrador_afip::transport::HttpClient;
use mostrador_afip::wsaa::{AccessTicket, Signer, WsaaClient};
use mostrador_afip::wsfe::{Auth, WsfeClient};
use mostrador_afip::{Cuit, Endpoints, IvaCondition, Secret};
use mostrador_sandbox::afip::AfipSim;
use mostrador_sandbox::Sandbox;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509Name, X509};

pub const ISSUER: &str = "20-26756539-3";

pub fn issuer() -> Cuit {
    Cuit::parse(ISSUER).unwrap()
}

pub fn key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn serial() -> openssl::asn1::Asn1Integer {
    let mut bn = BigNum::new().unwrap();
    bn.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    bn.to_asn1_integer().unwrap()
}

/// A self-signed CA.
pub fn ca(cn: &str) -> (X509, PKey<Private>) {
    let key = key();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("C", "AR").unwrap();
    name.append_entry_by_text("O", "AFIP").unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(3650).unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(KeyUsage::new().key_cert_sign().crl_sign().build().unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (b.build(), key)
}

/// A computer certificate `SERIALNUMBER=CUIT …, CN=alias` issued by `ca`, valid from
/// `from_days` to `to_days` relative to now.
pub fn leaf(
    ca: &(X509, PKey<Private>),
    cuit: &str,
    from_days: i64,
    to_days: i64,
) -> (X509, PKey<Private>) {
    let key = key();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text(
        "serialNumber",
        &format!("CUIT {}", Cuit::parse(cuit).unwrap().digits()),
    )
    .unwrap();
    name.append_entry_by_text("CN", "mostrador-test").unwrap();
    let name = name.build();
    let now = chrono::Utc::now().timestamp();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.0.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(now + from_days * 86_400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + to_days * 86_400).unwrap())
        .unwrap();
    b.sign(&ca.1, MessageDigest::sha256()).unwrap();
    (b.build(), key)
}

pub fn signer_of(pair: &(X509, PKey<Private>)) -> Signer {
    let cert_pem = pair.0.to_pem().unwrap();
    let key_pem =
        Secret::new(String::from_utf8(pair.1.private_key_to_pem_pkcs8().unwrap()).unwrap());
    Signer::from_pem(&cert_pem, &key_pem).unwrap()
}

/// A running sandbox whose WSAA trusts `ca`, and clients pointed at it.
pub struct Env {
    pub sandbox: Sandbox,
    pub ca: (X509, PKey<Private>),
    pub signer: Signer,
    pub wsaa: WsaaClient,
    pub wsfe: WsfeClient,
}

impl Env {
    pub async fn start() -> Env {
        let sim = AfipSim::default();
        let ca = ca("Computadores Test");
        sim.trust_ca(ca.0.clone());
        let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), Default::default(), sim)
            .await
            .unwrap();
        let endpoints = Endpoints::under(&sandbox.afip_url()).unwrap();
        let http = HttpClient::default();
        let signer = signer_of(&leaf(&ca, ISSUER, -1, 730));
        Env {
            wsaa: WsaaClient::new(http.clone(), endpoints.wsaa.clone())
                .with_timeout(Duration::from_secs(10)),
            wsfe: WsfeClient::new(http, endpoints.wsfe).with_timeout(Duration::from_secs(10)),
            sandbox,
            ca,
            signer,
        }
    }

    pub fn sim(&self) -> &AfipSim {
        &self.sandbox.afip
    }

    pub async fn login(&self) -> AccessTicket {
        self.wsaa
            .login(&self.signer, "wsfe", self.sim().now())
            .await
            .unwrap()
            .ticket
    }
}

pub fn auth(ticket: &AccessTicket) -> Auth<'_> {
    Auth {
        ticket,
        cuit: issuer(),
    }
}

/// A Factura B to a final consumer: 100.00 + 21 % on the simulator's current date.
pub fn factura_b(date: NaiveDate) -> Invoice {
    InvoiceDraft {
        voucher_type: VoucherType::FACTURA_B,
        point_of_sale: 3,
        date,
        concept: Concept::Products,
        receiver: Receiver::consumidor_final(),
        amounts: Amounts::compute(
            &[(IvaRate::TwentyOne, Money::units(100))],
            Money::ZERO,
            Money::ZERO,
            vec![],
        )
        .unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
    .validate(&InvoiceSettings::default())
    .unwrap()
}

/// A Factura C of 150.00 to a final consumer.
pub fn factura_c(date: NaiveDate) -> Invoice {
    InvoiceDraft {
        voucher_type: VoucherType::FACTURA_C,
        point_of_sale: 5,
        date,
        concept: Concept::Products,
        receiver: Receiver {
            doc: ReceiverDoc::Anonymous,
            condition: IvaCondition::ConsumidorFinal,
        },
        amounts: Amounts::class_c(Money::units(150), vec![]).unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
    .validate(&InvoiceSettings::default())
    .unwrap()
}

/// Today in Argentina by the simulator's clock.
pub fn sim_today(sim: &AfipSim) -> NaiveDate {
    sim.now()
        .with_timezone(&mostrador_afip::argentina_offset())
        .date_naive()
}
