//! The intake supervisor against a real relay over loopback HTTP, with the real keychain (run
//! under `dbus-run-session` with an unlocked keyring): not configured ⇒ nothing runs; a saved
//! relay starts the loop; changing the settings restarts it on the new tenant; a rejected device
//! token shows as such; disconnecting stops it. Also Ajustes → Relay's test and save.

use mostrador_testkit as common;

use std::time::Duration;

use mostrador_core::events::EventBus;
use mostrador_core::inbox::{ConnectionState, PollerOptions, RELAY_DEVICE_TOKEN};
use mostrador_core::intake::{
    IntakeStatus, IntakeSupervisor, IntakeWiring, RelayConnect, RelayInput, RelayStatus, Report,
};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_core::{AppError, ErrorCode};
use mostrador_types::{IvaCondition, Secret};
use tokio::sync::broadcast;

async fn new_org(store: &Store, name: &str) -> OrgId {
    org::create(
        store,
        NewOrganization {
            name: name.into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id
}

/// The block `mostrador-relay tenant create` prints, for a relay reached at `addr`.
fn printed(t: &common::TenantTokens, addr: std::net::SocketAddr) -> String {
    let mut s = String::from("Tenant \"x\" created (id 1).\n\nProvider webhook URLs:\n");
    for p in t.ingress_urls.keys() {
        s.push_str(&format!("  {p:<12} {}\n", t.local(addr, p)));
    }
    s.push_str(&format!(
        "\nMeta verify token (WhatsApp webhook setup): {}\nDevice token (Mostrador > Ajustes > Relay):  {}\n",
        t.verify_token, t.device_token
    ));
    s
}

/// Waits (bounded) for a change of `org` matching `pred` on the broadcast.
async fn wait_status(
    rx: &mut broadcast::Receiver<IntakeStatus>,
    org: OrgId,
    what: &str,
    pred: impl Fn(&IntakeStatus) -> bool,
) -> IntakeStatus {
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(s) if s.org_id == org && pred(&s) => return s,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("status broadcast closed"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("never saw: {what}"))
}

/// Events the processor of a running intake has dealt with.
fn seen(r: &Report) -> u64 {
    r.processed + r.quarantined + r.failed
}

fn connected(s: &IntakeStatus) -> bool {
    matches!(s.connection, Some(ConnectionState::Connected { .. }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_changes_restart_the_loop_and_a_bad_token_shows_rejected() {
    let backend = common::Backend::sqlite();
    let first = common::create_tenant(backend.url(), "kiosco").await;
    let second = common::create_tenant(backend.url(), "kiosco-nuevo").await;
    let relay = common::start(&common::test_config(backend.url())).await;

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = new_org(&store, "Kiosco").await;
    let secrets = SecretStore::new(&format!("ar.mostrador.test.sup.{}", uuid::Uuid::new_v4()));
    let sup = IntakeSupervisor::new(IntakeWiring {
        store: store.clone(),
        secrets: secrets.clone(),
        events: EventBus::default(),
        evidence: None,
        poller: PollerOptions {
            wait: Duration::from_secs(1),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(300),
            ..Default::default()
        },
    });
    let mut rx = sup.subscribe();

    // Boot with nothing configured: nothing runs, the status says so.
    assert_eq!(sup.start_all().await.unwrap(), 0);
    assert_eq!(sup.status(org).connection, None);
    assert!(!sup.is_running(org).await);

    // Ajustes → Relay: test, then save; the loop starts on restart.
    let relay_form = RelayConnect::new(store.clone(), secrets.clone());
    let input = RelayInput {
        pasted: printed(&first, relay.addr),
        ..Default::default()
    };
    let check = relay_form.test(org, &input).await.unwrap();
    assert_eq!(check.backlog, 0);
    let meta = check
        .meta
        .clone()
        .expect("the pasted block has Meta's values");
    assert_eq!(meta.callback_url, first.local(relay.addr, "whatsapp"));
    assert_eq!(meta.verify_token, first.verify_token);
    // The URL given to Meta passes the relay's GET handshake with that verify token.
    let challenge = common::http()
        .get(&meta.callback_url)
        .query(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", meta.verify_token.as_str()),
            ("hub.challenge", "1158201444"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.status(), 200);
    assert_eq!(challenge.text().await.unwrap(), "1158201444");

    let (_, saved) = relay_form.save(org, &input).await.unwrap();
    assert!(
        matches!(&saved, RelayStatus::Configured { meta: Some(m), .. } if *m == meta),
        "{saved:?}"
    );
    let s = sup.restart(org).await;
    assert!(s.connection.is_some());
    wait_status(&mut rx, org, "connected to the first tenant", connected).await;
    common::http()
        .post(first.local(relay.addr, "whatsapp"))
        .body("{}")
        .send()
        .await
        .unwrap();
    // Unsigned, so the processor quarantines it: either way the running loop took it in.
    let mut report = sup.report(org).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), report.wait_for(|r| seen(r) >= 1))
        .await
        .unwrap()
        .unwrap();

    // The relay settings change (a new tenant): the restart polls the new one.
    relay_form
        .save(
            org,
            &RelayInput {
                pasted: printed(&second, relay.addr),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    sup.restart(org).await;
    wait_status(&mut rx, org, "connected to the second tenant", connected).await;
    for _ in 0..2 {
        common::http()
            .post(second.local(relay.addr, "whatsapp"))
            .body("{}")
            .send()
            .await
            .unwrap();
    }
    let mut report = sup.report(org).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), report.wait_for(|r| seen(r) >= 2))
        .await
        .expect("the restarted loop reads the new tenant")
        .unwrap();
    let tenant_of_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox_raw WHERE org_id = ?")
        .bind(org.to_string())
        .fetch_one(store.reader())
        .await
        .unwrap();
    assert_eq!(
        tenant_of_rows, 3,
        "one event of the first tenant, two of the second"
    );

    // The device token is replaced by a wrong one (rotated on the relay): "token rechazado".
    secrets
        .set(
            org,
            RELAY_DEVICE_TOKEN,
            &Secret::new("not-the-device-token"),
        )
        .await
        .unwrap();
    sup.restart(org).await;
    let s = wait_status(&mut rx, org, "token rejected", |s| {
        matches!(s.connection, Some(ConnectionState::RejectedToken { .. }))
    })
    .await;
    assert!(!s.whatsapp_configured);
    // Testing a wrong token says so in Spanish, with a stable code.
    let err: AppError = relay_form
        .test(
            org,
            &RelayInput {
                relay_url: format!("http://{}", relay.addr),
                device_token: Secret::new("not-the-device-token"),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::RelayTokenRejected);
    assert!(err.message.contains("rechazó"), "{}", err.message);

    // Disconnected: the loop stops and the status says "not configured".
    relay_form.disconnect(org).await.unwrap();
    let s = sup.restart(org).await;
    assert_eq!(s.connection, None);
    assert!(!sup.is_running(org).await);
    assert_eq!(
        relay_form.status(org).await.unwrap(),
        RelayStatus::NotConfigured
    );

    // One tenant, one business: another business is refused a tenant this one used, at "Probar".
    let other = new_org(&store, "Otra sucursal").await;
    let err: AppError = relay_form
        .test(
            other,
            &RelayInput {
                pasted: printed(&second, relay.addr),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::RelayTenantInUse);

    // An unreachable relay.
    let err: AppError = relay_form
        .test(
            other,
            &RelayInput {
                relay_url: format!("http://127.0.0.1:{}", common::free_port()),
                device_token: Secret::new("x"),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.code, ErrorCode::RelayUnreachable);

    sup.shutdown().await;
    relay.shutdown().await.unwrap();
}
