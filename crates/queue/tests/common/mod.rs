//! A real SQLite file with the app's pragmas and migrations, a hand-moved clock, and one org.
#![allow(dead_code)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_queue::{BootId, ManualClock, Queue, QueueConfig};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use uuid::Uuid;

pub struct Db {
    _dir: tempfile::TempDir,
    pub pool: SqlitePool,
    pub clock: ManualClock,
    pub org: Uuid,
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T12:00:00Z")
        .unwrap()
        .to_utc()
}

pub async fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let opts = SqliteConnectOptions::from_str("sqlite:")
        .unwrap()
        .filename(dir.path().join("test.sqlite3"))
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5));
    // One write connection, as in the app.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .unwrap();
    sqlx::migrate!("../../migrations").run(&pool).await.unwrap();
    let org = add_org(&pool).await;
    Db {
        _dir: dir,
        pool,
        clock: ManualClock::new(t0()),
        org,
    }
}

pub async fn add_org(pool: &SqlitePool) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO organizations (id, name, cuit, iva_condition, created_at, updated_at) \
         VALUES (?1, ?2, '20123456786', 'responsable_inscripto', ?3, ?3)",
    )
    .bind(id.hyphenated().to_string())
    .bind(format!("Org {id}"))
    .bind(t0().to_rfc3339())
    .execute(pool)
    .await
    .unwrap();
    id
}

impl Db {
    /// A queue as one boot of the app sees it.
    pub fn queue(&self, boot: BootId) -> Queue {
        self.queue_with(boot, QueueConfig::default())
    }

    pub fn queue_with(&self, boot: BootId, config: QueueConfig) -> Queue {
        Queue::builder(self.pool.clone())
            .boot_id(boot)
            .clock(Arc::new(self.clock.clone()))
            .config(config)
            .build()
    }

    pub async fn state_of(&self, id: mostrador_queue::JobId) -> String {
        sqlx::query_scalar("SELECT state FROM jobs WHERE id = ?1")
            .bind(id.0)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}
