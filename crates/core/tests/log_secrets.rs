//! A secret stored through SecretStore never reaches the log file, even at TRACE level.

use mostrador_core::logging;
use mostrador_core::org::OrgId;
use mostrador_core::secrets::SecretStore;
use mostrador_types::Secret;

#[tokio::test]
async fn secret_values_never_appear_in_the_log_file() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("RUST_LOG", "trace");
    let guard = logging::init(dir.path()).unwrap();

    let secret = "EAAG-do-not-log-7d1c2b9f0e";
    let org = OrgId::new();
    let store = SecretStore::new("ar.mostrador.test");
    store
        .set(org, "whatsapp_token", &Secret::new(secret))
        .await
        .unwrap();
    let back = store.get(org, "whatsapp_token").await.unwrap().unwrap();
    tracing::info!(token = ?back, "read back a token");
    store.delete(org, "whatsapp_token").await.unwrap();
    drop(guard); // flushes the non-blocking writer

    let mut logged = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        logged.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    // The log does record the operations (by org id and name)...
    assert!(logged.contains(&org.to_string()), "log: {logged}");
    assert!(logged.contains("secret stored"), "log: {logged}");
    assert!(logged.contains("whatsapp_token"));
    // ...but never the value.
    assert!(!logged.contains(secret), "the secret leaked into the log");
    assert!(!logged.contains("do-not-log"));
}
