//! Golden shape tests: every request we build is compared byte for byte with a reviewed file in
//! `tests/golden/`. Regenerate after an intended change with `UPDATE_GOLDEN=1 cargo test -p
//! mostrador-afip --test golden` and review the diff.

mod sandbox_support;

use chrono::{NaiveDate, TimeZone, Utc};
use mostrador_afip::invoice::*;
use mostrador_afip::wsaa::envelope::{login_cms_request, parse_login_response, LoginResponse};
use mostrador_afip::wsaa::{AccessTicket, LoginTicketRequest};
use mostrador_afip::wsfe::envelope as env;
use mostrador_afip::wsfe::{Auth, Authorization, Outcome};
use mostrador_afip::{xml, Cuit, IvaCondition};

fn golden(name: &str, actual: &str) {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run with UPDATE_GOLDEN=1 to create it)"));
    assert_eq!(actual, expected, "{name} changed shape");
    // Every golden request is well-formed and, for WSFE, fully in the FEV1 namespace.
    let root = xml::parse(actual).unwrap();
    if let Some(op) = root.find("Body").and_then(|b| b.children.first()) {
        if op.ns.as_deref() == Some(env::FEV1_NS) {
            assert_all_in_fev1(op);
        }
    }
}

fn assert_all_in_fev1(e: &xml::Element) {
    assert_eq!(
        e.ns.as_deref(),
        Some(env::FEV1_NS),
        "{} is unqualified",
        e.name
    );
    e.children.iter().for_each(assert_all_in_fev1);
}

fn ticket() -> AccessTicket {
    AccessTicket::restore(
        &serde_json::json!({
            "v": 1,
            "service": "wsfe",
            "unique_id": 1,
            "source": "",
            "destination": "",
            "generation_time": "2025-07-10T09:00:00-03:00",
            "expiration_time": "2025-07-10T21:00:00-03:00",
            "token": "VE9LRU4=",
            "sign": "U0lHTg==",
        })
        .to_string(),
    )
    .unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 10).unwrap()
}

fn issuer() -> Cuit {
    Cuit::parse("20-26756539-3").unwrap()
}

fn factura_b() -> Invoice {
    sandbox_support::factura_b(day())
}

fn factura_c() -> Invoice {
    InvoiceDraft {
        voucher_type: VoucherType::FACTURA_C,
        point_of_sale: 5,
        date: day(),
        concept: Concept::Products,
        receiver: Receiver {
            doc: ReceiverDoc::Dni(30_123_456),
            condition: IvaCondition::ConsumidorFinal,
        },
        amounts: Amounts::class_c(Money::from_cents(15_050), vec![]).unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
    .validate(&InvoiceSettings::default())
    .unwrap()
}

fn nota_credito_a_services_dollars() -> Invoice {
    InvoiceDraft {
        voucher_type: VoucherType::new(VoucherClass::A, VoucherKind::NotaCredito),
        point_of_sale: 3,
        date: day(),
        concept: Concept::ProductsAndServices(ServicePeriod {
            from: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
            payment_due: NaiveDate::from_ymd_opt(2025, 7, 20).unwrap(),
        }),
        receiver: Receiver {
            doc: ReceiverDoc::Cuit(Cuit::parse("30-00000000-7").unwrap()),
            condition: IvaCondition::ResponsableInscripto,
        },
        amounts: Amounts::compute(
            &[
                (IvaRate::TwentyOne, Money::from_cents(100_000)),
                (IvaRate::TenPointFive, Money::from_cents(20_000)),
            ],
            Money::from_cents(500),
            Money::from_cents(700),
            vec![Tribute {
                id: 99,
                description: "Tasa & contribución".into(),
                base: Money::from_cents(120_000),
                rate: BasisPoints(150),
                amount: Money::from_cents(1_800),
            }],
        )
        .unwrap(),
        currency: Currency {
            paid_in_same_currency: Some(false),
            ..Currency::foreign("DOL", Rate::parse("1234.5").unwrap())
        },
        associated: vec![AssociatedVoucher {
            voucher_type: 1,
            point_of_sale: 3,
            number: 41,
            cuit: Some(issuer()),
            date: Some(NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()),
        }],
    }
    .validate(&InvoiceSettings::default())
    .unwrap()
}

#[test]
fn tra_and_login_cms() {
    let now = Utc.with_ymd_and_hms(2025, 7, 10, 12, 0, 0).unwrap();
    let tra = LoginTicketRequest::new("wsfe", now);
    golden("tra.xml", &tra.to_xml());
    golden("loginCms.xml", &login_cms_request("MIIBASE64=="));
}

#[test]
fn wsfe_requests() {
    let t = ticket();
    let auth = Auth {
        ticket: &t,
        cuit: issuer(),
    };
    golden("FEDummy.xml", &env::fe_dummy());
    golden(
        "FECompUltimoAutorizado.xml",
        &env::fe_comp_ultimo_autorizado(&auth, 3, 6),
    );
    golden(
        "FECAESolicitar_factura_b.xml",
        &env::fe_cae_solicitar(&auth, &factura_b(), 124),
    );
    golden(
        "FECAESolicitar_factura_c.xml",
        &env::fe_cae_solicitar(&auth, &factura_c(), 7),
    );
    golden(
        "FECAESolicitar_nota_credito_a.xml",
        &env::fe_cae_solicitar(&auth, &nota_credito_a_services_dollars(), 42),
    );
    golden(
        "FECompConsultar.xml",
        &env::fe_comp_consultar(&auth, 6, 3, 124),
    );
    for op in [
        "FECompTotXRequest",
        "FEParamGetTiposCbte",
        "FEParamGetTiposDoc",
        "FEParamGetTiposIva",
        "FEParamGetTiposMonedas",
        "FEParamGetPtosVenta",
    ] {
        golden(&format!("{op}.xml"), &env::auth_only(op, &auth));
    }
    golden(
        "FEParamGetCondicionIvaReceptor.xml",
        &env::fe_param_get_condicion_iva_receptor(&auth, Some("C")),
    );
}

#[test]
fn class_c_sends_no_iva_and_no_tributes() {
    let t = ticket();
    let auth = Auth {
        ticket: &t,
        cuit: issuer(),
    };
    let xml = env::fe_cae_solicitar(&auth, &factura_c(), 7);
    assert!(!xml.contains("<Iva>") && !xml.contains("<Tributos>"));
    assert!(xml.contains("<ImpIVA>0.00</ImpIVA>"));
}

/// The recorded shapes from AFIP homologation (reference §1.3, §2.2) parse as expected.
#[test]
fn recorded_responses_parse() {
    let login = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><loginCmsResponse xmlns="https://wsaahomo.afip.gov.ar/ws/services/LoginCms"><loginCmsReturn>&lt;?xml version="1.0" encoding="UTF-8" standalone="yes"?&gt;
&lt;loginTicketResponse version="1.0"&gt;&lt;header&gt;&lt;source&gt;CN=wsaahomo, O=AFIP, C=AR, SERIALNUMBER=CUIT 33693450239&lt;/source&gt;&lt;destination&gt;SERIALNUMBER=CUIT 20267565393, CN=reingart2021&lt;/destination&gt;&lt;uniqueId&gt;2378329039&lt;/uniqueId&gt;&lt;generationTime&gt;2021-07-26T09:22:00.396-03:00&lt;/generationTime&gt;&lt;expirationTime&gt;2021-07-26T21:22:00.396-03:00&lt;/expirationTime&gt;&lt;/header&gt;&lt;credentials&gt;&lt;token&gt;PD94&lt;/token&gt;&lt;sign&gt;Jdnq=&lt;/sign&gt;&lt;/credentials&gt;&lt;/loginTicketResponse&gt;
</loginCmsReturn></loginCmsResponse></soapenv:Body></soapenv:Envelope>"#;
    let LoginResponse::Ticket(doc) = parse_login_response(login).unwrap() else {
        panic!("expected a ticket")
    };
    let ta = AccessTicket::parse("wsfe", &doc).unwrap();
    assert_eq!(ta.sign.expose(), "Jdnq=");

    let fault = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode xmlns:ns1="http://xml.apache.org/axis/">ns1:coe.alreadyAuthenticated</faultcode><faultstring>El CEE ya posee un TA valido para el acceso al WSN solicitado</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
    assert_eq!(
        parse_login_response(fault).unwrap(),
        LoginResponse::Fault {
            code: "coe.alreadyAuthenticated".into(),
            message: "El CEE ya posee un TA valido para el acceso al WSN solicitado".into()
        }
    );

    let approved = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><FECAESolicitarResponse xmlns="http://ar.gov.afip.dif.FEV1/"><FECAESolicitarResult><FeCabResp><Cuit>20267565393</Cuit><PtoVta>4000</PtoVta><CbteTipo>1</CbteTipo><FchProceso>20210701172101</FchProceso><CantReg>1</CantReg><Resultado>A</Resultado><Reproceso>N</Reproceso></FeCabResp><FeDetResp><FECAEDetResponse><Concepto>3</Concepto><DocTipo>80</DocTipo><DocNro>30000000007</DocNro><CbteDesde>1836</CbteDesde><CbteHasta>1836</CbteHasta><CbteFch>20210701</CbteFch><Resultado>A</Resultado><Observaciones><Obs><Code>10217</Code><Msg>El credito fiscal discriminado</Msg></Obs></Observaciones><CAE>71263951827464</CAE><CAEFchVto>20210711</CAEFchVto></FECAEDetResponse></FeDetResp></FECAESolicitarResult></FECAESolicitarResponse></soap:Body></soap:Envelope>"#;
    let a = result_of(approved);
    assert!(a.is_approved());
    assert_eq!(
        a.cae.map(|c| c.to_string()).as_deref(),
        Some("71263951827464")
    );
    assert_eq!(a.cae_due, NaiveDate::from_ymd_opt(2021, 7, 11));
    assert_eq!(a.observations[0].code, 10217);

    let rejected = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><FECAESolicitarResponse xmlns="http://ar.gov.afip.dif.FEV1/"><FECAESolicitarResult><FeCabResp><Cuit>20267565393</Cuit><PtoVta>4000</PtoVta><CbteTipo>1</CbteTipo><FchProceso>20210701172101</FchProceso><CantReg>1</CantReg><Resultado>R</Resultado><Reproceso>N</Reproceso></FeCabResp><FeDetResp><FECAEDetResponse><CbteDesde>1839</CbteDesde><CbteHasta>1839</CbteHasta><CbteFch>20210701</CbteFch><Resultado>R</Resultado><CAE /><CAEFchVto /></FECAEDetResponse></FeDetResp><Errors><Err><Code>10016</Code><Msg>El numero o fecha del comprobante no se corresponde con el proximo a autorizar. Consultar metodo FECompUltimoAutorizado.</Msg></Err></Errors></FECAESolicitarResult></FECAESolicitarResponse></soap:Body></soap:Envelope>"#;
    let r = result_of(rejected);
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.cae.is_none() && r.cae_due.is_none() && r.is_numbering_conflict());
}

fn result_of(doc: &str) -> Authorization {
    match mostrador_afip::wsfe::response::parse_body(doc, "FECAESolicitar").unwrap() {
        mostrador_afip::wsfe::response::Body::Result(r) => Authorization::from_result(&r).unwrap(),
        _ => panic!("fault"),
    }
}
