//! Updates, as a shop owner sees them: the start-up check finds a newer release on the update
//! server (a local one, through the MOSTRADOR_UPDATE_ENDPOINT testing override) and says so in a
//! banner; Ajustes → Acerca de checks again on request and offers that version; a download that
//! fails says nothing was installed; channel and start-up check are kept across a restart.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Result;
use axum::routing::get;
use axum::Router;
use fantoccini::Locator;
use support::{click, screenshot, wait_for, wait_for_text, Driver};

const OFFERED: &str = "9.9.9";

/// Serves `latest.json` announcing [`OFFERED`]; counts the requests.
async fn update_server() -> Result<(String, Arc<AtomicUsize>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let entry = serde_json::json!({
        "url": format!("{base}/Mostrador_{OFFERED}_amd64.deb"),
        // Not downloaded here: the check does not verify signatures (the Rust tests do).
        "signature": "dW50cnVzdGVkIGNvbW1lbnQ6IG5vdCB1c2VkCg==",
    });
    let manifest = serde_json::json!({
        "version": OFFERED,
        "notes": "Facturas más rápidas",
        "pub_date": "2026-11-20T12:00:00Z",
        "platforms": {
            "linux-x86_64": entry, "linux-x86_64-deb": entry,
            "linux-aarch64": entry, "linux-aarch64-deb": entry,
        },
    })
    .to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = Router::new().route(
        "/stable/latest.json",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = manifest.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((format!("{base}/stable/latest.json"), hits))
}

#[tokio::test(flavor = "multi_thread")]
async fn about_checks_the_update_server_and_offers_the_newer_version() -> Result<()> {
    let (endpoint, hits) = update_server().await?;
    // The only test in this binary: the app inherits the variable through the drivers.
    std::env::set_var("MOSTRADOR_UPDATE_ENDPOINT", &endpoint);
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;

    // First run: create the business, so the app shows its pages.
    wait_for_text(&app, "h1", "Creá tu negocio").await?;
    wait_for(&app, "#org-name")
        .await?
        .send_keys("Kiosco Actualizado")
        .await?;
    wait_for(&app, "#org-cuit")
        .await?
        .send_keys("20-12345678-6")
        .await?;
    click(&app, "#org-submit").await?;
    wait_for_text(&app, "#current-org h1", "Kiosco Actualizado").await?;

    // The background check at start-up found the newer version: a banner, work goes on.
    wait_for_text(&app, "#update-banner", OFFERED).await?;
    screenshot(&app, "updater-01-banner").await?;

    // Ajustes → Acerca de: version and channel, then "Buscar actualizaciones".
    click(&app, "#update-banner-open").await?;
    wait_for_text(&app, "#about-version", "0.1.0").await?;
    wait_for_text(&app, "#update-override", &endpoint).await?;
    let before = hits.load(Ordering::SeqCst);
    assert!(before >= 1, "the start-up check asked the update server");
    click(&app, "#update-check").await?;
    let status = wait_for_text(&app, "#update-status", "Hay una versión nueva: 9.9.9").await?;
    assert!(status.contains(OFFERED), "{status}");
    wait_for(&app, "#update-download").await?;
    assert!(
        hits.load(Ordering::SeqCst) > before,
        "the button asked again"
    );
    screenshot(&app, "updater-02-about").await?;

    // The package is not on the server: a clear Spanish error, nothing installed.
    click(&app, "#update-download").await?;
    let error = wait_for_text(&app, "#update-error", "no se instaló nada").await?;
    assert!(error.contains("descarga"), "{error}");
    wait_for(&app, "#update-download").await?;

    // Channel and the start-up check are settings that survive a restart.
    app.find(Locator::Css("#update-channel"))
        .await?
        .select_by_value("beta")
        .await?;
    wait_for(&app, "#update-channel option[value=beta]:checked").await?;
    click(&app, "#update-on-startup").await?;
    wait_for(&app, "#update-on-startup:not(:checked)").await?;
    app.close().await?;

    let app = driver.launch().await?;
    wait_for_text(&app, "#current-org h1", "Kiosco Actualizado").await?;
    click(&app, "#nav-settings").await?;
    wait_for(&app, "#update-on-startup:not(:checked)").await?;
    wait_for(&app, "#update-channel option[value=beta]:checked").await?;
    screenshot(&app, "updater-03-settings-kept").await?;
    app.close().await?;
    Ok(())
}
