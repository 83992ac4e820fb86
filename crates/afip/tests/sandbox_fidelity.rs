//! The simulator answers like AFIP where the manual (v4.7 tables) and real recorded traffic say
//! so (issue 15 point 19), and it reads requests with its own code, not the client's (point 12).

mod sandbox_support;

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use mostrador_afip::invoice::*;
use mostrador_afip::transport::HttpClient;
use mostrador_afip::wsaa::LoginTicketRequest;
use mostrador_afip::wsfe::envelope::{envelope, fe_cae_solicitar, soap_action};
use mostrador_afip::{Cuit, Endpoints, IvaCondition};
use sandbox_support::*;

async fn raw_wsfe(env: &Env, operation: &str, xml: String) -> String {
    let url = Endpoints::under(&env.sandbox.afip_url()).unwrap().wsfe;
    HttpClient::default()
        .post_soap(&url, &soap_action(operation), xml, Duration::from_secs(10))
        .await
        .unwrap()
        .body
}

async fn raw_wsaa(env: &Env, body: String) -> (u16, String) {
    let url = Endpoints::under(&env.sandbox.afip_url()).unwrap().wsaa;
    let resp = HttpClient::default()
        .post_soap(&url, "", body, Duration::from_secs(10))
        .await
        .unwrap();
    (resp.status, resp.body)
}

fn auth_xml(ta: &mostrador_afip::wsaa::AccessTicket) -> String {
    format!(
        "<Auth><Token>{}</Token><Sign>{}</Sign><Cuit>{}</Cuit></Auth>",
        ta.token.expose(),
        ta.sign.expose(),
        issuer().as_u64()
    )
}

/// Point 12: the simulator keeps its own dependency list; it must never read requests with the
/// client's code again.
#[test]
fn the_simulator_does_not_depend_on_the_client() {
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sandbox/Cargo.toml"
    ))
    .unwrap();
    assert!(
        !manifest.contains("mostrador-afip"),
        "crates/sandbox depends on mostrador-afip"
    );
}

/// Point 12: every real voucher type, not just the ones the client issues.
#[tokio::test]
async fn every_real_voucher_type_is_known() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let tipos = env.wsfe.voucher_types(&auth).await.unwrap().value;
    for id in [
        "1", "4", "5", "6", "9", "10", "11", "15", "49", "51", "201", "213",
    ] {
        assert!(tipos.iter().any(|t| t.id == id), "CbteTipo {id} missing");
    }
    // A Recibo C (15) follows the class C rules and is authorized.
    let today = sim_today(env.sim());
    let recibo_c = fe_cae_solicitar(&auth, &factura_c(today), 1)
        .replace("<CbteTipo>11</CbteTipo>", "<CbteTipo>15</CbteTipo>");
    let body = raw_wsfe(&env, "FECAESolicitar", recibo_c).await;
    assert!(body.contains("<Resultado>A</Resultado>"), "{body}");
    // And a Recibo A (4) has its own numbering.
    assert_eq!(
        env.wsfe.last_authorized(&auth, 5, 4).await.unwrap().value,
        0
    );
}

/// Point 12: amounts are read the way .NET reads a double: an exponent is fine, a comma is a
/// SOAP fault (the request could not be read), never a zero.
#[tokio::test]
async fn amounts_are_read_like_dotnet_doubles() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let good = fe_cae_solicitar(&auth, &factura_b(sim_today(env.sim())), 1);
    let comma = good.replace("<ImpTotal>121.00</ImpTotal>", "<ImpTotal>121,00</ImpTotal>");
    let body = raw_wsfe(&env, "FECAESolicitar", comma).await;
    assert!(
        body.contains("soap:Fault") && body.contains("121,00"),
        "{body}"
    );
    let exponent = good.replace("<ImpTotal>121.00</ImpTotal>", "<ImpTotal>1.21E2</ImpTotal>");
    let body = raw_wsfe(&env, "FECAESolicitar", exponent).await;
    assert!(body.contains("<Resultado>A</Resultado>"), "{body}");
}

#[tokio::test]
async fn invalid_concept_is_10030() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let xml = fe_cae_solicitar(&auth, &factura_b(sim_today(env.sim())), 1)
        .replace("<Concepto>1</Concepto>", "<Concepto>4</Concepto>");
    let body = raw_wsfe(&env, "FECAESolicitar", xml).await;
    assert!(
        body.contains("<Code>10030</Code>") && !body.contains("<Code>10010</Code>"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_voucher_type_is_10007_and_11001() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let xml = fe_cae_solicitar(&auth, &factura_b(sim_today(env.sim())), 1)
        .replace("<CbteTipo>6</CbteTipo>", "<CbteTipo>99</CbteTipo>");
    let body = raw_wsfe(&env, "FECAESolicitar", xml).await;
    assert!(body.contains("<Code>10007</Code>"), "{body}");
    let body = raw_wsfe(
        &env,
        "FECompUltimoAutorizado",
        envelope(
            "FECompUltimoAutorizado",
            &format!("{}<PtoVta>3</PtoVta><CbteTipo>99</CbteTipo>", auth_xml(&ta)),
        ),
    )
    .await;
    assert!(body.contains("<Code>11001</Code>"), "{body}");
}

#[tokio::test]
async fn totals_tolerate_the_manuals_margin() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    let good = fe_cae_solicitar(&auth, &factura_b(today), 1);
    // 0.03 off: outside 0.01 and outside 0.01 % of 121: 10048.
    let off = good.replace("<ImpTotal>121.00</ImpTotal>", "<ImpTotal>121.03</ImpTotal>");
    assert!(raw_wsfe(&env, "FECAESolicitar", off)
        .await
        .contains("<Code>10048</Code>"));
    // One cent off: within AFIP's margin, approved.
    let cent = good.replace("<ImpTotal>121.00</ImpTotal>", "<ImpTotal>121.01</ImpTotal>");
    let body = raw_wsfe(&env, "FECAESolicitar", cent).await;
    assert!(body.contains("<Resultado>A</Resultado>"), "{body}");
}

#[tokio::test]
async fn rule_10051_is_not_applied_to_credit_notes() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    assert!(env
        .wsfe
        .authorize(&auth, &factura_b(today), 1)
        .await
        .unwrap()
        .value
        .is_approved());
    let mut nc = factura_b(today).draft().clone();
    nc.voucher_type = VoucherType::new(VoucherClass::B, VoucherKind::NotaCredito);
    nc.associated = vec![AssociatedVoucher {
        voucher_type: 6,
        point_of_sale: 3,
        number: 1,
        cuit: None,
        date: Some(today),
    }];
    let nc = nc.validate(&InvoiceSettings::default()).unwrap();
    // IVA 21.50 on a base of 100 (not 21 %), every sum consistent.
    let skew = |xml: String| {
        xml.replace("<Importe>21.00</Importe>", "<Importe>21.50</Importe>")
            .replace("<ImpIVA>21.00</ImpIVA>", "<ImpIVA>21.50</ImpIVA>")
            .replace("<ImpTotal>121.00</ImpTotal>", "<ImpTotal>121.50</ImpTotal>")
    };
    let body = raw_wsfe(
        &env,
        "FECAESolicitar",
        skew(fe_cae_solicitar(&auth, &nc, 1)),
    )
    .await;
    assert!(
        body.contains("<Resultado>A</Resultado>") && !body.contains("10051"),
        "{body}"
    );
    // The same amounts on a Factura B: 10051.
    let body = raw_wsfe(
        &env,
        "FECAESolicitar",
        skew(fe_cae_solicitar(&auth, &factura_b(today), 2)),
    )
    .await;
    assert!(body.contains("<Code>10051</Code>"), "{body}");
}

#[tokio::test]
async fn consult_repeats_the_authorizations_observations() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    let fa = InvoiceDraft {
        voucher_type: VoucherType::FACTURA_A,
        point_of_sale: 3,
        date: today,
        concept: Concept::Products,
        receiver: Receiver {
            doc: ReceiverDoc::Cuit(Cuit::parse("30-00000000-7").unwrap()),
            condition: IvaCondition::Monotributo,
        },
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
    .unwrap();
    let a = env.wsfe.authorize(&auth, &fa, 1).await.unwrap().value;
    assert!(a.observations.iter().any(|o| o.code == 10217), "{a:?}");
    let got = env
        .wsfe
        .consult(&auth, 1, 3, 1)
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(got.observations, a.observations);
}

#[tokio::test]
async fn wsaa_faults_carry_afips_real_texts() {
    let env = Env::start().await;
    let fault_of = |body: &str| -> String {
        let start = body.find("<faultstring>").unwrap() + "<faultstring>".len();
        let end = body.find("</faultstring>").unwrap();
        body[start..end].to_owned()
    };
    let cms = |tra: &str| env.signer.sign_tra(tra).unwrap();
    let login_body = |cms: &str| mostrador_afip::wsaa::envelope::login_cms_request(cms);

    let (status, body) = raw_wsaa(&env, login_body("%%%not base64%%%")).await;
    assert_eq!(status, 500);
    assert_eq!(fault_of(&body), "No se puede decodificar el BASE64");

    // An expired TRA.
    let past = LoginTicketRequest::new("wsfe", env.sim().now() - ChronoDuration::hours(2));
    let (_, body) = raw_wsaa(&env, login_body(&cms(&past.to_xml()))).await;
    assert!(body.contains("xml.expirationTime.expired"), "{body}");
    assert_eq!(
        fault_of(&body),
        "El tiempo de expiraci&#xF3;n es inferior a la hora actual"
    );
    // A service WSAA does not know.
    let unknown = LoginTicketRequest::new("no_existe", env.sim().now());
    let (_, body) = raw_wsaa(&env, login_body(&cms(&unknown.to_xml()))).await;
    assert!(body.contains("wsn.notFound"), "{body}");
    assert_eq!(fault_of(&body), "Servicio informado inexistente");
    // An expiration more than 24 h ahead.
    let far = LoginTicketRequest::new("wsfe", env.sim().now()).to_xml();
    let exp_start = far.find("<expirationTime>").unwrap() + "<expirationTime>".len();
    let exp_end = far.find("</expirationTime>").unwrap();
    let later = (env.sim().now() + ChronoDuration::hours(30))
        .with_timezone(&mostrador_afip::argentina_offset())
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    let far = format!("{}{later}{}", &far[..exp_start], &far[exp_end..]);
    let (_, body) = raw_wsaa(&env, login_body(&cms(&far))).await;
    assert!(body.contains("xml.expirationTime.invalid"), "{body}");
    assert_eq!(
        fault_of(&body),
        "El tiempo de expiraci&#xF3;n del documento es superior a 24 horas"
    );
}

/// The 2021 recording: pyafipws sent `loginCms` in `https://wsaahomo.afip.gov.ar/ws/services/LoginCms`
/// with an unqualified `in0`, and `loginCmsResponse` came back in that namespace.
#[tokio::test]
async fn login_cms_response_comes_back_in_the_requests_namespace() {
    let env = Env::start().await;
    let tra = LoginTicketRequest::new("wsfe", env.sim().now()).to_xml();
    let cms = env.signer.sign_tra(&tra).unwrap();
    let ns = "https://wsaahomo.afip.gov.ar/ws/services/LoginCms";
    let body = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ser=\"{ns}\"><soapenv:Header/><soapenv:Body><ser:loginCms><in0>{cms}</in0></ser:loginCms></soapenv:Body></soapenv:Envelope>"
    );
    let (status, resp) = raw_wsaa(&env, body).await;
    assert_eq!(status, 200, "{resp}");
    assert!(
        resp.contains(&format!("<loginCmsResponse xmlns=\"{ns}\">")),
        "{resp}"
    );
    assert!(resp.contains("&lt;loginTicketResponse version=&quot;1.0&quot;&gt;"));
}
