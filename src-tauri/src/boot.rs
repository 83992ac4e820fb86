//! The app's state after start-up: the store opens in the background, so the window appears at
//! once and says "Abriendo la base de datos…" during a long migration instead of not appearing.
//! A failed open still shows the window, with the reason, instead of crashing.
//!
//! Which database: the demo's own (`<data>/demo/`) when its marker is there (the app was left in
//! demo mode), else the real one; the real one is then not even created. Entering and leaving the
//! demo later switches the store the commands see ([`Boot::switch`]).

use std::path::PathBuf;
use std::sync::Arc;

use mostrador_core::demo;
use mostrador_core::store::{Store, DB_FILE_NAME};
use mostrador_core::{AppError, ErrorCode};
use tokio::sync::watch;

use crate::paths::AppDirs;

/// Where opening the store stands.
#[derive(Clone)]
pub enum Phase {
    Opening,
    Ready(Store),
    Failed(AppError),
}

pub struct Boot {
    dirs: AppDirs,
    phase: watch::Receiver<Phase>,
    tx: Arc<watch::Sender<Phase>>,
    demo: bool,
}

impl Boot {
    /// Starts opening (and migrating) the store in the background and returns at once.
    pub fn start(dirs: AppDirs) -> Boot {
        let (tx, rx) = watch::channel(Phase::Opening);
        let tx = Arc::new(tx);
        let demo = demo::is_active(&dirs.data);
        let path: PathBuf = if demo {
            demo::db_path(&dirs.data)
        } else {
            real_db_path(&dirs)
        };
        tracing::info!(demo, "opening the store");
        let sender = tx.clone();
        // A thread of its own, driving the open on the app's runtime: the store's pools live
        // there, and sqlx's open future is not provably `Send` for `spawn`.
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let phase = match tauri::async_runtime::block_on(Store::open(&path)) {
                Ok(store) => {
                    tracing::info!(
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "store ready"
                    );
                    Phase::Ready(store)
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot open the database");
                    Phase::Failed(e.into())
                }
            };
            // No receiver left means the app is shutting down: nothing to tell.
            let _ = sender.send(phase);
        });
        Boot {
            dirs,
            phase: rx,
            tx,
            demo,
        }
    }

    /// Whether the app started in demo mode (the demo's marker was there).
    pub fn started_in_demo(&self) -> bool {
        self.demo
    }

    /// From now on the commands see `store` (entering or leaving the demo).
    pub fn switch(&self, store: Store) {
        self.tx.send_replace(Phase::Ready(store));
    }

    /// Where opening stands right now, without waiting.
    pub fn phase(&self) -> Phase {
        self.phase.borrow().clone()
    }

    /// Waits until the store is open or failed to open.
    pub async fn opened(&self) -> Phase {
        let mut rx = self.phase.clone();
        let settled = rx
            .wait_for(|p| !matches!(p, Phase::Opening))
            .await
            .map(|p| p.clone());
        match settled {
            Ok(phase) => phase,
            // The opening task ended without a word (it panicked): say so instead of hanging.
            Err(_) => Phase::Failed(AppError::new(
                ErrorCode::Internal,
                "La base de datos no terminó de abrirse. Cerrá Mostrador y volvé a abrirlo.",
            )),
        }
    }

    /// The open store; waits while it is still opening.
    pub async fn store(&self) -> Result<Store, AppError> {
        match self.opened().await {
            Phase::Ready(store) => Ok(store),
            Phase::Failed(error) => Err(AppError::new(ErrorCode::NotReady, error.message)),
            Phase::Opening => unreachable!("opened() waits until it is no longer opening"),
        }
    }

    pub fn dirs(&self) -> &AppDirs {
        &self.dirs
    }
}

/// The real database (never the demo's).
pub fn real_db_path(dirs: &AppDirs) -> PathBuf {
    dirs.data.join(DB_FILE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{Connection, SqliteConnection};

    /// A migration that takes long (here: another connection holds the write lock the migrations
    /// need) must not hold up the caller: `start` returns at once in the `Opening` phase, and the
    /// store is ready once the migration can run.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_store_opens_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = AppDirs {
            data: dir.path().to_owned(),
            logs: dir.path().join("logs"),
        };
        let path = dir.path().join(DB_FILE_NAME);
        let mut blocker = SqliteConnection::connect_with(
            &SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true),
        )
        .await
        .unwrap();
        sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut blocker)
            .await
            .unwrap();

        let started = std::time::Instant::now();
        let boot = Boot::start(dirs);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(500),
            "start waited for the store"
        );
        // The lock is still held, so it cannot have finished: the window would say "Abriendo…".
        assert!(matches!(boot.phase(), Phase::Opening));

        sqlx::query("COMMIT").execute(&mut blocker).await.unwrap();
        blocker.close().await.unwrap();
        let store = boot.store().await.expect("the store opens once unblocked");
        let orgs = mostrador_core::org::list(&store).await.unwrap();
        assert!(orgs.is_empty());
        assert!(matches!(boot.phase(), Phase::Ready(_)));
    }

    /// With the demo's marker the app opens the demo's database, and the real one is not even
    /// created; `switch` then hands the commands another store (leaving the demo).
    #[tokio::test(flavor = "multi_thread")]
    async fn the_demo_marker_opens_the_demo_database_only() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = || AppDirs {
            data: dir.path().to_owned(),
            logs: dir.path().join("logs"),
        };
        // A demo left running: its database with its business, and its marker.
        let demo_store = Store::open(&demo::db_path(dir.path())).await.unwrap();
        mostrador_core::org::create(
            &demo_store,
            mostrador_core::org::NewOrganization {
                name: demo::DEMO_BUSINESS_NAME.into(),
                cuit: demo::DEMO_CUIT.into(),
                iva_condition: mostrador_types::IvaCondition::ResponsableInscripto,
            },
        )
        .await
        .unwrap();
        demo_store.close().await;
        std::fs::write(demo::demo_dir(dir.path()).join("demo.json"), b"{}").unwrap();
        assert!(demo::is_active(dir.path()));

        let boot = Boot::start(dirs());
        assert!(boot.started_in_demo());
        let store = boot.store().await.unwrap();
        let orgs = mostrador_core::org::list(&store).await.unwrap();
        assert_eq!(orgs.len(), 1);
        assert_eq!(orgs[0].name, demo::DEMO_BUSINESS_NAME);
        assert!(
            !dir.path().join(DB_FILE_NAME).exists(),
            "the real database was created in demo mode"
        );

        let real = Store::open(&real_db_path(&dirs())).await.unwrap();
        boot.switch(real);
        let now = boot.store().await.unwrap();
        assert!(mostrador_core::org::list(&now).await.unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_open_is_reported_not_awaited_forever() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DB_FILE_NAME), vec![7u8; 8192]).unwrap();
        let boot = Boot::start(AppDirs {
            data: dir.path().to_owned(),
            logs: dir.path().join("logs"),
        });
        let Phase::Failed(error) = boot.opened().await else {
            panic!("a garbage file opened as a database");
        };
        assert_eq!(error.code, ErrorCode::DatabaseCorrupt);
        assert_eq!(boot.store().await.unwrap_err().code, ErrorCode::NotReady);
    }
}
