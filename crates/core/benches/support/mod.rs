//! What the `ingest` and `conversations` benches share: the generated database (one generator,
//! `mostrador_testkit::conversations_db`), raw webhooks as the poller stores them, the timed
//! drain, and the figures' helpers.

// Each bench uses a different part of this module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mostrador_core::events::EventBus;
use mostrador_core::intake::processor::SecretFuture;
use mostrador_core::intake::{AppSecrets, Processor, ProcessorOptions, PHONE_NUMBER_ID};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::settings;
use mostrador_core::store::Store;
use mostrador_testkit::conversations_db::{self, Shape};
use mostrador_types::{IvaCondition, Secret};

pub const SECRET: &str = "bench-app-secret";
pub const PHONE_ID: &str = "106540352242922";

/// The app reads the keychain; the benchmark measures the processor, not the keychain.
pub struct FixedSecret;
impl AppSecrets for FixedSecret {
    fn app_secret(&self, _org: OrgId) -> SecretFuture<'_> {
        Box::pin(async { Ok(Some(Secret::new(SECRET))) })
    }
}

pub fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// The machine's load average (the benches share it with builds): `uptime`'s three figures.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A generated database in a temporary directory, open, with its organization's WhatsApp
/// number set.
pub struct BenchDb {
    pub store: Store,
    pub org: OrgId,
    pub shape: Shape,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl BenchDb {
    /// Generates [`Shape::from_env`] and prints its size and how long it took.
    pub async fn generate() -> BenchDb {
        let shape = Shape::from_env();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mostrador.sqlite3");
        let store = Store::open(&path).await.unwrap();
        let org = org::create(
            &store,
            NewOrganization {
                name: "Almacén Bench".into(),
                cuit: "20-12345678-6".into(),
                iva_condition: IvaCondition::Monotributo,
            },
        )
        .await
        .unwrap()
        .id;
        settings::set(&store, Some(org), PHONE_NUMBER_ID, PHONE_ID)
            .await
            .unwrap();
        let t = Instant::now();
        conversations_db::generate(store.writer(), &org.to_string(), shape)
            .await
            .unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(store.writer())
            .await
            .unwrap();
        println!(
            "generated {} messages in {} conversations in {:.1} s; database {:.1} MiB; RSS with it open and idle {:.0} MiB (load {})",
            shape.messages,
            shape.conversations,
            t.elapsed().as_secs_f64(),
            mib(conversations_db::file_size(&path)),
            rss_mib(),
            load()
        );
        BenchDb {
            store,
            org,
            shape,
            path,
            _dir: dir,
        }
    }

    pub fn size_mib(&self) -> f64 {
        mib(conversations_db::file_size(&self.path))
    }
}

/// `n` signed webhooks stored as the poller stores them (`new` rows of `inbox_raw`), one text
/// message each from one of 5,000 customers.
pub async fn insert_raw(store: &Store, org: OrgId, n: u64) {
    let secret = Secret::new(SECRET);
    let o = org.to_string();
    let mut tx = store.begin_immediate().await.unwrap();
    for i in 0..n {
        let body = conversations_db::whatsapp_text_webhook(PHONE_ID, "ingest", i, 5_000);
        let sig = mostrador_whatsapp::signature::sign(&secret, &body);
        let headers =
            serde_json::json!([{ "name": "x-hub-signature-256", "value": sig }]).to_string();
        sqlx::query(
            "INSERT INTO inbox_raw (event_id, org_id, relay_seq, provider, received_at, method, public_url,
                                    headers, body, body_sha256, fetched_at)
             VALUES (?, ?, ?, 'whatsapp', '2026-01-01T00:00:00.000Z', 'POST', 'https://relay/in/x/whatsapp', ?, ?, '', '2026-01-01T00:00:00.000Z')",
        )
        .bind(format!("ev-{i}"))
        .bind(&o)
        .bind(i as i64 + 1)
        .bind(headers)
        .bind(body)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Stores `n` raw webhooks, then drains them with the processor (`batch` per transaction),
/// timed. Returns events per second.
pub async fn ingest(store: &Store, org: OrgId, n: u64, batch: u32) -> f64 {
    insert_raw(store, org, n).await;
    let processor = Processor::new(store.clone(), Arc::new(FixedSecret), EventBus::default())
        .with_options(ProcessorOptions {
            batch,
            idle: Duration::from_secs(30),
        });
    let t = Instant::now();
    let r = processor.drain(org).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(r.processed, n, "{r:?}");
    assert_eq!(r.applied, n, "{r:?}");
    n as f64 / secs
}
