//! The store on a real SQLite file: pragmas, persistence, and files a user can break.

use mostrador_core::org::{self, NewOrganization};
use mostrador_core::store::{Store, StoreError, DB_FILE_NAME};
use mostrador_core::{settings, AppError, ErrorCode};
use mostrador_types::IvaCondition;

fn kiosco() -> NewOrganization {
    NewOrganization {
        name: "Kiosco Don Pepe".into(),
        cuit: "20-12345678-6".into(),
        iva_condition: IvaCondition::Monotributo,
    }
}

#[tokio::test]
async fn pragmas_are_as_designed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(DB_FILE_NAME)).await.unwrap();
    let w = store.writer();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(w)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(w)
        .await
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(w)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(w)
        .await
        .unwrap();
    assert_eq!(busy, 5000);
    // Readers are read-only: a write through them fails instead of racing the writer.
    let err = sqlx::query(
        "INSERT INTO settings (org_id, key, value, updated_at) VALUES (NULL, 'k', 'v', 'now')",
    )
    .execute(store.reader())
    .await
    .unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
}

#[tokio::test]
async fn data_survives_reopen_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir").join(DB_FILE_NAME);
    let store = Store::open(&path).await.unwrap();
    let created = org::create(&store, kiosco()).await.unwrap();
    settings::set(&store, None, settings::CURRENT_ORG, &created.id.to_string())
        .await
        .unwrap();
    settings::set(
        &store,
        Some(created.id),
        "relay_url",
        "https://relay.example",
    )
    .await
    .unwrap();
    // Overwrite: upsert keeps one row per scope + key.
    settings::set(
        &store,
        Some(created.id),
        "relay_url",
        "https://relay2.example",
    )
    .await
    .unwrap();
    store.close().await;

    let store = Store::open(&path).await.unwrap();
    let orgs = org::list(&store).await.unwrap();
    assert_eq!(orgs, vec![created.clone()]);
    assert_eq!(
        settings::get(&store, None, settings::CURRENT_ORG)
            .await
            .unwrap(),
        Some(created.id.to_string())
    );
    assert_eq!(
        settings::get(&store, Some(created.id), "relay_url")
            .await
            .unwrap()
            .as_deref(),
        Some("https://relay2.example")
    );
    assert_eq!(
        settings::get(&store, None, "relay_url").await.unwrap(),
        None
    );
    assert_eq!(
        org::get(&store, created.id).await.unwrap().name,
        "Kiosco Don Pepe"
    );
}

#[tokio::test]
async fn duplicate_business_is_refused_and_nothing_doubles() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(DB_FILE_NAME)).await.unwrap();
    org::create(&store, kiosco()).await.unwrap();
    let mut same = kiosco();
    same.name = "kiosco don pepe".into(); // same name, other case
    let err: AppError = org::create(&store, same).await.unwrap_err().into();
    assert_eq!(err.code, ErrorCode::DuplicateOrganization);
    assert_eq!(org::list(&store).await.unwrap().len(), 1);
    // Another business under the same CUIT is fine (a second branch).
    let mut branch = kiosco();
    branch.name = "Kiosco Don Pepe — Sucursal Centro".into();
    org::create(&store, branch).await.unwrap();
    assert_eq!(org::list(&store).await.unwrap().len(), 2);
}

#[tokio::test]
async fn invalid_input_is_named_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(DB_FILE_NAME)).await.unwrap();
    let mut bad = kiosco();
    bad.cuit = "20-12345678-9".into();
    let err: AppError = org::create(&store, bad).await.unwrap_err().into();
    assert_eq!(err.code, ErrorCode::InvalidCuit);
    assert!(
        err.message.contains("dígito verificador"),
        "{}",
        err.message
    );
    let details = err.details.unwrap();
    assert_eq!(details["field"], "cuit");
    assert_eq!(details["expected_check_digit"], 6);

    let mut empty = kiosco();
    empty.name = "   ".into();
    let err: AppError = org::create(&store, empty).await.unwrap_err().into();
    assert_eq!(err.code, ErrorCode::InvalidName);
    assert!(org::list(&store).await.unwrap().is_empty());
}

#[tokio::test]
async fn corrupt_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();

    let err = Store::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let app: AppError = err.into();
    assert_eq!(app.code, ErrorCode::DatabaseCorrupt);
    assert!(app.message.contains("dañada"), "{}", app.message);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file must not be modified"
    );
}

#[tokio::test]
async fn damaged_database_page_is_reported() {
    // A real database whose header survives but whose schema page is overwritten.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    let store = Store::open(&path).await.unwrap();
    org::create(&store, kiosco()).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.writer())
        .await
        .unwrap();
    store.close().await;
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[100..4096] {
        *b = 0xEE;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path).await.unwrap_err();
    let app: AppError = err.into();
    assert_eq!(app.code, ErrorCode::DatabaseCorrupt, "{}", app.message);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[tokio::test]
async fn read_only_database_is_reported_and_data_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    let store = Store::open(&path).await.unwrap();
    let created = org::create(&store, kiosco()).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.writer())
        .await
        .unwrap();
    store.close().await;

    // Root ignores permission bits, so make the file immutable instead when running as root.
    let guard = ReadOnly::apply(&path);
    let err = Store::open(&path).await.unwrap_err();
    let app: AppError = err.into();
    assert_eq!(app.code, ErrorCode::DatabaseReadOnly, "{}", app.message);
    assert!(app.message.contains("No se puede escribir"));
    drop(guard);

    let store = Store::open(&path).await.unwrap();
    assert_eq!(org::list(&store).await.unwrap(), vec![created]);
}

/// Makes a file unwritable for the current user, root included, until dropped.
struct ReadOnly {
    path: std::path::PathBuf,
    immutable: bool,
}

impl ReadOnly {
    fn apply(path: &std::path::Path) -> ReadOnly {
        use std::os::unix::fs::PermissionsExt;
        let dir = path.parent().unwrap();
        let is_root = unsafe_geteuid() == 0;
        if is_root {
            // chattr +i on the directory too, so SQLite cannot create the -wal/-shm files.
            let ok = std::process::Command::new("chattr")
                .arg("+i")
                .arg(path)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "chattr +i failed: this test needs a filesystem with immutable files when run as root");
            ReadOnly {
                path: path.to_owned(),
                immutable: true,
            }
        } else {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).unwrap();
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
            ReadOnly {
                path: path.to_owned(),
                immutable: false,
            }
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if self.immutable {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&self.path)
                .status();
        } else {
            let dir = self.path.parent().unwrap();
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
            let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o644));
        }
    }
}

fn unsafe_geteuid() -> u32 {
    // The owner of a file we just created is our effective uid; avoids a libc dependency.
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid()
}

/// Every TEXT timestamp has one format (store::timestamp); rows written by earlier versions are
/// rewritten to it by migration 0007.
#[tokio::test]
async fn timestamps_have_one_format_and_old_rows_are_rewritten() {
    const FORMAT: &str = "????-??-??T??:??:??.???Z";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE_NAME);

    // A database as the previous version left it: the migrations before 0007 and rows in the
    // format it wrote (`to_rfc3339`: nanoseconds and `+00:00`).
    let old_migrations = dir.path().join("old-migrations");
    std::fs::create_dir(&old_migrations).unwrap();
    let repo_migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    for entry in std::fs::read_dir(&repo_migrations).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "0007" {
            std::fs::copy(entry.path(), old_migrations.join(&name)).unwrap();
        }
    }
    {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        sqlx::migrate::Migrator::new(old_migrations.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO organizations (id, name, cuit, iva_condition, created_at, updated_at)
             VALUES ('0193a000-0000-7000-8000-000000000001', 'Viejo', '20123456786', 'monotributo',
                     '2026-11-20T13:04:05.123456789+00:00', '2026-11-21T10:00:00-03:00')",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO settings (org_id, key, value, updated_at)
             VALUES (NULL, 'language', 'es', '2026-11-20T13:04:05.5+00:00')",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }

    let store = Store::open(&path).await.unwrap();
    let (created, updated): (String, String) =
        sqlx::query_as("SELECT created_at, updated_at FROM organizations WHERE name = 'Viejo'")
            .fetch_one(store.reader())
            .await
            .unwrap();
    assert_eq!(created, "2026-11-20T13:04:05.123Z");
    assert_eq!(updated, "2026-11-21T13:00:00.000Z", "converted to UTC");
    let setting: String =
        sqlx::query_scalar("SELECT updated_at FROM settings WHERE key = 'language'")
            .fetch_one(store.reader())
            .await
            .unwrap();
    assert_eq!(setting, "2026-11-20T13:04:05.500Z");

    // New writes use the same format, and what `create` returns is what a read gives back.
    let new = org::create(&store, kiosco()).await.unwrap();
    settings::set(&store, Some(new.id), "k", "v").await.unwrap();
    let stray: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM organizations WHERE created_at NOT GLOB ?1 OR updated_at NOT GLOB ?1)
              + (SELECT count(*) FROM settings WHERE updated_at NOT GLOB ?1)",
    )
    .bind(FORMAT)
    .fetch_one(store.reader())
    .await
    .unwrap();
    assert_eq!(stray, 0, "a timestamp in another format");
    let listed = org::list(&store).await.unwrap();
    let back = listed.iter().find(|o| o.id == new.id).unwrap();
    assert_eq!(back.created_at, new.created_at);
    assert_eq!(
        listed[0].name, "Viejo",
        "old rows still sort first by created_at"
    );
}
