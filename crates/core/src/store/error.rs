use std::path::PathBuf;

/// What can go wrong with the database, phrased so the user can act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the database file {path} is damaged or is not a Mostrador database; it was left untouched"
    )]
    Corrupt { path: PathBuf },
    #[error("the database file {path} cannot be written (read-only file, folder or disk)")]
    ReadOnly { path: PathBuf },
    #[error("the database {path} was written by a newer version of Mostrador ({detail}); update the app")]
    NewerSchema { path: PathBuf, detail: String },
    #[error("migrating the database {path} failed: {detail}")]
    Migration { path: PathBuf, detail: String },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
}

/// SQLite primary result codes (the low byte of an extended code).
const SQLITE_READONLY: i32 = 8;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_NOTADB: i32 = 26;
const SQLITE_PERM: i32 = 3;

impl StoreError {
    pub(super) fn classify_open(path: &std::path::Path, e: sqlx::Error) -> StoreError {
        match primary_code(&e) {
            Some(SQLITE_NOTADB | SQLITE_CORRUPT) => StoreError::Corrupt {
                path: path.to_owned(),
            },
            Some(SQLITE_READONLY | SQLITE_CANTOPEN | SQLITE_PERM) => StoreError::ReadOnly {
                path: path.to_owned(),
            },
            _ => StoreError::Sqlx(e),
        }
    }

    pub(super) fn classify_migrate(
        path: &std::path::Path,
        e: sqlx::migrate::MigrateError,
    ) -> StoreError {
        use sqlx::migrate::MigrateError;
        match e {
            MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => {
                match Self::classify_open(path, inner) {
                    StoreError::Sqlx(inner) => StoreError::Migration {
                        path: path.to_owned(),
                        detail: inner.to_string(),
                    },
                    classified => classified,
                }
            }
            MigrateError::VersionMissing(v) => StoreError::NewerSchema {
                path: path.to_owned(),
                detail: format!("it has migration {v}, unknown to this version"),
            },
            other => StoreError::Migration {
                path: path.to_owned(),
                detail: other.to_string(),
            },
        }
    }
}

fn primary_code(e: &sqlx::Error) -> Option<i32> {
    let db = e.as_database_error()?;
    let code: i32 = db.code()?.parse().ok()?;
    Some(code & 0xff)
}
