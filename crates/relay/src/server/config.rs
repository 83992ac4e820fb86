//! Server configuration: every option is a flag and an environment variable (`--help` lists both).

use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::time::Duration;

/// Where the relay stores tenants and events.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// `sqlite:PATH` (one file, one relay process; created if missing) or
    /// `postgres://USER:PASS@HOST/DB` (several relay instances may share it).
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite:mostrador-relay.db"
    )]
    pub database_url: String,
}

/// The public base URL.
#[derive(Debug, Clone, Args)]
pub struct PublicUrlArg {
    /// The public base URL providers reach the relay at, as configured at the provider, e.g.
    /// `https://relay.example.com`. Stored event URLs are this base + the request path and query as
    /// received, so Twilio's URL-based signature still verifies on the desktop.
    #[arg(long, env = "RELAY_PUBLIC_URL")]
    pub public_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Options of `mostrador-relay serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub storage: StorageArgs,

    #[command(flatten)]
    pub public: PublicUrlArg,

    /// Address to listen on (plain HTTP; put TLS in a reverse proxy in front).
    #[arg(long, env = "RELAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Largest accepted webhook body; bigger ones get 413.
    #[arg(long, env = "RELAY_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Per-tenant ingress rate limit, requests per second (0 = unlimited). Over it: 429 + Retry-After.
    #[arg(long, env = "RELAY_RATE_LIMIT", default_value_t = 50.0)]
    pub rate_limit: f64,

    /// Per-tenant burst allowed above the rate.
    #[arg(long, env = "RELAY_RATE_BURST", default_value_t = 500)]
    pub rate_burst: u32,

    /// Most events stored per tenant; when reached the oldest are dropped (counted in /metrics and
    /// reported by /v1/status).
    #[arg(long, env = "RELAY_MAX_EVENTS_PER_TENANT", default_value_t = 100_000)]
    pub max_events_per_tenant: i64,

    /// Acknowledged events are deleted this many hours after their ack.
    #[arg(long, env = "RELAY_ACKED_RETENTION_HOURS", default_value_t = 24)]
    pub acked_retention_hours: u64,

    /// Unacknowledged events are kept this many days (at least 7: Meta retries for 7 days).
    #[arg(long, env = "RELAY_UNACKED_RETENTION_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(u64).range(7..))]
    pub unacked_retention_days: u64,

    /// Longest long-poll wait a client may ask for, seconds.
    #[arg(long, env = "RELAY_MAX_WAIT_SECS", default_value_t = 30)]
    pub max_wait_secs: u64,

    /// Longest time a request may take, seconds (long polls get this on top of their wait). Over
    /// it: 503, and the provider retries.
    #[arg(long, env = "RELAY_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Longest time to receive a webhook body, seconds (a client that trickles it gets 408).
    #[arg(long, env = "RELAY_BODY_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub body_read_timeout_secs: u64,

    /// PostgreSQL `statement_timeout` of every relay connection, seconds (0 = none).
    #[arg(long, env = "RELAY_STATEMENT_TIMEOUT_SECS", default_value_t = 15)]
    pub statement_timeout_secs: u64,

    /// Most bytes of webhook requests waiting for their commit; beyond it requests wait for room
    /// (bounded by the request timeout, then 503 and the provider retries).
    #[arg(long, env = "RELAY_COMMIT_QUEUE_MAX_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub commit_queue_max_bytes: usize,

    /// Most events stored per group commit.
    #[arg(long, env = "RELAY_BATCH_SIZE", default_value_t = 512)]
    pub batch_size: usize,

    /// How often the tenant list is re-read from storage (CLI changes apply within this), seconds.
    #[arg(long, env = "RELAY_TENANT_REFRESH_SECS", default_value_t = 5)]
    pub tenant_refresh_secs: u64,

    /// How often retention and pruning run, seconds.
    #[arg(long, env = "RELAY_PRUNE_INTERVAL_SECS", default_value_t = 60)]
    pub prune_interval_secs: u64,

    /// Log format on stderr. The level comes from RUST_LOG (default `info`).
    #[arg(long, env = "RELAY_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

impl ServeConfig {
    /// Defaults as in `--help`, for tests and embedding.
    pub fn new(database_url: impl Into<String>, public_url: impl Into<String>) -> ServeConfig {
        ServeConfig {
            storage: StorageArgs {
                database_url: database_url.into(),
            },
            public: PublicUrlArg {
                public_url: public_url.into(),
            },
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1024 * 1024,
            rate_limit: 50.0,
            rate_burst: 500,
            max_events_per_tenant: 100_000,
            acked_retention_hours: 24,
            unacked_retention_days: 14,
            max_wait_secs: 30,
            request_timeout_secs: 30,
            body_read_timeout_secs: 10,
            statement_timeout_secs: 15,
            commit_queue_max_bytes: 64 * 1024 * 1024,
            batch_size: 512,
            tenant_refresh_secs: 5,
            prune_interval_secs: 60,
            log_format: LogFormat::Text,
        }
    }

    pub fn acked_retention(&self) -> Duration {
        Duration::from_secs(self.acked_retention_hours * 3600)
    }

    pub fn unacked_retention(&self) -> Duration {
        Duration::from_secs(self.unacked_retention_days * 86_400)
    }
}
