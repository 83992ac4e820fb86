//! The inbox against a real relay server over HTTP, with the relay on SQLite and on PostgreSQL:
//! provider requests arrive in `inbox_raw` byte-identical (their signatures still verify), a client
//! killed between commit and ack gets the events again and stores them once, a 10,000-event burst
//! arrives complete, in order, once; and the connection state follows the relay.

// The shared test kit (backends, in-process relay, provider signature checks).
use mostrador_testkit as common;
use mostrador_testkit::both_backends;

use common::signatures::*;
use common::Backend;
use mostrador_core::inbox::{self, ConnectionState, FetchOutcome, PollerOptions, Position};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::store::Store;
use mostrador_relay::protocol::Header;
use mostrador_relay::RelayClient;
use mostrador_types::IvaCondition;
use reqwest::StatusCode;
use std::time::Duration;

both_backends!(provider_requests_arrive_byte_identical);
both_backends!(client_killed_between_commit_and_ack);
both_backends!(burst_of_10000_in_order_once);

struct Desktop {
    _dir: tempfile::TempDir,
    store: Store,
    org: OrgId,
}

async fn desktop() -> Desktop {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("mostrador.sqlite3"))
        .await
        .unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco Don Pepe".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap();
    Desktop {
        _dir: dir,
        store,
        org: org.id,
    }
}

fn fast() -> PollerOptions {
    PollerOptions {
        wait: Duration::from_secs(5),
        limit: 500,
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(300),
    }
}

/// Awaits the poller's committed cursor reaching `seq` (bounded).
async fn committed_reaches(handle: &inbox::InboxHandle, seq: i64) {
    let mut rx = handle.committed();
    tokio::time::timeout(Duration::from_secs(60), rx.wait_for(|c| *c >= seq))
        .await
        .unwrap_or_else(|_| panic!("cursor did not reach {seq}"))
        .unwrap();
}

/// Bounded wait for the relay to record the ack of `seq` (the ack follows the commit).
async fn relay_acked(client: &RelayClient, seq: i64) {
    for _ in 0..200 {
        if client.status().await.unwrap().acked_seq >= seq {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the relay never got the ack of {seq}");
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    event_id: String,
    relay_seq: i64,
    provider: String,
    method: String,
    public_url: String,
    headers: String,
    body: Vec<u8>,
    body_sha256: String,
    status: String,
}

async fn rows(store: &Store) -> Vec<Row> {
    sqlx::query_as("SELECT event_id, relay_seq, provider, method, public_url, headers, body, body_sha256, status FROM inbox_raw ORDER BY rowid")
        .fetch_all(store.reader())
        .await
        .unwrap()
}

fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

const WHATSAPP_BODY: &[u8] = "{\"object\":\"whatsapp_business_account\", \"entry\":[{\"id\":\"1\",\"changes\":[{\"value\":{\"messages\":[{\"id\":\"wamid.HBgN\\/x+y==\",\"text\":{\"body\":\"Hola \\u00e1 ñandú 🧉\"}}]},\"field\":\"messages\"}]}]}\n".as_bytes();

async fn provider_requests_arrive_byte_identical(backend: Backend) {
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let d = desktop().await;
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let handle = inbox::spawn(d.store.clone(), d.org, client.clone(), fast());
    let http = common::http();

    let meta_sig = meta_signature("app-secret", WHATSAPP_BODY);
    let r = http
        .post(t.local(relay.addr, "whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", &meta_sig)
        .body(WHATSAPP_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let twilio_public = format!("{}?src=sms", t.url("twilio"));
    let form = b"MessageSid=SM0123456789abcdef0123456789abcdef&MessageStatus=delivered&Body=%C2%BFHola%3F+%20&ErrorCode=";
    let twilio_sig = twilio_signature("twilio-auth-token", &twilio_public, form);
    let r = http
        .post(format!("{}?src=sms", t.local(relay.addr, "twilio")))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", &twilio_sig)
        .body(&form[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let request_id = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e";
    let v1 = mercadopago_v1(
        "test-secret",
        &mercadopago_manifest(Some("123456789"), Some(request_id), "1704908010"),
    );
    let mp_body = br#"{"action":"payment.updated","data":{"id":"123456789"},"type":"payment"}"#;
    let r = http
        .post(format!(
            "{}?data.id=123456789&type=payment",
            t.local(relay.addr, "mercadopago")
        ))
        .header("content-type", "application/json")
        .header("x-signature", format!("ts=1704908010,v1={v1}"))
        .header("x-request-id", request_id)
        .body(&mp_body[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    committed_reaches(&handle, 3).await;
    relay_acked(&client, 3).await;
    assert!(matches!(
        *handle.state().borrow(),
        ConnectionState::Connected { .. }
    ));

    let rows = rows(&d.store).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.status == "new" && r.method == "POST"));
    assert_eq!(
        rows.iter().map(|r| r.relay_seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );

    let wa = &rows[0];
    let wa_headers: Vec<Header> = serde_json::from_str(&wa.headers).unwrap();
    assert_eq!(wa.provider, "whatsapp");
    assert_eq!(wa.body, WHATSAPP_BODY, "byte-identical");
    assert_eq!(
        wa.body_sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&wa.body))
    );
    assert!(meta_verify(
        "app-secret",
        &wa.body,
        header(&wa_headers, "x-hub-signature-256").unwrap()
    ));

    let tw = &rows[1];
    let tw_headers: Vec<Header> = serde_json::from_str(&tw.headers).unwrap();
    assert_eq!(tw.provider, "twilio");
    assert_eq!(tw.body, form);
    assert_eq!(tw.public_url, twilio_public);
    assert!(twilio_verify(
        "twilio-auth-token",
        &tw.public_url,
        &tw.body,
        header(&tw_headers, "X-Twilio-Signature").unwrap()
    ));

    let mp = &rows[2];
    let mp_headers: Vec<Header> = serde_json::from_str(&mp.headers).unwrap();
    assert_eq!(mp.provider, "mercadopago");
    assert_eq!(mp.body, mp_body);
    assert!(mp
        .public_url
        .ends_with("/mercadopago?data.id=123456789&type=payment"));
    assert!(mercadopago_verify(
        "test-secret",
        &mp.public_url,
        header(&mp_headers, "x-signature").unwrap(),
        header(&mp_headers, "x-request-id")
    ));

    handle.stop().await;
    let cursor = inbox::load_cursor(&d.store, d.org).await.unwrap();
    assert_eq!((cursor.committed_seq, cursor.acked_seq), (3, 3));
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn client_killed_between_commit_and_ack(backend: Backend) {
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let base = format!("http://{}", relay.addr);
    let d = desktop().await;
    let client = RelayClient::new(&base, t.device_token.clone().into()).unwrap();
    let http = common::http();
    for i in 0..5 {
        let r = http
            .post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"n\":{i}}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    // The loop's first step — poll and commit — and then the process "dies": no ack is sent.
    let step = inbox::fetch_and_commit(&d.store, d.org, &client, &Position::default(), &fast())
        .await
        .unwrap();
    assert!(matches!(
        step,
        FetchOutcome::Committed {
            next_cursor: 5,
            fetched: 5,
            inserted: 5,
            ..
        }
    ));
    assert_eq!(
        client.status().await.unwrap().backlog,
        5,
        "the relay never got an ack"
    );
    let cursor = inbox::load_cursor(&d.store, d.org).await.unwrap();
    assert_eq!((cursor.committed_seq, cursor.acked_seq), (5, 0));

    // Restart: the loop resumes from the last acknowledged seq, gets the 5 events again, stores
    // none twice, and acknowledges them.
    let handle = inbox::spawn(d.store.clone(), d.org, client.clone(), fast());
    relay_acked(&client, 5).await;
    handle.stop().await;
    let rows = rows(&d.store).await;
    assert_eq!(rows.len(), 5, "each event once");
    let delivered = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        delivered.contains("relay_events_delivered_total 10"),
        "delivered twice:\n{delivered}"
    );
    assert_eq!(client.status().await.unwrap().backlog, 0);
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn burst_of_10000_in_order_once(backend: Backend) {
    const STREAMS: usize = 50;
    const PER_STREAM: usize = 200;
    const N: i64 = (STREAMS * PER_STREAM) as i64;
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let d = desktop().await;
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();

    // The client is stopped while 10,000 events arrive: 50 concurrent senders, each in order.
    let url = t.local(relay.addr, "twilio");
    let http = common::http();
    let senders: Vec<_> = (0..STREAMS)
        .map(|s| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move {
                for k in 0..PER_STREAM {
                    let r = http
                        .post(&url)
                        .body(format!("MessageSid=SM{s:04}&N={k:05}"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::OK);
                }
            })
        })
        .collect();
    for s in senders {
        s.await.unwrap();
    }
    assert_eq!(client.status().await.unwrap().backlog, N);

    let started = std::time::Instant::now();
    let handle = inbox::spawn(d.store.clone(), d.org, client.clone(), fast());
    committed_reaches(&handle, N).await;
    let drained = started.elapsed();
    relay_acked(&client, N).await;
    handle.stop().await;

    let rows = rows(&d.store).await;
    assert_eq!(rows.len() as i64, N, "all arrived");
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r.event_id.as_str()).collect();
    assert_eq!(ids.len() as i64, N, "none twice");
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.relay_seq, i as i64 + 1, "stored in relay order");
    }
    // Each sender's events are in the order it sent them.
    let mut last = vec![-1i64; STREAMS];
    for r in &rows {
        let body = String::from_utf8(r.body.clone()).unwrap();
        let (s, k) = body
            .strip_prefix("MessageSid=SM")
            .unwrap()
            .split_once("&N=")
            .unwrap();
        let (s, k): (usize, i64) = (s.parse().unwrap(), k.parse().unwrap());
        assert_eq!(k, last[s] + 1, "sender {s} out of order");
        last[s] = k;
    }
    eprintln!("10,000 events drained into inbox_raw in {drained:?}");
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_state_follows_the_relay() {
    let backend = Backend::sqlite();
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let d = desktop().await;
    // Nothing listens on the port yet: reconnecting, with the error and the time it started.
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = RelayClient::new(&base, t.device_token.clone().into()).unwrap();
    let handle = inbox::spawn(d.store.clone(), d.org, client, fast());
    let mut state = handle.state();
    let s = tokio::time::timeout(
        Duration::from_secs(20),
        state.wait_for(
            |s| matches!(s, ConnectionState::Reconnecting { attempts, .. } if *attempts >= 2),
        ),
    )
    .await
    .unwrap()
    .unwrap()
    .clone();
    let ConnectionState::Reconnecting { last_error, .. } = s else {
        unreachable!()
    };
    assert!(!last_error.contains(&t.device_token), "no token in errors");

    // The relay comes up on that port: connected.
    let mut cfg = common::test_config(backend.url());
    cfg.listen = format!("127.0.0.1:{port}").parse().unwrap();
    let listener = tokio::net::TcpListener::bind(cfg.listen).await.unwrap();
    let relay = mostrador_relay::server::start(&cfg, listener)
        .await
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(20),
        state.wait_for(|s| matches!(s, ConnectionState::Connected { .. })),
    )
    .await
    .unwrap()
    .unwrap();
    handle.stop().await;

    // A wrong device token: rejected, not "reconnecting".
    let bad = RelayClient::new(&base, "not-the-token".into()).unwrap();
    let handle = inbox::spawn(d.store.clone(), d.org, bad, fast());
    let mut state = handle.state();
    tokio::time::timeout(
        Duration::from_secs(20),
        state.wait_for(|s| matches!(s, ConnectionState::RejectedToken { .. })),
    )
    .await
    .unwrap()
    .unwrap();
    handle.stop().await;
    assert_eq!(*state.borrow(), ConnectionState::Stopped);
    relay.shutdown().await.unwrap();
}

/// The relay's storage is wiped (a new database behind the same tenant): its sequence restarts
/// below our cursor. The inbox notices, starts again from 0, and keeps what it already had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_storage_reset_restarts_the_cursor() {
    let backend = Backend::sqlite();
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let port = common::free_port();
    let mut cfg = common::test_config(backend.url());
    cfg.listen = format!("127.0.0.1:{port}").parse().unwrap();
    let start = |cfg: mostrador_relay::server::ServeConfig| async move {
        let listener = tokio::net::TcpListener::bind(cfg.listen).await.unwrap();
        mostrador_relay::server::start(&cfg, listener)
            .await
            .unwrap()
    };
    let relay = start(cfg.clone()).await;
    let d = desktop().await;
    let client = RelayClient::new(
        &format!("http://127.0.0.1:{port}"),
        t.device_token.clone().into(),
    )
    .unwrap();
    let handle = inbox::spawn(d.store.clone(), d.org, client.clone(), fast());
    let http = common::http();
    for i in 0..3 {
        http.post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"old\":{i}}}"))
            .send()
            .await
            .unwrap();
    }
    committed_reaches(&handle, 3).await;
    relay_acked(&client, 3).await;
    relay.shutdown().await.unwrap();

    // Wipe the relay's events and counters, keep the tenant (same tokens).
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect(backend.url())
            .await
            .unwrap();
        sqlx::raw_sql("DELETE FROM events; UPDATE tenants SET last_seq = 0, acked_seq = 0;")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let relay = start(cfg).await;
    for i in 0..2 {
        http.post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"new\":{i}}}"))
            .send()
            .await
            .unwrap();
    }
    relay_acked(&client, 2).await;
    handle.stop().await;
    let rows = rows(&d.store).await;
    let bodies: Vec<String> = rows
        .iter()
        .map(|r| String::from_utf8(r.body.clone()).unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "{\"old\":0}",
            "{\"old\":1}",
            "{\"old\":2}",
            "{\"new\":0}",
            "{\"new\":1}"
        ]
    );
    let cursor = inbox::load_cursor(&d.store, d.org).await.unwrap();
    assert_eq!((cursor.committed_seq, cursor.acked_seq), (2, 2));
    relay.shutdown().await.unwrap();
}

both_backends!(new_stream_past_the_old_cursor_is_fetched_whole);

/// The relay is restored onto an empty database while the desktop is off, and more new events
/// arrive than the desktop's old cursor: seq climbs past it before the desktop polls. The desktop
/// must notice the stream is not the one its cursor belongs to and fetch the new stream whole
/// (before, it asked only for what came after its old cursor and acknowledged the rest unseen).
async fn new_stream_past_the_old_cursor_is_fetched_whole(backend: Backend) {
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let d = desktop().await;
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let http = common::http();
    for i in 0..3 {
        let r = http
            .post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"old\":{i}}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let handle = inbox::spawn(d.store.clone(), d.org, client.clone(), fast());
    committed_reaches(&handle, 3).await;
    relay_acked(&client, 3).await;
    handle.stop().await;
    relay.shutdown().await.unwrap();

    // The relay's events and counters are gone (same tenant, same tokens), then 5 new events.
    wipe_relay_events(&backend).await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    for i in 0..5 {
        let r = http
            .post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"new\":{i}}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let handle = inbox::spawn(d.store.clone(), d.org, client.clone(), fast());
    relay_acked(&client, 5).await;
    // The ack may land before the commit is observed by the watch: wait for the rows.
    let mut bodies = Vec::new();
    for _ in 0..200 {
        bodies = rows(&d.store)
            .await
            .iter()
            .map(|r| String::from_utf8(r.body.clone()).unwrap())
            .collect();
        if bodies.len() >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    handle.stop().await;
    assert_eq!(
        bodies,
        [
            "{\"old\":0}",
            "{\"old\":1}",
            "{\"old\":2}",
            "{\"new\":0}",
            "{\"new\":1}",
            "{\"new\":2}",
            "{\"new\":3}",
            "{\"new\":4}"
        ],
        "every event of the new stream arrived"
    );
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

/// Deletes the relay's events and resets its counters, keeping the tenants (a restore onto an
/// empty database).
async fn wipe_relay_events(backend: &Backend) {
    const WIPE: &str = "DELETE FROM events; UPDATE tenants SET last_seq = 0, acked_seq = 0;";
    use sqlx::Connection as _;
    match backend {
        Backend::Sqlite { .. } => {
            let mut conn = sqlx::SqliteConnection::connect(backend.url())
                .await
                .unwrap();
            sqlx::raw_sql(WIPE).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        Backend::Postgres { .. } => {
            let mut conn = sqlx::PgConnection::connect(backend.url()).await.unwrap();
            sqlx::raw_sql(WIPE).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}

both_backends!(one_unreadable_event_does_not_wedge_the_shop);

/// One stored event the desktop cannot read (its receive time is out of range) among good ones:
/// the good ones arrive, the bad one is kept quarantined with its reason, and the loop goes on
/// connected (before, the whole batch failed forever and the shop showed "reconectando").
async fn one_unreadable_event_does_not_wedge_the_shop(backend: Backend) {
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let http = common::http();
    for i in 0..3 {
        let r = http
            .post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"n\":{i}}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    {
        const BREAK: &str = "UPDATE events SET received_at = 9223372036854775807 WHERE seq = 2";
        use sqlx::Connection as _;
        match &backend {
            Backend::Sqlite { .. } => {
                let mut c = sqlx::SqliteConnection::connect(backend.url())
                    .await
                    .unwrap();
                sqlx::raw_sql(BREAK).execute(&mut c).await.unwrap();
            }
            Backend::Postgres { .. } => {
                let mut c = sqlx::PgConnection::connect(backend.url()).await.unwrap();
                sqlx::raw_sql(BREAK).execute(&mut c).await.unwrap();
            }
        }
    }
    let d = desktop().await;
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let handle = inbox::spawn(d.store.clone(), d.org, client.clone(), fast());
    let mut committed = handle.committed();
    tokio::time::timeout(Duration::from_secs(20), committed.wait_for(|c| *c >= 3))
        .await
        .expect("the loop moved past the bad event")
        .unwrap();
    relay_acked(&client, 3).await;
    assert!(
        matches!(*handle.state().borrow(), ConnectionState::Connected { .. }),
        "still connected, not reconnecting: {:?}",
        *handle.state().borrow()
    );
    handle.stop().await;
    let statuses: Vec<(i64, String)> =
        sqlx::query_as("SELECT relay_seq, status FROM inbox_raw ORDER BY relay_seq")
            .fetch_all(d.store.reader())
            .await
            .unwrap();
    assert_eq!(
        statuses,
        [
            (1, "new".to_string()),
            (2, "quarantined".to_string()),
            (3, "new".to_string())
        ]
    );
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

both_backends!(events_dropped_by_the_relay_show_as_a_gap);

/// The relay's per-tenant cap drops the two oldest events while the desktop is off. The desktop
/// records the hole (seqs 1–2, with the relay's dropped_total), shows it as an alert, and goes on
/// with what is left (before, the hole passed without a word).
async fn events_dropped_by_the_relay_show_as_a_gap(backend: Backend) {
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let mut cfg = common::test_config(backend.url());
    cfg.max_events_per_tenant = 3;
    let relay = common::start(&cfg).await;
    let http = common::http();
    for i in 0..5 {
        let r = http
            .post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"n\":{i}}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let d = desktop().await;
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let handle = inbox::spawn(d.store.clone(), d.org, client.clone(), fast());
    let mut alerts = handle.alerts();
    let seen = tokio::time::timeout(Duration::from_secs(20), alerts.wait_for(|a| a.gaps > 0))
        .await
        .expect("the gap is shown")
        .unwrap()
        .clone();
    let gap = seen.last_gap.unwrap();
    assert_eq!((gap.from_seq, gap.to_seq, gap.dropped_total), (1, 2, 2));
    committed_reaches(&handle, 5).await;
    relay_acked(&client, 5).await;
    assert!(matches!(
        *handle.state().borrow(),
        ConnectionState::Connected { .. }
    ));
    handle.stop().await;
    let seqs: Vec<i64> = rows(&d.store).await.iter().map(|r| r.relay_seq).collect();
    assert_eq!(seqs, [3, 4, 5]);
    let on_record = inbox::load_alerts(&d.store, d.org).await.unwrap();
    assert_eq!(on_record.gaps, 1);
    assert_eq!(
        on_record.last_gap.map(|g| (g.from_seq, g.to_seq)),
        Some((1, 2))
    );
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

/// Two businesses given the same device token would split each other's events: the second is
/// refused the tenant, and its loop does not poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_relay_tenant_feeds_one_business() {
    let backend = Backend::sqlite();
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let d = desktop().await;
    let second = org::create(
        &d.store,
        NewOrganization {
            name: "Otra sucursal".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let tenant = client.status().await.unwrap().tenant_id;
    assert!(!tenant.is_empty(), "the relay reports its tenant");
    assert_eq!(
        inbox::bind_tenant(&d.store, d.org, &client).await.unwrap(),
        tenant
    );
    // Binding again is fine; a second business is refused.
    inbox::bind_tenant(&d.store, d.org, &client).await.unwrap();
    let err = inbox::bind_tenant(&d.store, second, &client)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, inbox::InboxError::TenantAlreadyBound { tenant_id, other_org } if *tenant_id == tenant && *other_org == d.org),
        "{err}"
    );

    http_post_n(&t, relay.addr, 2).await;
    let handle = inbox::spawn(d.store.clone(), second, client.clone(), fast());
    let mut state = handle.state();
    tokio::time::timeout(
        Duration::from_secs(20),
        state.wait_for(|s| matches!(s, ConnectionState::TenantInUse { .. })),
    )
    .await
    .unwrap()
    .unwrap();
    handle.stop().await;
    assert!(
        rows(&d.store).await.is_empty(),
        "the second business fetched nothing"
    );
    assert_eq!(client.status().await.unwrap().acked_seq, 0);
    relay.shutdown().await.unwrap();
}

async fn http_post_n(t: &common::TenantTokens, addr: std::net::SocketAddr, n: usize) {
    let http = common::http();
    for i in 0..n {
        let r = http
            .post(t.local(addr, "whatsapp"))
            .body(format!("{{\"n\":{i}}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
