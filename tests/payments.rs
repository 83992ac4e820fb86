//! Cobros on the real app in demo mode (issue 14): María writes, gets a Factura B ("Facturar"
//! from her conversation), "Cobrar" on the invoice makes the MercadoPago link through the queue
//! on the demo's simulator and "Enviar por WhatsApp" puts it in her thread; the WebDriver session
//! then navigates to the link (the simulator's checkout page, plain HTML on loopback), clicks
//! #mp-approve, and navigates back to the app — where the invoice shows "Pagada" and María's
//! thread has the one "pago recibido". Then "Devolver" on Cobros refunds part of the payment.
//! Screenshots go to target/e2e/.

mod support;

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use fantoccini::{Client, Locator};
use serde_json::json;
use support::{click, demo_app, fill, open_row, screenshot, wait_attr, wait_for, wait_for_text};

/// A fake customer of the demo shop (crates/core/src/demo/customers.rs).
const MARIA: (&str, &str) = ("5491134567890", "María González");
/// 2 × $ 1.250,00 + 21 % IVA.
const TOTAL: &str = "3.025,00";

/// A click that tries again while the page is still settling after coming back to the app (a
/// list re-rendered under the pointer makes WebDriver refuse the first click).
async fn click_again(app: &Client, css: &str) -> Result<()> {
    let deadline = Instant::now() + support::STEP_TIMEOUT;
    loop {
        match click(app, css).await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cobrar_an_invoice_approve_on_the_checkout_page_and_see_it_paid() -> Result<()> {
    let (data, _driver, sim, app) = demo_app().await?;
    click(&app, "#nav-conversations").await?;
    wait_for(&app, "#conversations").await?;

    // María writes (her 24 h window opens), and gets a Factura B from her conversation.
    sim.customer_sends(
        MARIA.0,
        json!({"type":"text","text":{"body":"Hola, ¿me pasás la factura y el link para pagar?"}}),
    )
    .await?;
    open_row(&app, MARIA.1).await?;
    click(&app, "#toggle-panel").await?;
    wait_for(&app, "#customer-payments").await?;
    click(&app, "#customer-invoice").await?;
    fill(&app, "#item-0-description", "Yerba mate 1 kg").await?;
    fill(&app, "#item-0-quantity", "2").await?;
    fill(&app, "#item-0-unit_price", "1250,00").await?;
    wait_for_text(&app, "#inv-preview-total", TOTAL).await?;
    click(&app, "#inv-submit").await?;
    wait_attr(&app, "#inv-detail", "data-state", "authorized").await?;
    wait_attr(&app, "#inv-payment-state", "data-state", "unpaid").await?;
    screenshot(&app, "payments-01-invoice-unpaid").await?;

    // "Cobrar": what is left of the invoice, a link on the simulator, with its QR.
    click(&app, "#inv-charge").await?;
    let link = wait_for(&app, "#payments-url").await?;
    let url = link.attr("href").await?.context("the link has an href")?;
    anyhow::ensure!(
        url.contains("/mp/checkout/v1/redirect?pref_id="),
        "the simulator's checkout page: {url}"
    );
    wait_for(&app, "#payments-qr svg").await?;
    wait_for_text(&app, "#payments-dialog h2", TOTAL).await?;
    // "Enviar por WhatsApp": the link goes in María's thread (a text: her window is open).
    click(&app, "#payments-send").await?;
    wait_for_text(&app, "#payments-send", "Enviado").await?;
    screenshot(&app, "payments-02-link").await?;

    // The buyer's side: the checkout page in this same WebDriver session, approve, come back.
    let app_url = app.current_url().await?;
    app.goto(&url).await?;
    click(&app, "#mp-approve").await?;
    wait_for_text(&app, "#mp-result", "aprobado").await?;
    screenshot(&app, "payments-03-checkout-approved").await?;
    // Back to the app (its own scheme; history as a fallback where a driver refuses it).
    if app.goto(app_url.as_str()).await.is_err() {
        app.back().await?;
        app.back().await?;
    }

    screenshot(&app, "payments-04-back-in-the-app").await?;

    // Webhook → demo relay → processor → payment fetched: the invoice is paid. (A page kept in
    // the history may come back with the dialog still open.)
    if app.find(Locator::Css("#payments-close")).await.is_ok() {
        click(&app, "#payments-close").await?;
    }
    click_again(&app, "#nav-invoices").await?;
    if app.find(Locator::Css("#inv-detail")).await.is_err() {
        // A cell: WebKitWebDriver cannot click a table row itself (no box of its own).
        click_again(&app, "#inv-list tbody tr[data-state='authorized'] td").await?;
    }
    wait_attr(&app, "#inv-payment-state", "data-state", "paid").await?;
    wait_for_text(&app, "#inv-payment-state", "Pagada").await?;
    wait_for(&app, "#inv-payment-list li[data-status='approved']").await?;
    screenshot(&app, "payments-05-invoice-paid").await?;

    // …and María got the link and, once, the "pago recibido".
    click(&app, "#nav-conversations").await?;
    open_row(&app, MARIA.1).await?;
    wait_for_text(&app, "#thread", "recibimos tu pago").await?;
    screenshot(&app, "payments-06-thanked").await?;

    // "Devolver" part of it from Cobros: more than was paid is refused in the dialog; $ 1.000,00
    // goes to Mercado Pago through the queue, and the row shows it once the refund is done.
    click(&app, "#nav-payments").await?;
    click_again(&app, "#payments-table tr[data-status='approved'] button").await?;
    fill(&app, "#refund-amount", "5.000,00").await?;
    click(&app, "#refund-confirm").await?;
    let problem = wait_for_text(&app, "#refund-problem", "No se puede devolver más").await?;
    assert!(problem.contains(TOTAL), "{problem}");
    fill(&app, "#refund-amount", "1.000,00").await?;
    click(&app, "#refund-confirm").await?;
    wait_for_text(&app, "#payments-refund-notice", "1.000,00").await?;
    let row = wait_for_text(&app, "#payments-table tr[data-status]", "devuelto").await?;
    assert!(row.contains("1.000,00"), "{row}");
    // Said as a refund, not as a new "pago parcial" of the same payment.
    let alert = wait_for_text(&app, "#payments-alert", "Se devolvieron").await?;
    assert!(!alert.contains("Pago parcial"), "{alert}");
    screenshot(&app, "payments-07-refunded").await?;

    let db = mostrador_core::demo::db_path(data.path());
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let refunds: Vec<(i64, String)> =
        sqlx::query_as("SELECT amount_cents, state FROM payment_refunds")
            .fetch_all(&db)
            .await?;
    assert_eq!(
        refunds,
        vec![(100_000, "done".to_owned())],
        "one refund, of what was typed"
    );
    let thanks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM messages WHERE direction = 'out' AND text LIKE '%recibimos tu pago%'",
    )
    .fetch_one(&db)
    .await?;
    assert_eq!(thanks, 1, "one pago recibido for one payment");
    let links: i64 =
        sqlx::query_scalar("SELECT count(*) FROM messages WHERE direction = 'out' AND text LIKE ?")
            .bind(format!("%{url}%"))
            .fetch_one(&db)
            .await?;
    assert_eq!(links, 1, "the link went in the thread once");
    db.close().await;

    app.close().await?;
    Ok(())
}
