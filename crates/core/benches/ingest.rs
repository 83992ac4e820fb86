//! Intake at scale, on a generated database of 1,000,000 messages in 50,000 conversations (bulk
//! SQL, FTS kept by the app's own triggers): the database size, the processor's ingest rate
//! (signature + parse + apply, batched transactions) and the latency from
//! a signed webhook POSTed to a real relay to the app's `ConversationEvent` (relay → long poll →
//! `inbox_raw` → processor → event), p50/p99. Prints its figures.
//! The database comes from `mostrador_testkit::conversations_db` (shared with the conversations
//! bench). `cargo bench -p mostrador-core --bench ingest`. `MOSTRADOR_BENCH_MESSAGES`,
//! `MOSTRADOR_BENCH_CONVERSATIONS`, `MOSTRADOR_BENCH_INGEST`, `MOSTRADOR_BENCH_BATCH`,
//! `MOSTRADOR_BENCH_LATENCY` scale it.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use mostrador_core::events::{ConversationEvent, EventBus};
use mostrador_core::inbox::{self, PollerOptions};
use mostrador_core::intake::Processor;
use mostrador_core::org::OrgId;
use mostrador_core::store::Store;
use mostrador_relay::RelayClient;
use mostrador_testkit as common;
use mostrador_testkit::conversations_db::whatsapp_text_webhook;
use mostrador_types::Secret;
use support::{env, load, pct, rss_mib, BenchDb, FixedSecret, PHONE_ID, SECRET};

/// POST → event, one webhook at a time, through a real relay and the app's poller + processor.
async fn latency(store: &Store, org: OrgId, n: u64) -> Vec<Duration> {
    let backend = common::Backend::sqlite();
    let t = common::create_tenant(backend.url(), "bench").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let ingress = t.local(relay.addr, "whatsapp");
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let inbox = inbox::spawn(store.clone(), org, client, PollerOptions::default());
    let events = EventBus::default();
    let processor = Processor::new(store.clone(), Arc::new(FixedSecret), events.clone());
    let proc = processor.spawn(org, inbox.committed());
    let mut rx = events.subscribe();
    let http = common::http();
    let secret = Secret::new(SECRET);
    let mut out = Vec::with_capacity(n as usize);
    // The first few warm the connection and the long poll up; not counted.
    for i in 0..n + 5 {
        let body = whatsapp_text_webhook(PHONE_ID, "latency", i, 5_000);
        let sig = mostrador_whatsapp::signature::sign(&secret, &body);
        let want = format!("wamid.latency{i}");
        let started = Instant::now();
        let r = http
            .post(&ingress)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let got = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Ok(ConversationEvent::NewMessage { message, .. }) = rx.recv().await {
                    if message.provider_id.as_deref() == Some(want.as_str()) {
                        return started.elapsed();
                    }
                }
            }
        })
        .await
        .expect("the event arrived");
        if i >= 5 {
            out.push(got);
        }
    }
    proc.stop().await;
    inbox.stop().await;
    relay.shutdown().await.unwrap();
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let db = BenchDb::generate().await;
    let (store, org) = (&db.store, db.org);

    let n = env("MOSTRADOR_BENCH_INGEST", 20_000) as u64;
    let batch = env("MOSTRADOR_BENCH_BATCH", 500) as u32;
    if n > 0 {
        support::ingest_runs(store, org, n, batch).await;
    }

    let k = env("MOSTRADOR_BENCH_LATENCY", 200) as u64;
    if k > 0 {
        let lat = latency(store, org, k).await;
        println!(
            "webhook POST → relay → poll → processor → event: n={k} p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms (load {})",
            pct(lat.clone(), 0.5).as_secs_f64() * 1e3,
            pct(lat.clone(), 0.99).as_secs_f64() * 1e3,
            pct(lat, 1.0).as_secs_f64() * 1e3,
            load()
        );
    }
    store.close().await;
    println!(
        "database after the run: {:.1} MiB; RSS {:.0} MiB",
        db.size_mib(),
        rss_mib()
    );
}
