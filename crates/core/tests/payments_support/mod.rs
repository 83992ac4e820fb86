//! The payments pipeline on real HTTP and real files: the MercadoPago simulator → an in-process
//! relay (its public URL is the `notification_url` of every preference) → the inbox poller → the
//! processor (x-signature with the keychain secret) → `mercadopago.sync` jobs fetching from the
//! simulator → payments, invoices, and the "pago recibido" message through the outbound engine
//! to the Graph simulator. Secrets in the real keychain (run under `dbus-run-session`).
#![allow(dead_code)]

#[path = "../pipeline_support/mod.rs"]
pub mod pipeline;
pub use pipeline::Pipeline;

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::activity::ActivityGate;
use mostrador_core::channels::whatsapp::{WhatsAppSettings, ACCESS_TOKEN};
use mostrador_core::events::EventBus;
use mostrador_core::inbox::{self, InboxHandle, PollerOptions};
use mostrador_core::intake::{Processor, ProcessorHandle, ProcessorOptions, APP_SECRET};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::outbound::{Handlers, Outbound, Wiring};
use mostrador_core::payments::{
    self, ChargeKind, ChargeRequest, MercadoPagoSettings, PaymentBus, ProviderName,
};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_relay::server;
use mostrador_sandbox::mercadopago::{MercadoPagoSim, RunningMp};
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};

pub const CUSTOMER_PHONE: &str = "5491122334455";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub relay_dir: tempfile::TempDir,
    pub store: Store,
    pub org: OrgId,
    pub secrets: SecretStore,
    pub sandbox: Sandbox,
    pub mp: RunningMp,
    pub relay: Option<server::Running>,
    pub mp_ingress: String,
    pub events: EventBus,
    pub bus: PaymentBus,
    pub outbound: Option<Arc<Outbound>>,
    pub inbox: Option<InboxHandle>,
    pub proc: Option<ProcessorHandle>,
    pub customer_id: i64,
    pub conversation_id: i64,
}

/// "Cobrar" the rest of `invoice_id` with a link sent to the customer; `provider` absent: the
/// default choice.
pub fn link_for(invoice_id: i64, provider: Option<ProviderName>) -> ChargeRequest {
    ChargeRequest {
        invoice_id: Some(invoice_id),
        customer_id: None,
        amount_cents: None,
        title: None,
        kind: ChargeKind::Link,
        send_to_customer: true,
        provider,
        currency: None,
    }
}

pub async fn env() -> Env {
    let relay = pipeline::Relay::start().await;
    let mp_ingress = relay.ingress("mercadopago");

    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mp = MercadoPagoSim::default()
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco Don Pepe".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    let secrets = SecretStore::new(&format!(
        "ar.mostrador.test.payments.{}",
        uuid::Uuid::new_v4()
    ));
    let wa = sandbox.whatsapp.account();
    WhatsAppSettings {
        phone_number_id: wa.phone_number_id.clone(),
        waba_id: wa.waba_id.clone(),
        base_url: Some(sandbox.graph_url()),
        graph_version: None,
    }
    .save(&store, org)
    .await
    .unwrap();
    secrets
        .set(org, ACCESS_TOKEN, &Secret::new(wa.access_token))
        .await
        .unwrap();
    secrets
        .set(org, APP_SECRET, &Secret::new(wa.app_secret))
        .await
        .unwrap();
    let acc = mp.sim.account();
    MercadoPagoSettings {
        base_url: Some(mp.base_url()),
        notification_url: Some(mp_ingress.clone()),
        external_pos_id: Some("CAJA1".into()),
        user_id: Some(acc.user_id),
        timeout_ms: Some(1500),
    }
    .save(&store, org)
    .await
    .unwrap();
    secrets
        .set(org, payments::ACCESS_TOKEN, &Secret::new(acc.access_token))
        .await
        .unwrap();
    secrets
        .set(
            org,
            payments::WEBHOOK_SECRET,
            &Secret::new(acc.webhook_secret),
        )
        .await
        .unwrap();

    // A customer who wrote a minute ago: the 24 h window is open.
    let now = mostrador_core::store::timestamp::now_text();
    let customer_id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (org_id, wa_id, phone, name, first_contact_at, created_at, updated_at)
         VALUES (?1, ?2, ?2, 'Ana Pérez', ?3, ?3, ?3) RETURNING id",
    )
    .bind(org.to_string())
    .bind(CUSTOMER_PHONE)
    .bind(&now)
    .fetch_one(store.writer())
    .await
    .unwrap();
    let conversation_id: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (org_id, customer_id, channel, last_activity_at, last_inbound_at, created_at, updated_at)
         VALUES (?1, ?2, 'whatsapp', ?3, ?3, ?3, ?3) RETURNING id",
    )
    .bind(org.to_string())
    .bind(customer_id)
    .bind(&now)
    .fetch_one(store.writer())
    .await
    .unwrap();

    let events = EventBus::default();
    let bus = PaymentBus::default();
    let mut wiring = Wiring::new(secrets.clone(), ActivityGate::new());
    wiring.handlers = payments::handlers(
        Handlers::new(),
        store.clone(),
        secrets.clone(),
        events.clone(),
        bus.clone(),
    );
    wiring.events = Some(events.clone());
    let outbound = Arc::new(
        Outbound::start(store.clone(), wiring, pipeline::fast_config())
            .await
            .unwrap(),
    );
    let client = relay.client();
    let pipeline::Relay {
        dir: relay_dir,
        running: relay,
        ..
    } = relay;
    let inbox = inbox::spawn(
        store.clone(),
        org,
        client,
        PollerOptions {
            wait: Duration::from_secs(5),
            limit: 500,
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(300),
        },
    );
    let processor = Processor::new(store.clone(), Arc::new(secrets.clone()), events.clone())
        .with_queue(outbound.queue().clone())
        .with_evidence(outbound.clone())
        .with_options(ProcessorOptions {
            batch: 100,
            idle: Duration::from_millis(200),
        });
    let proc = processor.spawn(org, inbox.committed());
    Env {
        dir,
        relay_dir,
        store,
        org,
        secrets,
        sandbox,
        mp,
        relay: Some(relay),
        mp_ingress,
        events,
        bus,
        outbound: Some(outbound),
        inbox: Some(inbox),
        proc: Some(proc),
        customer_id,
        conversation_id,
    }
}

impl pipeline::Pipeline for Env {
    fn db(&self) -> &Store {
        &self.store
    }

    fn processor(&self) -> &ProcessorHandle {
        self.proc.as_ref().unwrap()
    }
}

impl Env {
    pub fn outbound(&self) -> &Outbound {
        self.outbound.as_ref().unwrap()
    }

    /// An authorized invoice of `total_cents` pesos for the customer.
    pub async fn invoice(&self, total_cents: i64) -> i64 {
        let now = mostrador_core::store::timestamp::now_text();
        let number: i64 = sqlx::query_scalar("SELECT coalesce(max(number), 0) + 1 FROM invoices")
            .fetch_one(self.store.reader())
            .await
            .unwrap();
        sqlx::query_scalar(
            "INSERT INTO invoices (org_id, issuer_cuit, point_of_sale, voucher_type, state, number, date, concept,
                 receiver_doc_type, receiver_doc_number, receiver_condition, customer_id, currency, currency_rate,
                 net_cents, not_taxed_cents, exempt_cents, iva_cents, tributes_cents, total_cents, draft_json,
                 payload_xml, cae, cae_due, authorized_at, created_at, updated_at)
             VALUES (?1, '20123456786', 2, 11, 'authorized', ?2, '2026-11-29', 1, 99, 0, 'consumidor_final', ?3,
                 'PES', 1000000, ?4, 0, 0, 0, 0, ?4, '{}', '<x/>', '71234567890123', '2026-12-09', ?5, ?5, ?5)
             RETURNING id",
        )
        .bind(self.org.to_string())
        .bind(number)
        .bind(self.customer_id.to_string())
        .bind(total_cents)
        .bind(&now)
        .fetch_one(self.store.writer())
        .await
        .unwrap()
    }

    /// Waits until no payments job (MercadoPago's or Stripe's) is waiting or running.
    pub async fn jobs_settled(&self) {
        self.until(
            "SELECT count(*) FROM jobs WHERE (kind LIKE 'stripe.%' OR kind LIKE 'mercadopago.%')
               AND state NOT IN ('completed', 'discarded', 'cancelled')",
            0i64,
        )
        .await;
    }

    /// "Cobrar" as the app does, checking which providers the keychain holds.
    pub async fn charge(
        &self,
        req: ChargeRequest,
    ) -> Result<payments::PaymentLinkView, payments::PaymentsError> {
        payments::charge_checked(
            &self.store,
            self.outbound().queue(),
            &self.secrets,
            &self.bus,
            self.org,
            req,
        )
        .await
    }

    /// Waits until link `id` is ready; returns its checkout id (preference or session).
    /// On timeout the jobs' errors say why.
    pub async fn until_ready(&self, id: i64) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let state: String = self
                .scalar(&format!("SELECT state FROM payment_links WHERE id = {id}"))
                .await;
            if state == "ready" {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                let jobs: Vec<(String, String, String)> =
                    sqlx::query_as("SELECT kind, state, errors FROM jobs")
                        .fetch_all(self.store.reader())
                        .await
                        .unwrap();
                panic!("link {id} still {state}; jobs: {jobs:?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.scalar(&format!(
            "SELECT preference_id FROM payment_links WHERE id = {id}"
        ))
        .await
    }

    /// How many "pago recibido" messages were written.
    pub async fn thanks(&self) -> i64 {
        self.scalar("SELECT count(*) FROM messages WHERE text LIKE '%recibimos tu pago%'")
            .await
    }

    pub async fn stop(mut self) {
        pipeline::stop(
            self.proc.take(),
            self.inbox.take(),
            self.outbound.take(),
            self.relay.take(),
        )
        .await;
        for k in [
            ACCESS_TOKEN,
            APP_SECRET,
            payments::ACCESS_TOKEN,
            payments::WEBHOOK_SECRET,
        ] {
            let _ = self.secrets.delete(self.org, k).await;
        }
    }
}
