//! The crash storm: a child process (this test binary re-invoked with `MOSTRADOR_STORM_CHILD` set)
//! enqueues and sends N messages to the WhatsApp simulator, which runs here in the parent on
//! 127.0.0.1, and is SIGKILLed at random moments K times, restarted each time on the same database.
//! At the end every message was accepted by the simulator exactly once, except jobs recorded
//! `in_doubt`; each of those is resolved from the simulator's signed status webhooks (callback
//! data = job id) without a resend. An in-doubt job with no webhook never reached the simulator
//! (killed between marking the send and writing the request): the owner's "reenviar" sends it.
//!
//! `cargo test -p mostrador-core --test outbound_crash_storm` runs 5,000 messages and 20 kills;
//! the longer variant (20,000 messages, 60 kills) runs by hand:
//! `cargo test -p mostrador-core --release --test outbound_crash_storm -- --ignored --nocapture`
//! (both need a keychain: see `scripts/test` for the `dbus-run-session` wrapper).

mod outbound_support;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use mostrador_core::outbound::{CallbackEvidence, OutboundConfig, RateConfig, Resolution};
use mostrador_core::store::Store;
use mostrador_queue::{JobState, NewJob};
use mostrador_sandbox::whatsapp::{Fault, FaultKind, RateLimits, StatusPlan, WhatsAppSim};
use mostrador_sandbox::Sandbox;
use mostrador_types::Secret;
use outbound_support::*;
use rand::Rng;

const CHILD: &str = "MOSTRADOR_STORM_CHILD";
const CUSTOMERS: usize = 50;

fn customer_of(i: usize) -> String {
    format!("54911{:08}", 10_000_000 + i % CUSTOMERS)
}

/// Status webhooks received, verified: callback data ⇒ (wamid, status).
type Evidence = Arc<Mutex<HashMap<String, (String, String)>>>;

async fn webhook(
    State((secret, seen)): State<(Secret, Evidence)>,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    let sig = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    mostrador_whatsapp::signature::verify(&secret, &body, sig).expect("signed by the simulator");
    let n = mostrador_whatsapp::webhook::parse(&body).expect("a webhook");
    let mut seen = seen.lock().unwrap();
    for s in n.statuses() {
        if let Some(cb) = &s.status.callback_data {
            seen.entry(cb.clone()).or_insert_with(|| {
                (
                    s.status.id.as_str().to_owned(),
                    format!("{:?}", s.status.status).to_lowercase(),
                )
            });
        }
    }
    "ok"
}

struct Storm {
    messages: usize,
    kills: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_storm() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    storm(Storm {
        messages: 5_000,
        kills: 20,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long variant, run by hand (see the module docs)"]
async fn crash_storm_long() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    storm(Storm {
        messages: 20_000,
        kills: 60,
    })
    .await;
}

async fn storm(s: Storm) {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.sqlite3");
    let store = Store::open(&db).await.unwrap();
    let org = create_org(&store).await;
    let service = format!("ar.mostrador.test.storm.{}", uuid::Uuid::new_v4());
    let secrets = mostrador_core::secrets::SecretStore::new(&service);

    // The simulator with Meta's limits raised, answering "sent" by signed webhook to us.
    let sim = WhatsAppSim::default();
    sim.set_rate_limits(RateLimits {
        throughput_per_sec: 1e9,
        pair_burst: 1e9,
        pair_refill_secs: 0.001,
    });
    sim.set_status_plan(StatusPlan {
        sent_ms: 1,
        delivered_ms: None,
        read_ms: None,
        ..StatusPlan::default()
    });
    // A few sends where WhatsApp accepts and the connection drops: in doubt while running too.
    sim.inject(
        Fault::new(FaultKind::DropConnection)
            .times(3)
            .on_path("/messages"),
    );
    let sandbox = Sandbox::start_with(
        "127.0.0.1:0".parse().unwrap(),
        sim,
        mostrador_sandbox::afip::AfipSim::default(),
    )
    .await
    .unwrap();
    let evidence: Evidence = Arc::default();
    let app_secret = Secret::new(sandbox.whatsapp.account().app_secret);
    let receiver = axum::Router::new()
        .route("/wh", post(webhook))
        .with_state((app_secret, evidence.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let wh_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    sandbox
        .whatsapp
        .set_webhook_url(Some(format!("http://{wh_addr}/wh")));
    configure_whatsapp(&store, &secrets, org, &sandbox, true).await;
    for i in 0..CUSTOMERS {
        customer(&sandbox, &customer_of(i));
    }
    store.close().await;

    let spawn = || -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "storm_child",
                "--exact",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD, "1")
            .env("STORM_DB", path_str(&db))
            .env("STORM_ORG", org.to_string())
            .env("STORM_SERVICE", &service)
            .env("STORM_MESSAGES", s.messages.to_string())
            .env(
                "STORM_TRACE",
                std::env::var("STORM_TRACE").unwrap_or_default(),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap()
    };
    let mut rng = rand::rng();
    let mut killed = 0;
    for k in 0..s.kills {
        let mut child = spawn();
        // Wait until it has enqueued and is sending (it says so on stdout).
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if line.contains("STORM-CHILD-SENDING") {
                    let _ = tx.send(Instant::now());
                }
            }
        });
        // The first kills land during start-up and enqueueing, the others while sending.
        let ms = if k < 3 {
            rng.random_range(5..200)
        } else {
            let _ = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
                .await
                .unwrap();
            rng.random_range(100..1200)
        };
        tokio::time::sleep(Duration::from_millis(ms)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
    }
    let storm_secs = started.elapsed().as_secs_f64();
    // Last run: until everything is finished.
    let child = spawn();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "the final run failed");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("STORM-CHILD-DONE"),
        "the final run did not finish the queue"
    );
    let final_secs = started.elapsed().as_secs_f64() - storm_secs;
    // Let trailing status webhooks land.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The inbound processor's part: resolve every in-doubt job from the webhooks.
    let store = Store::open(&db).await.unwrap();
    let o = start_on(&store, &secrets, storm_config()).await;
    let in_doubt = o
        .queue()
        .list(&mostrador_queue::ListQuery {
            state: JobState::InDoubt,
            org_id: Some(org.0),
            before: None,
            limit: 100_000,
        })
        .await
        .unwrap()
        .jobs;
    let accepted_before = accepted_counts(&sandbox);
    let (mut by_webhook, mut by_owner) = (0, 0);
    for j in &in_doubt {
        let seen = evidence.lock().unwrap().get(&j.id.to_string()).cloned();
        match seen {
            Some((wamid, status)) => {
                let r = o
                    .resolve_by_callback(
                        org,
                        j.id,
                        &CallbackEvidence {
                            provider_id: wamid,
                            status,
                        },
                    )
                    .await
                    .unwrap();
                assert_eq!(r, Resolution::Resolved);
                by_webhook += 1;
            }
            None => {
                // No webhook: the simulator never accepted it. The owner chooses "reenviar".
                assert_eq!(accepted_before.get(&j.id.to_string()), None);
                o.resend_in_doubt(j.id).await.unwrap();
                by_owner += 1;
            }
        }
    }
    for j in &in_doubt {
        wait_state(&o, j.id, JobState::Completed).await;
    }
    o.shutdown().await;

    // Every message: exactly one job (unique key), accepted exactly once.
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, unique_key, state FROM jobs WHERE org_id = ?")
            .bind(org.to_string())
            .fetch_all(store.reader())
            .await
            .unwrap();
    assert_eq!(rows.len(), s.messages);
    let accepted = accepted_counts(&sandbox);
    let (mut lost, mut doubled) = (0, 0);
    for (id, _key, state) in &rows {
        assert_eq!(state, "completed", "job {id}");
        match accepted.get(&id.to_string()).copied().unwrap_or(0) {
            0 => lost += 1,
            1 => {}
            _ => doubled += 1,
        }
    }
    let resolved = by_webhook + by_owner;
    println!(
        "lost = {lost}, doubled = {doubled}, in-doubt = {}, resolved = {resolved} \
         (by webhook {by_webhook}, by the owner {by_owner}); {} messages, {killed} SIGKILLs; \
         {storm_secs:.1} s of kills, {final_secs:.1} s final run, {:.1} s in all",
        in_doubt.len(),
        s.messages,
        started.elapsed().as_secs_f64()
    );
    assert_eq!((lost, doubled), (0, 0));
    assert_eq!(resolved, in_doubt.len());
    assert!(killed >= s.kills / 2, "only {killed} kills landed");
}

fn accepted_counts(sandbox: &Sandbox) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for cb in accepted_callbacks(sandbox) {
        *m.entry(cb).or_insert(0) += 1;
    }
    m
}

fn storm_config() -> OutboundConfig {
    let queue = mostrador_queue::QueueConfig {
        backstop_poll: Duration::from_millis(100),
        ..Default::default()
    };
    OutboundConfig {
        concurrency: 32,
        // Limits raised, except a Meta-like throughput so the kills land while sending.
        rates: RateConfig {
            per_number_per_second: 600,
            ..RateConfig::unlimited()
        },
        queue,
        ..OutboundConfig::default()
    }
}

/// The child: enqueue every message (idempotent by unique key), send until nothing is left.
#[test]
fn storm_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if std::env::var("STORM_TRACE").is_ok_and(|v| !v.is_empty()) {
        tracing_subscriber::fmt()
            .with_env_filter("mostrador_core=info")
            .with_writer(std::io::stderr)
            .init();
    }
    rt.block_on(async {
        let db = std::env::var("STORM_DB").unwrap();
        let org: mostrador_core::org::OrgId = std::env::var("STORM_ORG").unwrap().parse().unwrap();
        let service = std::env::var("STORM_SERVICE").unwrap();
        let n: usize = std::env::var("STORM_MESSAGES").unwrap().parse().unwrap();
        let store = Store::open(std::path::Path::new(&db)).await.unwrap();
        let secrets = mostrador_core::secrets::SecretStore::new(&service);
        let o = start_on(&store, &secrets, storm_config()).await;
        // Enqueueing is idempotent (unique keys); skip it once a run has committed it all.
        let have: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
            .fetch_one(store.reader())
            .await
            .unwrap();
        let todo = if have as usize >= n { 0 } else { n };
        for chunk in (0..todo).collect::<Vec<_>>().chunks(500) {
            let mut tx = store.begin_immediate().await.unwrap();
            let mut wakes = Vec::new();
            for &i in chunk {
                let job: NewJob = text_job(org, &customer_of(i), &format!("Mensaje {i}"))
                    .unique_key(format!("msg-{i}"))
                    .max_attempts(10);
                let (_, wake) = o.queue().enqueue_in(&mut tx, &job).await.unwrap();
                wakes.push(wake);
            }
            tx.commit().await.unwrap();
            for w in wakes {
                w.after_commit();
            }
        }
        println!("STORM-CHILD-SENDING");
        if std::env::var("STORM_TRACE").is_ok_and(|v| !v.is_empty()) {
            let store = store.clone();
            let t0 = Instant::now();
            tokio::spawn(async move {
                loop {
                    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state = 'completed'")
                        .fetch_one(store.reader()).await.unwrap();
                    let states: Vec<(String, i64)> = sqlx::query_as("SELECT state, count(*) FROM jobs GROUP BY state")
                        .fetch_all(store.reader()).await.unwrap();
                    let panic: Vec<(String, String)> = sqlx::query_as("SELECT integration, reason_code FROM outbound_panic")
                        .fetch_all(store.reader()).await.unwrap();
                    let br: Vec<(String, String)> = sqlx::query_as("SELECT integration, state FROM outbound_breakers")
                        .fetch_all(store.reader()).await.unwrap();
                    eprintln!("child +{:?}: {done} completed {states:?} panic {panic:?} breakers {br:?}", t0.elapsed());
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
        }
        loop {
            let left: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM jobs WHERE state IN ('scheduled', 'available', 'retryable', 'running')",
            )
            .fetch_one(store.reader())
            .await
            .unwrap();
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        o.shutdown().await;
        println!("STORM-CHILD-DONE");
    });
}
