//! Sustained sends to the WhatsApp simulator through the whole engine (enqueue → rate limits →
//! claim → mark send started → HTTP → complete), against the simulator's own ceiling measured
//! by a plain HTTP loop in the same run. Limits raised; same SQLite settings as the app
//! (WAL, synchronous=FULL) on the same disk.
//!
//! Needs a keychain (the handler reads the token from it), like the tests:
//! `dbus-run-session -- bash -c '…gnome-keyring-daemon --unlock…; cargo bench -p mostrador-core --bench outbound_send'`
//! (see `scripts/test` for the full wrapper). `OUTBOUND_BENCH_N` sets the message count,
//! `OUTBOUND_BENCH_CONCURRENCY` the sends in flight (both the plain loop and the engine).

use std::sync::Arc;
use std::time::{Duration, Instant};

use mostrador_core::activity::ActivityGate;
use mostrador_core::channels::whatsapp::{WhatsAppSend, WhatsAppSettings, ACCESS_TOKEN, KIND};
use mostrador_core::org::{self, NewOrganization};
use mostrador_core::outbound::{Outbound, OutboundConfig, RateConfig, Wiring};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_queue::{JobState, NewJob};
use mostrador_sandbox::whatsapp::{NewCustomer, RateLimits, StatusPlan};
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};

const CUSTOMERS: usize = 200;

fn customer(i: usize) -> String {
    format!("54911{:08}", 20_000_000 + i % CUSTOMERS)
}

fn main() {
    let n: usize = std::env::var("OUTBOUND_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let concurrency: usize = std::env::var("OUTBOUND_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(n, concurrency));
}

async fn run(n: usize, concurrency: usize) {
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let sim = &sandbox.whatsapp;
    sim.set_rate_limits(RateLimits {
        throughput_per_sec: 1e9,
        pair_burst: 1e9,
        pair_refill_secs: 0.001,
    });
    // One "sent" status per message (recorded, not posted): the simulator's own work per send.
    sim.set_status_plan(StatusPlan {
        sent_ms: 1,
        delivered_ms: None,
        read_ms: None,
        ..StatusPlan::default()
    });
    for i in 0..CUSTOMERS {
        sim.add_customer(NewCustomer::new(customer(i)));
        sim.set_last_inbound_age(&customer(i), Duration::ZERO);
    }
    let account = sim.account();

    // (1) The simulator's ceiling: a plain HTTP loop, same concurrency, same bodies.
    let http = reqwest::Client::new();
    let url = format!(
        "{}/v25.0/{}/messages",
        sandbox.graph_url(),
        account.phone_number_id
    );
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, next, token) = (
            http.clone(),
            url.clone(),
            next.clone(),
            account.access_token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let body = WhatsAppSend::text(customer(i), format!("Mensaje {i}"))
                    .to_message(&format!("plain-{i}"))
                    .unwrap()
                    .to_json();
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ceiling = n as f64 / t.elapsed().as_secs_f64();

    // (2) The engine: the same messages as jobs.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.sqlite3"))
        .await
        .unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Bench".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    let secrets = SecretStore::new(&format!("ar.mostrador.bench.{}", uuid::Uuid::new_v4()));
    WhatsAppSettings {
        phone_number_id: account.phone_number_id.clone(),
        waba_id: account.waba_id.clone(),
        base_url: Some(sandbox.graph_url()),
        graph_version: None,
    }
    .save(&store, org)
    .await
    .unwrap();
    secrets
        .set(
            org,
            ACCESS_TOKEN,
            &Secret::new(account.access_token.clone()),
        )
        .await
        .unwrap();
    let gate = ActivityGate::new();
    let cfg = OutboundConfig {
        concurrency,
        rates: RateConfig::unlimited(),
        ..OutboundConfig::default()
    };
    let o = Outbound::start(
        store.clone(),
        Wiring::new(secrets.clone(), gate.clone()),
        cfg,
    )
    .await
    .unwrap();
    // Hold sends while enqueueing, so the figure is sending, not enqueueing.
    let hold = gate.hold_when_idle(|_| {}).await;
    let te = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut tx = store.begin_immediate().await.unwrap();
        for &i in chunk {
            let job = NewJob::new(
                org.0,
                KIND,
                &WhatsAppSend::text(customer(i), format!("Mensaje {i}")),
            )
            .unwrap();
            let (_, wake) = o.queue().enqueue_in(&mut tx, &job).await.unwrap();
            std::mem::forget(wake);
        }
        tx.commit().await.unwrap();
    }
    let enqueue_rate = n as f64 / te.elapsed().as_secs_f64();
    let sent_before = sim.log_of("send_message").len();
    let t = Instant::now();
    drop(hold);
    o.queue().notify();
    loop {
        let left: u64 = o
            .queue()
            .counts()
            .await
            .unwrap()
            .iter()
            .filter(|d| !d.state.is_finished() && d.state != JobState::InDoubt)
            .map(|d| d.count)
            .sum();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = t.elapsed().as_secs_f64();
    let sent = sim.log_of("send_message").len() - sent_before;
    o.shutdown().await;
    let engine = sent as f64 / elapsed;
    println!("outbound_send: {n} messages, concurrency {concurrency}, limits raised, WAL + synchronous=FULL");
    println!("  simulator ceiling (plain HTTP loop): {ceiling:>8.0} msgs/s");
    println!("  engine, sustained sends:             {engine:>8.0} msgs/s  ({sent} accepted in {elapsed:.2} s)");
    println!(
        "  engine / ceiling:                    {:>8.2}",
        engine / ceiling
    );
    println!("  (enqueue in 1,000-job transactions:  {enqueue_rate:>8.0} jobs/s)");
    assert_eq!(sent, n, "every job sent exactly once");
}
