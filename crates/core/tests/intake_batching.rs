//! A batch of webhooks applied in one transaction leaves exactly what the same webhooks leave
//! one per transaction: the processor puts the conversations' list rows and the customers'
//! profiles off to the end of the batch (one statement each), so several messages of one
//! customer in a batch, late ones, ties, name changes, reactions, opt-out words and statuses in
//! between must still give the rows, events and search entries of one write per message.
//! Raw rows are stored as the inbox poller stores them; the app secret is fixed (no keychain).

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::events::{ConversationEvent, EventBus};
use mostrador_core::intake::processor::SecretFuture;
use mostrador_core::intake::{AppSecrets, Processor, ProcessorOptions, PHONE_NUMBER_ID};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::settings;
use mostrador_core::store::Store;
use mostrador_types::{IvaCondition, Secret};
use serde_json::{json, Value};

const SECRET: &str = "batching-app-secret";
const PHONE_ID: &str = "106540352242922";

struct FixedSecret;
impl AppSecrets for FixedSecret {
    fn app_secret(&self, _org: OrgId) -> SecretFuture<'_> {
        Box::pin(async { Ok(Some(Secret::new(SECRET))) })
    }
}

fn webhook(contacts: Value, messages: Value, statuses: Value) -> Vec<u8> {
    json!({ "object": "whatsapp_business_account", "entry": [{ "id": "2023", "changes": [{ "field": "messages",
        "value": { "messaging_product": "whatsapp",
                   "metadata": { "display_phone_number": "5491150000000", "phone_number_id": PHONE_ID },
                   "contacts": contacts, "messages": messages, "statuses": statuses } }] }] })
    .to_string()
    .into_bytes()
}

fn text(from: &str, name: &str, id: &str, body: &str, ts: i64) -> Vec<u8> {
    webhook(
        json!([{ "profile": { "name": name }, "wa_id": from }]),
        json!([{ "from": from, "id": id, "timestamp": ts.to_string(), "type": "text", "text": { "body": body } }]),
        json!([]),
    )
}

fn reaction(from: &str, name: &str, id: &str, target: &str, ts: i64) -> Vec<u8> {
    webhook(
        json!([{ "profile": { "name": name }, "wa_id": from }]),
        json!([{ "from": from, "id": id, "timestamp": ts.to_string(), "type": "reaction",
                 "reaction": { "message_id": target, "emoji": "👍" } }]),
        json!([]),
    )
}

/// The webhooks, in relay order: three customers, several messages each in one batch, one late
/// (older than the thread's newest), two at the same second, profile names changing, a reaction
/// and a status between messages, a BAJA, a customer whose only messages are in the batch.
fn webhooks() -> Vec<Vec<u8>> {
    let (ana, beto, caro) = ("5491111111111", "5493511234567", "5492214567890");
    vec![
        text(ana, "Ana", "wamid.A1", "hola", 1_767_225_600),
        text(beto, "Beto", "wamid.B1", "buen día", 1_767_225_601),
        text(
            ana,
            "Ana María",
            "wamid.A2",
            "¿tienen yerba?",
            1_767_225_610,
        ),
        // Late: older than A2, it must not become the list's last message.
        text(
            ana,
            "Ana María",
            "wamid.A0",
            "perdón, me olvidé",
            1_767_225_605,
        ),
        reaction(beto, "Roberto", "wamid.B2", "wamid.B1", 1_767_225_611),
        text(beto, "Roberto", "wamid.B3", "BAJA", 1_767_225_612),
        webhook(
            json!([]),
            json!([]),
            json!([{ "id": "wamid.A2", "status": "read", "timestamp": "1767225613",
                     "recipient_id": ana }]),
        ),
        // Same second as each other: the later one wins, as one write per message.
        text(ana, "Ana María", "wamid.A3", "mañana paso", 1_767_225_620),
        text(ana, "Anita", "wamid.A4", "gracias", 1_767_225_620),
        text(
            caro,
            "Caro",
            "wamid.C1",
            "¿hacen envíos a La Plata?",
            1_767_225_630,
        ),
        text(
            caro,
            "Caro",
            "wamid.C2",
            "alfajores de maicena",
            1_767_225_631,
        ),
    ]
}

struct Db {
    store: Store,
    org: OrgId,
    _dir: tempfile::TempDir,
}

async fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("mostrador.sqlite3"))
        .await
        .unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Almacén".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    settings::set(&store, Some(org), PHONE_NUMBER_ID, PHONE_ID)
        .await
        .unwrap();
    Db {
        store,
        org,
        _dir: dir,
    }
}

async fn insert_raw(db: &Db, bodies: &[Vec<u8>]) {
    let secret = Secret::new(SECRET);
    for (i, body) in bodies.iter().enumerate() {
        let sig = mostrador_whatsapp::signature::sign(&secret, body);
        let headers = json!([{ "name": "x-hub-signature-256", "value": sig }]).to_string();
        sqlx::query(
            "INSERT INTO inbox_raw (event_id, org_id, relay_seq, provider, received_at, method, public_url,
                                    headers, body, body_sha256, fetched_at)
             VALUES (?, ?, ?, 'whatsapp', '2026-01-01T00:00:00.000Z', 'POST', 'https://relay/in/x/whatsapp', ?, ?, '', '2026-01-01T00:00:00.000Z')",
        )
        .bind(format!("ev-{i}"))
        .bind(db.org.to_string())
        .bind(i as i64 + 1)
        .bind(headers)
        .bind(body)
        .execute(db.store.writer())
        .await
        .unwrap();
    }
}

/// Everything the batching could get wrong, as text rows (timestamps of the run excluded).
async fn state(db: &Db) -> Vec<String> {
    let mut out: Vec<String> = sqlx::query_scalar(
        "SELECT printf('conversation %s: last %s %s at %s inbound %s unread %d %s', c.wa_id,
                       m.provider_id, v.last_message_preview, v.last_activity_at, v.last_inbound_at,
                       v.unread_count, v.status)
         FROM conversations v JOIN customers c ON c.id = v.customer_id
         LEFT JOIN messages m ON m.id = v.last_message_id ORDER BY c.wa_id",
    )
    .fetch_all(db.store.reader())
    .await
    .unwrap();
    out.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT printf('customer %s: %s marketing opt-out %d', wa_id, name, opted_out_marketing)
             FROM customers ORDER BY wa_id",
        )
        .fetch_all(db.store.reader())
        .await
        .unwrap(),
    );
    out.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT printf('message %s: %s %s', provider_id, status, coalesce(text, ''))
             FROM messages ORDER BY provider_id",
        )
        .fetch_all(db.store.reader())
        .await
        .unwrap(),
    );
    out.extend(
        sqlx::query_scalar::<_, String>(
            "SELECT printf('reaction on %s: %s', m.provider_id, r.emoji)
             FROM reactions r JOIN messages m ON m.id = r.message_id ORDER BY m.provider_id",
        )
        .fetch_all(db.store.reader())
        .await
        .unwrap(),
    );
    // Search finds the batch's messages and the customers by their newest names.
    for (table, q) in [
        ("message_search", "yerba"),
        ("message_search", "maicena"),
        ("customer_search", "Anita"),
        ("customer_search", "Roberto"),
        ("customer_search", "Ana María"),
    ] {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE {table} MATCH ?"
        ))
        .bind(format!("\"{q}\""))
        .fetch_one(db.store.reader())
        .await
        .unwrap();
        out.push(format!("search {table} {q}: {n}"));
    }
    out
}

/// Drains with `batch` events per transaction; the last ConversationUpdated of each
/// conversation (what the list shows after the events).
async fn run(batch: u32) -> (Db, Vec<String>, Vec<String>) {
    let db = db().await;
    insert_raw(&db, &webhooks()).await;
    let events = EventBus::new(1024);
    let mut rx = events.subscribe();
    let processor = Processor::new(db.store.clone(), Arc::new(FixedSecret), events).with_options(
        ProcessorOptions {
            batch,
            idle: Duration::from_secs(30),
        },
    );
    let r = processor.drain(db.org).await.unwrap();
    assert_eq!(r.processed, webhooks().len() as u64, "{r:?}");
    assert_eq!((r.failed, r.quarantined), (0, 0), "{r:?}");
    let mut last = std::collections::BTreeMap::new();
    let mut new_messages = Vec::new();
    while let Ok(e) = rx.try_recv() {
        match e {
            ConversationEvent::ConversationUpdated { conversation, .. } => {
                last.insert(
                    conversation.customer_wa_id.clone(),
                    format!(
                        "{}: {:?} unread {} opted out {}",
                        conversation.customer_name,
                        conversation.last_message_preview,
                        conversation.unread_count,
                        conversation.customer_opted_out_marketing
                    ),
                );
            }
            ConversationEvent::NewMessage { message, .. } => {
                new_messages.push(message.provider_id.unwrap_or_default())
            }
            _ => {}
        }
    }
    new_messages.sort();
    let mut seen: Vec<String> = last.into_values().collect();
    seen.push(format!("new messages {new_messages:?}"));
    let s = state(&db).await;
    (db, s, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_leaves_what_one_event_per_transaction_leaves() {
    let (_one, each, each_events) = run(1).await;
    let (_all, batched, batched_events) = run(500).await;
    assert_eq!(batched, each);
    assert_eq!(batched_events, each_events);

    // And what that is.
    let line = |p: &str| {
        batched
            .iter()
            .find(|l| l.starts_with(p))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        line("conversation 5491111111111"),
        "conversation 5491111111111: last wamid.A4 gracias at 2026-01-01T00:00:20.000Z inbound 2026-01-01T00:00:20.000Z unread 5 abierta"
    );
    assert_eq!(
        line("conversation 5493511234567"),
        "conversation 5493511234567: last wamid.B3 BAJA at 2026-01-01T00:00:12.000Z inbound 2026-01-01T00:00:12.000Z unread 2 abierta"
    );
    assert_eq!(
        line("customer 5491111111111"),
        "customer 5491111111111: Anita marketing opt-out 0"
    );
    assert_eq!(
        line("customer 5493511234567"),
        "customer 5493511234567: Roberto marketing opt-out 1"
    );
    assert!(batched.contains(&"search customer_search Anita: 1".to_owned()));
    assert!(batched.contains(&"search customer_search Ana María: 0".to_owned()));
    assert!(batched.contains(&"search message_search maicena: 1".to_owned()));
    assert!(batched.contains(&"reaction on wamid.B1: 👍".to_owned()));
    assert_eq!(batched_events.len(), 4, "{batched_events:?}");
}

/// Batches do not merge the search index's segments (migration 0024); the processor merges them
/// when idle, a step at a time, and search finds every message before and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_segments_are_merged_when_idle_not_per_batch() {
    let db = db().await;
    let automerge: i64 =
        sqlx::query_scalar("SELECT v FROM message_search_config WHERE k = 'automerge'")
            .fetch_one(db.store.reader())
            .await
            .unwrap();
    assert_eq!(automerge, 0);
    insert_raw(&db, &webhooks()).await;
    // One event per transaction: one new segment each.
    let processor = Processor::new(db.store.clone(), Arc::new(FixedSecret), EventBus::new(1024))
        .with_options(ProcessorOptions {
            batch: 1,
            idle: Duration::from_secs(30),
        });
    processor.drain(db.org).await.unwrap();
    let found = |q: &'static str| {
        let pool = db.store.reader().clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM message_search WHERE message_search MATCH ?",
            )
            .bind(q)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(found("yerba").await, 1);
    let mut steps = 0;
    while processor.merge_search().await.unwrap() {
        steps += 1;
        assert!(steps < 1_000, "merging never ends");
    }
    assert!(steps > 0, "ten segments and nothing to merge?");
    assert!(!processor.merge_search().await.unwrap());
    assert_eq!(found("yerba").await, 1);
    assert_eq!(found("maicena").await, 1);
    assert_eq!(found("gracias").await, 1);
}
