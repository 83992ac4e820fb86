//! Conversaciones on the real app, against the WhatsApp simulator and an in-process relay on
//! 127.0.0.1 (the app polls the relay like in production): a customer writes → unread badge →
//! open → reply → the ticks reach "read" by the simulator's statuses; a double click on Enviar
//! creates one message; a customer whose last message is 25 h old gets the composer blocked with
//! the Spanish message, and core refuses a send forced past the UI (`WINDOW_CLOSED`).
//! Screenshots go to target/e2e/.

mod support;

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use fantoccini::{Client, Locator};
use mostrador_core::channels::whatsapp::{WhatsAppSettings, ACCESS_TOKEN};
use mostrador_core::inbox::{RELAY_DEVICE_TOKEN, RELAY_URL};
use mostrador_core::intake::APP_SECRET;
use mostrador_core::org::{self, NewOrganization};
use mostrador_core::secrets::SecretStore;
use mostrador_core::settings;
use mostrador_core::store::{Store, DB_FILE_NAME};
use mostrador_sandbox::whatsapp::NewCustomer;
use mostrador_sandbox::Sandbox;
use mostrador_testkit as kit;
use mostrador_types::{IvaCondition, Secret};
use serde_json::json;
use support::{screenshot, wait_for, wait_for_text, Driver, STEP_TIMEOUT};

const JUANA: &str = "5491155550001";
const PEDRO: &str = "5491155550002";

async fn count(store: &Store, sql: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(store.reader()).await?)
}

/// Waits (bounded) until `css` exists with attribute `attr` = `value`.
async fn wait_attr(app: &Client, css: &str, attr: &str, value: &str) -> Result<()> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Ok(e) = app.find(Locator::Css(css)).await {
            if e.attr(attr).await?.as_deref() == Some(value) {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("{css} never had {attr}={value}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_writes_the_owner_replies_and_the_ticks_reach_read() -> Result<()> {
    let data = tempfile::tempdir()?;
    // The relay the app polls, and the simulator posting its webhooks to it.
    let backend = kit::Backend::sqlite();
    let tenant = kit::create_tenant(backend.url(), "kiosco").await;
    let relay = kit::start(&kit::test_config(backend.url())).await;
    let sandbox = Sandbox::start("127.0.0.1:0".parse()?).await?;
    sandbox
        .whatsapp
        .set_webhook_url(Some(tenant.local(relay.addr, "whatsapp")));
    let mut juana = NewCustomer::new(JUANA);
    juana.name = Some("Juana".into());
    sandbox.whatsapp.add_customer(juana);
    let mut pedro = NewCustomer::new(PEDRO);
    pedro.name = Some("Pedro".into());
    sandbox.whatsapp.add_customer(pedro);

    // The app's database and keychain, as "Conectar WhatsApp" leaves them.
    let store = Store::open(&data.path().join(DB_FILE_NAME)).await?;
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco Don Pepe".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await?
    .id;
    let account = sandbox.whatsapp.account();
    WhatsAppSettings {
        phone_number_id: account.phone_number_id.clone(),
        waba_id: account.waba_id.clone(),
        base_url: Some(sandbox.graph_url()),
        graph_version: None,
    }
    .save(&store, org)
    .await?;
    settings::set(
        &store,
        Some(org),
        RELAY_URL,
        &format!("http://{}", relay.addr),
    )
    .await?;
    let secrets = SecretStore::default();
    secrets
        .set(
            org,
            ACCESS_TOKEN,
            &Secret::new(account.access_token.clone()),
        )
        .await?;
    secrets
        .set(org, APP_SECRET, &Secret::new(account.app_secret.clone()))
        .await?;
    secrets
        .set(
            org,
            RELAY_DEVICE_TOKEN,
            &Secret::new(tenant.device_token.clone()),
        )
        .await?;

    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    wait_for(&app, "#conversations").await?;

    // Juana writes: her row appears with an unread badge, without reloading.
    sandbox
        .whatsapp
        .customer_sends(
            JUANA,
            json!({"type":"text","text":{"body":"Hola, ¿tienen pan? https://example.com/pan"}}),
        )
        .map_err(anyhow::Error::msg)?;
    wait_for_text(&app, ".conv-row .unread-badge", "1").await?;
    screenshot(&app, "conversations-unread").await?;

    // Open it: the badge goes, the link shows its host only.
    app.find(Locator::Css(".conv-row")).await?.click().await?;
    wait_for_text(&app, "#thread", "Hola, ¿tienen pan?").await?;
    wait_for_text(&app, "#thread a", "example.com").await?;

    // Reply with a double click on Enviar: one message, its ticks move up to read.
    let input = wait_for(&app, "#composer-input").await?;
    input.send_keys("Sí, hasta las 20").await?;
    let send = app.find(Locator::Css("#composer-send")).await?;
    let _ = send.click().await;
    let _ = send.click().await;
    wait_for_text(&app, "#thread .bubble.out", "Sí, hasta las 20").await?;
    wait_attr(&app, "#thread .bubble.out", "data-status", "read").await?;
    screenshot(&app, "conversations-read").await?;
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM messages WHERE direction = 'out' AND type = 'text'"
        )
        .await?,
        1,
        "a double click creates one message"
    );
    assert_eq!(sandbox.whatsapp.log_of("send_message").len(), 1);

    // The simulator's clock for Pedro moves 25 h on: his last message (a signed webhook dated
    // then, as the simulator would have sent it) is older than the window.
    let age = Duration::from_secs(25 * 3600);
    assert!(sandbox.whatsapp.set_last_inbound_age(PEDRO, age));
    let at = (std::time::SystemTime::now() - age)
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let webhook = json!({
        "phone_number_id": account.phone_number_id,
        "waba_id": account.waba_id,
        "app_secret": account.app_secret,
        "webhook_url": tenant.local(relay.addr, "whatsapp"),
    });
    support::sim::post_dated(
        &webhook,
        &support::sim::OldMessage {
            wa_id: PEDRO,
            name: "Pedro",
            wamid: "wamid.pedro-old",
            body: "¿Abren el domingo?",
            at,
        },
    )
    .await?;
    // His row, found by the DOM: the list's WebDriver text never holds names (see `wait_for_row`).
    support::open_row(&app, "Pedro").await?;
    wait_for_text(
        &app,
        "#window-closed",
        "Pasaron más de 24 h desde el último mensaje de Pedro: solo podés enviar una plantilla.",
    )
    .await?;
    let disabled = app
        .find(Locator::Css("#composer-input"))
        .await?
        .attr("disabled")
        .await?;
    assert!(disabled.is_some(), "the composer is disabled");
    screenshot(&app, "conversations-window-closed").await?;

    // Core refuses a send forced past the UI, in Spanish, and writes nothing.
    let conversation: i64 = sqlx::query_scalar(
        "SELECT c.id FROM conversations c JOIN customers u ON u.id = c.customer_id WHERE u.wa_id = ?",
    )
    .bind(PEDRO)
    .fetch_one(store.reader())
    .await?;
    let before = count(&store, "SELECT count(*) FROM messages").await?;
    let refused = support::invoke(
        &app,
        "conversation_send",
        json!({
            "orgId": org.to_string(),
            "request": {
                "conversation_id": conversation,
                "client_key": "forced-send",
                "content": { "type": "text", "body": "Sí, de 9 a 13" },
                "reply_to_message_id": null,
            },
        }),
    )
    .await?;
    let err = refused.expect_err("a free-form send with the window closed");
    assert_eq!(err["code"], "WINDOW_CLOSED", "{err}");
    assert!(
        err["message"].as_str().unwrap_or_default().contains("24 h"),
        "{err}"
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM messages").await?,
        before
    );
    assert_eq!(sandbox.whatsapp.log_of("send_message").len(), 1);
    app.close().await?;
    let _ = secrets.delete(org, ACCESS_TOKEN).await;
    let _ = secrets.delete(org, APP_SECRET).await;
    let _ = secrets.delete(org, RELAY_DEVICE_TOKEN).await;
    Ok(())
}
