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
    insert_raw_from(db, 0, bodies).await
}

/// As [`insert_raw`], the first row numbered `first` (after rows stored earlier).
async fn insert_raw_from(db: &Db, first: usize, bodies: &[Vec<u8>]) {
    let secret = Secret::new(SECRET);
    for (i, body) in bodies.iter().enumerate().map(|(i, b)| (i + first, b)) {
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

fn image(from: &str, name: &str, id: &str, media_id: &str, caption: &str, ts: i64) -> Vec<u8> {
    webhook(
        json!([{ "profile": { "name": name }, "wa_id": from }]),
        json!([{ "from": from, "id": id, "timestamp": ts.to_string(), "type": "image",
                 "image": { "id": media_id, "mime_type": "image/jpeg", "sha256": "abc", "caption": caption } }]),
        json!([]),
    )
}

fn reply(from: &str, name: &str, id: &str, to: &str, body: &str, ts: i64) -> Vec<u8> {
    webhook(
        json!([{ "profile": { "name": name }, "wa_id": from }]),
        json!([{ "from": from, "id": id, "timestamp": ts.to_string(), "type": "text",
                 "text": { "body": body }, "context": { "from": "5491150000000", "id": to } }]),
        json!([]),
    )
}

const ANA: &str = "5491111111111";
const BETO: &str = "5493511234567";
const DANI: &str = "5492614000001";
const EVA: &str = "5492994000002";
const FEDE: &str = "5493414000003";
const GABI: &str = "5491144000004";
const HUGO: &str = "5491144000005";
const KIKI: &str = "5491144000006";

/// Stored before the batch: Ana's and Beto's threads, and a reaction of Beto's to a message
/// (wamid.M5) that only arrives in the batch.
fn history() -> Vec<Vec<u8>> {
    vec![
        text(ANA, "Ana", "wamid.H1", "hola", 1_767_225_600),
        text(BETO, "Beto", "wamid.H2", "buenas", 1_767_225_601),
        reaction(BETO, "Beto", "wamid.H3", "wamid.M5", 1_767_225_602),
    ]
}

/// One batch mixing what the fast pass puts off with what must see it: new senders and
/// repeated ones, redeliveries (of a message stored before and of one earlier in the batch),
/// a status and a reaction for messages of the batch, a reaction before its target, the target
/// of a reaction stored before, a reply, media, a BAJA. With `boom`, one new sender's message
/// hits a simulated bug (the trigger of [`run_mixed`]).
fn mixed(boom: bool) -> Vec<Vec<u8>> {
    let mut v = vec![
        text(DANI, "Dani", "wamid.D1", "hola, ¿abren hoy?", 1_767_226_000),
        text(ANA, "Ana", "wamid.A5", "¿tienen yerba?", 1_767_226_001),
        // Redelivered: stored before the batch.
        text(ANA, "Ana", "wamid.H1", "hola", 1_767_225_600),
        image(
            DANI,
            "Dani",
            "wamid.D2",
            "media.D2",
            "la vidriera",
            1_767_226_002,
        ),
        text(EVA, "Eva", "wamid.E1", "BAJA", 1_767_226_003),
        webhook(
            json!([]),
            json!([]),
            json!([{ "id": "wamid.D1", "status": "read", "timestamp": "1767226004",
                     "recipient_id": DANI }]),
        ),
        reaction(DANI, "Daniela", "wamid.D9", "wamid.D2", 1_767_226_005),
        // Before its target, which comes later in the batch.
        reaction(EVA, "Eva", "wamid.E9", "wamid.E2", 1_767_226_006),
    ];
    // Put off, then a message that is not (the target of E9): ids stay in arrival order.
    v.push(text(FEDE, "Fede", "wamid.F0", "buen día", 1_767_226_007));
    if boom {
        v.push(text(FEDE, "Fede", "wamid.F1", "boom", 1_767_226_007));
    }
    // A user without a number (BSUID only) is inserted at once, not put off; then a new sender
    // again: the ids given in advance must follow.
    v.push(webhook(
        json!([{ "profile": { "name": "Caro", "username": "caro.ok" }, "user_id": "AR.13491208655302741918" }]),
        json!([{ "from_user_id": "AR.13491208655302741918", "id": "wamid.U1", "timestamp": "1767226007",
                 "type": "text", "text": { "body": "hola sin número" } }]),
        json!([]),
    ));
    v.push(text(
        HUGO,
        "Hugo",
        "wamid.J1",
        "¿tienen pilas?",
        1_767_226_007,
    ));
    // A new sender with number and BSUID, then the BSUID alone: the same customer.
    v.push(webhook(
        json!([{ "profile": { "name": "Kiki" }, "wa_id": KIKI, "user_id": "AR.13491208655302741919" }]),
        json!([{ "from": KIKI, "from_user_id": "AR.13491208655302741919", "id": "wamid.K1",
                 "timestamp": "1767226007", "type": "text", "text": { "body": "hola" } }]),
        json!([]),
    ));
    v.push(webhook(
        json!([{ "profile": { "name": "Kiki" }, "user_id": "AR.13491208655302741919" }]),
        json!([{ "from_user_id": "AR.13491208655302741919", "id": "wamid.K2", "timestamp": "1767226008",
                 "type": "text", "text": { "body": "¿me leen?" } }]),
        json!([]),
    ));
    v.extend([
        text(EVA, "Eva", "wamid.E2", "mejor no", 1_767_226_008),
        // Beto moves to another number: the batch's view of numbers is dropped; his old number
        // writing again is a new customer, and so is Gabi.
        webhook(
            json!([{ "profile": { "name": "Beto" }, "wa_id": BETO }]),
            json!([{ "from": BETO, "id": "wamid.B9", "timestamp": "1767226009", "type": "system",
                     "system": { "type": "user_changed_number", "body": "Beto cambió de número",
                                 "wa_id": "5493517654321" } }]),
            json!([]),
        ),
        text(BETO, "Roberto", "wamid.M5", "¿y el pedido?", 1_767_226_009),
        text(GABI, "Gabi", "wamid.G1", "buenas tardes", 1_767_226_009),
        // Redelivered: stored earlier in this batch.
        text(DANI, "Dani", "wamid.D1", "hola, ¿abren hoy?", 1_767_226_000),
        reply(
            DANI,
            "Daniela",
            "wamid.D3",
            "wamid.D1",
            "¿a qué hora?",
            1_767_226_010,
        ),
        text(ANA, "Anita", "wamid.A6", "gracias", 1_767_226_010),
        text(FEDE, "Fede", "wamid.F2", "¿hacen envíos?", 1_767_226_011),
    ]);
    v
}

/// The history one event per transaction, then the mix with `batch` events per transaction:
/// the rows (with [`state`]'s, message ids in order, replies, media, jobs, statuses, pending
/// reactions, raw rows), the events (the last list row of each conversation, every reaction
/// and status event, the new messages) and the report.
async fn run_mixed(batch: u32, boom: bool) -> (Vec<String>, Vec<String>, String) {
    let db = db().await;
    if boom {
        sqlx::query("CREATE TRIGGER boom BEFORE INSERT ON messages WHEN new.text = 'boom' BEGIN SELECT RAISE(ABORT, 'simulated bug'); END")
            .execute(db.store.writer())
            .await
            .unwrap();
    }
    let events = EventBus::new(4096);
    let processor = |batch| {
        Processor::new(db.store.clone(), Arc::new(FixedSecret), events.clone()).with_options(
            ProcessorOptions {
                batch,
                idle: Duration::from_secs(30),
            },
        )
    };
    insert_raw(&db, &history()).await;
    processor(1).drain(db.org).await.unwrap();
    let mut rx = events.subscribe();
    let bodies = mixed(boom);
    insert_raw_from(&db, history().len(), &bodies).await;
    // Whether the fast pass gave up (it would still leave the right rows, slowly).
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("mostrador_core::intake=debug")
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let r = processor(batch).drain(db.org).await.unwrap();
    drop(guard);
    assert_eq!(r.rows(), bodies.len() as u64, "{r:?}");
    let redone = log.text().contains("redoing it with savepoints");
    assert_eq!(redone, boom, "{}", log.text());
    let report = format!("{r:?}");

    let mut last = std::collections::BTreeMap::new();
    let mut seen = Vec::new();
    while let Ok(e) = rx.try_recv() {
        match e {
            ConversationEvent::ConversationUpdated { conversation, .. } => {
                last.insert(
                    conversation.customer_wa_id.clone(),
                    format!(
                        "list {}: {:?} unread {} opted out {}",
                        conversation.customer_name,
                        conversation.last_message_preview,
                        conversation.unread_count,
                        conversation.customer_opted_out_marketing
                    ),
                );
            }
            ConversationEvent::NewMessage { message, .. } => seen.push(format!(
                "new message {} {:?}",
                message.id, message.provider_id
            )),
            ConversationEvent::ReactionChanged {
                message_id, emoji, ..
            } => seen.push(format!("reaction on {message_id}: {emoji:?}")),
            ConversationEvent::StatusChanged {
                message_id, status, ..
            } => seen.push(format!("status of {message_id}: {status:?}")),
            _ => {}
        }
    }
    seen.sort();
    seen.extend(last.into_values());

    let mut rows = state(&db).await;
    for q in [
        // Ids in arrival order, as one insert per message.
        "SELECT printf('message %d %s in %s reply to %s media %s type %s unread-count-conv %d', m.id,
                       m.provider_id, c.wa_id, m.reply_to_provider_id, md.provider_media_id, m.type,
                       v.unread_count)
         FROM messages m JOIN conversations v ON v.id = m.conversation_id
         JOIN customers c ON c.id = v.customer_id LEFT JOIN media md ON md.id = m.media_id
         ORDER BY m.id",
        "SELECT printf('list %d last %d', id, last_message_id) FROM conversations ORDER BY id",
        "SELECT printf('customer %d %s', id, wa_id) FROM customers ORDER BY id",
        "SELECT printf('status %s %s', provider_id, status) FROM message_status_history ORDER BY provider_id, status",
        "SELECT printf('pending reaction on %s', target_provider_id) FROM pending_reactions ORDER BY 1",
        "SELECT printf('raw %s %s', event_id, status) FROM inbox_raw ORDER BY relay_seq",
        "SELECT printf('jobs %d', count(*)) FROM jobs",
    ] {
        rows.extend(
            sqlx::query_scalar::<_, String>(q)
                .fetch_all(db.store.reader())
                .await
                .unwrap(),
        );
    }
    (rows, seen, report)
}

/// What the processor logged (the drain runs on the test's thread, where the subscriber is).
#[derive(Clone, Default)]
struct Log(Arc<std::sync::Mutex<Vec<u8>>>);

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_with_put_off_messages_leaves_what_one_event_per_transaction_leaves() {
    let (each, each_events, each_report) = run_mixed(1, false).await;
    let (batched, batched_events, batched_report) = run_mixed(500, false).await;
    assert_eq!(batched, each);
    assert_eq!(batched_events, each_events);
    assert_eq!(batched_report, each_report);

    let has = |l: &str| batched.iter().any(|r| r == l);
    let has_prefix = |l: &str| batched.iter().any(|r| r.starts_with(l));
    // Two redeliveries are not stored again.
    assert!(batched_report.contains("duplicates: 2"), "{batched_report}");
    assert!(
        has("message wamid.D1: read hola, ¿abren hoy?"),
        "{batched:#?}"
    );
    assert!(has("status wamid.D1 read"), "{batched:#?}");
    assert!(has("reaction on wamid.D2: 👍"), "{batched:#?}");
    assert!(has("reaction on wamid.E2: 👍"), "{batched:#?}");
    assert!(has("reaction on wamid.M5: 👍"), "{batched:#?}");
    assert!(!has_prefix("pending reaction"), "{batched:#?}");
    assert!(has("jobs 1"), "{batched:#?}");
    assert!(
        has_prefix("message 6 wamid.D2 in 5492614000001 reply to  media media.D2 type image"),
        "{batched:#?}"
    );
    assert!(
        has_prefix("message 19 wamid.D3 in 5492614000001 reply to wamid.D1"),
        "{batched:#?}"
    );
    assert!(
        has(&format!("customer {EVA}: Eva marketing opt-out 1")),
        "{batched:#?}"
    );
    assert!(has(&format!(
        "conversation {DANI}: last wamid.D3 ¿a qué hora? at 2026-01-01T00:06:50.000Z inbound 2026-01-01T00:06:50.000Z unread 3 abierta"
    )), "{batched:#?}");
    assert!(has(&format!(
        "conversation {ANA}: last wamid.A6 gracias at 2026-01-01T00:06:50.000Z inbound 2026-01-01T00:06:50.000Z unread 3 abierta"
    )), "{batched:#?}");
    assert!(
        has(&format!("customer {ANA}: Anita marketing opt-out 0")),
        "{batched:#?}"
    );
    assert!(has("search message_search yerba: 1"), "{batched:#?}");
    assert!(
        has(&format!(
            "conversation {KIKI}: last wamid.K2 ¿me leen? at 2026-01-01T00:06:48.000Z inbound 2026-01-01T00:06:48.000Z unread 2 abierta"
        )),
        "{batched:#?}"
    );
    assert!(
        batched_events.contains(&"new message 19 Some(\"wamid.D3\")".to_owned()),
        "{batched_events:#?}"
    );
}

/// A bug in one event of the batch (here: the put-off insert fails at the flush) rolls the fast
/// pass back; the batch is redone one event at a time and only that event is marked failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bug_in_a_put_off_message_fails_only_its_event() {
    let (each, each_events, each_report) = run_mixed(1, true).await;
    let (batched, batched_events, batched_report) = run_mixed(500, true).await;
    assert_eq!(batched, each);
    assert_eq!(batched_events, each_events);
    assert_eq!(batched_report, each_report);
    assert!(batched_report.contains("failed: 1"), "{batched_report}");
    let failed: Vec<&String> = batched
        .iter()
        .filter(|r| r.starts_with("raw ") && !r.ends_with(" processed"))
        .collect();
    assert_eq!(failed, ["raw ev-12 failed"], "{batched:#?}");
    assert!(
        batched
            .iter()
            .any(|r| r.starts_with("message") && r.contains("wamid.F2")),
        "{batched:#?}"
    );
    assert!(
        !batched.iter().any(|r| r.contains("wamid.F1")),
        "{batched:#?}"
    );
}
