//! Connecting from the UI alone, on the real app: Ajustes → WhatsApp against the Graph simulator
//! on 127.0.0.1 (a wrong token shows Meta's error in Spanish, the right one shows the number;
//! subscribe; save; the configured view says "termina en"), then Ajustes → Relay with the block a
//! real relay's `tenant create` printed (Meta's callback URL and verify token shown), and the
//! status bar says "Conectado". Screenshots in target/e2e/.

mod support;

use anyhow::Result;
use fantoccini::{Client, Locator};
use mostrador_core::org::{self, NewOrganization};
use mostrador_core::store::{Store, DB_FILE_NAME};
use mostrador_sandbox::Sandbox;
use mostrador_testkit as relaykit;
use mostrador_types::IvaCondition;
use support::{click, screenshot, wait_for, wait_for_text, Driver};

/// Replaces the value of a form field (React sees the keystrokes).
async fn fill(app: &Client, css: &str, value: &str) -> Result<()> {
    let el = wait_for(app, css).await?;
    el.clear().await?;
    el.send_keys(value).await?;
    Ok(())
}

/// What `mostrador-relay tenant create` prints, with the URLs of the relay on loopback.
fn printed(t: &relaykit::TenantTokens, addr: std::net::SocketAddr) -> String {
    let mut s = String::from("Tenant \"kiosco\" created.\n\nProvider webhook URLs:\n");
    for p in t.ingress_urls.keys() {
        s.push_str(&format!("  {p:<12} {}\n", t.local(addr, p)));
    }
    s.push_str(&format!(
        "\nMeta verify token (WhatsApp webhook setup): {}\nDevice token (Mostrador > Ajustes > Relay):  {}\n",
        t.verify_token, t.device_token
    ));
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_whatsapp_and_the_relay_from_ajustes() -> Result<()> {
    let data = tempfile::tempdir()?;
    let sandbox = Sandbox::start("127.0.0.1:0".parse()?).await?;
    let account = sandbox.whatsapp.account();
    let backend = relaykit::Backend::sqlite();
    let tenant = relaykit::create_tenant(backend.url(), "kiosco").await;
    let relay = relaykit::start(&relaykit::test_config(backend.url())).await;

    let store = Store::open(&data.path().join(DB_FILE_NAME)).await?;
    org::create(
        &store,
        NewOrganization {
            name: "Kiosco Don Pepe".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await?;
    store.close().await;

    // The app (started by tauri-driver, which passes its environment on) talks to the simulator
    // instead of Meta. This test binary runs one test, so nothing else reads the variable.
    std::env::set_var("MOSTRADOR_WHATSAPP_GRAPH_URL", sandbox.graph_url());
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    wait_for_text(&app, "#statusbar-text", "sin configurar").await?;
    wait_for(&app, "#nav-settings").await?.click().await?;

    // A wrong token: Meta's 190, explained in Spanish; nothing can be saved.
    fill(&app, "#wa-phone_number_id", &account.phone_number_id).await?;
    fill(&app, "#wa-waba_id", &account.waba_id).await?;
    fill(&app, "#wa-access_token", "EAAGtokenequivocado0000").await?;
    fill(&app, "#wa-app_secret", &account.app_secret).await?;
    // The Meta app id (templates with a media header upload through it): optional, saved along.
    fill(&app, "#wa-app_id", &account.app_id).await?;
    click(&app, "#wa-test").await?;
    let error = wait_for_text(&app, "#wa-error", "token de acceso").await?;
    assert!(error.contains("190"), "{error}");
    assert!(
        !app.find(Locator::Css("#wa-save"))
            .await?
            .is_enabled()
            .await?
    );
    screenshot(&app, "connect-01-wrong-token").await?;

    // The right token: the number, its verified name and quality; not subscribed yet.
    fill(&app, "#wa-access_token", &account.access_token).await?;
    click(&app, "#wa-test").await?;
    wait_for_text(&app, "#wa-number", &account.display_phone_number).await?;
    wait_for_text(&app, "#wa-verified-name", &account.verified_name).await?;
    wait_for_text(&app, "#wa-quality", "Alta").await?;
    wait_for_text(&app, "#wa-subscription", "no está suscripta").await?;
    click(&app, "#wa-subscribe").await?;
    wait_for_text(&app, "#wa-subscription", "los mensajes llegan").await?;
    assert_eq!(sandbox.whatsapp.log_of("subscribe_app").len(), 1);
    screenshot(&app, "connect-02-tested").await?;

    // Save: the configured view shows the end of the token, never the token.
    click(&app, "#wa-save").await?;
    let last4: String = account.access_token[account.access_token.len() - 4..].to_owned();
    let hint = wait_for_text(&app, "#wa-token-hint", "termina en").await?;
    assert!(hint.contains(&last4), "{hint}");
    let page = app.source().await?;
    assert!(
        !page.contains(&account.access_token) && !page.contains(&account.app_secret),
        "a secret reached the page"
    );
    wait_for_text(&app, "#wa-configured-number", &account.display_phone_number).await?;
    wait_for_text(&app, "#wa-app-id", &account.app_id).await?;
    screenshot(&app, "connect-03-whatsapp-configured").await?;

    // The app id is edited alone (digits only), stored as the setting template uploads read.
    click(&app, "#wa-app-id-edit").await?;
    fill(&app, "#wa-app-id-input", "12a").await?;
    click(&app, "#wa-app-id-save").await?;
    wait_for_text(&app, "#wa-app-id-form", "Son solo números").await?;
    fill(&app, "#wa-app-id-input", "987654321").await?;
    click(&app, "#wa-app-id-save").await?;
    wait_for_text(&app, "#wa-app-id", "987654321").await?;
    let store = Store::open(&data.path().join(DB_FILE_NAME)).await?;
    let org_id = org::list(&store).await?[0].id;
    assert_eq!(
        mostrador_core::settings::get(&store, Some(org_id), mostrador_core::templates::APP_ID)
            .await?
            .as_deref(),
        Some("987654321")
    );
    store.close().await;

    // Ajustes → Relay: paste the block, test (Meta's values shown), save.
    // WebKitWebDriver drops a typed "\n" (a paste keeps it): new lines go in as the Enter key,
    // so the field holds the block exactly as printed.
    let block = printed(&tenant, relay.addr);
    fill(&app, "#relay-pasted", &block.replace('\n', "\u{E007}")).await?;
    let typed = wait_for(&app, "#relay-pasted").await?.prop("value").await?;
    assert_eq!(typed.as_deref(), Some(block.as_str()), "the block as typed");
    click(&app, "#relay-test").await?;
    wait_for_text(
        &app,
        "#relay-callback-url",
        &tenant.local(relay.addr, "whatsapp"),
    )
    .await?;
    wait_for_text(&app, "#relay-verify-token", &tenant.verify_token).await?;
    click(&app, "#relay-save").await?;
    wait_for_text(
        &app,
        "#relay-configured-url",
        &format!("http://{}", relay.addr),
    )
    .await?;
    wait_for(&app, "#relay-configured ~ #relay-meta #relay-callback-url").await?;
    // The intake restarted with the relay: the status bar says so.
    wait_for_text(&app, "#statusbar-text", "Conectado").await?;
    screenshot(&app, "connect-04-relay-connected").await?;

    app.close().await?;
    relay.shutdown().await?;
    Ok(())
}
