//! The demo shop issues invoices out of the box: its own test CA (trusted by the in-process AFIP
//! simulator), a certificate for the demo CUIT made through the real set-up flow, "Probar" and
//! the point of sale chosen. A Factura B for a consumidor final goes through the real
//! `afip.submit` handler, gets its CAE, and its PDF carries it; after a restart (new simulator,
//! new CA) it still works; "Salir del demo" removes the AFIP keychain entries. Needs a Secret
//! Service (run under `dbus-run-session` with an unlocked keyring).

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::activity::ActivityGate;
use mostrador_core::demo::{self, DemoOptions};
use mostrador_core::invoicing::certificate::AfipEnvironment;
use mostrador_core::invoicing::document::{self, PrintLayout};
use mostrador_core::invoicing::model::{ItemInput, ItemIva, NewInvoice};
use mostrador_core::invoicing::{AfipRuntime, InvoiceState, KIND};
use mostrador_core::outbound::{Handlers, Outbound, OutboundConfig, Wiring};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_queue::SystemClock;

fn options(secrets: &SecretStore) -> DemoOptions {
    let mut o = DemoOptions::new(secrets.clone());
    o.trickle_every = (Duration::from_secs(3600), Duration::from_secs(3600));
    o
}

fn factura_b() -> NewInvoice {
    NewInvoice::consumidor_final(vec![ItemInput {
        description: "Alfajores x 6".into(),
        quantity: "1".into(),
        unit_price: "2500.00".into(),
        discount: None,
        iva: Some(ItemIva::TwentyOne),
    }])
}

/// Boots the demo with an engine running the submissions, issues one Factura B, waits for its
/// CAE and returns (org, invoice id, CAE, PDF text).
async fn issue_one(data: &std::path::Path, secrets: &SecretStore) -> (String, i64, String, String) {
    let store = Store::open(&demo::db_path(data)).await.unwrap();
    let demo = demo::start(data, store.clone(), options(secrets))
        .await
        .unwrap();
    let rt = AfipRuntime::new(
        store.clone(),
        secrets.clone(),
        Some(demo.sandbox().afip_url()),
        Arc::new(SystemClock),
    );
    assert!(rt.refresh(demo.org()).await.unwrap(), "the demo is set up");
    let gate = ActivityGate::new();
    let mut wiring = Wiring::new(secrets.clone(), gate.clone());
    wiring.handlers = Handlers::new().with(KIND, rt.handler(gate));
    let engine = Outbound::start(store.clone(), wiring, OutboundConfig::default())
        .await
        .unwrap();
    let mut events = rt.subscribe();
    let invoicing = rt.invoicing(engine.queue().clone());
    let id = invoicing.create(demo.org(), factura_b()).await.unwrap();
    // Awaits the handler's announcement instead of polling.
    let state = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = events.recv().await.unwrap();
            if e.invoice_id == id && e.state.is_final() {
                return e.state;
            }
        }
    })
    .await
    .expect("the invoice was decided in time");
    let (cae, reason, voucher_type): (Option<String>, Option<String>, i64) =
        sqlx::query_as("SELECT cae, reject_reason, voucher_type FROM invoices WHERE id = ?")
            .bind(id)
            .fetch_one(store.reader())
            .await
            .unwrap();
    assert_eq!(state, InvoiceState::Authorized, "{reason:?}");
    assert_eq!(
        voucher_type, 6,
        "a responsable inscripto gives a consumidor final a Factura B"
    );
    let cae = cae.unwrap();
    let pdf = document::render_to_store(&store, data, demo.org(), id, PrintLayout::A4)
        .await
        .unwrap();
    let again = document::render_to_store(&store, data, demo.org(), id, PrintLayout::A4)
        .await
        .unwrap();
    assert_eq!(pdf, again, "content-addressed: a reprint is the same file");
    let out = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let org = demo.org().to_string();
    engine.shutdown().await;
    demo.stop().await;
    store.close().await;
    (org, id, cae, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_issues_a_factura_b_with_cae_and_pdf_and_again_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let secrets = SecretStore::new(&format!(
        "ar.mostrador.test.demoafip.{}",
        uuid::Uuid::new_v4()
    ));
    let (org, _, cae, text) = issue_one(data.path(), &secrets).await;
    assert_eq!(cae.len(), 14, "{cae}");
    assert!(text.contains(&cae), "the PDF shows the CAE {cae}:\n{text}");
    assert!(
        text.contains("3.025,00") || text.contains("3025"),
        "total 2500 + 21 %:\n{text}"
    );

    // A restart: a new simulator and CA; the business still issues (number 2).
    let (org2, second, cae2, _) = issue_one(data.path(), &secrets).await;
    assert_eq!(org, org2);
    assert_ne!(cae, cae2);
    assert!(second > 0);

    let org_id = org.parse().unwrap();
    demo::exit(data.path(), &secrets).await.unwrap();
    let env = AfipEnvironment::Homologacion;
    for name in [env.key_secret(), env.ticket_secret("wsfe")] {
        assert!(
            secrets.get(org_id, &name).await.unwrap().is_none(),
            "{name} left in the keychain"
        );
    }
}

/// "Enviar por WhatsApp" on an authorized invoice: the `factura_disponible` template goes to the
/// invoice's customer with the invoice PDF as its document header (uploaded by the send job),
/// once — a second click finds the same message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorized_invoice_goes_to_its_customer_by_whatsapp_with_its_pdf_once() {
    use mostrador_core::events::EventBus;
    use mostrador_core::invoicing::send::send_by_whatsapp;
    use mostrador_core::templates;
    use mostrador_sandbox::whatsapp::{ConfigPatch, TemplateReview};

    let data = tempfile::tempdir().unwrap();
    let secrets = SecretStore::new(&format!(
        "ar.mostrador.test.demoafip.{}",
        uuid::Uuid::new_v4()
    ));
    let store = Store::open(&demo::db_path(data.path())).await.unwrap();
    let demo = demo::start(data.path(), store.clone(), options(&secrets))
        .await
        .unwrap();
    let org = demo.org();
    demo.sandbox().whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 5 }),
        ..Default::default()
    });
    templates::create_suggested(&store, &secrets, org, |_| {})
        .await
        .unwrap();
    // Meta approves a moment later; "Sincronizar" reads it (no intake runs in this test).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        templates::sync(&store, &secrets, org, |_| {})
            .await
            .unwrap();
        if templates::get(&store, org, "factura_disponible", "es_AR")
            .await
            .is_ok_and(|t| t.sendable)
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "factura_disponible never approved"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let rt = AfipRuntime::new(
        store.clone(),
        secrets.clone(),
        Some(demo.sandbox().afip_url()),
        Arc::new(SystemClock),
    );
    assert!(rt.refresh(org).await.unwrap(), "the demo is set up");
    let gate = ActivityGate::new();
    let mut wiring = Wiring::new(secrets.clone(), gate.clone());
    wiring.handlers = Handlers::new().with(KIND, rt.handler(gate));
    let engine = Outbound::start(store.clone(), wiring, OutboundConfig::default())
        .await
        .unwrap();
    // One of the demo's customers, as the processor would have stored her first message.
    let fake = &demo::CUSTOMERS[0];
    let customer_id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (org_id, wa_id, name, phone, first_contact_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, '2026-11-01T10:00:00.000Z', '2026-11-01T10:00:00.000Z',
                 '2026-11-01T10:00:00.000Z')
         RETURNING id",
    )
    .bind(org.to_string())
    .bind(fake.wa_id)
    .bind(fake.name)
    .bind(fake.wa_id)
    .fetch_one(store.writer())
    .await
    .unwrap();
    let mut events = rt.subscribe();
    let mut sale = factura_b();
    sale.customer_id = Some(customer_id.to_string());
    let id = rt
        .invoicing(engine.queue().clone())
        .create(org, sale)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = events.recv().await.unwrap();
            if e.invoice_id == id && e.state.is_final() {
                assert_eq!(e.state, InvoiceState::Authorized);
                return;
            }
        }
    })
    .await
    .expect("the invoice was decided in time");

    let bus = EventBus::default();
    let sent = send_by_whatsapp(&store, engine.queue(), &bus, data.path(), org, id, None)
        .await
        .unwrap();
    assert!(!sent.already_sent);
    let twice = send_by_whatsapp(&store, engine.queue(), &bus, data.path(), org, id, None)
        .await
        .unwrap();
    assert!(twice.already_sent, "a second click sends nothing new");
    assert_eq!(twice.message_id, sent.message_id);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let state: String = sqlx::query_scalar("SELECT state FROM jobs WHERE id = ?")
            .bind(sent.job_id)
            .fetch_one(store.reader())
            .await
            .unwrap();
        if state == "completed" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the send job is still {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sends: Vec<_> = demo
        .sandbox()
        .whatsapp
        .log_of("send_message")
        .into_iter()
        .filter(|e| e.request["template"]["name"] == "factura_disponible")
        .collect();
    assert_eq!(sends.len(), 1, "one send for one invoice");
    let header = sends[0].request["template"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "header")
        .cloned()
        .expect("a header component");
    let doc = &header["parameters"][0]["document"];
    let uploaded: Vec<String> = demo
        .sandbox()
        .whatsapp
        .log_of("upload_media")
        .iter()
        .filter_map(|e| e.response["id"].as_str().map(str::to_owned))
        .collect();
    assert!(
        uploaded.iter().any(|u| doc["id"] == u.as_str()),
        "the header is the uploaded PDF: {doc}"
    );
    assert_eq!(doc["filename"], "Factura-B-00001-00000001.pdf");
    let body = &sends[0].request["template"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "body")
        .cloned()
        .unwrap();
    assert_eq!(body["parameters"][2]["text"], "$ 3.025,00");
    engine.shutdown().await;
    demo.stop().await;
    store.close().await;
}

/// The demo's contingency (CAEA) point of sale.
const DEMO_CAEA_POINT_OF_SALE: u32 = 90;

/// What one run of [`caea_run`] saw.
struct CaeaRun {
    issued: Vec<mostrador_core::invoicing::caea::IssuedCaeaInvoice>,
    summary: Option<mostrador_core::invoicing::caea::ReportSummary>,
    at_afip: Vec<mostrador_sandbox::afip::StoredInvoice>,
}

/// One run of the demo (no engine: nothing is submitted, so each sale stays queued until it is
/// issued with the fortnight's CAEA on the contingency point of sale), then, when `inform`, one
/// inform pass.
async fn caea_run(
    data: &std::path::Path,
    secrets: &SecretStore,
    sales: &[&str],
    inform: bool,
) -> CaeaRun {
    use mostrador_core::invoicing::caea::issue::Trigger;

    let store = Store::open(&demo::db_path(data)).await.unwrap();
    let demo = demo::start(data, store.clone(), options(secrets))
        .await
        .unwrap();
    let org = demo.org();
    let rt = AfipRuntime::new(
        store.clone(),
        secrets.clone(),
        Some(demo.sandbox().afip_url()),
        Arc::new(SystemClock),
    );
    assert!(rt.refresh(org).await.unwrap(), "the demo is set up");
    let contingency = rt.contingency();
    assert!(contingency.enabled(org).await.unwrap());
    contingency.ensure_caeas(org).await.unwrap();
    let invoicing = rt.invoicing(mostrador_queue::Queue::new(store.writer().clone()));
    let mut issued = Vec::new();
    for pesos in sales {
        let mut sale = factura_b();
        sale.items[0].unit_price = (*pesos).into();
        let id = invoicing.create(org, sale).await.unwrap();
        let done = contingency
            .issue_queued(org, id, Trigger::Automatic)
            .await
            .unwrap();
        assert_eq!(done.point_of_sale, DEMO_CAEA_POINT_OF_SALE);
        issued.push(done);
    }
    let summary = if inform {
        Some(contingency.report_pending(org).await.unwrap())
    } else {
        None
    };
    let at_afip = demo.sandbox().afip.invoices();
    demo.stop().await;
    store.close().await;
    CaeaRun {
        issued,
        summary,
        at_afip,
    }
}

/// A contingency invoice issued before a restart is still informed after it: the new simulator
/// is told the stored CAEA and the CAEA invoices AFIP already accepted, so the pending one is the
/// next number under a CAEA AFIP knows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caea_invoice_issued_before_a_demo_restart_is_informed_after_it() {
    let data = tempfile::tempdir().unwrap();
    let secrets = SecretStore::new(&format!(
        "ar.mostrador.test.demoafip.{}",
        uuid::Uuid::new_v4()
    ));
    // First run: one CAEA invoice, informed.
    let first = caea_run(data.path(), &secrets, &["100"], true).await;
    let summary = first.summary.unwrap();
    assert_eq!((summary.informed, summary.rejected), (1, 0), "{summary:?}");
    assert_eq!(first.at_afip.len(), 1);
    let caea = first.at_afip[0].cae.clone();

    // Second run: one more, and the app stops before informing it.
    let second = caea_run(data.path(), &secrets, &["200"], false).await;
    assert_eq!(second.issued[0].number, 2);
    assert_eq!(second.issued[0].caea.to_string(), caea);
    assert!(second
        .at_afip
        .iter()
        .all(|i| i.number != 2 || i.emission != "CAEA"));

    // Third run on the same data dir: it is informed under the same CAEA, as number 2.
    let third = caea_run(data.path(), &secrets, &[], true).await;
    let summary = third.summary.unwrap();
    assert_eq!(
        (summary.informed, summary.rejected, summary.pending),
        (1, 0, 0),
        "{summary:?}"
    );
    let caea_ones: Vec<(u64, &str)> = third
        .at_afip
        .iter()
        .filter(|i| i.emission == "CAEA")
        .map(|i| (i.number, i.cae.as_str()))
        .collect();
    assert_eq!(caea_ones, vec![(1, caea.as_str()), (2, caea.as_str())]);
    demo::exit(data.path(), &secrets).await.unwrap();
}
