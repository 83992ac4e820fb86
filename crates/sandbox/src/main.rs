//! `mostrador-sandbox`: serves every provider simulator on one port.

use std::net::SocketAddr;

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let sandbox_addr: SocketAddr = std::env::var("MOSTRADOR_SANDBOX_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:8787".into())
        .parse()
        .context("MOSTRADOR_SANDBOX_ADDR must be host:port, e.g. 127.0.0.1:8787")?;
    let addr = sandbox_addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(%addr, "sandbox listening");
    let (wa, afip, twilio) = Default::default();
    axum::serve(listener, mostrador_sandbox::router(&wa, &afip, &twilio))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
