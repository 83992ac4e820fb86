//! Durability of the real `mostrador-relay` binary, on SQLite and PostgreSQL: an event answered 200
//! survives a SIGKILL right after the answer; a graceful SIGTERM exits cleanly; concurrent posts get
//! contiguous, unique sequence numbers.

use mostrador_testkit as common;
use mostrador_testkit::both_backends;

use common::Backend;
use mostrador_relay::server::Storage;
use mostrador_relay::RelayClient;
use reqwest::StatusCode;
use std::collections::HashSet;
use std::time::Duration;

both_backends!(sigkill_after_200_shows_it_was_committed_before_the_200);
both_backends!(concurrent_posts_get_contiguous_unique_seqs);

/// At debug level, with JSON logs, the relay's log carries no token and no body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_no_tokens_or_bodies() {
    let backend = Backend::sqlite();
    let t = common::create_tenant(backend.url(), "shop").await;
    let port = common::free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mostrador-relay"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--log-format",
            "json",
        ])
        .args([
            "--database-url",
            backend.url(),
            "--public-url",
            common::PUBLIC_URL,
        ])
        .env("RUST_LOG", "debug")
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let relay = RelayProcess {
        child,
        base: base.clone(),
    };
    common::wait_healthy(&base).await;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let http = common::http();
    let secret_body = "{\"text\":\"secreto-del-cliente-4242\"}";
    http.post(t.local(addr, "whatsapp"))
        .body(secret_body)
        .send()
        .await
        .unwrap();
    http.get(t.local(addr, "whatsapp"))
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", t.verify_token.as_str()),
            ("hub.challenge", "7"),
        ])
        .send()
        .await
        .unwrap();
    http.get(t.local(addr, "whatsapp"))
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "wrong-verify-token-value"),
            ("hub.challenge", "7"),
        ])
        .send()
        .await
        .unwrap();
    let client = RelayClient::new(&base, t.device_token.clone().into()).unwrap();
    client.events(0, None, 10, Duration::ZERO).await.unwrap();
    client.ack(1, None).await.unwrap();
    let _ = RelayClient::new(&base, "wrong-device-token-value".into())
        .unwrap()
        .status()
        .await;
    assert!(relay.terminate().success());

    let text = std::fs::read_to_string(log.path()).unwrap();
    assert!(
        text.contains("\"route\":\"/in/{token}/{provider}\""),
        "requests are logged:\n{text}"
    );
    let ingress = t.url("whatsapp").rsplit('/').nth(1).unwrap();
    for secret in [
        ingress,
        t.device_token.as_str(),
        t.verify_token.as_str(),
        "secreto-del-cliente-4242",
        "wrong-verify-token-value",
        "wrong-device-token-value",
    ] {
        assert!(
            !text.contains(secret),
            "the log contains {secret:?}:\n{text}"
        );
    }
    backend.cleanup().await;
}

/// SIGKILL right after the last 200: every answered event is there after the restart, which
/// proves the 200 comes after the COMMIT (not after a queue or a buffer). It does not prove the
/// commit reached the disk (the OS page cache survives a process kill): that part is the writer's
/// `synchronous = FULL` on SQLite (asserted below; PostgreSQL's `fsync`/`synchronous_commit` are
/// the server's settings).
async fn sigkill_after_200_shows_it_was_committed_before_the_200(backend: Backend) {
    if let Storage::Sqlite { writer, .. } = Storage::open(backend.url()).await.unwrap() {
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&writer)
            .await
            .unwrap();
        assert_eq!(sync, 2, "the relay's SQLite writer uses synchronous = FULL");
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&writer)
            .await
            .unwrap();
        assert_eq!(journal, "wal");
        writer.close().await;
    }
    let t = common::create_tenant(backend.url(), "shop").await;
    let port = common::free_port();
    let http = common::http();
    let relay = RelayProcess::spawn(backend.url(), port).await;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut bodies = Vec::new();
    for i in 0..20 {
        let body = format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i * 100));
        let r = http
            .post(t.local(addr, "whatsapp"))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        bodies.push(body.into_bytes());
    }
    // Kill -9 immediately after the last 200: no graceful shutdown, no flush.
    relay.kill9();

    let relay = RelayProcess::spawn(backend.url(), port).await;
    let client = RelayClient::new(&relay.base, t.device_token.clone().into()).unwrap();
    let got = client
        .events(0, None, 100, Duration::from_secs(1))
        .await
        .unwrap();
    let arrived: Vec<Vec<u8>> = got.events.iter().map(|e| e.body().unwrap()).collect();
    assert_eq!(
        arrived, bodies,
        "every event answered 200 survives SIGKILL, in order"
    );

    // Still accepting after the restart, seq continues.
    let r = http
        .post(t.local(addr, "twilio"))
        .body("a=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(client.status().await.unwrap().last_seq, 21);

    // SIGTERM: a clean exit.
    let status = relay.terminate();
    assert!(status.success(), "graceful shutdown exit status {status:?}");
    backend.cleanup().await;
}

async fn concurrent_posts_get_contiguous_unique_seqs(backend: Backend) {
    let t = common::create_tenant(backend.url(), "shop").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let url = t.local(relay.addr, "mercadopago");
    let http = common::http();
    const N: usize = 2000;
    let posts = futures::stream::iter(0..N).map(|i| {
        let http = http.clone();
        let url = format!("{url}?data.id={i}&type=payment");
        async move {
            let r = http
                .post(url)
                .body(format!("{{\"i\":{i}}}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
        }
    });
    use futures::StreamExt as _;
    posts.buffer_unordered(64).collect::<Vec<()>>().await;

    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let mut after = 0;
    let mut seen_ids = HashSet::new();
    let mut seen_bodies = HashSet::new();
    while after < N as i64 {
        let got = client
            .events(after, None, 1000, Duration::ZERO)
            .await
            .unwrap();
        assert!(!got.events.is_empty());
        for e in &got.events {
            assert_eq!(e.seq, after + 1, "contiguous");
            after = e.seq;
            assert!(seen_ids.insert(e.event_id.clone()));
            assert!(seen_bodies.insert(e.body().unwrap()));
        }
        assert_eq!(got.next_cursor, after);
    }
    assert_eq!(seen_bodies.len(), N);
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

/// The real `mostrador-relay` binary, serving on a fixed port.
pub struct RelayProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl RelayProcess {
    pub async fn spawn(database_url: &str, port: u16) -> RelayProcess {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_mostrador-relay"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args([
                "--database-url",
                database_url,
                "--public-url",
                common::PUBLIC_URL,
            ])
            .args(["--rate-limit", "0", "--max-wait-secs", "5"])
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn mostrador-relay");
        let base = format!("http://127.0.0.1:{port}");
        common::wait_healthy(&base).await;
        RelayProcess { child, base }
    }

    /// SIGKILL: no graceful shutdown, no chance to flush anything.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
