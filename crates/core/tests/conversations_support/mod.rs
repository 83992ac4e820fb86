//! The whole pipeline for conversation tests, on real HTTP: the Graph simulator (fake customers,
//! signed webhooks) → an in-process relay (SQLite) → the inbox poller → `inbox_raw` → the
//! processor, with the app secret in the OS keychain (run under `dbus-run-session`).
#![allow(dead_code)]

// The shared test kit (backends, in-process relay).
pub use mostrador_testkit as common;

use mostrador_core::conversations::{self, ListFilter, MessageView};
use mostrador_core::events::EventBus;
use mostrador_core::inbox::{self, InboxHandle, PollerOptions};
use mostrador_core::intake::{
    Processor, ProcessorHandle, ProcessorOptions, APP_SECRET, PHONE_NUMBER_ID,
};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::secrets::SecretStore;
use mostrador_core::settings;
use mostrador_core::store::Store;
use mostrador_relay::RelayClient;
use mostrador_sandbox::whatsapp::NewCustomer;
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

pub struct Pipeline {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub org: OrgId,
    pub sandbox: Sandbox,
    pub relay: mostrador_relay::server::Running,
    pub backend: common::Backend,
    pub ingress: String,
    /// The relay tenant's device token (what `mostrador-relay tenant create` prints).
    pub device_token: String,
    pub app_secret: String,
    pub phone_number_id: String,
    pub secrets: SecretStore,
    pub events: EventBus,
    pub processor: Processor,
    pub inbox: Option<InboxHandle>,
    pub proc: Option<ProcessorHandle>,
    /// Webhooks sent so far (each becomes one inbox_raw row).
    pub sent: u64,
}

pub async fn pipeline() -> Pipeline {
    let backend = common::Backend::sqlite();
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let ingress = t.local(relay.addr, "whatsapp");
    sandbox.whatsapp.set_webhook_url(Some(ingress.clone()));
    let account = sandbox.whatsapp.account();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("mostrador.sqlite3"))
        .await
        .unwrap();
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
    settings::set(&store, Some(org), PHONE_NUMBER_ID, &account.phone_number_id)
        .await
        .unwrap();
    let secrets = SecretStore::new(&format!("ar.mostrador.test.conv.{}", uuid::Uuid::new_v4()));
    secrets
        .set(org, APP_SECRET, &Secret::new(account.app_secret.clone()))
        .await
        .unwrap();
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
    let events = EventBus::default();
    let processor = Processor::new(store.clone(), Arc::new(secrets.clone()), events.clone())
        .with_options(ProcessorOptions {
            batch: 100,
            idle: Duration::from_secs(5),
        });
    let proc = processor.spawn(org, inbox.committed());
    Pipeline {
        dir,
        store,
        org,
        sandbox,
        relay,
        backend,
        ingress,
        device_token: t.device_token.clone(),
        app_secret: account.app_secret,
        phone_number_id: account.phone_number_id,
        secrets,
        events,
        processor,
        inbox: Some(inbox),
        proc: Some(proc),
        sent: 0,
    }
}

impl Pipeline {
    pub fn customer(&self, wa_id: &str, name: &str) {
        let mut c = NewCustomer::new(wa_id);
        c.name = Some(name.into());
        self.sandbox.whatsapp.add_customer(c);
    }

    /// Waits until the processor has taken `n` rows out of `new` in total (bounded).
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

    /// A fake customer writes; waits until that webhook has been processed. Returns the wamid.
    pub async fn customer_sends(&mut self, wa_id: &str, message: Value) -> String {
        let id = self
            .sandbox
            .whatsapp
            .customer_sends(wa_id, message)
            .unwrap();
        self.sent += 1;
        self.processed(self.sent).await;
        id
    }

    /// POSTs a webhook body to the relay like Meta would (signed unless `signature` says otherwise).
    pub async fn post_raw(&mut self, body: &[u8], signature: Option<&str>) {
        let mut req = common::http()
            .post(&self.ingress)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(s) = signature {
            req = req.header("x-hub-signature-256", s);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        self.sent += 1;
        self.processed(self.sent).await;
    }

    pub async fn post_signed(&mut self, v: &Value) {
        let body = mostrador_sandbox::whatsapp::to_meta_json(v);
        let sig = mostrador_sandbox::whatsapp::sign(&self.app_secret, &body);
        self.post_raw(&body, Some(&sig)).await;
    }

    /// A `messages` change value for our number.
    pub fn value(&self, extra: Value) -> Value {
        let mut v = serde_json::json!({ "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "5491150000000", "phone_number_id": self.phone_number_id } });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    }

    pub async fn only_conversation(&self) -> i64 {
        let page = conversations::list_page(&self.store, self.org, &ListFilter::All, None, 50)
            .await
            .unwrap();
        assert_eq!(page.conversations.len(), 1, "{:?}", page.conversations);
        page.conversations[0].id
    }

    pub async fn thread(&self, conversation_id: i64) -> Vec<MessageView> {
        conversations::thread_page(&self.store, self.org, conversation_id, None, 200)
            .await
            .unwrap()
            .messages
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.store.reader())
            .await
            .unwrap()
    }

    pub async fn raw_statuses(&self) -> Vec<(String, Option<String>)> {
        sqlx::query_as("SELECT status, status_reason FROM inbox_raw ORDER BY relay_seq")
            .fetch_all(self.store.reader())
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(p) = self.proc.take() {
            p.stop().await;
        }
        if let Some(i) = self.inbox.take() {
            i.stop().await;
        }
        let _ = self.secrets.delete(self.org, APP_SECRET).await;
    }
}

/// An envelope with the given entries.
pub fn envelope(entries: Vec<Value>) -> Value {
    serde_json::json!({ "object": "whatsapp_business_account", "entry": entries })
}

pub fn entry(changes: Vec<Value>) -> Value {
    serde_json::json!({ "id": "2023", "time": 1767225600, "changes": changes })
}

pub fn messages_change(value: Value) -> Value {
    serde_json::json!({ "field": "messages", "value": value })
}
