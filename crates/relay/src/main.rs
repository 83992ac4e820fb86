//! `mostrador-relay`: the webhook relay server and its tenant administration.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use mostrador_relay::server::tenant_admin::{self, TokenKind};
use mostrador_relay::server::{self, LogFormat, PublicUrlArg, ServeConfig, Storage, StorageArgs};

/// Mostrador's webhook relay. Providers (Meta WhatsApp, Twilio, MercadoPago) POST to
/// /in/{ingress_token}/{provider}; the relay stores each request durably (raw body, exact URL,
/// headers) before answering 200, and the shop's desktop app collects them by long polling
/// /v1/events with its device token. The relay holds no provider secrets.
#[derive(Debug, Parser)]
#[command(name = "mostrador-relay", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the relay server.
    Serve(ServeConfig),
    /// Manage tenants (one per shop).
    #[command(subcommand)]
    Tenant(TenantCommand),
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create a tenant; prints its provider URLs, Meta verify token and device token ONCE.
    Create {
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        public: PublicUrlArg,
        /// A unique name for the shop.
        #[arg(long)]
        name: String,
        /// Print JSON instead of text (for scripts).
        #[arg(long)]
        json: bool,
    },
    /// List tenants with their counters (never tokens).
    List {
        #[command(flatten)]
        storage: StorageArgs,
        #[arg(long)]
        json: bool,
    },
    /// Replace one of a tenant's tokens; the old one stops working within the server's tenant
    /// refresh interval. Prints the new token once.
    RotateToken {
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        public: PublicUrlArg,
        #[arg(long)]
        name: String,
        /// Which token to replace.
        #[arg(long, value_enum, default_value = "device")]
        which: TokenKind,
        #[arg(long)]
        json: bool,
    },
    /// Delete a tenant and every event stored for it.
    Delete {
        #[command(flatten)]
        storage: StorageArgs,
        #[arg(long)]
        name: String,
    },
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

fn now_ms() -> i64 {
    server::routes::now_ms()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(cfg) => serve(cfg).await,
        Command::Tenant(cmd) => {
            init_logs(LogFormat::Text);
            tenant(cmd).await
        }
    }
}

async fn serve(cfg: ServeConfig) -> anyhow::Result<()> {
    init_logs(cfg.log_format);
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("could not listen on {}", cfg.listen))?;
    let running = server::start(&cfg, listener).await?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

async fn tenant(cmd: TenantCommand) -> anyhow::Result<()> {
    match cmd {
        TenantCommand::Create {
            storage,
            public,
            name,
            json,
        } => {
            let base = server::public_base(&public.public_url)?;
            let db = Storage::open(&storage.database_url).await?;
            let t = tenant_admin::create(&db, &base, &name, now_ms()).await?;
            db.close().await;
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                println!("Tenant {:?} created (id {}).", t.name, t.id);
                println!(
                    "The values below are shown ONCE and stored only as hashes. Copy them now.\n"
                );
                println!("Provider webhook URLs:");
                for (p, url) in &t.ingress_urls {
                    println!("  {p:<12} {url}");
                }
                println!(
                    "\nMeta verify token (WhatsApp webhook setup): {}",
                    t.meta_verify_token
                );
                println!(
                    "Device token (Mostrador > Ajustes > Relay):  {}",
                    t.device_token
                );
            }
        }
        TenantCommand::List { storage, json } => {
            let db = Storage::open(&storage.database_url).await?;
            let list = tenant_admin::list(&db).await?;
            db.close().await;
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id, "name": t.name, "last_seq": t.last_seq,
                            "acked_seq": t.acked_seq, "backlog": t.backlog,
                            "dropped_total": t.dropped_total, "created_at_ms": t.created_at_ms,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{:<24} {:<36} {:>10} {:>10} {:>8}",
                    "NAME", "ID", "LAST_SEQ", "BACKLOG", "DROPPED"
                );
                for t in list {
                    println!(
                        "{:<24} {:<36} {:>10} {:>10} {:>8}",
                        t.name, t.id, t.last_seq, t.backlog, t.dropped_total
                    );
                }
            }
        }
        TenantCommand::RotateToken {
            storage,
            public,
            name,
            which,
            json,
        } => {
            let base = server::public_base(&public.public_url)?;
            let db = Storage::open(&storage.database_url).await?;
            let r = tenant_admin::rotate(&db, &base, &name, which).await?;
            db.close().await;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "New {which:?} token for {:?} (shown once): {}",
                    r.name, r.token
                );
                if let Some(urls) = &r.ingress_urls {
                    println!("Reconfigure every provider with the new URLs:");
                    for (p, url) in urls {
                        println!("  {p:<12} {url}");
                    }
                }
            }
        }
        TenantCommand::Delete { storage, name } => {
            let db = Storage::open(&storage.database_url).await?;
            tenant_admin::delete(&db, &name).await?;
            db.close().await;
            println!("Tenant {name:?} deleted with its events.");
        }
    }
    Ok(())
}
