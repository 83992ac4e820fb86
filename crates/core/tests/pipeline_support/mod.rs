//! What the channel and payment test pipelines have in common (channels_support and
//! payments_support both use it): an in-process relay whose public URL is its own address, a fast
//! outbound configuration, bounded waits on SQL and on the processor, and the shutdown order.
#![allow(dead_code)]

use std::time::Duration;

use mostrador_core::inbox::InboxHandle;
use mostrador_core::intake::ProcessorHandle;
use mostrador_core::outbound::{Outbound, OutboundConfig};
use mostrador_core::store::Store;
use mostrador_relay::server::tenant_admin::{self, NewTenantSecrets};
use mostrador_relay::server::{self, ServeConfig, Storage};
use mostrador_relay::RelayClient;

/// Retries and polls fast enough for tests.
pub fn fast_config() -> OutboundConfig {
    let mut cfg = OutboundConfig::default();
    cfg.retry.base = Duration::from_millis(50);
    cfg.retry.cap = Duration::from_millis(400);
    cfg.queue.backstop_poll = Duration::from_millis(50);
    cfg.maintenance_every = Duration::from_secs(3600);
    cfg
}

/// A relay on 127.0.0.1 with one tenant ("kiosco").
pub struct Relay {
    pub dir: tempfile::TempDir,
    pub running: server::Running,
    pub tenant: NewTenantSecrets,
}

impl Relay {
    pub async fn start() -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite:{}", dir.path().join("relay.db").display());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let public = format!("http://{}", listener.local_addr().unwrap());
        let storage = Storage::open(&db).await.unwrap();
        let tenant = tenant_admin::create(&storage, &public, "kiosco", 0)
            .await
            .unwrap();
        storage.close().await;
        let mut cfg = ServeConfig::new(&db, &public);
        cfg.rate_limit = 0.0;
        cfg.max_wait_secs = 5;
        let running = server::start(&cfg, listener).await.unwrap();
        Relay {
            dir,
            running,
            tenant,
        }
    }

    /// The ingress URL of `provider` (`mercadopago`, `stripe`, `twilio`, `whatsapp`).
    pub fn ingress(&self, provider: &str) -> String {
        self.tenant.ingress_urls[provider].clone()
    }

    /// The device's client (what the inbox poller uses).
    pub fn client(&self) -> RelayClient {
        RelayClient::new(
            &format!("http://{}", self.running.addr),
            self.tenant.device_token.clone().into(),
        )
        .unwrap()
    }
}

/// One value of `sql`.
pub async fn scalar<T>(store: &Store, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + Unpin,
{
    sqlx::query_scalar(sql)
        .fetch_one(store.reader())
        .await
        .unwrap()
}

/// Waits (bounded) until `sql` returns `want`.
pub async fn until<T>(store: &Store, sql: &str, want: T)
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
            .fetch_optional(store.reader())
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

/// Waits (bounded) until the processor has taken `n` rows out of `new` in total.
pub async fn processed(proc: &ProcessorHandle, n: u64) {
    let mut rx = proc.report();
    let ok = tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|r| r.rows() >= n))
        .await
        .is_ok();
    assert!(
        ok,
        "the processor did not reach {n} rows: {:?}",
        *rx.borrow()
    );
}

/// The waits every test environment has, from its store and processor (`use …_support::*`
/// brings the trait in).
#[allow(async_fn_in_trait)] // test-only, never spawned across threads through the trait
pub trait Pipeline {
    fn db(&self) -> &Store;
    fn processor(&self) -> &ProcessorHandle;

    /// Waits (bounded) until the processor has taken `n` rows out of `new` in total.
    async fn processed(&self, n: u64) {
        processed(self.processor(), n).await
    }

    /// One value of `sql`.
    async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + Unpin,
    {
        scalar(self.db(), sql).await
    }

    /// Waits (bounded) until `sql` returns `want`.
    async fn until<T>(&self, sql: &str, want: T)
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + Send
            + Unpin
            + PartialEq
            + std::fmt::Debug,
    {
        until(self.db(), sql, want).await
    }
}

/// Stops the pipeline in order: processor, poller, engine, relay.
pub async fn stop(
    proc: Option<ProcessorHandle>,
    inbox: Option<InboxHandle>,
    outbound: Option<std::sync::Arc<Outbound>>,
    relay: Option<server::Running>,
) {
    if let Some(p) = proc {
        p.stop().await;
    }
    if let Some(i) = inbox {
        i.stop().await;
    }
    if let Some(o) = outbound {
        o.shutdown().await;
    }
    if let Some(r) = relay {
        let _ = r.shutdown().await;
    }
}
