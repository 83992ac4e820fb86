//! The relay server: see the crate's README for deployment.
//!
//! [`start`] runs everything in-process (used by the binary and by tests); [`tenant_admin`] holds
//! the operations behind `mostrador-relay tenant …`.

pub mod config;
pub mod group_commit;
pub mod metrics;
pub mod notifier;
pub mod rate_limit;
pub mod routes;
pub mod storage;
pub mod tenant_admin;
pub mod tenant_index;
pub mod tokens;

pub use config::{LogFormat, PublicUrlArg, ServeConfig, StorageArgs};
pub use storage::{Storage, StorageError};

use group_commit::GroupCommit;
use metrics::Metrics;
use notifier::Notifier;
use rate_limit::RateLimiter;
use routes::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tenant_index::TenantIndex;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument as _;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("could not listen: {0}")]
    Io(#[from] std::io::Error),
    #[error("invalid public URL {0:?}: it must be an absolute http(s) URL without query")]
    PublicUrl(String),
}

/// Checks and normalises the public base URL (no trailing slash).
pub fn public_base(url: &str) -> Result<String, ServerError> {
    let parsed = url::Url::parse(url).map_err(|_| ServerError::PublicUrl(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
        return Err(ServerError::PublicUrl(url.to_owned()));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// A running relay. Dropping it does not stop it; call [`Running::shutdown`].
pub struct Running {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    writer: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
    storage: Storage,
}

impl Running {
    /// Graceful shutdown: stop accepting, end long polls, finish in-flight requests (each still
    /// waits for its commit), drain the writer, close the database.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.shutdown.send(true);
        let served = self.server.await;
        let _ = self.writer.await;
        for b in self.background {
            let _ = b.await;
        }
        self.storage.close().await;
        match served {
            Ok(r) => r.map_err(ServerError::Io),
            Err(e) => Err(ServerError::Io(std::io::Error::other(e))),
        }
    }
}

/// Opens storage, starts the writer and background tasks, and serves on `listener`.
pub async fn start(
    cfg: &ServeConfig,
    listener: tokio::net::TcpListener,
) -> Result<Running, ServerError> {
    let public = public_base(&cfg.public.public_url)?;
    let storage = Storage::open_with(
        &cfg.storage.database_url,
        Duration::from_secs(cfg.statement_timeout_secs),
    )
    .await?;
    let tenants = TenantIndex::default();
    let n = tenants.refresh(&storage).await?;
    tracing::info!(
        tenants = n,
        postgres = storage.is_postgres(),
        "storage ready"
    );
    let metrics = Arc::new(Metrics::default());
    let notifier = Notifier::default();
    let (commit, writer) = GroupCommit::start(
        storage.clone(),
        notifier.clone(),
        metrics.clone(),
        cfg.batch_size.max(1),
        cfg.max_events_per_tenant.max(1),
        cfg.commit_queue_max_bytes.max(cfg.max_body_bytes),
    );
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    #[cfg_attr(not(feature = "postgres"), allow(unused_mut))] // PostgreSQL adds its listener
    let mut background = vec![
        spawn_tenant_refresh(
            storage.clone(),
            tenants.clone(),
            cfg.tenant_refresh_secs,
            shutdown_rx.clone(),
        ),
        spawn_pruner(storage.clone(), metrics.clone(), cfg, shutdown_rx.clone()),
    ];
    #[cfg(feature = "postgres")]
    if let Storage::Postgres(pool) = &storage {
        background.push(spawn_pg_listener(
            pool.clone(),
            notifier.clone(),
            shutdown_rx.clone(),
        ));
    }
    let state = AppState {
        storage: storage.clone(),
        tenants,
        commit,
        notifier,
        metrics,
        limiter: RateLimiter::new(cfg.rate_limit, cfg.rate_burst),
        shutdown: shutdown_rx.clone(),
        public_base: Arc::from(public.as_str()),
        max_body_bytes: cfg.max_body_bytes,
        max_wait: Duration::from_secs(cfg.max_wait_secs),
        request_timeout: Duration::from_secs(cfg.request_timeout_secs.max(1)),
        body_read_timeout: Duration::from_secs(cfg.body_read_timeout_secs.max(1)),
        max_events_per_tenant: cfg.max_events_per_tenant,
        acked_retention: cfg.acked_retention(),
        unacked_retention: cfg.unacked_retention(),
    };
    let addr = listener.local_addr()?;
    let app = routes::router(state);
    let mut stop = shutdown_rx;
    // No Nagle: a response written in two segments would otherwise wait for the peer's delayed
    // ACK (~40 ms), which shows up directly in long-poll delivery latency.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
    });
    tracing::info!(%addr, "relay listening");
    Ok(Running {
        addr,
        shutdown: shutdown_tx,
        server,
        writer,
        background,
        storage,
    })
}

fn spawn_tenant_refresh(
    storage: Storage,
    tenants: TenantIndex,
    every_secs: u64,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(
        async move {
            let every = Duration::from_secs(every_secs.max(1));
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = shutdown.wait_for(|s| *s) => return,
                }
                if let Err(e) = tenants.refresh(&storage).await {
                    tracing::warn!(error = %e, "could not refresh tenants");
                }
            }
        }
        .instrument(tracing::info_span!("tenant_refresh")),
    )
}

fn spawn_pruner(
    storage: Storage,
    metrics: Arc<Metrics>,
    cfg: &ServeConfig,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let every = Duration::from_secs(cfg.prune_interval_secs.max(1));
    let acked = cfg.acked_retention().as_millis() as i64;
    let unacked = cfg.unacked_retention().as_millis() as i64;
    tokio::spawn(
        async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = shutdown.wait_for(|s| *s) => return,
                }
                let now = routes::now_ms();
                match storage.prune(now - acked, now - unacked).await {
                    Ok(out) => {
                        metrics.pruned(out.acked_pruned);
                        metrics.dropped(out.unacked_expired);
                        if out.unacked_expired > 0 {
                            tracing::warn!(
                                expired = out.unacked_expired,
                                "unacknowledged events expired"
                            );
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "prune failed"),
                }
            }
        }
        .instrument(tracing::info_span!("pruner")),
    )
}

/// Wakes local long polls when another instance commits (PostgreSQL LISTEN/NOTIFY).
#[cfg(feature = "postgres")]
fn spawn_pg_listener(
    pool: sqlx::PgPool,
    notifier: Notifier,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(
        async move {
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN connection failed; retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                            _ = shutdown.wait_for(|s| *s) => return,
                        }
                    }
                };
                if let Err(e) = listener.listen(storage::PG_NOTIFY_CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                        _ = shutdown.wait_for(|s| *s) => return,
                    }
                }
                loop {
                    tokio::select! {
                        n = listener.recv() => match n {
                            Ok(n) => notifier.notify(n.payload()),
                            Err(e) => {
                                tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                                break;
                            }
                        },
                        _ = shutdown.wait_for(|s| *s) => return,
                    }
                }
            }
        }
        .instrument(tracing::info_span!("pg_listener")),
    )
}
