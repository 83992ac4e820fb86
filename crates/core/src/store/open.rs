//! Opening the database: pragmas, pools, migrations, and the failures a user can hit.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Store, StoreError};

/// The database file's name inside the data directory.
pub const DB_FILE_NAME: &str = "mostrador.sqlite3";

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

const READ_POOL_SIZE: u32 = 4;

impl Store {
    /// Opens (or creates) the database at `path`, then applies pending migrations.
    ///
    /// A file that is not a database, is read-only, or was written by a newer Mostrador is reported
    /// as such and left untouched: nothing here deletes or recreates an existing file.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let base = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Invoices and customer messages must survive a power cut.
            .synchronous(SqliteSynchronous::Full)
            // A page of a list or a thread (up to MAX_PAGE + 1 rows) crosses from the connection's
            // thread in one go instead of stalling it at sqlx's default of 50.
            .row_buffer_size(256);

        let writer_opts = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // A local file cannot drop the connection under us: the default ping before every
            // acquire is one more round trip to the connection's thread per query, for nothing.
            .test_before_acquire(false)
            .connect_with(writer_opts)
            .await
            .map_err(|e| StoreError::classify_open(path, e))?;

        // SQLite quietly falls back to a read-only open when the file is write-protected; find out
        // now, not when the user saves their first invoice.
        probe_writable(&writer)
            .await
            .map_err(|e| StoreError::classify_open(path, e))?;

        // Migrate before opening readers so they see the final schema.
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::classify_migrate(path, e))?;

        let reader = SqlitePoolOptions::new()
            .max_connections(READ_POOL_SIZE)
            // As the writer: no ping before each query.
            .test_before_acquire(false)
            .connect_with(base.read_only(true))
            .await
            .map_err(|e| StoreError::classify_open(path, e))?;

        tracing::info!(path = %path.display(), "database open");
        Ok(Store { writer, reader })
    }
}

/// Attempts a schema write inside a transaction that is always rolled back.
async fn probe_writable(writer: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::raw_sql("CREATE TABLE _mostrador_write_probe (x)")
        .execute(&mut *tx)
        .await?;
    tx.rollback().await
}
