//! WSFEv1 against the simulator over real HTTP: every operation, and the simulator's rules.

mod sandbox_support;

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use mostrador_afip::invoice::*;
use mostrador_afip::transport::HttpClient;
use mostrador_afip::wsfe::envelope::{fe_cae_solicitar, soap_action};
use mostrador_afip::wsfe::{Comparison, Outcome, WsfeError};
use mostrador_afip::{Cuit, Endpoints, IvaCondition};
use sandbox_support::*;

#[tokio::test]
async fn log_in_number_authorize_consult_and_read_every_table() {
    let env = Env::start().await;
    let dummy = env.wsfe.dummy().await.unwrap();
    assert!(dummy.value.all_ok());

    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    let invoice = factura_b(today);

    let last = env.wsfe.last_authorized(&auth, 3, 6).await.unwrap();
    assert_eq!(last.value, 0);
    let number = last.value + 1;
    let answer = env.wsfe.authorize(&auth, &invoice, number).await.unwrap();
    let a = &answer.value;
    assert!(a.is_approved(), "{a:?}");
    assert_eq!(a.outcome, Outcome::Approved);
    assert_eq!(a.number, 1);
    let cae = a.cae.unwrap();
    assert_eq!(cae.to_string().len(), 14);
    assert_eq!(a.cae_due, Some(today + ChronoDuration::days(10)));
    // The raw XML is kept for audit, without the credentials.
    assert!(answer
        .exchange
        .request_xml
        .contains("<Token>***</Token><Sign>***</Sign>"));
    assert!(!answer.exchange.request_xml.contains(ta.token.expose()));
    assert!(answer
        .exchange
        .request_xml
        .contains("<CondicionIVAReceptorId>5</CondicionIVAReceptorId>"));
    assert!(answer
        .exchange
        .response_xml
        .as_deref()
        .unwrap()
        .contains(&cae.to_string()));

    assert_eq!(
        env.wsfe.last_authorized(&auth, 3, 6).await.unwrap().value,
        1
    );

    let consulted = env
        .wsfe
        .consult(&auth, 6, 3, 1)
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(consulted.authorization_code, cae.to_string());
    assert_eq!(consulted.emission_type, "CAE");
    assert_eq!(consulted.total, Money::units(121));
    assert_eq!(consulted.compare(&invoice, 1), Comparison::Same(cae));
    // Numbers come back normalized (121, not 121.00) and compare as amounts.
    let raw = env.wsfe.consult(&auth, 6, 3, 1).await.unwrap().exchange;
    assert!(raw
        .response_xml
        .unwrap()
        .contains("<ImpTotal>121</ImpTotal>"));

    // Absent number: 602, reported as None.
    assert!(env
        .wsfe
        .consult(&auth, 6, 3, 2)
        .await
        .unwrap()
        .value
        .is_none());

    // The same request again: 10016, rejected, no CAE.
    let again = env
        .wsfe
        .authorize(&auth, &invoice, number)
        .await
        .unwrap()
        .value;
    assert_eq!(again.outcome, Outcome::Rejected);
    assert!(
        again.is_numbering_conflict() && again.cae.is_none(),
        "{again:?}"
    );

    // Every parameter table.
    let tipos = env.wsfe.voucher_types(&auth).await.unwrap().value;
    assert!(tipos.iter().any(|t| t.id == "11" && t.valid_to.is_none()));
    let docs = env.wsfe.document_types(&auth).await.unwrap().value;
    assert!(docs.iter().any(|d| d.id == "96"));
    let ivas = env.wsfe.iva_rates(&auth).await.unwrap().value;
    assert_eq!(ivas.len(), 6);
    assert!(ivas
        .iter()
        .all(|i| IvaRate::from_afip_id(i.id.parse().unwrap()).is_some()));
    let monedas = env.wsfe.currencies(&auth).await.unwrap().value;
    assert!(monedas.iter().any(|m| m.id == "PES"));
    let ptos = env.wsfe.points_of_sale(&auth).await.unwrap().value;
    assert_eq!(ptos.len(), 1);
    assert_eq!(ptos[0].number, 3);
    assert!(!ptos[0].blocked && ptos[0].closed_on.is_none());
    let conds = env
        .wsfe
        .receiver_conditions(&auth, None)
        .await
        .unwrap()
        .value;
    assert_eq!(conds.len(), 11);
    let conds_a = env
        .wsfe
        .receiver_conditions(&auth, Some("A"))
        .await
        .unwrap()
        .value;
    let mut ids: Vec<u8> = conds_a.iter().map(|c| c.id).collect();
    ids.sort();
    assert_eq!(ids, [1, 6, 13, 16]);
    assert_eq!(
        env.wsfe.max_records_per_request(&auth).await.unwrap().value,
        250
    );
    // Empty dates come back as the literal string NULL.
    let raw = env.wsfe.voucher_types(&auth).await.unwrap().exchange;
    assert!(raw
        .response_xml
        .unwrap()
        .contains("<FchHasta>NULL</FchHasta>"));
    // Events are surfaced on every answer.
    env.sim()
        .set_events(vec![(1, "Mantenimiento programado el domingo".into())]);
    let answer = env.wsfe.last_authorized(&auth, 3, 6).await.unwrap();
    assert_eq!(answer.events[0].code, 1);
    assert!(answer.events[0].msg.contains("Mantenimiento"));
}

#[tokio::test]
async fn class_c_and_class_a_and_services_are_authorized() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());

    let c = factura_c(today);
    let a = env.wsfe.authorize(&auth, &c, 1).await.unwrap().value;
    assert!(a.is_approved(), "{a:?}");
    let got = env
        .wsfe
        .consult(&auth, 11, 5, 1)
        .await
        .unwrap()
        .value
        .unwrap();
    assert!(got.iva.is_empty() && matches!(got.compare(&c, 1), Comparison::Same(_)));

    // Class A to a monotributista, services with their period: approved with Obs 10217.
    let fa = InvoiceDraft {
        voucher_type: VoucherType::FACTURA_A,
        point_of_sale: 3,
        date: today,
        concept: Concept::Services(ServicePeriod {
            from: today - ChronoDuration::days(30),
            to: today,
            payment_due: today + ChronoDuration::days(10),
        }),
        receiver: Receiver {
            doc: ReceiverDoc::Cuit(Cuit::parse("30-00000000-7").unwrap()),
            condition: IvaCondition::Monotributo,
        },
        amounts: Amounts::compute(
            &[
                (IvaRate::TwentyOne, Money::from_cents(123456)),
                (IvaRate::TenPointFive, Money::from_cents(9999)),
            ],
            Money::from_cents(1000),
            Money::ZERO,
            vec![Tribute {
                id: 7,
                description: "Percepción IIBB".into(),
                base: Money::from_cents(133455),
                rate: BasisPoints(300),
                amount: Money::from_cents(4004),
            }],
        )
        .unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
    .validate(&InvoiceSettings::default())
    .unwrap();
    let r = env.wsfe.authorize(&auth, &fa, 1).await.unwrap().value;
    assert!(r.is_approved(), "{r:?}");
    assert!(r.observations.iter().any(|o| o.code == 10217));
    let got = env
        .wsfe
        .consult(&auth, 1, 3, 1)
        .await
        .unwrap()
        .value
        .unwrap();
    assert!(
        matches!(got.compare(&fa, 1), Comparison::Same(_)),
        "{got:?}"
    );

    // A credit note referring to it.
    let mut nc = fa.draft().clone();
    nc.voucher_type = VoucherType::new(VoucherClass::A, VoucherKind::NotaCredito);
    nc.associated = vec![AssociatedVoucher {
        voucher_type: 1,
        point_of_sale: 3,
        number: 1,
        cuit: Some(issuer()),
        date: Some(today),
    }];
    let nc = nc.validate(&InvoiceSettings::default()).unwrap();
    assert!(env
        .wsfe
        .authorize(&auth, &nc, 1)
        .await
        .unwrap()
        .value
        .is_approved());
}

/// Sends a raw FECAESolicitar (to test the simulator's rules on what our client would never build).
async fn raw_cae(env: &Env, xml: String) -> String {
    let url = Endpoints::under(&env.sandbox.afip_url()).unwrap().wsfe;
    HttpClient::default()
        .post_soap(
            &url,
            &soap_action("FECAESolicitar"),
            xml,
            Duration::from_secs(10),
        )
        .await
        .unwrap()
        .body
}

#[tokio::test]
async fn simulator_enforces_sums_class_c_and_rg5616() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    let good_b = fe_cae_solicitar(&auth, &factura_b(today), 1);
    let good_c = fe_cae_solicitar(&auth, &factura_c(today), 1);

    let total_off = good_b.replace("<ImpTotal>121.00</ImpTotal>", "<ImpTotal>121.03</ImpTotal>");
    let body = raw_cae(&env, total_off).await;
    assert!(
        body.contains("<Code>10048</Code>") && body.contains("<Resultado>R</Resultado>"),
        "{body}"
    );

    let iva_off = good_b.replace("<Importe>21.00</Importe>", "<Importe>21.50</Importe>");
    let body = raw_cae(&env, iva_off).await;
    assert!(
        body.contains("<Code>10051</Code>") && body.contains("<Code>10023</Code>"),
        "{body}"
    );

    let c_with_iva = good_c.replace(
        "</CondicionIVAReceptorId>",
        "</CondicionIVAReceptorId><Iva><AlicIva><Id>5</Id><BaseImp>150.00</BaseImp><Importe>31.50</Importe></AlicIva></Iva>",
    );
    let body = raw_cae(&env, c_with_iva).await;
    assert!(body.contains("<Code>10071</Code>"), "{body}");

    let no_condition = good_b.replace("<CondicionIVAReceptorId>5</CondicionIVAReceptorId>", "");
    assert!(raw_cae(&env, no_condition)
        .await
        .contains("<Code>10246</Code>"));
    let ri_on_b = good_b.replace(
        "<CondicionIVAReceptorId>5</CondicionIVAReceptorId>",
        "<CondicionIVAReceptorId>1</CondicionIVAReceptorId>",
    );
    assert!(raw_cae(&env, ri_on_b).await.contains("<Code>10243</Code>"));
    let unknown = good_b.replace(
        "<CondicionIVAReceptorId>5</CondicionIVAReceptorId>",
        "<CondicionIVAReceptorId>2</CondicionIVAReceptorId>",
    );
    assert!(raw_cae(&env, unknown).await.contains("<Code>10242</Code>"));

    // Anonymous consumer over the identification threshold: 10015.
    env.sim().set_identification_threshold_cents(10_000);
    assert!(raw_cae(&env, good_b.clone())
        .await
        .contains("<Code>10015</Code>"));
    env.sim().set_identification_threshold_cents(1_000_000_000);

    // Nothing above was stored: number 1 is still free.
    assert_eq!(
        env.wsfe.last_authorized(&auth, 3, 6).await.unwrap().value,
        0
    );
    assert!(raw_cae(&env, good_b)
        .await
        .contains("<Resultado>A</Resultado>"));
}

#[tokio::test]
async fn simulator_enforces_numbering_and_date_windows() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());

    // Skipping a number: Err 10016.
    let r = env
        .wsfe
        .authorize(&auth, &factura_b(today), 2)
        .await
        .unwrap()
        .value;
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.errors.iter().any(|e| e.code == 10016));

    // Products dated N-6: Obs 10016 (window N±5).
    let r = env
        .wsfe
        .authorize(&auth, &factura_b(today - ChronoDuration::days(6)), 1)
        .await
        .unwrap()
        .value;
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(
        r.observations
            .iter()
            .any(|o| o.code == 10016 && o.msg.contains("N-5")),
        "{r:?}"
    );
    // A date rejection, not a numbering conflict: consulting number 1 would find nothing.
    assert!(r.is_date_rejection() && !r.is_numbering_conflict(), "{r:?}");

    // N+2 is fine; afterwards, an earlier date is out of order (Err 10016).
    let r = env
        .wsfe
        .authorize(&auth, &factura_b(today + ChronoDuration::days(2)), 1)
        .await
        .unwrap()
        .value;
    assert!(r.is_approved(), "{r:?}");
    let r = env
        .wsfe
        .authorize(&auth, &factura_b(today), 2)
        .await
        .unwrap()
        .value;
    assert!(r.errors.iter().any(|e| e.code == 10016), "{r:?}");

    // Unregistered receiver CUIT: 10015.
    let other = Cuit::parse("20-11111111-2").unwrap();
    env.sim().mark_unregistered(other.as_u64());
    let mut d = factura_b(today + ChronoDuration::days(2)).draft().clone();
    d.receiver = Receiver {
        doc: ReceiverDoc::Cuit(other),
        condition: IvaCondition::Exento,
    };
    let inv = d.validate(&InvoiceSettings::default()).unwrap();
    let r = env.wsfe.authorize(&auth, &inv, 2).await.unwrap().value;
    assert!(r.observations.iter().any(|o| o.code == 10015), "{r:?}");
}

#[tokio::test]
async fn credentials_are_checked() {
    let env = Env::start().await;
    let ta = env.login().await;

    // Another CUIT than the certificate's relations: 600.
    let other = mostrador_afip::wsfe::Auth {
        ticket: &ta,
        cuit: Cuit::parse("30-00000000-7").unwrap(),
    };
    let err = env.wsfe.last_authorized(&other, 3, 6).await.unwrap_err();
    assert!(
        matches!(&err, WsfeError::Auth { errors, .. } if errors[0].msg.contains("relaciones")),
        "{err:?}"
    );

    // Auth without the FEV1 namespace is ignored by the service: Err 500.
    let url = Endpoints::under(&env.sandbox.afip_url()).unwrap().wsfe;
    let unqualified = format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><fe:FECompUltimoAutorizado xmlns:fe=\"http://ar.gov.afip.dif.FEV1/\"><Auth><Token>{}</Token><Sign>{}</Sign><Cuit>{}</Cuit></Auth><fe:PtoVta>3</fe:PtoVta><fe:CbteTipo>6</fe:CbteTipo></fe:FECompUltimoAutorizado></soap:Body></soap:Envelope>",
        ta.token.expose(),
        ta.sign.expose(),
        issuer().as_u64()
    );
    let body = HttpClient::default()
        .post_soap(
            &url,
            &soap_action("FECompUltimoAutorizado"),
            unqualified,
            Duration::from_secs(5),
        )
        .await
        .unwrap()
        .body;
    assert!(
        body.contains("<Code>500</Code>") && body.contains("Campo Auth"),
        "{body}"
    );

    // Unknown SOAPAction: a SOAP fault.
    let resp = HttpClient::default()
        .post_soap(
            &url,
            &soap_action("FENoExiste"),
            "<x/>".into(),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 500);
    assert!(resp.body.contains("soap:Fault"));

    // The ticket expires after 12 h: 600 on WSFE, and a new login works.
    env.sim()
        .advance(ChronoDuration::hours(12) + ChronoDuration::minutes(1));
    let err = env
        .wsfe
        .last_authorized(&auth(&ta), 3, 6)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WsfeError::Auth { errors, .. } if errors[0].msg.contains("fechas")),
        "{err:?}"
    );
    let ta2 = env.login().await;
    assert_eq!(
        env.wsfe
            .last_authorized(&auth(&ta2), 3, 6)
            .await
            .unwrap()
            .value,
        0
    );
}

#[tokio::test]
async fn routing_without_soapaction_and_unregistered_point_of_sale() {
    let env = Env::start().await;
    let url = format!("{}/wsfev1/service.asmx", env.sandbox.afip_url());
    // No SOAPAction: routed by the body element.
    let resp = reqwest::Client::new()
        .post(&url)
        .header("content-type", "text/xml")
        .body(mostrador_afip::wsfe::envelope::fe_dummy())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("<AppServer>OK</AppServer>") && body.contains("FEHeaderInfo"),
        "{body}"
    );
    // SOAPAction with an empty Body (what pyafipws sends for FEDummy) works too.
    let resp = reqwest::Client::new()
        .post(&url)
        .header("SOAPAction", "\"http://ar.gov.afip.dif.FEV1/FEDummy\"")
        .body("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body/></soap:Envelope>")
        .send()
        .await
        .unwrap();
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("<DbServer>OK</DbServer>"));

    // Only point of sale 3 is registered for web services: 10005 on another one.
    env.sim()
        .set_points_of_sale(Some([3].into_iter().collect()));
    let ta = env.login().await;
    let auth = auth(&ta);
    let r = env
        .wsfe
        .authorize(&auth, &factura_c(sim_today(env.sim())), 1)
        .await
        .unwrap()
        .value;
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.errors.iter().any(|e| e.code == 10005), "{r:?}");
    let ptos = env.wsfe.points_of_sale(&auth).await.unwrap().value;
    assert_eq!(ptos.iter().map(|p| p.number).collect::<Vec<_>>(), [3]);
}

/// Issue 15 point 8: Err 10016 for a date earlier than the last invoice looks like a numbering
/// conflict. The local check catches it before sending; a caller that sends anyway and follows
/// the recipe ends at "date rejected", not at "resend" forever.
#[tokio::test]
async fn a_date_before_the_last_invoice_is_a_date_rejection_not_a_loop() {
    use mostrador_afip::wsfe::{resolve_numbering_conflict, ConflictResolution};
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    assert!(env
        .wsfe
        .authorize(&auth, &factura_b(today + ChronoDuration::days(2)), 1)
        .await
        .unwrap()
        .value
        .is_approved());

    let invoice = factura_b(today);
    let last = env
        .wsfe
        .last_authorized_invoice(&auth, 3, 6)
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(last.number, 1);
    let err = invoice.check_date(today, Some(last.date)).unwrap_err();
    assert_eq!(err.rule(), "DATE_NOT_BEFORE_LAST");

    // Sent anyway: Err 10016, and nothing under number 2.
    let r = env.wsfe.authorize(&auth, &invoice, 2).await.unwrap().value;
    assert!(r.is_numbering_conflict(), "{r:?}");
    let found = env.wsfe.consult(&auth, 6, 3, 2).await.unwrap().value;
    assert!(found.is_none());
    let last_number = env.wsfe.last_authorized(&auth, 3, 6).await.unwrap().value;
    assert_eq!(
        resolve_numbering_conflict(&invoice, 2, found.as_ref(), last_number),
        ConflictResolution::DateRejected
    );
    // Whereas the same number already taken by us resolves to adopting it.
    let ours = factura_b(today + ChronoDuration::days(2));
    let found = env.wsfe.consult(&auth, 6, 3, 1).await.unwrap().value;
    assert!(matches!(
        resolve_numbering_conflict(&ours, 1, found.as_ref(), last_number),
        ConflictResolution::Adopt(_)
    ));
}
