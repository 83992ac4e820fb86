//! Local overhead per invoice, no network: build and validate the invoice, sign a TRA as CMS,
//! serialize the FECAESolicitar envelope, parse an approved response, build the QR URL.
//! Run with `cargo bench -p mostrador-afip --bench invoice_overhead`. Target: ≤ 5 ms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use mostrador_afip::invoice::*;
use mostrador_afip::qr::{AuthorizationKind, QrData, DEFAULT_QR_URL};
use mostrador_afip::wsaa::{AccessTicket, LoginTicketRequest, Signer};
use mostrador_afip::wsfe::envelope::{fe_cae_solicitar, Auth};
use mostrador_afip::wsfe::response::{parse_body, Body};
use mostrador_afip::wsfe::Authorization;
use mostrador_afip::{Cuit, IvaCondition};
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509Name, X509};

const RESPONSE: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><FEHeaderInfo xmlns="http://ar.gov.afip.dif.FEV1/"><ambiente>HomologacionExterno - efa</ambiente><fecha>2025-07-10T17:21:01.3224799-03:00</fecha><id>4.3.0.0</id></FEHeaderInfo></soap:Header><soap:Body><FECAESolicitarResponse xmlns="http://ar.gov.afip.dif.FEV1/"><FECAESolicitarResult><FeCabResp><Cuit>20267565393</Cuit><PtoVta>3</PtoVta><CbteTipo>1</CbteTipo><FchProceso>20250710172101</FchProceso><CantReg>1</CantReg><Resultado>A</Resultado><Reproceso>N</Reproceso></FeCabResp><FeDetResp><FECAEDetResponse><Concepto>1</Concepto><DocTipo>80</DocTipo><DocNro>30000000007</DocNro><CbteDesde>124</CbteDesde><CbteHasta>124</CbteHasta><CbteFch>20250710</CbteFch><Resultado>A</Resultado><Observaciones><Obs><Code>10217</Code><Msg>El credito fiscal discriminado en el presente comprobante solo podra ser computado a efectos del Regimen de Sostenimiento e Inclusion Fiscal</Msg></Obs></Observaciones><CAE>71263951827464</CAE><CAEFchVto>20250720</CAEFchVto></FECAEDetResponse></FeDetResp></FECAESolicitarResult></FECAESolicitarResponse></soap:Body></soap:Envelope>"#;

fn signer() -> Signer {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("serialNumber", "CUIT 20267565393")
        .unwrap();
    name.append_entry_by_text("CN", "bench").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    Signer::new(b.build(), key).unwrap()
}

fn draft() -> InvoiceDraft {
    InvoiceDraft {
        voucher_type: VoucherType::FACTURA_A,
        point_of_sale: 3,
        date: NaiveDate::from_ymd_opt(2025, 7, 10).unwrap(),
        concept: Concept::Products,
        receiver: Receiver {
            doc: ReceiverDoc::Cuit(Cuit::parse("30-00000000-7").unwrap()),
            condition: IvaCondition::Monotributo,
        },
        amounts: Amounts::compute(
            &[
                (IvaRate::TwentyOne, Money::from_cents(123_456)),
                (IvaRate::TenPointFive, Money::from_cents(9_999)),
                (IvaRate::TwentyOne, Money::from_cents(1_111)),
            ],
            Money::ZERO,
            Money::ZERO,
            vec![],
        )
        .unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
}

fn ticket() -> AccessTicket {
    AccessTicket::restore(
        &serde_json::json!({
            "v": 1, "service": "wsfe", "unique_id": 1, "source": "", "destination": "",
            "generation_time": "2025-07-10T09:00:00-03:00",
            "expiration_time": "2025-07-10T21:00:00-03:00",
            "token": "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiIHN0YW5kYWxvbmU9InllcyI/Pgo=",
            "sign": "Jdnq3wqgQ6wVxGmFq7m8bXk9F1c=",
        })
        .to_string(),
    )
    .unwrap()
}

fn one(signer: &Signer, ticket: &AccessTicket, with_login: bool) {
    let issuer = Cuit::parse("20-26756539-3").unwrap();
    let invoice = draft().validate(&InvoiceSettings::default()).unwrap();
    if with_login {
        let tra = LoginTicketRequest::new("wsfe", Utc::now()).to_xml();
        black_box(signer.sign_tra(&tra).unwrap());
    }
    let auth = Auth {
        ticket,
        cuit: issuer,
    };
    black_box(fe_cae_solicitar(&auth, &invoice, 124));
    let Body::Result(r) = parse_body(RESPONSE, "FECAESolicitar").unwrap() else {
        panic!("fault")
    };
    let a = Authorization::from_result(&r).unwrap();
    let cae: u64 = a.cae.unwrap().as_u64();
    let qr = QrData::for_invoice(issuer, &invoice, a.number, AuthorizationKind::Cae, cae);
    black_box(qr.url(DEFAULT_QR_URL));
}

fn measure(label: &str, n: u32, f: impl Fn()) -> Duration {
    for _ in 0..n / 10 {
        f();
    }
    let mut samples = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / n;
    let p50 = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    println!("{label}: mean {mean:?}, p50 {p50:?}, p99 {p99:?} over {n} runs");
    mean
}

fn main() {
    let signer = signer();
    let ticket = ticket();
    measure(
        "per invoice (validate + serialize FECAESolicitar + parse response + QR URL)",
        5_000,
        || one(&signer, &ticket, false),
    );
    let worst = measure(
        "per invoice incl. a fresh TRA signed as CMS (RSA-2048; normally once per 12 h)",
        500,
        || one(&signer, &ticket, true),
    );
    println!(
        "target ≤ 5 ms per invoice: {}",
        if worst <= Duration::from_millis(5) {
            "met"
        } else {
            "MISSED"
        }
    );
}
