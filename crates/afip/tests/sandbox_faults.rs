//! Fault injection over real HTTP: lost answers after authorization, timeouts, 5xx, a foreign
//! invoice on a shared point of sale, and the HTTP control API.

mod sandbox_support;

use std::time::Duration;

use mostrador_afip::wsfe::{Comparison, Outcome, WsfeError};
use mostrador_sandbox::afip::{Fault, FaultRule};
use sandbox_support::*;

#[tokio::test]
async fn authorized_then_dropped_is_may_have_been_authorized_and_consult_recovers_it() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let invoice = factura_b(sim_today(env.sim()));
    env.sim()
        .inject_once("FECAESolicitar", Fault::ProcessThenDrop);

    let err = env.wsfe.authorize(&auth, &invoice, 1).await.unwrap_err();
    match &err {
        WsfeError::MayHaveBeenAuthorized {
            number, exchange, ..
        } => {
            assert_eq!(*number, 1);
            assert!(exchange.request_xml.contains("<CbteDesde>1</CbteDesde>"));
        }
        other => panic!("expected MayHaveBeenAuthorized, got {other:?}"),
    }
    assert!(err.to_string().contains("FECompConsultar"));
    // Exactly one invoice exists; the client did not retry.
    assert_eq!(env.sim().invoices().len(), 1);

    // Recovery: consult the same number, compare, adopt the CAE.
    let found = env
        .wsfe
        .consult(&auth, 6, 3, 1)
        .await
        .unwrap()
        .value
        .unwrap();
    assert!(matches!(found.compare(&invoice, 1), Comparison::Same(_)));
    assert_eq!(found.authorization_code, env.sim().invoices()[0].cae);
}

#[tokio::test]
async fn authorized_then_hang_times_out_as_may_have_been_authorized() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let invoice = factura_b(sim_today(env.sim()));
    env.sim()
        .inject_once("FECAESolicitar", Fault::ProcessThenHang);
    let wsfe = env.wsfe.clone().with_timeout(Duration::from_millis(800));
    let err = wsfe.authorize(&auth, &invoice, 1).await.unwrap_err();
    assert!(
        matches!(err, WsfeError::MayHaveBeenAuthorized { .. }),
        "{err:?}"
    );
    assert_eq!(env.sim().invoices().len(), 1);
}

#[tokio::test]
async fn timeout_5xx_latency_and_transaction_active() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let wsfe = env.wsfe.clone().with_timeout(Duration::from_millis(800));

    // A hang on a read-only operation: a timeout that says the request was sent.
    env.sim().inject_once("FECompUltimoAutorizado", Fault::Hang);
    let err = wsfe.last_authorized(&auth, 3, 6).await.unwrap_err();
    match err {
        WsfeError::Transport(t) => assert!(t.may_have_arrived(), "{t}"),
        other => panic!("{other:?}"),
    }

    // Latency under the timeout is fine.
    env.sim()
        .inject_once("FECompUltimoAutorizado", Fault::Latency { millis: 200 });
    assert_eq!(wsfe.last_authorized(&auth, 3, 6).await.unwrap().value, 0);

    // A 503 on FECAESolicitar: outcome unknown. Nothing was stored in this case, and the consult
    // says so (602), so the identical payload can be resent.
    let invoice = factura_b(sim_today(env.sim()));
    env.sim()
        .inject_once("FECAESolicitar", Fault::Status { code: 503 });
    let err = wsfe.authorize(&auth, &invoice, 1).await.unwrap_err();
    assert!(
        matches!(err, WsfeError::MayHaveBeenAuthorized { .. }),
        "{err:?}"
    );
    assert!(wsfe.consult(&auth, 6, 3, 1).await.unwrap().value.is_none());

    // 502 "Transacción Activa": also unknown, consult first.
    env.sim()
        .inject_once("FECAESolicitar", Fault::TransactionActive);
    let err = wsfe.authorize(&auth, &invoice, 1).await.unwrap_err();
    assert!(
        matches!(err, WsfeError::MayHaveBeenAuthorized { .. }),
        "{err:?}"
    );

    // A 503 on a table: an ordinary, transient error.
    env.sim()
        .inject_once("FEParamGetTiposCbte", Fault::Status { code: 503 });
    let err = wsfe.voucher_types(&auth).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");

    // FEDummy down.
    env.sim().inject_once("FEDummy", Fault::DummyDown);
    assert!(!wsfe.dummy().await.unwrap().value.all_ok());

    // After all that, the invoice goes through with number 1.
    assert!(wsfe
        .authorize(&auth, &invoice, 1)
        .await
        .unwrap()
        .value
        .is_approved());
}

#[tokio::test]
async fn a_foreign_invoice_takes_the_next_number() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let invoice = factura_b(sim_today(env.sim()));
    let last = env.wsfe.last_authorized(&auth, 3, 6).await.unwrap().value;

    // Between our FECompUltimoAutorizado and our FECAESolicitar, another system issues number 1.
    env.sim()
        .inject_once("FECAESolicitar", Fault::ForeignInvoiceFirst);
    let r = env
        .wsfe
        .authorize(&auth, &invoice, last + 1)
        .await
        .unwrap()
        .value;
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.is_numbering_conflict());
    // Consulting shows a different invoice under that number: never adopt it.
    let found = env
        .wsfe
        .consult(&auth, 6, 3, 1)
        .await
        .unwrap()
        .value
        .unwrap();
    assert!(matches!(
        found.compare(&invoice, 1),
        Comparison::Different(_)
    ));
    // The next number works.
    assert!(env
        .wsfe
        .authorize(&auth, &invoice, 2)
        .await
        .unwrap()
        .value
        .is_approved());
    let stored = env.sim().invoices();
    assert!(stored[0].foreign && !stored[1].foreign);
}

#[tokio::test]
async fn control_api_over_http() {
    let env = Env::start().await;
    let base = format!("{}/_sandbox", env.sandbox.afip_url());
    let http = reqwest::Client::new();

    // Trust a CA over HTTP, then log in with a certificate it issued.
    let other_ca = ca("AC por HTTP");
    let resp = http
        .post(format!("{base}/trust-ca"))
        .body(other_ca.0.to_pem().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let signer = signer_of(&leaf(&other_ca, "30-00000000-7", -1, 30));
    env.wsaa
        .login(&signer, "wsfe", env.sim().now())
        .await
        .unwrap();
    let bad = http
        .post(format!("{base}/trust-ca"))
        .body("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);

    // Clock.
    let v: serde_json::Value = http
        .post(format!("{base}/clock"))
        .json(&serde_json::json!({"now": "2025-07-10T12:00:00Z"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["now"], "2025-07-10T12:00:00+00:00");
    let v: serde_json::Value = http
        .post(format!("{base}/clock"))
        .json(&serde_json::json!({"advance_seconds": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["now"], "2025-07-10T13:00:00+00:00");

    // Foreign invoice and stored invoices.
    let v: serde_json::Value = http
        .post(format!("{base}/foreign-invoice"))
        .json(&serde_json::json!({"cuit": 20267565393u64, "point_of_sale": 4, "voucher_type": 11}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["number"], 1);
    let list: serde_json::Value = http
        .get(format!("{base}/invoices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["point_of_sale"], 4);
    assert_eq!(list[0]["foreign"], true);

    // Faults over HTTP.
    let rule = FaultRule {
        operation: Some("FEDummy".into()),
        fault: Fault::Status { code: 500 },
        times: 2,
    };
    let resp = http
        .post(format!("{base}/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert!(env.wsfe.dummy().await.is_err());
    let resp = http.delete(format!("{base}/faults")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert!(env.wsfe.dummy().await.unwrap().value.all_ok());
}

#[tokio::test]
async fn unreadable_answers_after_processing_are_may_have_been_authorized() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    let cases = [
        (200, "<html><body>502 Bad Gateway (proxy)</body></html>".to_owned()),
        (200, "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><FECAESolicitarResponse xmlns=\"http://ar.gov.afip.dif.FEV1/\"><FECAESolicitarResult><FeCabResp><Cuit>2026".to_owned()),
        (200, "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><FECAESolicitarResponse xmlns=\"http://ar.gov.afip.dif.FEV1/\"><FECAESolicitarResult><FeCabResp><Cuit>20267565393</Cuit><PtoVta>3</PtoVta><CbteTipo>6</CbteTipo><FchProceso>20250710120000</FchProceso><CantReg>1</CantReg><Resultado>A</Resultado><Reproceso>N</Reproceso></FeCabResp></FECAESolicitarResult></FECAESolicitarResponse></soap:Body></soap:Envelope>".to_owned()),
        (200, "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><FECAESolicitarResponse xmlns=\"http://ar.gov.afip.dif.FEV1/\"><FECAESolicitarResult></FECAESolicitarResult></FECAESolicitarResponse></soap:Body></soap:Envelope>".to_owned()),
    ];
    for (n, (status, body)) in cases.into_iter().enumerate() {
        env.sim()
            .inject_once("FECAESolicitar", Fault::ProcessThenReplace { status, body });
        let number = n as u64 + 1;
        let err = env
            .wsfe
            .authorize(&auth, &factura_b(today), number)
            .await
            .unwrap_err();
        assert!(
            matches!(err, WsfeError::MayHaveBeenAuthorized { .. }),
            "case {n}: {err:?}"
        );
    }
    // Known pre-processing answers stay definite: credentials (no FeCabResp, Err 600) and a
    // client-side SOAP fault.
    let envelope = |inner: &str| {
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>{inner}</soap:Body></soap:Envelope>")
    };
    env.sim().inject_once(
        "FECAESolicitar",
        Fault::ProcessThenReplace {
            status: 200,
            body: envelope("<FECAESolicitarResponse xmlns=\"http://ar.gov.afip.dif.FEV1/\"><FECAESolicitarResult><Errors><Err><Code>600</Code><Msg>ValidacionDeToken: No valido token.</Msg></Err></Errors></FECAESolicitarResult></FECAESolicitarResponse>"),
        },
    );
    let err = env
        .wsfe
        .authorize(&auth, &factura_b(today), 5)
        .await
        .unwrap_err();
    assert!(matches!(err, WsfeError::Auth { .. }), "{err:?}");
    env.sim().inject_once(
        "FECAESolicitar",
        Fault::ProcessThenReplace {
            status: 500,
            body: envelope("<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Server was unable to read request.</faultstring></soap:Fault>"),
        },
    );
    let err = env
        .wsfe
        .authorize(&auth, &factura_b(today), 6)
        .await
        .unwrap_err();
    assert!(matches!(err, WsfeError::Fault { .. }), "{err:?}");
    // A server-side fault is not known to be pre-processing.
    env.sim().inject_once(
        "FECAESolicitar",
        Fault::ProcessThenReplace {
            status: 500,
            body: envelope("<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request.</faultstring></soap:Fault>"),
        },
    );
    let err = env
        .wsfe
        .authorize(&auth, &factura_b(today), 7)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WsfeError::MayHaveBeenAuthorized { .. }),
        "{err:?}"
    );
    // The answer approves another number than the one asked for: unknown, consult.
    let approved_other = envelope("<FECAESolicitarResponse xmlns=\"http://ar.gov.afip.dif.FEV1/\"><FECAESolicitarResult><FeCabResp><Cuit>20267565393</Cuit><PtoVta>3</PtoVta><CbteTipo>6</CbteTipo><FchProceso>20250710120000</FchProceso><CantReg>1</CantReg><Resultado>A</Resultado><Reproceso>N</Reproceso></FeCabResp><FeDetResp><FECAEDetResponse><CbteDesde>99</CbteDesde><CbteHasta>99</CbteHasta><Resultado>A</Resultado><CAE>71263951827464</CAE><CAEFchVto>20250720</CAEFchVto></FECAEDetResponse></FeDetResp></FECAESolicitarResult></FECAESolicitarResponse>");
    env.sim().inject_once(
        "FECAESolicitar",
        Fault::ProcessThenReplace {
            status: 200,
            body: approved_other,
        },
    );
    let err = env
        .wsfe
        .authorize(&auth, &factura_b(today), 8)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WsfeError::MayHaveBeenAuthorized { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn read_timeouts_are_safe_to_retry() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let wsfe = env.wsfe.clone().with_timeout(Duration::from_millis(500));
    env.sim().inject_once("FECompUltimoAutorizado", Fault::Hang);
    let err = wsfe.last_authorized(&auth, 3, 6).await.unwrap_err();
    assert!(
        err.is_transient(),
        "a read that timed out can be retried: {err:?}"
    );
}
