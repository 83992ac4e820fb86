//! Fault injection over real HTTP: lost answers after authorization, timeouts, 5xx, a foreign
//! invoice on a shared point of sale, and the HTTP control API.

mod afip_support;

use std::time::Duration;

use afip_support::*;
use mostrador_afip::wsfe::{Outcome, WsfeError};
use mostrador_sandbox::afip::{Fault, FaultRule};

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
    assert!(found.matches(&invoice, 1));
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
    assert!(!found.matches(&invoice, 1));
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
