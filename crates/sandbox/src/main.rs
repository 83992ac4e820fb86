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
    let (wa, afip, twilio): (_, mostrador_sandbox::afip::AfipSim, _) = Default::default();
    // A CA to trust from the start (PEM file), so a certificate it issued passes WSAA at once.
    if let Ok(path) = std::env::var("MOSTRADOR_SANDBOX_AFIP_CA") {
        let pem = std::fs::read(&path).with_context(|| format!("cannot read {path}"))?;
        afip.trust_ca_pem(&pem)
            .map_err(|e| anyhow::anyhow!("MOSTRADOR_SANDBOX_AFIP_CA {path}: {e}"))?;
        tracing::info!(%path, "AFIP simulator trusts the given CA");
    }
    axum::serve(listener, mostrador_sandbox::router(&wa, &afip, &twilio))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
