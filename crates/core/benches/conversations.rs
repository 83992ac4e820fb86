//! Conversations at scale: a generated database of 1,000,000 messages in 50,000 conversations
//! (bulk SQL, FTS maintained by the same triggers as in the app), then the processor's ingest rate
//! (signature + parse + apply, batched transactions) and p50/p95 of the list page, thread page and
//! search. Prints its figures. `cargo bench -p mostrador-core --bench conversations`.
//! `MOSTRADOR_BENCH_MESSAGES` / `MOSTRADOR_BENCH_CONVERSATIONS` scale it down. The database
//! comes from `mostrador_testkit::conversations_db` (shared with the ingest bench).

mod support;

use std::time::{Duration, Instant};

use mostrador_core::conversations::{self, ListCursor, ListFilter, ThreadCursor};
use mostrador_core::org::OrgId;
use mostrador_core::store::Store;
use support::{env, load, pct, BenchDb};

fn report(name: &str, v: Vec<Duration>) {
    println!(
        "{name:<28} n={:<5} p50 {:>8.2} ms   p95 {:>8.2} ms   max {:>8.2} ms",
        v.len(),
        pct(v.clone(), 0.5).as_secs_f64() * 1e3,
        pct(v.clone(), 0.95).as_secs_f64() * 1e3,
        pct(v, 1.0).as_secs_f64() * 1e3
    );
}

/// A tiny deterministic generator (no dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Migration 0020 undone: the indexes as migrations 0006 and 0010 left them.
const WITHOUT_0020: &str = "
DROP INDEX conversations_unread;
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO message_search (rowid, body)
SELECT id, trim(coalesce(text, '') || ' ' || coalesce(filename, '')) FROM messages
WHERE type <> 'reaction' AND (coalesce(text, '') <> '' OR coalesce(filename, '') <> '');
ANALYZE;
";

/// p50/p95 of the list page (first, deep, label, unread, resolved), the thread page and search.
async fn queries(store: &Store, org: OrgId, convs: i64, label: &str) {
    let mut rng = Lcg(42);
    let iters = 300;
    println!("queries, {label} (load {}):", load());
    let mut list = Vec::new();
    let mut list_deep = Vec::new();
    let mut list_label = Vec::new();
    let mut list_unread = Vec::new();
    let mut list_resolved = Vec::new();
    for _ in 0..iters {
        let t = Instant::now();
        let page = conversations::list_page(store, org, &ListFilter::All, None, 50)
            .await
            .unwrap();
        list.push(t.elapsed());
        assert_eq!(page.conversations.len(), 50);
        // A page far down the list, from a cursor taken at a random point.
        let pick = rng.next(convs as u64) as i64 + 1;
        let at: String =
            sqlx::query_scalar("SELECT last_activity_at FROM conversations WHERE id = ?")
                .bind(pick)
                .fetch_one(store.reader())
                .await
                .unwrap();
        let cursor = ListCursor {
            last_activity_at: at,
            id: pick,
        };
        let t = Instant::now();
        conversations::list_page(store, org, &ListFilter::All, Some(&cursor), 50)
            .await
            .unwrap();
        list_deep.push(t.elapsed());
        let t = Instant::now();
        conversations::list_page(
            store,
            org,
            &ListFilter::Label("mayorista".into()),
            Some(&cursor),
            50,
        )
        .await
        .unwrap();
        list_label.push(t.elapsed());
        let t = Instant::now();
        conversations::list_page(store, org, &ListFilter::Unread, Some(&cursor), 50)
            .await
            .unwrap();
        list_unread.push(t.elapsed());
        let t = Instant::now();
        conversations::list_page(store, org, &ListFilter::Resolved, Some(&cursor), 50)
            .await
            .unwrap();
        list_resolved.push(t.elapsed());
    }
    report("list page (first)", list);
    report("list page (keyset, deep)", list_deep);
    report("list page (label)", list_label);
    report("list page (no leídas)", list_unread);
    report("list page (resueltas)", list_resolved);

    let mut thread = Vec::new();
    let mut thread_older = Vec::new();
    for _ in 0..iters {
        let c = rng.next(convs as u64) as i64 + 1;
        let t = Instant::now();
        let page = conversations::thread_page(store, org, c, None, 50)
            .await
            .unwrap();
        thread.push(t.elapsed());
        if let Some(older) = page.older {
            let t = Instant::now();
            conversations::thread_page(
                store,
                org,
                c,
                Some(&ThreadCursor {
                    at: older.at,
                    id: older.id,
                }),
                50,
            )
            .await
            .unwrap();
            thread_older.push(t.elapsed());
        }
    }
    report("thread page (newest 50)", thread);
    if !thread_older.is_empty() {
        report("thread page (older 50)", thread_older);
    }

    let words = [
        "yerba",
        "medialunas",
        "dulce de leche",
        "Pérez",
        "turron",
        "fernet 42",
        "00000123",
        "encargar queso",
    ];
    let mut search = Vec::new();
    for i in 0..iters {
        let q = words[i % words.len()];
        let t = Instant::now();
        let hits = conversations::search(store, org, q, 50).await.unwrap();
        search.push(t.elapsed());
        assert!(!hits.is_empty(), "{q}");
    }
    report("search (50 hits)", search);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let db = BenchDb::generate().await;
    let (store, org, convs) = (&db.store, db.org, db.shape.conversations);

    let n = env("MOSTRADOR_BENCH_INGEST", 20_000) as u64;
    if n > 0 {
        support::ingest_runs(store, org, n, 500).await;
    }

    queries(store, org, convs, "with migration 0020").await;
    if env("MOSTRADOR_BENCH_AB", 1) != 0 {
        // A/B in the same run, on the same database and machine: the same queries on the
        // indexes as they were before migration 0020 (no unread index, message search without
        // prefix indexes).
        let t = Instant::now();
        sqlx::raw_sql(WITHOUT_0020)
            .execute(store.writer())
            .await
            .unwrap();
        println!(
            "(dropped migration 0020's unread index and rebuilt the message index without prefixes in {:.1} s)",
            t.elapsed().as_secs_f64()
        );
        queries(store, org, convs, "without migration 0020 (as before)").await;
    }
    store.close().await;
    println!(
        "database after ingest: {:.1} MiB (load {})",
        db.size_mib(),
        load()
    );
}
