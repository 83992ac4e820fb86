//! The real app, as a shop owner uses it: first run, an invalid CUIT, the fix, a restart.

mod support;

use anyhow::Result;
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;
use support::{invoke, screenshot, wait_for, wait_for_gone as wait_gone, wait_for_text, Driver};

const NAME: &str = "Almacén La Esquina";
const SECOND: &str = "Almacén La Esquina — Sucursal Centro";

/// The value (org id) of the switcher's first option: the first business created.
async fn first_id(app: &fantoccini::Client) -> Result<String> {
    let option = app.find(Locator::Css("#org-switcher option")).await?;
    Ok(option.attr("value").await?.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn create_business_with_cuit_check_and_persist_across_restart() -> Result<()> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;

    // First run: the "Creá tu negocio" form.
    let app = driver.launch().await?;
    wait_for_text(&app, "h1", "Creá tu negocio").await?;
    wait_for(&app, "#org-name").await?.send_keys(NAME).await?;

    // An invalid CUIT: leaving the field shows an inline error naming the check digit.
    let cuit = wait_for(&app, "#org-cuit").await?;
    cuit.send_keys("20-12345678-9").await?;
    app.find(Locator::Css("#org-name")).await?.click().await?;
    let error = wait_for_text(&app, "#org-cuit-error", "dígito verificador").await?;
    assert!(error.contains("debería ser 6"), "error text: {error}");
    screenshot(&app, "01-invalid-cuit").await?;

    // Submitting anyway is refused by the core. Editing the field clears the inline error and
    // Enter submits without leaving the field (no blur, so no second check from the form):
    // the error can only come back from `create_organization` itself.
    let cuit = app.find(Locator::Css("#org-cuit")).await?;
    cuit.send_keys("0").await?;
    cuit.send_keys(&Key::Backspace.to_string()).await?;
    wait_gone(&app, "#org-cuit-error").await?;
    cuit.send_keys(&Key::Enter.to_string()).await?;
    wait_for_text(&app, "#org-cuit-error", "debería ser 6").await?;
    assert!(app.find(Locator::Css("#current-org")).await.is_err());

    // The core refuses it on its own too, with the field and the expected digit, when called
    // directly rather than through the form; nothing is created either way.
    let refused = invoke(
        &app,
        "create_organization",
        json!({ "input": { "name": NAME, "cuit": "20-12345678-9", "iva_condition": "monotributo" } }),
    )
    .await?
    .expect_err("the core accepted an invalid CUIT");
    assert_eq!(refused["code"], "INVALID_CUIT", "{refused}");
    assert_eq!(refused["details"]["expected_check_digit"], 6, "{refused}");
    let state = invoke(&app, "startup_state", json!({}))
        .await?
        .map_err(|e| anyhow::anyhow!("startup_state failed: {e}"))?;
    assert_eq!(
        state["snapshot"]["organizations"],
        json!([]),
        "an invalid CUIT created a business: {state}"
    );

    // Fix the last digit and create the business.
    let cuit = app.find(Locator::Css("#org-cuit")).await?;
    cuit.send_keys(&Key::Backspace.to_string()).await?;
    cuit.send_keys("6").await?;
    app.find(Locator::Css("#org-submit")).await?.click().await?;
    wait_for_text(&app, "#current-org h1", NAME).await?;
    wait_for_text(&app, "#current-org", "20-12345678-6").await?;
    screenshot(&app, "02-business-created").await?;
    app.close().await?;

    // Restart: the business is still there and the setup form is not shown again.
    let app = driver.launch().await?;
    wait_for_text(&app, "#current-org h1", NAME).await?;
    assert!(app.find(Locator::Css("#org-name")).await.is_err());
    let switcher = wait_for_text(&app, "#org-switcher", NAME).await?;
    assert!(switcher.contains(NAME));
    // Settings show the stored profile.
    app.find(Locator::Css("#nav-settings"))
        .await?
        .click()
        .await?;
    let business = wait_for_text(&app, "#settings-business", "Monotributo").await?;
    assert!(business.contains("20-12345678-6"), "{business}");
    screenshot(&app, "03-after-restart").await?;

    // A second business from the switcher; both are listed and the user can switch back.
    app.find(Locator::Css("#org-switcher option[value='__add__']"))
        .await?
        .click()
        .await?;
    wait_for_text(&app, "h1", "Agregá otro negocio").await?;
    wait_for(&app, "#org-name").await?.send_keys(SECOND).await?;
    wait_for(&app, "#org-cuit")
        .await?
        .send_keys("30-71234567-1")
        .await?;
    app.find(Locator::Css("#org-submit")).await?.click().await?;
    wait_for_text(&app, "#current-org h1", SECOND).await?;
    let listed = wait_for_text(&app, "#org-switcher", SECOND).await?;
    assert!(listed.contains(NAME), "switcher lists both: {listed}");
    app.find(Locator::Css(&format!(
        "#org-switcher option[value='{}']",
        first_id(&app).await?
    )))
    .await?
    .click()
    .await?;
    wait_for_text(&app, "#current-org h1", NAME).await?;

    // Launching Mostrador again tells the open window, in Spanish, instead of opening a second one.
    let status = std::process::Command::new(support::app_binary()?)
        .env("MOSTRADOR_DATA_DIR", data.path())
        .status()?;
    assert!(status.success());
    wait_for_text(&app, "#second-instance-banner", "Mostrador ya está abierto").await?;
    screenshot(&app, "04-second-instance").await?;
    app.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_database_is_explained_and_left_untouched() -> Result<()> {
    let data = tempfile::tempdir()?;
    let db = data.path().join("mostrador.sqlite3");
    let garbage: Vec<u8> = (0..16_384u32).map(|i| (i * 7 % 253) as u8).collect();
    std::fs::write(&db, &garbage)?;

    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    let message = wait_for_text(&app, "#fatal-message", "dañada").await?;
    assert!(message.contains("No la modificamos"), "{message}");
    wait_for_text(&app, "#fatal", data.path().to_str().unwrap()).await?;
    screenshot(&app, "05-damaged-database").await?;
    app.close().await?;
    assert_eq!(
        std::fs::read(&db)?,
        garbage,
        "the damaged file must not be modified"
    );
    Ok(())
}
