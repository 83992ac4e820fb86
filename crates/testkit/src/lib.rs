//! Shared test helpers (dev-only, never published): storage backends (SQLite temp file or a fresh
//! database on the test PostgreSQL server), an in-process relay, and the providers' signature
//! checks. Used by the relay's and core's integration tests.

pub mod bench;
pub mod conversations_db;
pub mod signatures;

use mostrador_relay::server::{self, tenant_admin, ServeConfig, Storage};
use std::time::Duration;

pub const PUBLIC_URL: &str = "https://relay.example.com";

/// The PostgreSQL server URL from `scripts/test-postgres.sh`. `None` (test skipped) only when
/// `MOSTRADOR_SKIP_POSTGRES=1`; otherwise a missing URL fails the test.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("MOSTRADOR_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("MOSTRADOR_SKIP_POSTGRES").as_deref() == Ok("1") => {
            eprintln!("SKIPPED: PostgreSQL test (MOSTRADOR_SKIP_POSTGRES=1)");
            None
        }
        _ => panic!(
            "MOSTRADOR_TEST_POSTGRES_URL is not set. Run the tests through `scripts/test` (which \
             sources scripts/test-postgres.sh), or `. scripts/test-postgres.sh` first, or set \
             MOSTRADOR_SKIP_POSTGRES=1 to skip the PostgreSQL tests."
        ),
    }
}

/// Where a test's relay stores its data. Dropping it removes the SQLite dir; PostgreSQL databases
/// are dropped by [`Backend::cleanup`].
pub enum Backend {
    Sqlite {
        dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin: String,
        db: String,
        url: String,
    },
}

impl Backend {
    pub fn sqlite() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("relay.db").display());
        Backend::Sqlite { dir, url }
    }

    /// A fresh database on the test server, or `None` when PostgreSQL tests are skipped.
    pub async fn postgres() -> Option<Backend> {
        let admin = postgres_admin_url()?;
        let db = format!("relay_test_{}", uuid::Uuid::new_v4().simple());
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to the test PostgreSQL server");
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.ok();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{db}"));
        Some(Backend::Postgres {
            admin,
            db,
            url: url.to_string(),
        })
    }

    pub fn url(&self) -> &str {
        match self {
            Backend::Sqlite { url, .. } | Backend::Postgres { url, .. } => url,
        }
    }

    pub async fn cleanup(self) {
        if let Backend::Postgres { admin, db, .. } = self {
            use sqlx::Connection as _;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

pub struct TenantTokens {
    pub ingress_urls: std::collections::BTreeMap<String, String>,
    pub verify_token: String,
    pub device_token: String,
}

impl TenantTokens {
    pub fn url(&self, provider: &str) -> &str {
        &self.ingress_urls[provider]
    }

    /// The provider URL re-targeted at a local relay: same path, local scheme/host/port.
    pub fn local(&self, addr: std::net::SocketAddr, provider: &str) -> String {
        self.url(provider)
            .replacen(PUBLIC_URL, &format!("http://{addr}"), 1)
    }
}

pub async fn create_tenant(database_url: &str, name: &str) -> TenantTokens {
    let storage = Storage::open(database_url).await.unwrap();
    let t = tenant_admin::create(&storage, PUBLIC_URL, name, 0)
        .await
        .unwrap();
    storage.close().await;
    TenantTokens {
        ingress_urls: t.ingress_urls,
        verify_token: t.meta_verify_token,
        device_token: t.device_token,
    }
}

pub fn test_config(database_url: &str) -> ServeConfig {
    let mut cfg = ServeConfig::new(database_url, PUBLIC_URL);
    cfg.rate_limit = 0.0;
    cfg.max_wait_secs = 5;
    cfg
}

pub async fn start(cfg: &ServeConfig) -> server::Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    server::start(cfg, listener).await.unwrap()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Polls `GET /healthz` until it answers 200 (bounded).
pub async fn wait_healthy(base: &str) {
    let client = http();
    for _ in 0..300 {
        if let Ok(r) = client
            .get(format!("{base}/healthz"))
            .timeout(Duration::from_secs(1))
            .send()
            .await
        {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("relay at {base} did not become healthy within 15 s");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until `n` long polls are waiting on the relay at `base` (`/metrics` gauge).
pub async fn polls_waiting(base: &str, n: u64) {
    let client = http();
    for _ in 0..400 {
        let text = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let v = text
            .lines()
            .find_map(|l| l.strip_prefix("relay_long_polls_waiting "))
            .and_then(|v| v.trim().parse::<u64>().ok());
        if v == Some(n) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{n} long poll(s) never waited on {base}");
}

/// Declares a test module running `$name(backend)` once on SQLite and once on PostgreSQL (the
/// PostgreSQL run needs MOSTRADOR_TEST_POSTGRES_URL, see scripts/test-postgres.sh).
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::sqlite()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(b) = $crate::Backend::postgres().await {
                    super::$name(b).await;
                }
            }
        }
    };
}
