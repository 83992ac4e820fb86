//! Queue benchmarks (figures printed, not a timed test). Run: `cargo bench -p mostrador-queue`.
//!
//! Same machine, same file system, same SQLite settings for every figure: WAL, synchronous=FULL,
//! busy_timeout=5 s, foreign_keys=ON, one write connection.
//! (a) raw SQLite: one-row INSERT transactions per second — the fsync-bound ceiling.
//! (b) our lifecycle enqueue → claim → complete with a no-op handler: each enqueue its own
//!     transaction (as a UI send is), claims and completions batched by the dispatcher.
//! (c) apalis-sqlite doing the same lifecycle, in its own workspace (it needs sqlx 0.9 while we pin
//!     0.8.6, and both link libsqlite3): `crates/queue/bench-apalis`, run here as a child process.
//! (d) claim latency with 100k waiting jobs.
//!
//! (a) and (b) alternate in 15 rounds of BENCH_JOBS/15; (c) runs BENCH_JOBS/3 jobs after every 5th.
//! Env: BENCH_JOBS (default 3000), BENCH_SKIP_APALIS=1.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mostrador_queue::{BootId, ClaimFilter, NewJob, Priority, Queue, SystemClock};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use uuid::Uuid;

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::from_str("sqlite:")
        .unwrap()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
}

async fn open(path: &Path) -> SqlitePool {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options(path))
        .await
        .unwrap();
    sqlx::migrate!("../../migrations").run(&pool).await.unwrap();
    pool
}

async fn add_org(pool: &SqlitePool) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO organizations (id, name, cuit, iva_condition, created_at, updated_at) \
         VALUES (?1, ?1, '20123456786', 'responsable_inscripto', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .bind(id.to_string())
    .execute(pool)
    .await
    .unwrap();
    id
}

fn payload(i: usize) -> serde_json::Value {
    serde_json::json!({ "to": "5491155550000", "template": "pedido_listo", "n": i })
}

/// (a) `rows` one-row INSERT transactions on the single write connection.
async fn raw_inserts(pool: &SqlitePool, rows: usize) -> Duration {
    let body = payload(0).to_string();
    let start = Instant::now();
    for _ in 0..rows {
        sqlx::query("INSERT INTO raw_rows (payload) VALUES (?1)")
            .bind(&body)
            .execute(pool)
            .await
            .unwrap();
    }
    start.elapsed()
}

/// (b) burn-down: enqueue `jobs` one transaction each, then claim and complete in batches.
/// Returns (total, enqueue part).
async fn lifecycle(queue: &Queue, org: Uuid, jobs: usize, batch: u32) -> (Duration, Duration) {
    let start = Instant::now();
    for i in 0..jobs {
        let job = NewJob::new(org, "whatsapp.send", &payload(i))
            .unwrap()
            .serial_key(format!("conv-{}", i % 500));
        queue.enqueue(&job).await.unwrap();
    }
    let enqueued = start.elapsed();
    let filter = ClaimFilter::new(batch).group(org, "whatsapp", None);
    let mut done = 0;
    while done < jobs {
        let claimed = queue.claim(&filter).await.unwrap();
        assert!(
            !claimed.is_empty(),
            "claim found nothing with {done}/{jobs} done"
        );
        // The no-op handler: nothing between claim and completion.
        let leases: Vec<_> = claimed.iter().map(|c| c.lease).collect();
        assert!(queue.complete_many(&leases).await.unwrap().is_empty());
        done += leases.len();
    }
    let total = start.elapsed();
    let remaining: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state <> 'completed'")
        .fetch_one(queue.writer())
        .await
        .unwrap();
    assert_eq!(remaining, 0);
    (total, enqueued)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1)]
}

/// (d) claim latency with 100k jobs waiting across 2 orgs × 2 lanes, mixed priorities, a third of
/// them in conversations (serial keys). Measured both as committed (includes the fsync) and as the
/// statement alone (inside a transaction that is then rolled back).
async fn claim_latency(
    dir: &Path,
    waiting: usize,
    samples: usize,
) -> (Duration, Duration, Duration, Duration) {
    let pool = open(&dir.join("latency.sqlite3")).await;
    let orgs = [add_org(&pool).await, add_org(&pool).await];
    let queue = Queue::new(pool.clone());
    let fill = Instant::now();
    for chunk in 0..waiting / 10_000 {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        for i in chunk * 10_000..(chunk + 1) * 10_000 {
            let kind = if i % 2 == 0 {
                "whatsapp.send"
            } else {
                "email.send"
            };
            let mut job = NewJob::new(orgs[i % 4 / 2], kind, &payload(i))
                .unwrap()
                .priority(Priority::new((i % 10) as u8).unwrap());
            if i % 3 == 0 {
                job = job.serial_key(format!("conv-{}", i % 5000));
            }
            let (_, wake) = queue.enqueue_in(&mut tx, &job).await.unwrap();
            drop(wake);
        }
        tx.commit().await.unwrap();
    }
    sqlx::query("PRAGMA optimize").execute(&pool).await.unwrap();
    eprintln!(
        "  filled {waiting} waiting jobs in {:.1} s",
        fill.elapsed().as_secs_f64()
    );
    let mut filter = ClaimFilter::new(10);
    for org in orgs {
        filter = filter
            .group(org, "whatsapp", Some(5))
            .group(org, "email", None);
    }
    let mut committed = Vec::with_capacity(samples);
    let mut statement = Vec::with_capacity(samples);
    for _ in 0..samples {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let t = Instant::now();
        let got = queue.claim_in(&mut tx, &filter).await.unwrap();
        statement.push(t.elapsed());
        assert_eq!(got.len(), 10);
        tx.rollback().await.unwrap();

        let t = Instant::now();
        let got = queue.claim(&filter).await.unwrap();
        committed.push(t.elapsed());
        assert_eq!(got.len(), 10);
        // Steady state: claimed jobs finish (untimed), so conversations move on as in the app.
        let leases: Vec<_> = got.iter().map(|c| c.lease).collect();
        queue.complete_many(&leases).await.unwrap();
    }
    committed.sort();
    statement.sort();
    pool.close().await;
    (
        percentile(&committed, 0.5),
        percentile(&committed, 0.99),
        percentile(&statement, 0.5),
        percentile(&statement, 0.99),
    )
}

/// (c) runs the apalis-sqlite lifecycle in its own workspace; returns jobs/s or why not.
fn apalis(db: &Path, jobs: usize) -> Result<f64, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-apalis/Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["run", "--quiet", "--release", "--manifest-path"])
        .arg(&manifest)
        .arg("--")
        .arg(db)
        .arg(jobs.to_string())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "bench-apalis failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    if let Some(line) = stdout.lines().next() {
        eprintln!("{line}");
    }
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("apalis_jobs_per_sec="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("unexpected output: {stdout}"))
}

#[tokio::main]
async fn main() {
    let jobs: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let skip_apalis = std::env::var("BENCH_SKIP_APALIS").is_ok();
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tempfile::tempdir_in(&base).unwrap();
    println!(
        "queue benchmarks: WAL, synchronous=FULL, busy_timeout=5s, one write connection; db in {}",
        base.display()
    );
    // (a) and (b) alternate in small rounds on the same two files, with an apalis run after every
    // few rounds, so a change in the machine's load (other builds, fsync stalls) hits all alike.
    const ROUNDS: usize = 15;
    const APALIS_EVERY: usize = 5;
    let per_round = jobs.div_ceil(ROUNDS);
    let raw_pool = open(&dir.path().join("raw.sqlite3")).await;
    sqlx::query("CREATE TABLE raw_rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL) STRICT")
        .execute(&raw_pool)
        .await
        .unwrap();
    let queue_pool = open(&dir.path().join("queue.sqlite3")).await;
    let org = add_org(&queue_pool).await;
    let queue = Queue::builder(queue_pool.clone())
        .clock(Arc::new(SystemClock))
        .boot_id(BootId::new())
        .build();
    let (mut a_time, mut b_time, mut b_enqueue) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut c_time = Some(Duration::ZERO);
    let mut c_jobs = 0;
    let mut c_error = None;
    let mut ratios = Vec::new();
    for round in 0..ROUNDS {
        let a_round = raw_inserts(&raw_pool, per_round).await;
        let (t, e) = lifecycle(&queue, org, per_round, 100).await;
        a_time += a_round;
        b_time += t;
        b_enqueue += e;
        ratios.push(a_round.as_secs_f64() / t.as_secs_f64());
        if skip_apalis || c_time.is_none() || (round + 1) % APALIS_EVERY != 0 {
            continue;
        }
        let n = per_round * APALIS_EVERY;
        match apalis(&dir.path().join(format!("apalis{round}.sqlite3")), n) {
            Ok(rate) => {
                c_time = c_time.map(|c| c + Duration::from_secs_f64(n as f64 / rate));
                c_jobs += n;
            }
            Err(e) => {
                c_time = None;
                c_error = Some(e);
            }
        }
    }
    raw_pool.close().await;
    queue_pool.close().await;
    let total = (per_round * ROUNDS) as f64;
    let a = total / a_time.as_secs_f64();
    let b = total / b_time.as_secs_f64();
    println!("(a) raw SQLite one-row INSERT transactions: {a:.0}/s");
    println!(
        "(b) lifecycle enqueue → claim → complete, {total} jobs, claim/complete batch 100: {b:.0} jobs/s \
         (enqueue {:.0}/s, drain {:.0}/s); (b)/(a) = {:.2} (target ≥ 0.5)",
        total / b_enqueue.as_secs_f64(),
        total / (b_time - b_enqueue).as_secs_f64(),
        b / a
    );
    ratios.sort_by(f64::total_cmp);
    println!(
        "    (b)/(a) per round (each against the (a) run just before it): median {:.2}, min {:.2}, max {:.2}",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1]
    );
    match (skip_apalis, c_time, c_error) {
        (true, _, _) => println!("(c) apalis-sqlite: skipped (BENCH_SKIP_APALIS)"),
        (_, Some(t), _) => {
            let c = c_jobs as f64 / t.as_secs_f64();
            println!("(c) apalis-sqlite 1.0.0, same lifecycle: {c:.0} jobs/s; (b)/(c) = {:.2} (target ≥ 2)", b / c);
        }
        (_, None, e) => println!("(c) apalis-sqlite: not measured: {}", e.unwrap_or_default()),
    }

    let (p50, p99, s50, s99) = claim_latency(dir.path(), 100_000, 300).await;
    println!(
        "(d) claim of 10 with 100k waiting (4 groups, mixed priorities, serial keys): committed p50 {:.2} ms, \
         p99 {:.2} ms (target ≤ 2 ms); statement alone p50 {:.3} ms, p99 {:.3} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        s50.as_secs_f64() * 1e3,
        s99.as_secs_f64() * 1e3
    );
}
