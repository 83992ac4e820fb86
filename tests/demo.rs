//! Demo mode in the real app: first run → "Probar con datos de ejemplo" → the DEMO band and the
//! status bar "Conectado" → a simulated customer's message arrives in the window without a
//! reload (through the in-process simulator, relay, poller and processor) → "Salir del demo" → a
//! clean first run again.
//! Runs under the keychain session of scripts/test (the demo keeps its secrets there).

mod support;

use anyhow::{Context, Result};
use fantoccini::Locator;
use serde_json::json;
use support::{invoke, screenshot, wait_for, wait_for_gone, wait_for_text, Driver};

#[tokio::test(flavor = "multi_thread")]
async fn try_the_demo_and_leave_it() -> Result<()> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;

    // First run offers both: the form ("Creá tu negocio") and the example shop.
    wait_for_text(&app, "h1", "Creá tu negocio").await?;
    wait_for_text(&app, "#demo-enter", "Probar con datos de ejemplo").await?;
    screenshot(&app, "demo-01-first-run").await?;
    wait_for(&app, "#demo-enter").await?.click().await?;

    // The demo shop, labelled DEMO, in its own database.
    wait_for_text(&app, "#demo-band", "DEMO").await?;
    wait_for_text(&app, "#current-org h1", "Almacén Demo").await?;
    // Its intake runs under the supervisor like any business's: the status bar shows the
    // relay connection, not "sin configurar".
    wait_for_text(&app, "#statusbar-text", "Conectado").await?;
    assert!(
        data.path().join("demo").join("demo.json").is_file(),
        "no demo marker"
    );
    screenshot(&app, "demo-02-demo-mode").await?;

    // The trickle is on by default; turning it off is remembered by the core.
    let trickle = wait_for(&app, "#demo-trickle").await?;
    assert!(trickle.is_selected().await?, "the trickle starts on");
    trickle.click().await?;
    let status = wait_trickle_off(&app).await?;
    assert_eq!(status["active"], true, "{status}");

    // A customer writes: the message shows up in the activity feed, pushed by the core.
    wait_for(&app, "#demo-simulate").await?.click().await?;
    let sent = wait_for(&app, "#demo-sent").await?;
    let text = sent.attr("data-text").await?.unwrap_or_default();
    if text.is_empty() {
        // A voice note has no text: its line says "Audio".
        wait_for_text(&app, "#demo-feed", "Audio").await?;
    } else {
        wait_for_text(&app, "#demo-feed", &text).await?;
    }
    screenshot(&app, "demo-03-message-arrived").await?;

    // Leaving deletes the demo and returns to a clean first run.
    wait_for(&app, "#demo-exit").await?.click().await?;
    wait_for(&app, "#demo-enter").await?;
    wait_for_gone(&app, "#demo-band").await?;
    wait_for_text(&app, "h1", "Creá tu negocio").await?;
    assert!(
        !data.path().join("demo").exists(),
        "the demo directory is left"
    );
    let state = invoke(&app, "startup_state", json!({}))
        .await?
        .map_err(|e| anyhow::anyhow!("startup_state failed: {e}"))?;
    assert_eq!(state["snapshot"]["organizations"], json!([]), "{state}");
    screenshot(&app, "demo-04-first-run-again").await?;
    app.close().await?;

    // And it stays left: the next start is a first run too.
    let app = driver.launch().await?;
    wait_for(&app, "#demo-enter").await?;
    assert!(app.find(Locator::Css("#demo-band")).await.is_err());
    app.close().await?;
    Ok(())
}

async fn wait_trickle_off(app: &fantoccini::Client) -> Result<serde_json::Value> {
    for _ in 0..100 {
        let status = invoke(app, "demo_status", json!({}))
            .await?
            .map_err(|e| anyhow::anyhow!("demo_status failed: {e}"))?;
        if status["trickle"] == false {
            return Ok(status);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(anyhow::anyhow!("the trickle stayed on")).context("turning the trickle off")
}
