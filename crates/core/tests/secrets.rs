//! Secrets in the real OS keychain (Secret Service under dbus; `scripts/test` starts one).

use mostrador_core::org::OrgId;
use mostrador_core::secrets::SecretStore;
use mostrador_types::Secret;

fn store() -> SecretStore {
    // A service name of its own, so tests never touch the app's real entries.
    SecretStore::new("ar.mostrador.test")
}

#[tokio::test]
async fn set_get_replace_delete_round_trip() {
    let s = store();
    let org = OrgId::new();
    assert!(s.get(org, "whatsapp_token").await.unwrap().is_none());
    s.set(org, "whatsapp_token", &Secret::new("EAAG-first"))
        .await
        .unwrap();
    assert_eq!(
        s.get(org, "whatsapp_token")
            .await
            .unwrap()
            .unwrap()
            .expose(),
        "EAAG-first"
    );
    s.set(org, "whatsapp_token", &Secret::new("EAAG-second"))
        .await
        .unwrap();
    assert_eq!(
        s.get(org, "whatsapp_token")
            .await
            .unwrap()
            .unwrap()
            .expose(),
        "EAAG-second"
    );
    // Another org's entry with the same name is separate.
    let other = OrgId::new();
    assert!(s.get(other, "whatsapp_token").await.unwrap().is_none());
    s.delete(org, "whatsapp_token").await.unwrap();
    assert!(s.get(org, "whatsapp_token").await.unwrap().is_none());
    s.delete(org, "whatsapp_token").await.unwrap();
}

#[tokio::test]
async fn entries_are_named_service_and_org_slash_name() {
    let s = store();
    let org = OrgId::new();
    s.set(
        org,
        "afip_key",
        &Secret::new("-----BEGIN PRIVATE KEY-----x"),
    )
    .await
    .unwrap();
    // Read it back through keyring directly, with the documented naming.
    let entry = keyring::Entry::new("ar.mostrador.test", &format!("{org}/afip_key")).unwrap();
    assert_eq!(
        entry.get_password().unwrap(),
        "-----BEGIN PRIVATE KEY-----x"
    );
    s.delete(org, "afip_key").await.unwrap();
}

/// gnome-keyring aborts when several fresh connections of one process open sessions at once
/// (upstream gnome-keyring#196; a CI run lost its keychain to it in the middle of the tests).
/// Many concurrent calls must all succeed and leave the daemon alive for the next test.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_calls_all_succeed_and_the_keychain_survives() {
    let s = SecretStore::new(&format!("ar.mostrador.test.burst.{}", uuid::Uuid::new_v4()));
    let org = OrgId::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..120 {
        let s = s.clone();
        tasks.spawn(async move {
            let name = format!("burst_{}", i % 10);
            s.set(org, &name, &Secret::new(format!("v{i}"))).await?;
            s.get(org, &name).await.map(|v| assert!(v.is_some()))
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    for i in 0..10 {
        s.delete(org, &format!("burst_{i}")).await.unwrap();
    }
    assert!(s.get(org, "burst_0").await.unwrap().is_none());
}
