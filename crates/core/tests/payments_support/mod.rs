//! The payments pipeline on real HTTP and real files: the MercadoPago simulator → an in-process
//! relay (its public URL is the `notification_url` of every preference) → the inbox poller → the
//! processor (x-signature with the keychain secret) → `mercadopago.sync` jobs fetching from the
//! simulator → payments, invoices, and the "pago recibido" message through the outbound engine
//! to the Graph simulator. Secrets in the real keychain (run under `dbus-run-session`).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::activity::ActivityGate;
use mostrador_core::channels::whatsapp::{WhatsAppSettings, ACCESS_TOKEN};
use mostrador_core::events::EventBus;
use mostrador_core::inbox::{self, InboxHandle, PollerOptions};
use mostrador_core::intake::{Processor, ProcessorHandle, ProcessorOptions, APP_SECRET};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::outbound::{Handlers, Outbound, OutboundConfig, Wiring};
use mostrador_core::payments::{self, MercadoPagoSettings, PaymentBus};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_relay::server::{self, tenant_admin, ServeConfig, Storage};
use mostrador_relay::RelayClient;
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

fn fast_config() -> OutboundConfig {
    let mut cfg = OutboundConfig::default();
    cfg.retry.base = Duration::from_millis(50);
    cfg.retry.cap = Duration::from_millis(400);
    cfg.queue.backstop_poll = Duration::from_millis(50);
    cfg.maintenance_every = Duration::from_secs(3600);
    cfg
}

pub async fn env() -> Env {
    let relay_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", relay_dir.path().join("relay.db").display());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("http://{}", listener.local_addr().unwrap());
    let storage = Storage::open(&db).await.unwrap();
    let t = tenant_admin::create(&storage, &public, "kiosco", 0)
        .await
        .unwrap();
    storage.close().await;
    let mut cfg = ServeConfig::new(&db, &public);
    cfg.rate_limit = 0.0;
    cfg.max_wait_secs = 5;
    let relay = server::start(&cfg, listener).await.unwrap();
    let mp_ingress = t.ingress_urls["mercadopago"].clone();

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
        Outbound::start(store.clone(), wiring, fast_config())
            .await
            .unwrap(),
    );
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
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

    /// Waits (bounded) until the processor has taken `n` rows out of `new` in total.
    pub async fn processed(&self, n: u64) {
        let mut rx = self.proc.as_ref().unwrap().report();
        let ok = tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|r| r.rows() >= n))
            .await
            .is_ok();
        assert!(
            ok,
            "the processor did not reach {n} rows: {:?}",
            *rx.borrow()
        );
    }

    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + Unpin,
    {
        sqlx::query_scalar(sql)
            .fetch_one(self.store.reader())
            .await
            .unwrap()
    }

    /// Waits (bounded) until `sql` returns `want`.
    pub async fn until<T>(&self, sql: &str, want: T)
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + Send
            + Unpin
            + PartialEq
            + std::fmt::Debug,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got: Option<T> = sqlx::query_scalar(sql)
                .fetch_optional(self.store.reader())
                .await
                .unwrap();
            if got.as_ref() == Some(&want) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{sql}: wanted {want:?}, still {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until no payments job is waiting or running.
    pub async fn jobs_settled(&self) {
        self.until(
            "SELECT count(*) FROM jobs WHERE kind LIKE 'mercadopago.%' AND state NOT IN ('completed', 'discarded', 'cancelled')",
            0i64,
        )
        .await;
    }

    pub async fn stop(mut self) {
        if let Some(p) = self.proc.take() {
            p.stop().await;
        }
        if let Some(i) = self.inbox.take() {
            i.stop().await;
        }
        if let Some(o) = self.outbound.take() {
            o.shutdown().await;
        }
        if let Some(r) = self.relay.take() {
            let _ = r.shutdown().await;
        }
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
