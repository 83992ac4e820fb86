//! Operating the relay: the tenant CLI of the real binary, retention and expiry, several relay
//! instances on one PostgreSQL database, and a graceful shutdown during a long poll.

use mostrador_testkit as common;
use mostrador_testkit::both_backends;

use common::Backend;
use mostrador_relay::server::Storage;
use mostrador_relay::RelayClient;
use reqwest::StatusCode;
use std::process::Command;
use std::time::{Duration, Instant};

both_backends!(tenant_cli);
both_backends!(retention_prunes_acked_and_expires_unacked);
both_backends!(shutdown_ends_long_polls);
both_backends!(deleted_tenant_is_refused_before_the_index_refresh);
both_backends!(slow_bodies_and_slow_requests_time_out);

fn relay_cli(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mostrador-relay"))
        .arg("tenant")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RELAY_PUBLIC_URL", common::PUBLIC_URL)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

async fn tenant_cli(backend: Backend) {
    let url = backend.url().to_owned();
    let (ok, out, err) = relay_cli(&url, &["create", "--name", "kiosco", "--json"]);
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    let device = created["device_token"].as_str().unwrap().to_owned();
    let wa_url = created["ingress_urls"]["whatsapp"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        wa_url.starts_with(&format!("{}/in/", common::PUBLIC_URL)) && wa_url.ends_with("/whatsapp")
    );
    assert!(created["meta_verify_token"].as_str().unwrap().len() >= 43);

    // Text output, and a duplicate name is refused.
    let (ok, out, _) = relay_cli(&url, &["create", "--name", "almacen"]);
    assert!(
        ok && out.contains("shown ONCE") && out.contains("/mercadopago"),
        "{out}"
    );
    let (ok, _, err) = relay_cli(&url, &["create", "--name", "kiosco"]);
    assert!(!ok && err.contains("already exists"), "{err}");

    // Tokens are stored as hashes only.
    let storage = Storage::open(&url).await.unwrap();
    let rows = storage.tenants().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|r| r.device_hash != device && r.device_hash.len() == 64));
    storage.close().await;

    // List never prints tokens.
    let (ok, out, _) = relay_cli(&url, &["list", "--json"]);
    assert!(ok);
    assert!(!out.contains(&device));
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(list.len(), 2);

    // A running relay accepts the device token; after rotate-token it is refused (tenant refresh).
    let mut cfg = common::test_config(&url);
    cfg.tenant_refresh_secs = 1;
    let relay = common::start(&cfg).await;
    let base = format!("http://{}", relay.addr);
    let old = RelayClient::new(&base, device.clone().into()).unwrap();
    assert!(old.status().await.is_ok());
    let (ok, out, err) = relay_cli(&url, &["rotate-token", "--name", "kiosco", "--json"]);
    assert!(ok, "{err}");
    let rotated: serde_json::Value = serde_json::from_str(&out).unwrap();
    let new = RelayClient::new(&base, rotated["token"].as_str().unwrap().into()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while old.status().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "the old device token still works"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(new.status().await.is_ok());

    // Rotating the ingress token changes the provider URLs.
    let (ok, out, _) = relay_cli(
        &url,
        &[
            "rotate-token",
            "--name",
            "kiosco",
            "--which",
            "ingress",
            "--json",
        ],
    );
    assert!(ok);
    let rotated: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_ne!(
        rotated["ingress_urls"]["whatsapp"].as_str().unwrap(),
        wa_url
    );

    // Delete; unknown names are an error.
    let (ok, _, _) = relay_cli(&url, &["delete", "--name", "almacen"]);
    assert!(ok);
    let (ok, _, err) = relay_cli(&url, &["delete", "--name", "almacen"]);
    assert!(!ok && err.contains("no tenant"), "{err}");
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn retention_prunes_acked_and_expires_unacked(backend: Backend) {
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let http = common::http();
    for i in 0..6 {
        let r = http
            .post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"n\":{i}}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    client.ack(2, None).await.unwrap();

    let storage = Storage::open(backend.url()).await.unwrap();
    let now = mostrador_relay::server::routes::now_ms();
    // Nothing is old enough yet.
    let out = storage
        .prune(now - 24 * 3_600_000, now - 14 * 86_400_000)
        .await
        .unwrap();
    assert_eq!((out.acked_pruned, out.unacked_expired), (0, 0));
    // 24 h later the 2 acknowledged events go; the 4 others stay.
    let out = storage.prune(now + 1, now - 14 * 86_400_000).await.unwrap();
    assert_eq!((out.acked_pruned, out.unacked_expired), (2, 0));
    let st = client.status().await.unwrap();
    assert_eq!((st.backlog, st.dropped_total), (4, 0));
    assert_eq!(
        client
            .events(0, None, 100, Duration::ZERO)
            .await
            .unwrap()
            .events[0]
            .seq,
        3
    );
    // After the unacked retention they expire, counted as dropped.
    let out = storage.prune(now + 1, now + 1).await.unwrap();
    assert_eq!(out.unacked_expired, 4);
    let st = client.status().await.unwrap();
    assert_eq!((st.backlog, st.dropped_total, st.last_seq), (0, 4, 6));
    storage.close().await;
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn shutdown_ends_long_polls(backend: Backend) {
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let mut cfg = common::test_config(backend.url());
    cfg.max_wait_secs = 30;
    let relay = common::start(&cfg).await;
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let poll =
        tokio::spawn(async move { client.events(0, None, 10, Duration::from_secs(30)).await });
    common::polls_waiting(&format!("http://{}", relay.addr), 1).await;
    let started = Instant::now();
    relay.shutdown().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown waited for the long poll"
    );
    let resp = poll.await.unwrap().unwrap();
    assert!(resp.events.is_empty());
    backend.cleanup().await;
}

/// Two relay instances on one PostgreSQL database (behind a load balancer): a long poll on one is
/// woken by a POST to the other (LISTEN/NOTIFY), and concurrent POSTs to both get contiguous,
/// unique sequence numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres() {
    let Some(backend) = Backend::postgres().await else {
        return;
    };
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let cfg = common::test_config(backend.url());
    let a = common::start(&cfg).await;
    let b = common::start(&cfg).await;
    let on_b =
        RelayClient::new(&format!("http://{}", b.addr), t.device_token.clone().into()).unwrap();

    let poll = tokio::spawn({
        let on_b = on_b.clone();
        async move {
            on_b.events(0, None, 10, Duration::from_secs(5))
                .await
                .unwrap()
        }
    });
    common::polls_waiting(&format!("http://{}", b.addr), 1).await;
    let started = Instant::now();
    let http = common::http();
    assert_eq!(
        http.post(t.local(a.addr, "whatsapp"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let got = poll.await.unwrap();
    assert_eq!(got.events.len(), 1);
    eprintln!("long poll on b woken after {:?}", started.elapsed());

    // A consumer long-polls on b WHILE 1000 POSTs go to both instances: every batch it gets must
    // start right after its cursor (seq == after + 1) — a seq visible before an earlier one is
    // committed would make it skip that one for good.
    let consumer = tokio::spawn({
        let on_b = on_b.clone();
        async move {
            let mut after = 1;
            let mut ids = std::collections::HashSet::new();
            let mut batches = 0;
            while after < 1001 {
                let got = on_b
                    .events(after, None, 1000, Duration::from_secs(5))
                    .await
                    .unwrap();
                if !got.events.is_empty() {
                    batches += 1;
                }
                for e in got.events {
                    assert_eq!(e.seq, after + 1, "batch skipped a seq");
                    after = e.seq;
                    assert!(ids.insert(e.event_id));
                }
            }
            batches
        }
    });
    use futures::StreamExt as _;
    let urls = [t.local(a.addr, "twilio"), t.local(b.addr, "twilio")];
    futures::stream::iter(0..1000)
        .map(|i| {
            let (http, url) = (http.clone(), urls[i % 2].clone());
            async move {
                let r = http.post(url).body(format!("n={i}")).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    let batches = tokio::time::timeout(Duration::from_secs(60), consumer)
        .await
        .expect("the consumer got all 1000")
        .unwrap();
    assert!(batches > 1, "the consumer read during the writes");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn deleted_tenant_is_refused_before_the_index_refresh(backend: Backend) {
    let gone = common::create_tenant(backend.url(), "gone").await;
    let kept = common::create_tenant(backend.url(), "kept").await;
    let mut cfg = common::test_config(backend.url());
    cfg.tenant_refresh_secs = 3600; // the server's index still lists the deleted tenant
    let relay = common::start(&cfg).await;
    let storage = Storage::open(backend.url()).await.unwrap();
    storage.delete_tenant("gone").await.unwrap();
    storage.close().await;
    let http = common::http();
    let (a, b) = tokio::join!(
        http.post(gone.local(relay.addr, "whatsapp"))
            .body("{}")
            .send(),
        http.post(kept.local(relay.addr, "whatsapp"))
            .body("{}")
            .send(),
    );
    assert_eq!(a.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(
        b.unwrap().status(),
        StatusCode::OK,
        "other tenants in the same batch are stored"
    );
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        kept.device_token.clone().into(),
    )
    .unwrap();
    assert_eq!(client.status().await.unwrap().last_seq, 1);
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

/// Sends a POST whose body never completes (Content-Length 100, 10 bytes sent) and returns the
/// status the relay answers with, or None if it did not answer within `within`.
async fn trickled_post(addr: std::net::SocketAddr, url: &str, within: Duration) -> Option<u16> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let path = &url[url.find("/in/").unwrap()..];
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\nConnection: close\r\n\r\n0123456789"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    let read = tokio::time::timeout(within, s.read_to_end(&mut resp)).await;
    if read.is_err() || resp.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&resp);
    text.split_whitespace().nth(1).and_then(|c| c.parse().ok())
}

/// A client that never finishes its body cannot hold the relay forever: 408 after the body-read
/// timeout, or 503 when the request deadline comes first.
async fn slow_bodies_and_slow_requests_time_out(backend: Backend) {
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let mut cfg = common::test_config(backend.url());
    cfg.body_read_timeout_secs = 1;
    cfg.request_timeout_secs = 30;
    let relay = common::start(&cfg).await;
    let url = t.url("whatsapp").to_owned();
    assert_eq!(
        trickled_post(relay.addr, &url, Duration::from_secs(10)).await,
        Some(408)
    );
    relay.shutdown().await.unwrap();

    cfg.body_read_timeout_secs = 30;
    cfg.request_timeout_secs = 1;
    let relay = common::start(&cfg).await;
    assert_eq!(
        trickled_post(relay.addr, &url, Duration::from_secs(10)).await,
        Some(503)
    );
    relay.shutdown().await.unwrap();

    // PostgreSQL connections carry a statement timeout.
    if let Storage::Postgres(pool) = Storage::open(backend.url()).await.unwrap() {
        let v: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(v, "15s");
        pool.close().await;
    }
    backend.cleanup().await;
}

/// Retention runs (with cutoffs that take everything) while two tenants at their cap ingest and
/// ack on PostgreSQL (SQLite has one writer and cannot deadlock): no 503 and no failed prune.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_during_ingest_and_acks_never_fails() {
    let Some(backend) = Backend::postgres().await else {
        return;
    };
    let tenants = [
        common::create_tenant(backend.url(), "a").await,
        common::create_tenant(backend.url(), "b").await,
    ];
    let mut cfg = common::test_config(backend.url());
    cfg.max_events_per_tenant = 20;
    cfg.batch_size = 16;
    let relay = common::start(&cfg).await;
    let storage = Storage::open(backend.url()).await.unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pruner = tokio::spawn({
        let (storage, stop) = (storage.clone(), stop.clone());
        async move {
            let mut runs = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let now = mostrador_relay::server::routes::now_ms() + 1000;
                storage.prune(now, now).await.expect("prune never fails");
                runs += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            runs
        }
    });
    let http = common::http();
    use futures::StreamExt as _;
    let statuses: Vec<u16> = futures::stream::iter(0..60)
        .map(|i| {
            let http = http.clone();
            let t = &tenants[i % 2];
            let url = t.local(relay.addr, "twilio");
            let client = RelayClient::new(
                &format!("http://{}", relay.addr),
                t.device_token.clone().into(),
            )
            .unwrap();
            async move {
                let r = http.post(url).body(format!("n={i}")).send().await.unwrap();
                if i % 5 == 0 {
                    let last = client.status().await.unwrap().last_seq;
                    client.ack(last, None).await.unwrap();
                }
                r.status().as_u16()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let runs = pruner.await.unwrap();
    assert!(runs > 0);
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    storage.close().await;
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}
