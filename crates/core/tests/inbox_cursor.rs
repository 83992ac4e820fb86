//! The inbox's SQLite side on its own: cursors never move backwards within an epoch, and one bad
//! event in a batch is quarantined instead of failing the batch.

use mostrador_core::inbox;
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::store::Store;
use mostrador_relay::protocol::{encode_body, sha256_hex, Event, EventsResponse, Header, Provider};
use mostrador_types::IvaCondition;

async fn desktop() -> (tempfile::TempDir, Store, OrgId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    (dir, store, org)
}

fn event(seq: i64, body: &[u8]) -> Event {
    Event {
        seq,
        event_id: format!("00000000-0000-7000-8000-{seq:012}"),
        provider: Provider::Whatsapp,
        received_at_ms: 1_700_000_000_000 + seq,
        method: "POST".into(),
        public_url: "https://relay.example.com/in/tok/whatsapp".into(),
        headers: vec![Header::from_bytes("content-type", b"application/json")],
        body_b64: encode_body(body),
        body_sha256: sha256_hex(body),
    }
}

fn batch(after: i64, events: &[Event]) -> EventsResponse {
    let next_cursor = events.last().map_or(after, |e| e.seq);
    EventsResponse {
        events: events.to_vec(),
        next_cursor,
        last_seq: next_cursor,
        relay_time_ms: 0,
        cursor_mismatch: false,
        dropped_total: 0,
    }
}

#[tokio::test]
async fn cursor_writes_never_move_backwards() {
    let (_dir, store, org) = desktop().await;
    let events: Vec<Event> = (1..=5).map(|s| event(s, b"{}")).collect();
    let id = |seq: usize| Some(events[seq - 1].event_id.as_str());
    inbox::commit_batch(&store, org, 0, 0, &batch(0, &events))
        .await
        .unwrap();
    assert!(inbox::record_ack(&store, org, 0, 5, id(5)).await.unwrap());
    // A late retry of an older ack, and an older batch committed again (a re-delivery).
    assert!(!inbox::record_ack(&store, org, 0, 3, id(3)).await.unwrap());
    inbox::commit_batch(&store, org, 0, 0, &batch(0, &events[..3]))
        .await
        .unwrap();
    let c = inbox::load_cursor(&store, org).await.unwrap();
    assert_eq!((c.committed_seq, c.acked_seq), (5, 5));
    assert_eq!(c.committed_event_id.as_deref(), id(5));
    assert_eq!(c.acked_event_id.as_deref(), id(5));
}

#[tokio::test]
async fn after_a_reset_stale_acks_and_batches_are_dropped() {
    let (_dir, store, org) = desktop().await;
    let events: Vec<Event> = (1..=5).map(|s| event(s, b"{}")).collect();
    inbox::commit_batch(&store, org, 0, 0, &batch(0, &events))
        .await
        .unwrap();
    let epoch = inbox::reset_cursor(&store, org, 0).await.unwrap();
    assert_eq!(epoch, 1);
    // An ack of the old stream that was still being retried, then a batch of it: both dropped.
    assert!(!inbox::record_ack(&store, org, 0, 5, None).await.unwrap());
    let stale = inbox::commit_batch(&store, org, 0, 0, &batch(0, &events)).await;
    assert!(
        matches!(
            stale,
            Err(inbox::InboxError::StaleEpoch {
                epoch: 0,
                current: 1
            })
        ),
        "{stale:?}"
    );
    let c = inbox::load_cursor(&store, org).await.unwrap();
    assert_eq!((c.epoch, c.committed_seq, c.acked_seq), (1, 0, 0));
    // Never acked above what this epoch committed.
    assert!(!inbox::record_ack(&store, org, 1, 2, None).await.unwrap());
    inbox::commit_batch(&store, org, 1, 0, &batch(0, &events[..2]))
        .await
        .unwrap();
    assert!(inbox::record_ack(&store, org, 1, 2, None).await.unwrap());
    assert!(!inbox::record_ack(&store, org, 1, 3, None).await.unwrap());
    let c = inbox::load_cursor(&store, org).await.unwrap();
    assert_eq!((c.epoch, c.committed_seq, c.acked_seq), (1, 2, 2));
}

#[tokio::test]
async fn a_bad_event_is_quarantined_and_the_batch_goes_on() {
    let (_dir, store, org) = desktop().await;
    let mut bad_digest = event(2, b"{\"a\":1}");
    bad_digest.body_sha256 = sha256_hex(b"something else");
    let mut bad_base64 = event(3, b"{}");
    bad_base64.body_b64 = "***not base64***".into();
    let mut bad_time = event(4, b"{}");
    bad_time.received_at_ms = i64::MAX;
    let events = vec![
        event(1, b"{}"),
        bad_digest,
        bad_base64,
        bad_time,
        event(5, b"{}"),
    ];
    let done = inbox::commit_batch(&store, org, 0, 0, &batch(0, &events))
        .await
        .unwrap();
    let seqs: Vec<i64> = done.quarantined.iter().map(|q| q.seq).collect();
    assert_eq!(seqs, [2, 3, 4]);
    let c = inbox::load_cursor(&store, org).await.unwrap();
    assert_eq!(c.committed_seq, 5, "the cursor moved past the bad events");
    let alerts = inbox::load_alerts(&store, org).await.unwrap();
    assert_eq!(alerts.quarantined, 3);
    let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT relay_seq, status, status_reason, raw_envelope FROM inbox_raw ORDER BY relay_seq",
    )
    .fetch_all(store.reader())
    .await
    .unwrap();
    let status: Vec<(i64, &str)> = rows.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(
        status,
        [
            (1, "new"),
            (2, "quarantined"),
            (3, "quarantined"),
            (4, "quarantined"),
            (5, "new")
        ]
    );
    for (seq, _, reason, raw) in &rows[1..4] {
        let reason = reason.as_deref().unwrap();
        assert!(!reason.is_empty(), "seq {seq} has a reason");
        let raw: Event = serde_json::from_str(raw.as_deref().unwrap()).unwrap();
        assert_eq!(
            &raw,
            &events[*seq as usize - 1],
            "raw envelope kept as received"
        );
    }
    assert!(rows[1].2.as_deref().unwrap().contains("sha256"));
    assert!(rows[2].2.as_deref().unwrap().contains("base64"));
    assert!(rows[3].2.as_deref().unwrap().contains("received_at"));
}
