//! Invoicing as the app wires it (`invoicing::AfipRuntime`): the connection comes from Ajustes →
//! AFIP (the app's own key and a certificate from the test CA, "Probar", the point of sale), the
//! `afip.submit` handler runs in the outbound engine, "Probar" and the submissions share ONE
//! stored WSAA ticket (a second login would get `coe.alreadyAuthenticated` from the simulator),
//! a repeated idempotency key never makes a second invoice, and every state change is announced.
//! Needs a Secret Service (run under `dbus-run-session` with an unlocked keyring).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use mostrador_afip::transport::HttpClient;
use mostrador_afip::Endpoints;
use mostrador_core::activity::ActivityGate;
use mostrador_core::invoicing::certificate::AfipEnvironment;
use mostrador_core::invoicing::model::{ItemInput, ItemIva, NewInvoice};
use mostrador_core::invoicing::session::ticket_secret;
use mostrador_core::invoicing::{AfipRuntime, InvoiceState, KIND};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::outbound::{Handlers, Outbound, OutboundConfig, RateConfig, Wiring};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_queue::SystemClock;
use mostrador_sandbox::afip::test_ca::TestCa;
use mostrador_sandbox::afip::AfipSim;
use mostrador_sandbox::Sandbox;
use mostrador_types::IvaCondition;

const CUIT: &str = "20-26756539-3";
const POINT_OF_SALE: u32 = 3;

struct App {
    _dir: tempfile::TempDir,
    store: Store,
    secrets: SecretStore,
    org: OrgId,
    sandbox: Sandbox,
}

fn fast_config() -> OutboundConfig {
    let mut cfg = OutboundConfig::default();
    cfg.retry.base = Duration::from_millis(20);
    cfg.retry.cap = Duration::from_millis(200);
    cfg.queue.backstop_poll = Duration::from_millis(50);
    cfg.rates = RateConfig::unlimited();
    cfg
}

/// A responsable inscripto whose certificate the simulator's CA issued for the app's own CSR.
async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Almacén Ñandú".into(),
            cuit: CUIT.into(),
            iva_condition: IvaCondition::ResponsableInscripto,
        },
    )
    .await
    .unwrap()
    .id;
    let secrets = SecretStore::new(&format!(
        "ar.mostrador.test.invapp.{}",
        uuid::Uuid::new_v4()
    ));
    let ca = TestCa::generate("Computadores Test").unwrap();
    let sim = AfipSim::default();
    sim.trust_ca(ca.certificate().clone());
    sim.set_points_of_sale(Some([POINT_OF_SALE].into_iter().collect()));
    let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), Default::default(), sim)
        .await
        .unwrap();
    let setup =
        mostrador_core::invoicing::certificate::AfipSetup::new(store.clone(), secrets.clone());
    let request = setup.generate_request(org, "caja1").await.unwrap();
    let now = Utc::now();
    let cert = ca
        .sign_csr(
            request.pem.as_bytes(),
            now - chrono::Duration::days(1),
            now + chrono::Duration::days(365),
        )
        .unwrap()
        .to_pem()
        .unwrap();
    setup.import_certificate(org, &cert, now).await.unwrap();
    App {
        _dir: dir,
        store,
        secrets,
        org,
        sandbox,
    }
}

fn factura_b() -> NewInvoice {
    NewInvoice::consumidor_final(vec![ItemInput {
        description: "Yerba 1 kg".into(),
        quantity: "2".into(),
        unit_price: "1500.00".into(),
        discount: None,
        iva: Some(ItemIva::TwentyOne),
    }])
}

async fn wait_state(store: &Store, id: i64, want: InvoiceState) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (state, reason): (String, Option<String>) =
            sqlx::query_as("SELECT state, reject_reason FROM invoices WHERE id = ?")
                .bind(id)
                .fetch_one(store.reader())
                .await
                .unwrap();
        if state == want.as_str() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "invoice {id} is {state} ({reason:?}), not {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probar_and_the_submissions_share_one_ticket_and_a_double_click_makes_one_invoice() {
    let app = app().await;
    let setup = mostrador_core::invoicing::certificate::AfipSetup::new(
        app.store.clone(),
        app.secrets.clone(),
    );
    let base = app.sandbox.afip_url();

    // Not set up yet (no point of sale chosen): the business cannot submit.
    let runtime = AfipRuntime::new(
        app.store.clone(),
        app.secrets.clone(),
        Some(base.clone()),
        Arc::new(SystemClock),
    );
    assert!(!runtime.refresh(app.org).await.unwrap());

    // "Probar" logs in once and stores the ticket; the owner picks the point of sale.
    let report = setup
        .probe(
            app.org,
            &Endpoints::under(&base).unwrap(),
            &HttpClient::default(),
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(!report.ticket_reused);
    setup
        .set_point_of_sale(app.org, POINT_OF_SALE)
        .await
        .unwrap();
    assert!(
        app.secrets
            .get(
                app.org,
                &ticket_secret(AfipEnvironment::Homologacion, "wsfe")
            )
            .await
            .unwrap()
            .is_some(),
        "the ticket is stored under the one shared name"
    );
    assert!(runtime.refresh(app.org).await.unwrap());

    let gate = ActivityGate::new();
    let mut wiring = Wiring::new(app.secrets.clone(), gate.clone());
    wiring.handlers = Handlers::new().with(KIND, runtime.handler(gate));
    let engine = Outbound::start(app.store.clone(), wiring, fast_config())
        .await
        .unwrap();
    let invoicing = runtime.invoicing(engine.queue().clone());
    let mut events = runtime.subscribe();

    // A double click: the same key twice is one invoice and one job.
    let first = invoicing
        .create_once(app.org, "nueva-1", factura_b())
        .await
        .unwrap();
    let again = invoicing
        .create_once(app.org, "nueva-1", factura_b())
        .await
        .unwrap();
    assert_eq!(first, again);
    wait_state(&app.store, first, InvoiceState::Authorized).await;
    let (count, jobs): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM jobs WHERE kind = 'afip.submit')",
    )
    .fetch_one(app.store.reader())
    .await
    .unwrap();
    assert_eq!((count, jobs), (1, 1));
    assert_eq!(app.sandbox.afip.invoices().len(), 1);

    // The submission used "Probar"'s ticket: no second WSAA login (the simulator would have
    // answered coe.alreadyAuthenticated and the invoice would still be queued).
    assert_eq!(runtime.tickets().logins(), 0);

    // Announced: queued, then authorized, without polling.
    let mut seen = Vec::new();
    while let Ok(Ok(e)) = tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
        assert_eq!((e.org_id, e.invoice_id), (app.org, first));
        seen.push(e.state);
        if e.state == InvoiceState::Authorized {
            break;
        }
    }
    assert_eq!(seen.first(), Some(&InvoiceState::Queued));
    assert_eq!(seen.last(), Some(&InvoiceState::Authorized));

    // After a restart "Probar" still reuses the ticket the submissions kept.
    let again = setup
        .probe(
            app.org,
            &Endpoints::under(&base).unwrap(),
            &HttpClient::default(),
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(again.ticket_reused);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn homologacion_and_produccion_never_share_a_ticket() {
    assert_ne!(
        ticket_secret(AfipEnvironment::Homologacion, "wsfe"),
        ticket_secret(AfipEnvironment::Produccion, "wsfe")
    );
    let app = app().await;
    let setup = mostrador_core::invoicing::certificate::AfipSetup::new(
        app.store.clone(),
        app.secrets.clone(),
    );
    let base = app.sandbox.afip_url();
    setup
        .probe(
            app.org,
            &Endpoints::under(&base).unwrap(),
            &HttpClient::default(),
            Utc::now(),
        )
        .await
        .unwrap();
    setup
        .set_point_of_sale(app.org, POINT_OF_SALE)
        .await
        .unwrap();
    // Switching to producción: no certificate there yet, so nothing submits with the
    // homologación one, and its ticket is not offered.
    setup
        .set_environment(app.org, AfipEnvironment::Produccion)
        .await
        .unwrap();
    let runtime = AfipRuntime::new(
        app.store.clone(),
        app.secrets.clone(),
        Some(base),
        Arc::new(SystemClock),
    );
    assert!(!runtime.refresh(app.org).await.unwrap());
    assert!(runtime.setups().get(app.org).is_none());
    assert!(app
        .secrets
        .get(app.org, &ticket_secret(AfipEnvironment::Produccion, "wsfe"))
        .await
        .unwrap()
        .is_none());
}
