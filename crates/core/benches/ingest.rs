//! Intake at scale, on a generated database of 1,000,000 messages in 50,000 conversations (bulk
//! SQL, FTS kept by the app's own triggers): the database size, the processor's ingest rate
//! (signature + parse + apply, batched transactions, a savepoint per event) and the latency from
//! a signed webhook POSTed to a real relay to the app's `ConversationEvent` (relay → long poll →
//! `inbox_raw` → processor → event), p50/p99. Prints its figures.
//! `cargo bench -p mostrador-core --bench ingest`. `MOSTRADOR_BENCH_MESSAGES`,
//! `MOSTRADOR_BENCH_CONVERSATIONS`, `MOSTRADOR_BENCH_INGEST`, `MOSTRADOR_BENCH_BATCH`,
//! `MOSTRADOR_BENCH_LATENCY` scale it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mostrador_core::events::{ConversationEvent, EventBus};
use mostrador_core::inbox::{self, PollerOptions};
use mostrador_core::intake::processor::SecretFuture;
use mostrador_core::intake::{AppSecrets, Processor, ProcessorOptions, PHONE_NUMBER_ID};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::settings;
use mostrador_core::store::Store;
use mostrador_relay::RelayClient;
use mostrador_testkit as common;
use mostrador_types::{IvaCondition, Secret};

const SECRET: &str = "bench-app-secret";
const PHONE_ID: &str = "106540352242922";

/// The app reads the keychain; the benchmark measures the processor, not the keychain.
struct FixedSecret;
impl AppSecrets for FixedSecret {
    fn app_secret(&self, _org: OrgId) -> SecretFuture<'_> {
        Box::pin(async { Ok(Some(Secret::new(SECRET))) })
    }
}

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn generate(store: &Store, org: OrgId, messages: i64, convs: i64) {
    let o = org.to_string();
    let mut tx = store.begin_immediate().await.unwrap();
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
    .bind(&o)
    .bind(convs)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO conversations (id, org_id, customer_id, last_activity_at, created_at, updated_at)
         SELECT id, org_id, id, '', created_at, created_at FROM customers WHERE org_id = ?",
    )
    .bind(&o)
    .execute(&mut *tx)
    .await
    .unwrap();
    // 1.7 s apart from 2025-01-01, spread over every conversation.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
         INSERT INTO messages (id, org_id, conversation_id, provider_id, direction, type, text, status,
                               status_rank, at, created_at)
         SELECT i, ?1, (i * 7919) % ?3 + 1, 'wamid.bench' || i, CASE WHEN i % 3 = 0 THEN 'out' ELSE 'in' END,
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
    .bind(&o)
    .bind(messages)
    .bind(convs)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE conversations SET
           last_message_id = (SELECT id FROM messages m WHERE m.conversation_id = conversations.id ORDER BY at DESC, id DESC LIMIT 1),
           last_activity_at = coalesce((SELECT max(at) FROM messages m WHERE m.conversation_id = conversations.id), ''),
           last_inbound_at = (SELECT max(at) FROM messages m WHERE m.conversation_id = conversations.id AND direction = 'in'),
           unread_count = id % 4,
           status = CASE WHEN id % 5 = 0 THEN 'resuelta' ELSE 'abierta' END
         WHERE org_id = ?",
    )
    .bind(&o)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE conversations SET last_message_preview = (SELECT substr(text, 1, 120) FROM messages WHERE id = last_message_id) WHERE org_id = ?")
        .bind(&o)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO conversation_labels (conversation_id, org_id, label)
         SELECT id, org_id, 'mayorista' FROM conversations WHERE org_id = ? AND id % 10 = 0",
    )
    .bind(&o)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE")
        .execute(store.writer())
        .await
        .unwrap();
}

/// One webhook with one text message from one of `customers` customers (a new name each time, so
/// the customer row is written too, as when profiles change).
fn webhook(tag: &str, i: u64, customers: u64) -> Vec<u8> {
    let wa = format!("54935{:08}", i % customers);
    let body = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"2023","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"5491150000000","phone_number_id":"{PHONE_ID}"}},"contacts":[{{"profile":{{"name":"Cliente {i}"}},"wa_id":"{wa}"}}],"messages":[{{"from":"{wa}","id":"wamid.{tag}{i}","timestamp":"{}","type":"text","text":{{"body":"Hola, quería saber si tienen stock de yerba {i}"}}}}]}},"field":"messages"}}]}}]}}"#,
        1767225600 + i
    );
    body.into_bytes()
}

/// Raw rows as the poller stores them, `n` of them, then one timed drain.
async fn ingest(store: &Store, org: OrgId, n: u64, batch: u32) -> f64 {
    let secret = Secret::new(SECRET);
    let o = org.to_string();
    let mut tx = store.begin_immediate().await.unwrap();
    for i in 0..n {
        let body = webhook("ingest", i, 5_000);
        let sig = mostrador_whatsapp::signature::sign(&secret, &body);
        let headers =
            serde_json::json!([{ "name": "x-hub-signature-256", "value": sig }]).to_string();
        sqlx::query(
            "INSERT INTO inbox_raw (event_id, org_id, relay_seq, provider, received_at, method, public_url,
                                    headers, body, body_sha256, fetched_at)
             VALUES (?, ?, ?, 'whatsapp', '2026-01-01T00:00:00.000Z', 'POST', 'https://relay/in/x/whatsapp', ?, ?, '', '2026-01-01T00:00:00.000Z')",
        )
        .bind(format!("ev-{i}"))
        .bind(&o)
        .bind(i as i64 + 1)
        .bind(headers)
        .bind(body)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let processor = Processor::new(store.clone(), Arc::new(FixedSecret), EventBus::default())
        .with_options(ProcessorOptions {
            batch,
            idle: Duration::from_secs(30),
        });
    let t = Instant::now();
    let r = processor.drain(org).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(r.processed, n, "{r:?}");
    assert_eq!(r.applied, n, "{r:?}");
    n as f64 / secs
}

/// POST → event, one webhook at a time, through a real relay and the app's poller + processor.
async fn latency(store: &Store, org: OrgId, n: u64) -> Vec<Duration> {
    let backend = common::Backend::sqlite();
    let t = common::create_tenant(backend.url(), "bench").await;
    let relay = common::start(&common::test_config(backend.url())).await;
    let ingress = t.local(relay.addr, "whatsapp");
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        t.device_token.clone().into(),
    )
    .unwrap();
    let inbox = inbox::spawn(store.clone(), org, client, PollerOptions::default());
    let events = EventBus::default();
    let processor = Processor::new(store.clone(), Arc::new(FixedSecret), events.clone());
    let proc = processor.spawn(org, inbox.committed());
    let mut rx = events.subscribe();
    let http = common::http();
    let secret = Secret::new(SECRET);
    let mut out = Vec::with_capacity(n as usize);
    // The first few warm the connection and the long poll up; not counted.
    for i in 0..n + 5 {
        let body = webhook("latency", i, 5_000);
        let sig = mostrador_whatsapp::signature::sign(&secret, &body);
        let want = format!("wamid.latency{i}");
        let started = Instant::now();
        let r = http
            .post(&ingress)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let got = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Ok(ConversationEvent::NewMessage { message, .. }) = rx.recv().await {
                    if message.provider_id.as_deref() == Some(want.as_str()) {
                        return started.elapsed();
                    }
                }
            }
        })
        .await
        .expect("the event arrived");
        if i >= 5 {
            out.push(got);
        }
    }
    proc.stop().await;
    inbox.stop().await;
    relay.shutdown().await.unwrap();
    out
}

fn file_size(path: &std::path::Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let messages = env("MOSTRADOR_BENCH_MESSAGES", 1_000_000);
    let convs = env("MOSTRADOR_BENCH_CONVERSATIONS", 50_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mostrador.sqlite3");
    let store = Store::open(&path).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Almacén Bench".into(),
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

    let t = Instant::now();
    generate(&store, org, messages, convs).await;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.writer())
        .await
        .unwrap();
    println!(
        "generated {messages} messages in {convs} conversations in {:.1} s; database {:.1} MiB; RSS with it open and idle {:.0} MiB",
        t.elapsed().as_secs_f64(),
        file_size(&path) as f64 / (1024.0 * 1024.0),
        rss_mib()
    );

    let n = env("MOSTRADOR_BENCH_INGEST", 20_000) as u64;
    let batch = env("MOSTRADOR_BENCH_BATCH", 500) as u32;
    let rate = ingest(&store, org, n, batch).await;
    println!("processor ingest: {n} webhook events at {rate:.0} events/s (signature + parse + apply, {batch} per transaction)");

    let k = env("MOSTRADOR_BENCH_LATENCY", 200) as u64;
    let lat = latency(&store, org, k).await;
    println!(
        "webhook POST → relay → poll → processor → event: n={k} p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        pct(lat.clone(), 0.5).as_secs_f64() * 1e3,
        pct(lat.clone(), 0.99).as_secs_f64() * 1e3,
        pct(lat, 1.0).as_secs_f64() * 1e3
    );
    store.close().await;
    println!(
        "database after the run: {:.1} MiB; RSS {:.0} MiB",
        file_size(&path) as f64 / (1024.0 * 1024.0),
        rss_mib()
    );
}
