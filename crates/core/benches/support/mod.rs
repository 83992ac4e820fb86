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

pub use mostrador_testkit::bench::load;

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
    ///
    /// With `MOSTRADOR_BENCH_DB_CACHE=<dir>` the generated file is kept in that folder (named
    /// after its shape and the schema's last migration) and later runs start from a copy of it
    /// instead of generating again: generating 1,000,000 messages takes minutes on a busy machine.
    pub async fn generate() -> BenchDb {
        let shape = Shape::from_env();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mostrador.sqlite3");
        let cache = std::env::var_os("MOSTRADOR_BENCH_DB_CACHE").map(PathBuf::from);
        let (cached, version) = match &cache {
            Some(c) => {
                let version = schema_version().await;
                (Some(c.join(cached_name(shape, version))), version)
            }
            None => (None, 0),
        };
        // The newest kept file of this shape; one of an older schema is migrated on open.
        let reuse = cache.as_ref().and_then(|c| {
            (0..=version)
                .rev()
                .map(|v| c.join(cached_name(shape, v)))
                .find(|f| f.exists())
        });
        if let Some(file) = reuse {
            let t = Instant::now();
            std::fs::copy(&file, &path).unwrap();
            let store = Store::open(&path).await.unwrap();
            let org: String = sqlx::query_scalar("SELECT id FROM organizations")
                .fetch_one(store.reader())
                .await
                .unwrap();
            let org = org.parse().unwrap();
            let kept = cached.unwrap();
            if file != kept {
                // New indexes need their statistics, as the generator gives them.
                sqlx::query("ANALYZE")
                    .execute(store.writer())
                    .await
                    .unwrap();
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(store.writer())
                    .await
                    .unwrap();
                keep(&path, &kept);
            }
            println!(
                "copied the generated database ({} messages in {} conversations, {:.1} MiB) from {} in {:.1} s; RSS with it open and idle {:.0} MiB (load {})",
                shape.messages,
                shape.conversations,
                mib(conversations_db::file_size(&path)),
                file.display(),
                t.elapsed().as_secs_f64(),
                rss_mib(),
                load()
            );
            return BenchDb {
                store,
                org,
                shape,
                path,
                _dir: dir,
            };
        }
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
        if let Some(file) = cached {
            keep(&path, &file);
        }
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

/// The cache file's name: the shape and the schema's last migration, so a schema change never
/// reuses a database generated under the old one without migrating it.
fn cached_name(shape: Shape, version: i64) -> String {
    format!(
        "conversations-{}m-{}c-{}b-schema{version}.sqlite3",
        shape.messages, shape.conversations, shape.big_thread
    )
}

/// The last migration of this build's schema.
async fn schema_version() -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("schema.sqlite3"))
        .await
        .unwrap();
    let version: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(store.reader())
        .await
        .unwrap();
    store.close().await;
    version
}

/// Copies the database at `from` (checkpointed: the main file is all of it) to `to`, through a
/// temporary name so an interrupted copy is never taken for a database.
fn keep(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    let part = to.with_extension("part");
    std::fs::copy(from, &part).unwrap();
    std::fs::rename(&part, to).unwrap();
    println!("kept the generated database as {}", to.display());
}

/// Whether the senders' profile names change with every webhook (each one rewrites its
/// customer and the customer's search entry: the worst case) or stay put (the usual case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    Changing,
    Stable,
}

/// `n` signed webhooks stored as the poller stores them (`new` rows of `inbox_raw`), one text
/// message each from one of 5,000 customers. `run` keeps the event ids, relay sequence numbers
/// and wamids of several runs on one database apart.
pub async fn insert_raw(store: &Store, org: OrgId, n: u64, run: u64, names: Names) {
    let secret = Secret::new(SECRET);
    let o = org.to_string();
    let tag = format!("ingest{run}x");
    let mut tx = store.begin_immediate().await.unwrap();
    for i in 0..n {
        let name = match names {
            Names::Changing => format!("Cliente {i}"),
            Names::Stable => format!("Cliente {}", i % 5_000),
        };
        let body = conversations_db::whatsapp_text_webhook_named(PHONE_ID, &tag, i, 5_000, &name);
        let sig = mostrador_whatsapp::signature::sign(&secret, &body);
        let headers =
            serde_json::json!([{ "name": "x-hub-signature-256", "value": sig }]).to_string();
        sqlx::query(
            "INSERT INTO inbox_raw (event_id, org_id, relay_seq, provider, received_at, method, public_url,
                                    headers, body, body_sha256, fetched_at)
             VALUES (?, ?, ?, 'whatsapp', '2026-01-01T00:00:00.000Z', 'POST', 'https://relay/in/x/whatsapp', ?, ?, '', '2026-01-01T00:00:00.000Z')",
        )
        .bind(format!("ev-{run}-{i}"))
        .bind(&o)
        .bind((run * 10_000_000 + i) as i64 + 1)
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
pub async fn ingest(store: &Store, org: OrgId, n: u64, batch: u32, run: u64, names: Names) -> f64 {
    insert_raw(store, org, n, run, names).await;
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

/// The ingest figures of one bench run: a first drain that also creates the 5,000 senders
/// (names changing, as the figures of earlier sessions), then one with names changing and one
/// with stable names on the same database, `n` events each.
pub async fn ingest_runs(store: &Store, org: OrgId, n: u64, batch: u32) {
    for (run, names) in [
        (1, Names::Changing),
        (2, Names::Changing),
        (3, Names::Stable),
    ] {
        let rate = ingest(store, org, n, batch, run, names).await;
        println!(
            "processor ingest run {run}: {n} webhook events at {rate:.0} events/s (signature + parse + apply, {batch} per transaction, profile names {}{}; load {})",
            match names {
                Names::Changing => "changing",
                Names::Stable => "stable",
            },
            if run == 1 { ", senders new" } else { "" },
            load()
        );
    }
}
