//! The demo shop gets paid with MercadoPago out of the box: a demo customer writes (through the
//! Graph simulator, the demo relay and the intake), gets an authorized Factura B, "Cobrar" makes
//! the link through the queue on the demo's MercadoPago simulator, the buyer approves it on the
//! simulator, and its signed webhook comes back through the demo relay to the processor — so the
//! invoice turns paid and the customer gets exactly one "pago recibido" in her thread. Real
//! SQLite, real HTTP on loopback, the OS keychain (run under `dbus-run-session`).

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::activity::ActivityGate;
use mostrador_core::demo::{self, DemoOptions};
use mostrador_core::events::{ConversationEvent, EventBus};
use mostrador_core::inbox::PollerOptions;
use mostrador_core::intake::{self, IntakeWiring, JobEvidence};
use mostrador_core::invoicing::model::{ItemInput, ItemIva, NewInvoice};
use mostrador_core::invoicing::{AfipRuntime, InvoiceState, KIND};
use mostrador_core::outbound::{Handlers, Outbound, OutboundConfig, Wiring};
use mostrador_core::payments::{
    self, ChargeKind, ChargeRequest, PaymentBus, PaymentEvent, PaymentsError, RefundRequest,
};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_queue::SystemClock;
use mostrador_sandbox::mercadopago::PayRequest;

async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(t) = check().await {
            return t;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_charge_approved_on_the_simulator_pays_the_invoice_and_thanks_once() {
    let data = tempfile::tempdir().unwrap();
    let secrets = SecretStore::new(&format!(
        "ar.mostrador.test.demopay.{}",
        uuid::Uuid::new_v4()
    ));
    let mut options = DemoOptions::new(secrets.clone());
    options.trickle_every = (Duration::from_secs(3600), Duration::from_secs(3600));
    let store = Store::open(&demo::db_path(data.path())).await.unwrap();
    let demo = demo::start(data.path(), store.clone(), options)
        .await
        .unwrap();
    let org = demo.org();
    demo.set_trickle(false).await.unwrap();

    // The app's wiring of the demo: AFIP and payments handlers on one engine, and the intake.
    let rt = AfipRuntime::new(
        store.clone(),
        secrets.clone(),
        Some(demo.sandbox().afip_url()),
        Arc::new(SystemClock),
    );
    assert!(rt.refresh(org).await.unwrap());
    let gate = ActivityGate::new();
    let events = EventBus::default();
    let bus = PaymentBus::default();
    let mut wiring = Wiring::new(secrets.clone(), gate.clone());
    wiring.events = Some(events.clone());
    wiring.handlers = payments::handlers(
        Handlers::new().with(KIND, rt.handler(gate)),
        store.clone(),
        secrets.clone(),
        events.clone(),
        bus.clone(),
    );
    let engine = Arc::new(
        Outbound::start(store.clone(), wiring, OutboundConfig::default())
            .await
            .unwrap(),
    );
    let mut conv_events = events.subscribe();
    let intake = intake::start_for_org(
        &IntakeWiring {
            store: store.clone(),
            secrets: secrets.clone(),
            events: events.clone(),
            evidence: Some(engine.clone() as Arc<dyn JobEvidence>),
            poller: PollerOptions {
                wait: Duration::from_secs(5),
                ..PollerOptions::default()
            },
        },
        org,
    )
    .await
    .unwrap();

    // A demo customer writes: her conversation exists and the 24 h window is open.
    let fake = &demo::CUSTOMERS[0];
    demo.sandbox()
        .whatsapp
        .customer_sends(
            fake.wa_id,
            serde_json::json!({ "type": "text", "text": { "body": "Hola, ¿me pasás para pagar?" } }),
        )
        .unwrap();
    let (conversation_id, customer_id) = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(ConversationEvent::NewMessage { message, .. }) = conv_events.recv().await {
                let c: i64 =
                    sqlx::query_scalar("SELECT customer_id FROM conversations WHERE id = ?")
                        .bind(message.conversation_id)
                        .fetch_one(store.reader())
                        .await
                        .unwrap();
                return (message.conversation_id, c);
            }
        }
    })
    .await
    .expect("the customer's message arrived");

    let mut inv_events = rt.subscribe();
    let mut sale = NewInvoice::consumidor_final(vec![ItemInput {
        description: "Yerba 1 kg".into(),
        quantity: "1".into(),
        unit_price: "2500.00".into(),
        discount: None,
        iva: Some(ItemIva::TwentyOne),
    }]);
    sale.customer_id = Some(customer_id.to_string());
    let invoice = rt
        .invoicing(engine.queue().clone())
        .create(org, sale)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = inv_events.recv().await.unwrap();
            if e.invoice_id == invoice && e.state.is_final() {
                assert_eq!(e.state, InvoiceState::Authorized);
                return;
            }
        }
    })
    .await
    .expect("the invoice was authorized");

    // "Cobrar" twice (a double click): one link, for what is left (the whole invoice).
    let mut pay_events = bus.subscribe();
    let req = ChargeRequest {
        invoice_id: Some(invoice),
        customer_id: None,
        amount_cents: None,
        title: None,
        kind: ChargeKind::Link,
        send_to_customer: false,
        provider: None,
        currency: None,
    };
    let link = payments::charge(&store, engine.queue(), &bus, org, req.clone())
        .await
        .unwrap();
    let again = payments::charge(&store, engine.queue(), &bus, org, req)
        .await
        .unwrap();
    assert_eq!(link.id, again.id);
    assert_eq!(link.amount_cents, 302_500);
    assert_eq!(link.customer_id, Some(customer_id));
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(PaymentEvent::LinkChanged { link_id, state, .. }) = pay_events.recv().await {
                if link_id == link.id && state == "ready" {
                    return;
                }
            }
        }
    })
    .await
    .expect("the link became ready");
    let link = payments::get_link(&store, org, link.id).await.unwrap();
    let url = link.url.clone().unwrap();
    let mp = demo.mercadopago();
    assert!(
        url.contains("/mp/checkout/v1/redirect?pref_id="),
        "the simulator's checkout page: {url}"
    );
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"mp-approve\""), "{page}");

    // "Enviar por WhatsApp": the link in her thread, as a text (the window is open); twice ⇒ once.
    let sent = payments::send_link(&store, engine.queue(), &events, org, link.id)
        .await
        .unwrap();
    let twice = payments::send_link(&store, engine.queue(), &events, org, link.id)
        .await
        .unwrap();
    assert_eq!(sent, twice);
    let body: Option<String> = sqlx::query_scalar("SELECT text FROM messages WHERE id = ?")
        .bind(sent)
        .fetch_one(store.reader())
        .await
        .unwrap();
    assert!(body.unwrap().contains(&url));

    // The buyer approves on the simulator (as its checkout page's #mp-approve does).
    let pref = mp
        .preferences()
        .into_iter()
        .find(|p| url.contains(&p.id))
        .unwrap();
    mp.pay(PayRequest {
        preference_id: pref.id,
        outcome: "approve".into(),
        amount_cents: None,
        installments: None,
    })
    .await
    .unwrap();

    let status = until("the invoice paid", || async {
        payments::invoice_status(&store, org, invoice)
            .await
            .unwrap()
            .filter(|s| s.state == "paid")
    })
    .await;
    assert_eq!(status.paid_cents, 302_500);
    let thanks: Vec<String> = until("one pago recibido", || async {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT text FROM messages WHERE conversation_id = ? AND direction = 'out'
               AND text LIKE '%recibimos tu pago%'",
        )
        .bind(conversation_id)
        .fetch_all(store.reader())
        .await
        .unwrap();
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(thanks.len(), 1, "{thanks:?}");
    assert!(thanks[0].contains("$ 3.025,00"), "{}", thanks[0]);
    // The webhook came through the demo relay and was verified (nothing quarantined).
    let quarantined: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inbox_raw WHERE provider = 'mercadopago' AND status = 'quarantined'",
    )
    .fetch_one(store.reader())
    .await
    .unwrap();
    assert_eq!(quarantined, 0);

    // Refund part of it: more than was paid is refused; the matching nota de crédito is
    // pre-filled for exactly the refunded amount, linked to the invoice, and issues through
    // the invoicing's own path.
    let payment = payments::list_payments(
        &store,
        org,
        &payments::PaymentFilter {
            invoice_id: Some(invoice),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .remove(0);
    assert_eq!(payment.customer_id, Some(customer_id));
    let too_much = payments::request_refund(
        &store,
        engine.queue(),
        org,
        RefundRequest {
            payment_id: payment.id,
            amount_cents: Some(302_501),
            idempotency_key: "demo-refund-1".into(),
        },
    )
    .await;
    assert!(
        matches!(
            too_much,
            Err(PaymentsError::RefundTooLarge { left: 302_500, .. })
        ),
        "{too_much:?}"
    );
    payments::request_refund(
        &store,
        engine.queue(),
        org,
        RefundRequest {
            payment_id: payment.id,
            amount_cents: Some(100_000),
            idempotency_key: "demo-refund-2".into(),
        },
    )
    .await
    .unwrap();
    let invoicing = rt.invoicing(engine.queue().clone());
    let note = payments::credit_note_for_refund(&store, &invoicing, org, payment.id, 100_000)
        .await
        .unwrap();
    assert_eq!(note.associated_invoice_id, Some(invoice));
    assert_eq!(
        invoicing
            .check(org, &note)
            .await
            .unwrap()
            .invoice
            .amounts
            .total
            .cents(),
        100_000
    );
    let whole = payments::credit_note_for_refund(&store, &invoicing, org, payment.id, 302_500)
        .await
        .unwrap();
    assert_eq!(whole.items.len(), 1);
    assert_eq!(whole.items[0].description, "Yerba 1 kg");
    let nc = invoicing.create(org, note).await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = inv_events.recv().await.unwrap();
            if e.invoice_id == nc && e.state.is_final() {
                assert_eq!(e.state, InvoiceState::Authorized);
                return;
            }
        }
    })
    .await
    .expect("the nota de crédito was authorized");

    intake.stop().await;
    engine.shutdown().await;
    demo.stop().await;
    store.close().await;
    demo::exit(data.path(), &secrets).await.unwrap();
    assert!(secrets
        .get(org, payments::WEBHOOK_SECRET)
        .await
        .unwrap()
        .is_none());
}
