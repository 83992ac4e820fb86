//! Durable storage of tenants and events, on SQLite (one file, one process) or PostgreSQL (several
//! relay instances on one database). The SQL is shared: both accept `$n` placeholders, `RETURNING`
//! and `ON CONFLICT`; only the schema files and the wake-up notification differ.
//!
//! Ordering: each tenant row holds a `last_seq` counter, bumped in the same transaction that inserts
//! the events. On PostgreSQL the row lock makes a second instance wait until the first commits, so
//! a reader can never see seq n+1 committed while seq n is still in flight (the client's cursor
//! would skip it).

#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
#[cfg(feature = "postgres")]
use sqlx::PgPool;
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// PostgreSQL channel on which committed batches announce their tenants.
pub const PG_NOTIFY_CHANNEL: &str = "mostrador_relay_events";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("this relay was built without PostgreSQL support (the `postgres` feature): use a sqlite: DATABASE_URL or the full relay binary")]
    PostgresNotBuilt,
    #[error("no tenant named {0:?}")]
    NoSuchTenant(String),
    #[error("a tenant named {0:?} already exists")]
    TenantExists(String),
    #[error("stored headers are corrupt: {0}")]
    CorruptHeaders(#[from] serde_json::Error),
    #[error("stored provider is unknown")]
    CorruptProvider,
}

#[derive(Clone, Debug)]
pub enum Storage {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the pool of either backend (for reads).
macro_rules! read_pool {
    ($self:expr, $pool:ident => $body:expr) => {
        match $self {
            Storage::Sqlite { reader: $pool, .. } => $body,
            #[cfg(feature = "postgres")]
            Storage::Postgres($pool) => $body,
        }
    };
}

/// Same for writes (SQLite: the single writer connection).
macro_rules! write_pool {
    ($self:expr, $pool:ident => $body:expr) => {
        match $self {
            Storage::Sqlite { writer: $pool, .. } => $body,
            #[cfg(feature = "postgres")]
            Storage::Postgres($pool) => $body,
        }
    };
}

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

mod delivery;
mod ingest;
mod retention;
mod tenants;

pub use delivery::{AckOutcome, Fetched, StoredEvent, TenantStatus};
pub use ingest::{BatchOutcome, NewEvent};
pub use retention::PruneOutcome;
pub use tenants::{HashColumn, TenantRow, TenantSummary};

#[cfg(feature = "postgres")]
async fn open_postgres(url: &str, statement_timeout: Duration) -> Result<Storage, StorageError> {
    let opts = PgConnectOptions::from_str(url)?.options([(
        "statement_timeout",
        format!("{}ms", statement_timeout.as_millis()),
    )]);
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok(Storage::Postgres(pool))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(_url: &str, _statement_timeout: Duration) -> Result<Storage, StorageError> {
    Err(StorageError::PostgresNotBuilt)
}

impl Storage {
    /// Opens (creating if needed) and migrates the database, with PostgreSQL's default statement
    /// timeout (15 s).
    pub async fn open(url: &str) -> Result<Storage, StorageError> {
        Storage::open_with(url, Duration::from_secs(15)).await
    }

    /// Opens and migrates the database. On PostgreSQL every connection gets `statement_timeout`
    /// (zero: none), so a stuck statement fails its request instead of holding locks forever.
    pub async fn open_with(
        url: &str,
        statement_timeout: Duration,
    ) -> Result<Storage, StorageError> {
        if is_postgres_url(url) {
            open_postgres(url, statement_timeout).await
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.clone())
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.read_only(true))
                .await?;
            Ok(Storage::Sqlite { writer, reader })
        } else {
            Err(StorageError::UnsupportedUrl)
        }
    }

    pub fn is_postgres(&self) -> bool {
        #[cfg(feature = "postgres")]
        return matches!(self, Storage::Postgres(_));
        #[cfg(not(feature = "postgres"))]
        false
    }

    pub async fn close(&self) {
        match self {
            Storage::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            #[cfg(feature = "postgres")]
            Storage::Postgres(pool) => pool.close().await,
        }
    }

    pub async fn ping(&self) -> Result<(), StorageError> {
        read_pool!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }
}
