//! Migration 0009 rebuilds the `media` table (a new state, `too_large`) on a database that
//! already has media linked to messages: every row and link survives, and foreign keys hold.

use mostrador_core::store::Store;
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;

#[tokio::test]
async fn media_rows_and_their_messages_survive_the_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mostrador.sqlite3");
    // The schema as it was before 0009: every earlier migration, from the repository.
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    for e in std::fs::read_dir(&repo).unwrap().flatten() {
        let name = e.file_name().into_string().unwrap();
        if name.as_str() < "0009" {
            std::fs::copy(e.path(), old.join(&name)).unwrap();
        }
    }
    let opts = SqliteConnectOptions::from_str("sqlite:")
        .unwrap()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let t = "2026-01-01T00:00:00.000Z";
    sqlx::raw_sql(&format!(
        "INSERT INTO organizations VALUES ('o1', 'Kiosco', '20123456786', 'monotributo', '{t}', '{t}');
         INSERT INTO customers (id, org_id, wa_id, first_contact_at, created_at, updated_at)
           VALUES (1, 'o1', '5491112345678', '{t}', '{t}', '{t}');
         INSERT INTO conversations (id, org_id, customer_id, last_activity_at, created_at, updated_at)
           VALUES (1, 'o1', 1, '{t}', '{t}', '{t}');
         INSERT INTO media (id, org_id, provider_media_id, mime_type, state, created_at)
           VALUES (7, 'o1', 'm7', 'image/png', 'pending', '{t}'),
                  (9, 'o1', 'm9', 'application/pdf', 'failed', '{t}');
         UPDATE media SET sha256 = 'ab', path = 'media/ab/ab', size_bytes = 3, state = 'downloaded' WHERE id = 9;
         INSERT INTO messages (id, org_id, conversation_id, provider_id, direction, type, media_id, status, at, created_at)
           VALUES (1, 'o1', 1, 'w1', 'in', 'image', 7, 'received', '{t}', '{t}'),
                  (2, 'o1', 1, 'w2', 'in', 'document', 9, 'received', '{t}', '{t}'),
                  (3, 'o1', 1, 'w3', 'in', 'image', 7, 'received', '{t}', '{t}'),
                  (4, 'o1', 1, 'w4', 'in', 'text', NULL, 'received', '{t}', '{t}');"
    ))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = Store::open(&path).await.unwrap();
    let rows: Vec<(i64, String, String, Option<String>)> =
        sqlx::query_as("SELECT id, provider_media_id, state, path FROM media ORDER BY id")
            .fetch_all(store.reader())
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![
            (7, "m7".into(), "pending".into(), None),
            (
                9,
                "m9".into(),
                "downloaded".into(),
                Some("media/ab/ab".into())
            ),
        ]
    );
    let links: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, media_id FROM messages ORDER BY id")
            .fetch_all(store.reader())
            .await
            .unwrap();
    assert_eq!(
        links,
        vec![(1, Some(7)), (2, Some(9)), (3, Some(7)), (4, None)]
    );
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(store.reader())
        .await
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    // The new state is allowed, and a message still cannot point at a missing file row.
    sqlx::query("UPDATE media SET state = 'too_large', announced_size = 99 WHERE id = 7")
        .execute(store.writer())
        .await
        .unwrap();
    let dangling = sqlx::query("UPDATE messages SET media_id = 12345 WHERE id = 4")
        .execute(store.writer())
        .await;
    assert!(dangling.is_err(), "foreign keys are on after the migration");
    store.close().await;
}
