//! Local simulators of every provider Mostrador talks to, served over real HTTP on one port with a
//! path prefix per provider. Tests start it in-process ([`Sandbox::start`]); the `mostrador-sandbox`
//! binary serves the same thing for the app's "try it without accounts" mode.

pub mod afip;
pub mod whatsapp;

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The router with every simulator mounted under its prefix.
pub fn router() -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/graph", whatsapp::router())
        .nest("/afip", afip::router())
}

/// A running sandbox: its base URL and the server task (aborted on drop).
pub struct Sandbox {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Sandbox {
    /// Binds `addr` (use `127.0.0.1:0` for a free port) and serves in the background.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router()).await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        Ok(Sandbox { addr, task })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
