//! apalis-sqlite doing our benchmark's lifecycle: push N jobs one at a time (one transaction each),
//! then one worker with a no-op handler drains them. Same SQLite settings as ours: WAL,
//! synchronous=FULL, busy_timeout=5 s (apalis' own `setup()` would set synchronous=OFF, so only its
//! migrations are run). Usage: bench-apalis <db path> <jobs>. Prints `apalis_jobs_per_sec=<n>`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use apalis_sqlite::SqliteStorage;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Send {
    to: String,
    template: String,
    n: usize,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("db path");
    let jobs: usize = args
        .next()
        .expect("jobs")
        .parse()
        .expect("jobs is a number");

    let opts = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new().connect_with(opts).await.unwrap();
    SqliteStorage::migrations().run(&pool).await.unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&pool).await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await.unwrap();
    // Same settings as ours, or the comparison means nothing (2 = FULL).
    assert_eq!((sync, journal.as_str()), (2, "wal"), "apalis connection settings");
    let mut backend = SqliteStorage::<Send>::new(&pool);

    let start = Instant::now();
    for n in 0..jobs {
        backend
            .push(Send {
                to: "5491155550000".into(),
                template: "pedido_listo".into(),
                n,
            })
            .await
            .unwrap();
    }
    let enqueued = start.elapsed();

    let done = Arc::new(AtomicUsize::new(0));
    async fn noop(
        _job: Send,
        done: Data<Arc<AtomicUsize>>,
        target: Data<usize>,
        worker: WorkerContext,
    ) -> Result<(), BoxDynError> {
        if done.fetch_add(1, Ordering::SeqCst) + 1 == *target {
            worker.stop()?;
        }
        Ok(())
    }
    let worker = WorkerBuilder::new("bench")
        .backend(backend)
        .data(done.clone())
        .data(jobs)
        .build(noop);
    worker.run().await.unwrap();
    let total = start.elapsed();
    let finished: i64 = sqlx::query_scalar("SELECT count(*) FROM Jobs WHERE status = 'Done'")
        .fetch_one(&pool)
        .await
        .unwrap_or(-1);
    println!(
        "    apalis-sqlite 1.0.0: {jobs} jobs, enqueue {:.0}/s, handled {}, rows Done {finished}",
        jobs as f64 / enqueued.as_secs_f64(),
        done.load(Ordering::SeqCst)
    );
    println!(
        "apalis_jobs_per_sec={:.1}",
        jobs as f64 / total.as_secs_f64()
    );
}
