//! The desktop database: one SQLite file, WAL, one writer connection and a read pool (design §2).

mod error;
mod open;
pub mod timestamp;

pub use error::StoreError;
pub use open::DB_FILE_NAME;

use sqlx::{Sqlite, SqlitePool, Transaction};

/// Handle to the open database (cheap to clone).
#[derive(Clone, Debug)]
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl Store {
    /// The read pool. Connections are opened read-only, so a write here fails loudly.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// The single write connection. Single-statement writes may autocommit on it.
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// A transaction that reads then writes: `BEGIN IMMEDIATE` takes the write lock up front, so it
    /// can never fail half-way with SQLITE_BUSY when it upgrades from reading to writing.
    pub async fn begin_immediate(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Closes both pools, waiting for connections to finish (checkpoints the WAL).
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
