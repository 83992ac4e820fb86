//! Shared set-up of the outbound tests: a real SQLite file, a business, the WhatsApp simulator over
//! HTTP on 127.0.0.1, the org's WhatsApp settings pointing at it, and its token in the real
//! keychain (run under `dbus-run-session` with an unlocked keyring, like `scripts/test` does).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mostrador_core::activity::ActivityGate;
use mostrador_core::channels::whatsapp::{WhatsAppSend, WhatsAppSettings, ACCESS_TOKEN, KIND};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::outbound::{Outbound, OutboundConfig, Wiring};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_queue::{Job, JobId, JobState, NewJob};
use mostrador_sandbox::whatsapp::NewCustomer;
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};

pub const CUSTOMER: &str = "5491122334455";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub org: OrgId,
    pub secrets: SecretStore,
    pub sandbox: Sandbox,
}

impl Env {
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("m.sqlite3")
    }
}

pub async fn create_org(store: &Store) -> OrgId {
    org::create(
        store,
        NewOrganization {
            name: "Kiosco Don Pepe".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id
}

/// Points the org's WhatsApp settings at the simulator; stores the token unless `token` is false.
pub async fn configure_whatsapp(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    sandbox: &Sandbox,
    token: bool,
) {
    let account = sandbox.whatsapp.account();
    WhatsAppSettings {
        phone_number_id: account.phone_number_id.clone(),
        waba_id: account.waba_id.clone(),
        base_url: Some(sandbox.graph_url()),
        graph_version: None,
    }
    .save(store, org)
    .await
    .unwrap();
    if token {
        secrets
            .set(org, ACCESS_TOKEN, &Secret::new(account.access_token))
            .await
            .unwrap();
    }
}

/// A customer who wrote a moment ago (the 24 h window is open).
pub fn customer(sandbox: &Sandbox, wa_id: &str) {
    sandbox.whatsapp.add_customer(NewCustomer::new(wa_id));
    assert!(sandbox
        .whatsapp
        .set_last_inbound_age(wa_id, Duration::from_secs(0)));
}

pub fn test_secrets() -> SecretStore {
    SecretStore::new(&format!(
        "ar.mostrador.test.outbound.{}",
        uuid::Uuid::new_v4()
    ))
}

pub async fn env(token: bool) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = create_org(&store).await;
    let secrets = test_secrets();
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    configure_whatsapp(&store, &secrets, org, &sandbox, token).await;
    customer(&sandbox, CUSTOMER);
    Env {
        dir,
        store,
        org,
        secrets,
        sandbox,
    }
}

/// Short timings so tests run in seconds.
pub fn fast_config() -> OutboundConfig {
    let mut cfg = OutboundConfig::default();
    cfg.retry.base = Duration::from_millis(50);
    cfg.retry.cap = Duration::from_millis(400);
    cfg.queue.backstop_poll = Duration::from_millis(50);
    cfg.maintenance_every = Duration::from_secs(3600);
    cfg
}

pub async fn start(env: &Env, cfg: OutboundConfig) -> Outbound {
    start_on(&env.store, &env.secrets, cfg).await
}

pub async fn start_on(store: &Store, secrets: &SecretStore, cfg: OutboundConfig) -> Outbound {
    Outbound::start(
        store.clone(),
        Wiring::new(secrets.clone(), ActivityGate::new()),
        cfg,
    )
    .await
    .unwrap()
}

pub fn text_job(org: OrgId, to: &str, body: &str) -> NewJob {
    NewJob::new(org.0, KIND, &WhatsAppSend::text(to, body)).unwrap()
}

pub async fn enqueue(o: &Outbound, job: NewJob) -> JobId {
    o.queue().enqueue(&job).await.unwrap().id()
}

pub async fn job(o: &Outbound, id: JobId) -> Job {
    o.queue().get(id).await.unwrap().unwrap()
}

/// Waits (bounded) until `f` holds for the job.
pub async fn wait_job(o: &Outbound, id: JobId, what: &str, f: impl Fn(&Job) -> bool) -> Job {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let j = job(o, id).await;
        if f(&j) {
            return j;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job {id} never got {what}: {j:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn wait_state(o: &Outbound, id: JobId, state: JobState) -> Job {
    wait_job(o, id, state.as_str(), |j| j.state == state).await
}

/// The `send_message` calls the simulator accepted, as their callback data.
pub fn accepted_callbacks(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .whatsapp
        .log_of("send_message")
        .into_iter()
        .filter_map(|e| {
            e.request["biz_opaque_callback_data"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

pub fn path_str(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

pub type Shared<T> = Arc<std::sync::Mutex<T>>;
