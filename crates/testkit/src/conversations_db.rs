//! The large conversations database the benchmarks measure on (issues 10 and 11): customers,
//! one conversation each, and messages spread over them, written in bulk SQL into a desktop
//! database whose schema is already migrated. The full-text index is filled by the app's own
//! triggers, so search is measured on what the app would have built. One generator, used by
//! core's `ingest` and `conversations` benches and by `scripts/measure-app`.

use sqlx::SqlitePool;

/// What [`generate`] writes. Customer and conversation ids are `1..=conversations` (the tables
/// must be empty); message ids are `1..=messages`, 1.7 s apart from 2025-01-01, message `i` in
/// conversation `(i * 7919) % conversations + 1`, except the newest `big_thread` messages, which
/// all go to conversation 1: a long thread at the top of the list (the app's time to first
/// rendered thread is measured on it).
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub messages: i64,
    pub conversations: i64,
    pub big_thread: i64,
}

impl Shape {
    /// The benchmarks' database: 1,000,000 messages in 50,000 conversations.
    pub const FULL: Shape = Shape {
        messages: 1_000_000,
        conversations: 50_000,
        big_thread: 5_000,
    };

    /// [`Shape::FULL`], scaled by `MOSTRADOR_BENCH_MESSAGES` / `MOSTRADOR_BENCH_CONVERSATIONS` /
    /// `MOSTRADOR_BENCH_BIG_THREAD`.
    pub fn from_env() -> Shape {
        let var = |name: &str, default: i64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Shape {
            messages: var("MOSTRADOR_BENCH_MESSAGES", Shape::FULL.messages),
            conversations: var("MOSTRADOR_BENCH_CONVERSATIONS", Shape::FULL.conversations),
            big_thread: var("MOSTRADOR_BENCH_BIG_THREAD", Shape::FULL.big_thread),
        }
    }
}

/// Fills the organization `org_id` (which must exist) with `shape`, in one `BEGIN IMMEDIATE`
/// transaction on `writer`, then runs `ANALYZE` so the planner sees real statistics. Every
/// fifth conversation is resolved, every tenth has the label `mayorista`, `unread_count` is
/// `id % 4`, two messages in three are inbound.
pub async fn generate(writer: &SqlitePool, org_id: &str, shape: Shape) -> Result<(), sqlx::Error> {
    // A big page cache while filling (random index pages would otherwise be spilled and read
    // back millions of times), then the app's own again: the benches measure the app's settings.
    // The writer pool has its one connection, so the pragma lands on the connection used below.
    let cache_size: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(writer)
        .await?;
    sqlx::query("PRAGMA cache_size = -262144")
        .execute(writer)
        .await?;
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
         INSERT INTO customers (id, org_id, wa_id, name, phone, first_contact_at, created_at, updated_at)
         SELECT i, ?1, printf('54911%08d', i),
                printf('%s %s', CASE i % 6 WHEN 0 THEN 'Juana' WHEN 1 THEN 'Pedro' WHEN 2 THEN 'María José'
                                 WHEN 3 THEN 'Carlos' WHEN 4 THEN 'Lucía' ELSE 'Martín' END,
                       CASE i % 7 WHEN 0 THEN 'Gómez' WHEN 1 THEN 'Pérez' WHEN 2 THEN 'Fernández'
                                 WHEN 3 THEN 'López' WHEN 4 THEN 'Díaz' WHEN 5 THEN 'Romero' ELSE 'Sosa' END),
                printf('54911%08d', i), '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'
         FROM n",
    )
    .bind(org_id)
    .bind(shape.conversations)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO conversations (id, org_id, customer_id, last_activity_at, created_at, updated_at)
         SELECT id, org_id, id, '', created_at, created_at FROM customers WHERE org_id = ?",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    // 1.7 s apart from 2025-01-01, spread over every conversation.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
         INSERT INTO messages (id, org_id, conversation_id, provider_id, direction, type, text, status,
                               status_rank, at, created_at)
         SELECT i, ?1, CASE WHEN i > ?2 - ?4 THEN 1 ELSE (i * 7919) % ?3 + 1 END, 'wamid.bench' || i, CASE WHEN i % 3 = 0 THEN 'out' ELSE 'in' END,
                'text',
                printf('%s %s %d', CASE i % 9 WHEN 0 THEN 'Hola, ¿tienen' WHEN 1 THEN 'Quiero encargar'
                        WHEN 2 THEN 'Gracias por el' WHEN 3 THEN '¿A qué hora abren? Necesito'
                        WHEN 4 THEN 'Me llegó el' WHEN 5 THEN 'Precio del' WHEN 6 THEN 'Pasé a buscar el'
                        WHEN 7 THEN 'Tienen envío del' ELSE 'Reservame el' END,
                       CASE (i / 9) % 11 WHEN 0 THEN 'alfajor' WHEN 1 THEN 'yerba' WHEN 2 THEN 'queso'
                        WHEN 3 THEN 'pan dulce' WHEN 4 THEN 'fernet' WHEN 5 THEN 'dulce de leche'
                        WHEN 6 THEN 'medialunas' WHEN 7 THEN 'empanadas' WHEN 8 THEN 'café'
                        WHEN 9 THEN 'turrón' ELSE 'facturas' END, i % 1000),
                CASE WHEN i % 3 = 0 THEN 'read' ELSE 'received' END, CASE WHEN i % 3 = 0 THEN 4 ELSE 0 END,
                strftime('%Y-%m-%dT%H:%M:%fZ', 1735689600 + i * 1.7, 'unixepoch'),
                strftime('%Y-%m-%dT%H:%M:%fZ', 1735689600 + i * 1.7, 'unixepoch')
         FROM n",
    )
    .bind(org_id)
    .bind(shape.messages)
    .bind(shape.conversations)
    .bind(shape.big_thread)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE conversations SET
           last_message_id = (SELECT id FROM messages m WHERE m.conversation_id = conversations.id ORDER BY at DESC, id DESC LIMIT 1),
           last_activity_at = coalesce((SELECT max(at) FROM messages m WHERE m.conversation_id = conversations.id), ''),
           last_inbound_at = (SELECT max(at) FROM messages m WHERE m.conversation_id = conversations.id AND direction = 'in'),
           unread_count = id % 4,
           status = CASE WHEN id % 5 = 0 THEN 'resuelta' ELSE 'abierta' END
         WHERE org_id = ?",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE conversations SET last_message_preview = (SELECT substr(text, 1, 120) FROM messages WHERE id = last_message_id) WHERE org_id = ?")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO conversation_labels (conversation_id, org_id, label)
         SELECT id, org_id, 'mayorista' FROM conversations WHERE org_id = ? AND id % 10 = 0",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(writer).await?;
    sqlx::query(&format!("PRAGMA cache_size = {cache_size}"))
        .execute(writer)
        .await?;
    Ok(())
}

/// One WhatsApp webhook (as Meta POSTs it) with one text message from one of `customers`
/// customers, for the business number `phone_number_id`. Its wamid is `wamid.{tag}{i}`; the
/// profile name changes with `i`, so the customer row is rewritten too, as when profiles change.
pub fn whatsapp_text_webhook(phone_number_id: &str, tag: &str, i: u64, customers: u64) -> Vec<u8> {
    whatsapp_text_webhook_named(phone_number_id, tag, i, customers, &format!("Cliente {i}"))
}

/// [`whatsapp_text_webhook`] with the sender's profile name given (the same name every time is
/// the usual case: nothing to rewrite about the customer).
pub fn whatsapp_text_webhook_named(
    phone_number_id: &str,
    tag: &str,
    i: u64,
    customers: u64,
    name: &str,
) -> Vec<u8> {
    let wa = format!("54935{:08}", i % customers);
    let body = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"2023","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"5491150000000","phone_number_id":"{phone_number_id}"}},"contacts":[{{"profile":{{"name":"{name}"}},"wa_id":"{wa}"}}],"messages":[{{"from":"{wa}","id":"wamid.{tag}{i}","timestamp":"{}","type":"text","text":{{"body":"Hola, quería saber si tienen stock de yerba {i}"}}}}]}},"field":"messages"}}]}}]}}"#,
        1767225600 + i
    );
    body.into_bytes()
}

/// Total size of the SQLite file at `path` with its WAL and shared-memory files.
pub fn file_size(path: &std::path::Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}
