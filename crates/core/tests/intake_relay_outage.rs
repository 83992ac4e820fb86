//! A relay outage in the middle of a burst, on real HTTP: the simulator's customers write N
//! messages, paced, through a real relay; the relay is stopped gracefully mid-burst and started
//! again on the same port and the same storage while the burst goes on; the app's poller
//! reconnects by itself. Meta retries what was not accepted (and sometimes delivers twice): the
//! test does that as Meta would, by redelivering every webhook the relay did not answer 200 to
//! and a few it did. Every message is applied exactly once. Run under `dbus-run-session`.

mod conversations_support;

use std::collections::HashSet;
use std::time::Duration;

use conversations_support::{common, pipeline};
use mostrador_core::events::ConversationEvent;
use serde_json::json;
use tokio::sync::broadcast;

const N: usize = 300;
const CUSTOMERS: usize = 10;

fn wa(i: usize) -> String {
    format!("54911500000{:02}", i % CUSTOMERS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_outage_mid_burst_loses_nothing_and_applies_nothing_twice() {
    let mut p = pipeline().await;
    for c in 0..CUSTOMERS {
        p.customer(&wa(c), &format!("Cliente {c}"));
    }
    let mut events = p.events.subscribe();
    let addr = p.relay.addr;

    // The burst, paced so the outage falls in its middle.
    let sim = p.sandbox.whatsapp.clone();
    let burst = tokio::spawn(async move {
        let mut wamids = Vec::with_capacity(N);
        for i in 0..N {
            let id = sim
                .customer_sends(
                    &wa(i),
                    json!({"type":"text","text":{"body": format!("pedido {i}")}}),
                )
                .unwrap();
            wamids.push(id);
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        wamids
    });

    // Stop the relay once about a third has been accepted.
    let delivered = |p: &conversations_support::Pipeline| {
        p.sandbox
            .whatsapp
            .webhooks()
            .iter()
            .filter(|w| w.delivery == Some(Ok(200)))
            .count()
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while delivered(&p) < N / 3 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("a third of the burst reached the relay");
    // A stand-in keeps the pipeline's field filled while the real relay is down.
    let spare = common::Backend::sqlite();
    let stand_in = common::start(&common::test_config(spare.url())).await;
    let relay = std::mem::replace(&mut p.relay, stand_in);
    relay.shutdown().await.unwrap();
    let at_stop = delivered(&p);
    // Down long enough for part of the burst to fail against a closed port.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let mut cfg = common::test_config(p.backend.url());
    cfg.listen = addr;
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let restarted = mostrador_relay::server::start(&cfg, listener)
        .await
        .unwrap();
    std::mem::replace(&mut p.relay, restarted)
        .shutdown()
        .await
        .unwrap();

    let wamids = burst.await.unwrap();
    assert_eq!(wamids.len(), N);
    // Every delivery attempt has an outcome.
    tokio::time::timeout(Duration::from_secs(30), async {
        while p
            .sandbox
            .whatsapp
            .webhooks()
            .iter()
            .any(|w| w.delivery.is_none())
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("every webhook POST finished");
    let records = p.sandbox.whatsapp.webhooks();
    let failed: Vec<_> = records
        .iter()
        .filter(|w| w.delivery != Some(Ok(200)))
        .cloned()
        .collect();
    assert!(
        !failed.is_empty(),
        "the outage must have refused some webhooks (accepted before the stop: {at_stop})"
    );
    assert!(
        failed.len() < N,
        "the relay must have accepted part of the burst"
    );
    eprintln!(
        "burst of {N}: {} refused during the outage, {at_stop} accepted before it",
        failed.len()
    );

    // Meta retries what failed, and redelivers some it already delivered.
    let accepted: Vec<_> = records
        .iter()
        .filter(|w| w.delivery == Some(Ok(200)))
        .take(20)
        .cloned()
        .collect();
    let http = common::http();
    for w in failed.iter().chain(accepted.iter()) {
        let body = mostrador_sandbox::whatsapp::to_meta_json(&w.body);
        let sig = mostrador_sandbox::whatsapp::sign(&p.app_secret, &body);
        let r = http
            .post(&p.ingress)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    // Wait (bounded) until the app holds every event the relay took (the relay's acknowledged
    // position reached its last one), then until nothing is left to process. All N stored is not
    // enough: the redelivered duplicates may still be on their way to `inbox_raw`.
    let relay = mostrador_relay::client::RelayClient::new(
        &format!("http://{addr}"),
        p.device_token.clone().into(),
    )
    .unwrap();
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let s = relay.status().await.unwrap();
            let waiting = p
                .count("SELECT count(*) FROM inbox_raw WHERE status = 'new'")
                .await;
            if s.acked_seq == s.last_seq && waiting == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("every message of the burst arrived");
    // Exactly once: N messages, one per wamid, all of the burst; no row failed or quarantined.
    assert_eq!(p.count("SELECT count(*) FROM messages").await, N as i64);
    assert_eq!(
        p.count("SELECT count(DISTINCT provider_id) FROM messages")
            .await,
        N as i64
    );
    let stored: HashSet<String> = sqlx::query_scalar("SELECT provider_id FROM messages")
        .fetch_all(p.store.reader())
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(stored, wamids.iter().cloned().collect::<HashSet<_>>());
    let left: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT event_id, status, status_reason FROM inbox_raw WHERE status <> 'processed'",
    )
    .fetch_all(p.store.reader())
    .await
    .unwrap();
    assert!(left.is_empty(), "rows not processed: {left:?}");
    assert_eq!(
        p.count("SELECT sum(unread_count) FROM conversations").await,
        N as i64
    );
    assert_eq!(
        p.count("SELECT count(*) FROM conversations").await,
        CUSTOMERS as i64
    );
    // One "new message" event per message, never two.
    let mut new_messages = 0;
    loop {
        match events.try_recv() {
            Ok(ConversationEvent::NewMessage { .. }) => new_messages += 1,
            Ok(_) => {}
            Err(broadcast::error::TryRecvError::Lagged(n)) => panic!("lagged by {n}"),
            Err(_) => break,
        }
    }
    assert_eq!(new_messages, N);
    p.stop().await;
}
