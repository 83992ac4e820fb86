//! The relay over real HTTP, on SQLite and on PostgreSQL: fidelity of what comes back (provider
//! signatures still verify), the Meta handshake, and the 401 / 404 / 413 / 429 paths.

use mostrador_testkit as common;
use mostrador_testkit::both_backends;

use common::signatures::*;
use common::{Backend, TenantTokens};
use mostrador_relay::{Provider, RelayClient};
use reqwest::StatusCode;
use std::time::Duration;

both_backends!(provider_requests_come_back_byte_identical);
both_backends!(meta_handshake);
both_backends!(refusals_401_404_413);
both_backends!(rate_limit_429);
both_backends!(ack_status_and_metrics);
both_backends!(cursor_identity_is_checked);
both_backends!(poll_responses_are_bounded_in_bytes);

const META_SECRET: &str = "meta-app-secret";
const TWILIO_TOKEN: &str = "12345";
const MP_SECRET: &str = "test-secret";

/// A WhatsApp JSON body with what re-serialising would change: escaped slashes, unicode escapes,
/// raw UTF-8, odd spacing and key order.
pub const WHATSAPP_BODY: &[u8] = "{\"object\":\"whatsapp_business_account\", \"entry\":[{\"id\":\"123\",\"changes\":[{\"field\":\"messages\",\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{\"phone_number_id\":\"1065\"},\"messages\":[{\"from\":\"5491112345678\",\"id\":\"wamid.HBgN\\/x+y==\",\"timestamp\":\"1749416383\",\"type\":\"text\",\"text\":{\"body\":\"Hola \\u00e1 ñandú 🧉 https:\\/\\/x.y\"}}]}}]}]}\n".as_bytes();

async fn provider_requests_come_back_byte_identical(backend: Backend) {
    let t = common::create_tenant(backend.url(), "shop").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let http = common::http();

    // WhatsApp: signed over the raw body.
    let sig = meta_signature(META_SECRET, WHATSAPP_BODY);
    let r = http
        .post(t.local(relay.addr, "whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", &sig)
        .body(WHATSAPP_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Twilio: signed over the PUBLIC URL (with a query) + sorted form params.
    let twilio_public = format!("{}?AccountSid=AC1&x=%20a", t.url("twilio"));
    let form = b"MessageSid=SM0123456789abcdef0123456789abcdef&MessageStatus=delivered&To=%2B5491112345678&Body=hola+%C3%B1and%C3%BA+%20+&ErrorCode=";
    let twilio_sig = twilio_signature(TWILIO_TOKEN, &twilio_public, form);
    let r = http
        .post(format!(
            "{}?AccountSid=AC1&x=%20a",
            t.local(relay.addr, "twilio")
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", &twilio_sig)
        .body(&form[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // MercadoPago: signature over data.id from the query + headers.
    let manifest = mercadopago_manifest(
        Some("123456789"),
        Some("bb56a2f1-6aae-46ac-982e-9dcd3581d08e"),
        "1704908010",
    );
    let x_signature = format!("ts=1704908010,v1={}", mercadopago_v1(MP_SECRET, &manifest));
    let mp_body = br#"{"id":12345,"live_mode":true,"type":"payment","action":"payment.updated","data":{"id":"123456789"}}"#;
    let r = http
        .post(format!(
            "{}?data.id=123456789&type=payment",
            t.local(relay.addr, "mercadopago")
        ))
        .header("content-type", "application/json")
        .header("x-signature", &x_signature)
        .header("x-request-id", "bb56a2f1-6aae-46ac-982e-9dcd3581d08e")
        .body(&mp_body[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let got = client
        .events(0, None, 100, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(got.events.len(), 3);
    assert_eq!(got.next_cursor, 3);
    let seqs: Vec<i64> = got.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);

    let wa = &got.events[0];
    assert_eq!(wa.provider, Provider::Whatsapp);
    assert_eq!(wa.method, "POST");
    assert_eq!(wa.public_url, t.url("whatsapp"));
    assert_eq!(wa.body().unwrap(), WHATSAPP_BODY);
    assert!(meta_verify(
        META_SECRET,
        &wa.body().unwrap(),
        wa.header("X-Hub-Signature-256").unwrap()
    ));
    assert_eq!(wa.header("content-type"), Some("application/json"));

    let tw = &got.events[1];
    assert_eq!(tw.provider, Provider::Twilio);
    assert_eq!(tw.public_url, twilio_public);
    assert_eq!(tw.body().unwrap(), form);
    assert!(twilio_verify(
        TWILIO_TOKEN,
        &tw.public_url,
        &tw.body().unwrap(),
        tw.header("x-twilio-signature").unwrap()
    ));

    let mp = &got.events[2];
    assert_eq!(mp.provider, Provider::Mercadopago);
    assert!(mp
        .public_url
        .ends_with("/mercadopago?data.id=123456789&type=payment"));
    assert_eq!(mp.body().unwrap(), mp_body);
    assert!(mercadopago_verify(
        MP_SECRET,
        &mp.public_url,
        mp.header("x-signature").unwrap(),
        mp.header("x-request-id")
    ));
    // A tampered copy does not verify (the check is real).
    assert!(!meta_verify(
        META_SECRET,
        b"{}",
        wa.header("x-hub-signature-256").unwrap()
    ));

    // Cursor: nothing after 3; the long poll returns empty after `wait`.
    let empty = client
        .events(3, None, 100, Duration::from_secs(0))
        .await
        .unwrap();
    assert!(empty.events.is_empty());
    assert_eq!(empty.next_cursor, 3);
    assert_eq!(empty.last_seq, 3);

    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn meta_handshake(backend: Backend) {
    let t = common::create_tenant(backend.url(), "shop").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let http = common::http();
    let url = t.local(relay.addr, "whatsapp");
    let ok = http
        .get(&url)
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", t.verify_token.as_str()),
            ("hub.challenge", "1158201444"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let wrong = http
        .get(&url)
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "wrong"),
            ("hub.challenge", "1158201444"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_ne!(wrong.text().await.unwrap(), "1158201444");
    let no_mode = http
        .get(&url)
        .query(&[
            ("hub.verify_token", t.verify_token.as_str()),
            ("hub.challenge", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_mode.status(), StatusCode::FORBIDDEN);
    // The handshake stores nothing.
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    assert_eq!(client.status().await.unwrap().last_seq, 0);
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn metric(http: &reqwest::Client, base: &str, line_prefix: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(line_prefix)
                .map(|v| v.trim().parse::<u64>().unwrap())
        })
        .unwrap_or_else(|| panic!("no metric {line_prefix} in:\n{text}"))
}

async fn refusals_401_404_413(backend: Backend) {
    let t: TenantTokens = common::create_tenant(backend.url(), "shop").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let base = format!("http://{}", relay.addr);
    let http = common::http();

    // 401: no token, wrong token, on every desktop endpoint.
    for (method, path) in [
        ("GET", "/v1/events?after=0"),
        ("POST", "/v1/ack"),
        ("GET", "/v1/status"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = http
            .request(m.clone(), format!("{base}{path}"))
            .json(&serde_json::json!({"up_to_seq": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path} without token");
        let r = http
            .request(m, format!("{base}{path}"))
            .bearer_auth("not-the-token")
            .json(&serde_json::json!({"up_to_seq": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{path} with a wrong token"
        );
    }
    let client = RelayClient::new(&base, "wrong".into()).unwrap();
    assert!(matches!(
        client.events(0, None, 1, Duration::ZERO).await,
        Err(mostrador_relay::ClientError::Unauthorized)
    ));
    // The ingress token is not a device token.
    let ingress_token = t.url("whatsapp").rsplit('/').nth(1).unwrap().to_owned();
    let r = http
        .get(format!("{base}/v1/status"))
        .bearer_auth(&ingress_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The scheme is case-insensitive; another scheme is not a bearer token.
    for (auth, expected) in [
        (format!("bearer {}", t.device_token), StatusCode::OK),
        (format!("BEARER {}", t.device_token), StatusCode::OK),
        (
            format!("Basic {}", t.device_token),
            StatusCode::UNAUTHORIZED,
        ),
        (
            format!("Bearer{}", t.device_token),
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        let r = http
            .get(format!("{base}/v1/status"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), expected, "{}", auth.split(' ').next().unwrap());
    }

    // 404: unknown ingress token (nothing committed), unknown provider.
    let batches_before = metric(&http, &base, "relay_commit_batches_total ").await;
    let r = http
        .post(format!("{base}/in/unknown-token/whatsapp"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http
        .post(format!("{base}/in/{ingress_token}/paypal"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        metric(&http, &base, "relay_commit_batches_total ").await,
        batches_before
    );
    assert_eq!(
        metric(
            &http,
            &base,
            "relay_rejections_total{reason=\"unknown_ingress\"} "
        )
        .await,
        1
    );

    // 413: one byte over 1 MiB, declared or streamed (chunked, no content-length); exactly 1 MiB passes.
    let url = t.local(relay.addr, "whatsapp");
    let r = http
        .post(&url)
        .body(vec![b'a'; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(chunked_post(relay.addr, &url, 17, 64 * 1024).await, 413);
    let r = http
        .post(&url)
        .body(vec![b'c'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let status = RelayClient::new(&base, t.device_token.clone().into())
        .unwrap()
        .status()
        .await
        .unwrap();
    assert_eq!(status.last_seq, 1, "only the 1 MiB body was stored");
    assert_eq!(
        metric(
            &http,
            &base,
            "relay_rejections_total{reason=\"body_too_large\"} "
        )
        .await,
        2
    );

    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn rate_limit_429(backend: Backend) {
    let t = common::create_tenant(backend.url(), "shop").await;
    let other = common::create_tenant(backend.url(), "other").await;
    let mut cfg = common::test_config(backend.url());
    cfg.rate_limit = 0.5;
    cfg.rate_burst = 3;
    let relay = common::start(&cfg).await;
    let http = common::http();
    let url = t.local(relay.addr, "twilio");
    for _ in 0..3 {
        assert_eq!(
            http.post(&url).body("a=1").send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    let r = http.post(&url).body("a=1").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    // Per tenant: another shop is not affected.
    assert_eq!(
        http.post(other.local(relay.addr, "twilio"))
            .body("a=1")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

async fn ack_status_and_metrics(backend: Backend) {
    let t = common::create_tenant(backend.url(), "shop").await;
    let mut cfg = common::test_config(backend.url());
    cfg.max_events_per_tenant = 5;
    let relay = common::start(&cfg).await;
    let base = format!("http://{}", relay.addr);
    let http = common::http();
    let client = RelayClient::new(&base, t.device_token.clone().into()).unwrap();

    // A long poll that starts before the event arrives returns as soon as it is stored.
    let poll = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .events(0, None, 10, Duration::from_secs(5))
                .await
                .unwrap()
        }
    });
    common::polls_waiting(&base, 1).await;
    let started = std::time::Instant::now();
    http.post(t.local(relay.addr, "whatsapp"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let got = poll.await.unwrap();
    assert_eq!(got.events.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the long poll was not woken"
    );

    for i in 0..3 {
        http.post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"n\":{i}}}"))
            .send()
            .await
            .unwrap();
    }
    let st = client.status().await.unwrap();
    assert_eq!(
        (st.last_seq, st.acked_seq, st.backlog, st.dropped_total),
        (4, 0, 4, 0)
    );
    assert!(st.oldest_unacked_age_secs.is_some());

    // Cumulative and idempotent; never above last_seq, never backwards.
    assert_eq!(client.ack(2, None).await.unwrap().acked_seq, 2);
    assert_eq!(client.ack(2, None).await.unwrap().acked_seq, 2);
    assert_eq!(client.ack(1, None).await.unwrap().acked_seq, 2);
    assert_eq!(client.ack(99, None).await.unwrap().acked_seq, 4);
    let st = client.status().await.unwrap();
    assert_eq!((st.backlog, st.oldest_unacked_age_secs), (0, None));

    // Cap of 5 per tenant: 8 more events drop the 3 oldest unacknowledged ones.
    for i in 0..8 {
        http.post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"m\":{i}}}"))
            .send()
            .await
            .unwrap();
    }
    let st = client.status().await.unwrap();
    assert_eq!(st.last_seq, 12);
    assert_eq!(st.dropped_total, 3);
    assert_eq!(st.backlog, 5);
    let got = client.events(4, None, 100, Duration::ZERO).await.unwrap();
    let seqs: Vec<i64> = got.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [8, 9, 10, 11, 12]);
    let storage = mostrador_relay::server::Storage::open(backend.url())
        .await
        .unwrap();
    let listed = mostrador_relay::server::tenant_admin::list(&storage)
        .await
        .unwrap();
    assert_eq!(
        listed[0].backlog, st.backlog,
        "tenant list agrees with /v1/status"
    );
    storage.close().await;

    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "relay_events_received_total{provider=\"whatsapp\"} 12",
        "relay_events_acked_total 4",
        "relay_events_dropped_total 3",
        // What /v1/status counts (the 3 dropped events are gone), as the metric's help says.
        "relay_backlog_events 5",
        "# HELP relay_backlog_events Stored events not yet acknowledged, all tenants.",
        "# TYPE relay_rejections_total counter",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

/// POSTs `n` chunks of `size` bytes with `Transfer-Encoding: chunked` (no Content-Length) over a raw
/// socket, and returns the status code.
async fn chunked_post(addr: std::net::SocketAddr, url: &str, n: usize, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let path = &url[url.find("/in/").unwrap()..];
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'b'; size];
    for _ in 0..n {
        // The server may answer 413 and close before everything is sent.
        if s.write_all(format!("{size:x}\r\n").as_bytes())
            .await
            .is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp).await;
    let text = String::from_utf8_lossy(&resp);
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A cursor names the event the client stored at its seq: a poll or an ack whose event is not the
/// relay's event at that seq belongs to another stream and is refused, acknowledging nothing.
async fn cursor_identity_is_checked(backend: Backend) {
    let t = common::create_tenant(backend.url(), "shop").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let http = common::http();
    for i in 0..3 {
        http.post(t.local(relay.addr, "whatsapp"))
            .body(format!("{{\"n\":{i}}}"))
            .send()
            .await
            .unwrap();
    }
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let all = client.events(0, None, 100, Duration::ZERO).await.unwrap();
    assert_eq!(all.dropped_total, 0);
    let second = all.events[1].event_id.clone();

    let same = client
        .events(2, Some(&second), 100, Duration::ZERO)
        .await
        .unwrap();
    assert!(!same.cursor_mismatch);
    assert_eq!(same.events.len(), 1);
    let other = client
        .events(
            2,
            Some("0190c0de-0000-7000-8000-000000000000"),
            100,
            Duration::ZERO,
        )
        .await
        .unwrap();
    assert!(other.cursor_mismatch, "another stream's cursor is refused");
    assert!(other.events.is_empty());

    // Acks: another event at that seq, or a seq the relay never reached: 409, nothing acked.
    assert!(matches!(
        client
            .ack(2, Some("0190c0de-0000-7000-8000-000000000000"))
            .await,
        Err(mostrador_relay::ClientError::CursorMismatch)
    ));
    assert!(matches!(
        client.ack(7, Some(&second)).await,
        Err(mostrador_relay::ClientError::CursorMismatch)
    ));
    assert_eq!(client.status().await.unwrap().acked_seq, 0);
    assert_eq!(client.ack(2, Some(&second)).await.unwrap().acked_seq, 2);
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

/// Twelve 1 MiB webhooks and a poll asking for 100 events: the response stops near 8 MiB (the
/// client would otherwise hold ~16 MiB for one poll, and 1000 such events ~1.3 GiB), and polling
/// on gets the rest.
async fn poll_responses_are_bounded_in_bytes(backend: Backend) {
    let t = common::create_tenant(backend.url(), "shop").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let http = common::http();
    for i in 0..12u8 {
        let r = http
            .post(t.local(relay.addr, "whatsapp"))
            .body(vec![b'a' + i; 1024 * 1024])
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
    let mut after = 0;
    let mut polls = 0;
    while after < 12 {
        let got = client
            .events(after, None, 100, Duration::ZERO)
            .await
            .unwrap();
        let wire = serde_json::to_vec(&got).unwrap().len();
        assert!(!got.events.is_empty());
        assert!(
            wire <= 8 * 1024 * 1024,
            "{} events, {wire} bytes in one response",
            got.events.len()
        );
        for e in &got.events {
            assert_eq!(e.seq, after + 1);
            assert_eq!(e.body().unwrap().len(), 1024 * 1024);
            after = e.seq;
        }
        polls += 1;
    }
    assert!(polls >= 2, "bounded by size, not only by count");
    relay.shutdown().await.unwrap();
    backend.cleanup().await;
}

/// A "relay" that answers an endless body: the client stops reading at its limit instead of
/// buffering it all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reads_responses_with_a_limit() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        for chunked in [false, true] {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let head = if chunked {
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            } else {
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n"
            };
            if s.write_all(head.as_bytes()).await.is_err() {
                continue;
            }
            let block = vec![b' '; 1024 * 1024];
            for _ in 0..1024 {
                let ok = if chunked {
                    s.write_all(format!("{:x}\r\n", block.len()).as_bytes())
                        .await
                        .is_ok()
                        && s.write_all(&block).await.is_ok()
                        && s.write_all(b"\r\n").await.is_ok()
                } else {
                    s.write_all(&block).await.is_ok()
                };
                if !ok {
                    break;
                }
            }
        }
    });
    let client = RelayClient::new(&format!("http://{addr}"), "token".into()).unwrap();
    for _ in 0..2 {
        let err = tokio::time::timeout(
            Duration::from_secs(30),
            client.events(0, None, 100, Duration::ZERO),
        )
        .await
        .expect("refused before reading it all")
        .unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
    }
    server.abort();
}
