//! The inbox's configuration: relay URL from the organization's settings, device token from the OS
//! keychain (needs a Secret Service; run under `dbus-run-session` with an unlocked keyring).

use mostrador_testkit as common;

use mostrador_core::inbox::{self, InboxError, PollerOptions, RELAY_DEVICE_TOKEN, RELAY_URL};
use mostrador_core::org::{self, NewOrganization};
use mostrador_core::secrets::SecretStore;
use mostrador_core::settings;
use mostrador_core::store::Store;
use mostrador_types::{IvaCondition, Secret};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_client_from_settings_and_keychain() {
    let backend = common::Backend::sqlite();
    let t = common::create_tenant(backend.url(), "kiosco").await;
    let own = common::create_tenant(backend.url(), "sucursal").await;
    let relay = common::start(&common::test_config(backend.url())).await;

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
    let secrets = SecretStore::new(&format!("ar.mostrador.test.inbox.{}", uuid::Uuid::new_v4()));

    // Not configured yet: a clear error naming what is missing.
    let err = inbox::relay_client(&store, &secrets, org)
        .await
        .unwrap_err();
    assert!(matches!(err, InboxError::NotConfigured(RELAY_URL)), "{err}");
    settings::set(
        &store,
        Some(org),
        RELAY_URL,
        &format!("http://{}", relay.addr),
    )
    .await
    .unwrap();
    let err = inbox::relay_client(&store, &secrets, org)
        .await
        .unwrap_err();
    assert!(
        matches!(err, InboxError::NotConfigured(RELAY_DEVICE_TOKEN)),
        "{err}"
    );

    secrets
        .set(
            org,
            RELAY_DEVICE_TOKEN,
            &Secret::new(t.device_token.clone()),
        )
        .await
        .unwrap();
    let client = inbox::relay_client(&store, &secrets, org).await.unwrap();
    assert!(
        !format!("{client:?}").contains(&t.device_token),
        "Debug never shows the token"
    );
    assert_eq!(client.status().await.unwrap().last_seq, 0);

    drop(client);
    let handle = inbox::spawn_for_org(
        &store,
        &secrets,
        org,
        PollerOptions {
            wait: Duration::from_secs(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    common::http()
        .post(t.local(relay.addr, "whatsapp"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let mut committed = handle.committed();
    tokio::time::timeout(Duration::from_secs(20), committed.wait_for(|c| *c >= 1))
        .await
        .unwrap()
        .unwrap();
    handle.stop().await;

    // Another business given the same device token is refused before anything is stored for it.
    let second = org::create(
        &store,
        NewOrganization {
            name: "Otra sucursal".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    let err = inbox::configure_relay(
        &store,
        &secrets,
        second,
        &format!("http://{}", relay.addr),
        Secret::new(t.device_token.clone()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, InboxError::TenantAlreadyBound { other_org, .. } if other_org == org),
        "{err}"
    );
    assert!(err.to_string().contains("separate relay tenant"), "{err}");
    assert_eq!(
        settings::get(&store, Some(second), RELAY_URL)
            .await
            .unwrap(),
        None
    );
    assert!(secrets
        .get(second, RELAY_DEVICE_TOKEN)
        .await
        .unwrap()
        .is_none());
    // Its own tenant is accepted.
    inbox::configure_relay(
        &store,
        &secrets,
        second,
        &format!("http://{}", relay.addr),
        Secret::new(own.device_token.clone()),
    )
    .await
    .unwrap();
    secrets.delete(second, RELAY_DEVICE_TOKEN).await.unwrap();

    secrets.delete(org, RELAY_DEVICE_TOKEN).await.unwrap();
    relay.shutdown().await.unwrap();
}
