//! Recordatorios on the real app in demo mode: the owner finds the customer by name (never by an
//! internal id), schedules an "Aviso" (free text) for tomorrow at 10:00, sees it listed under the
//! customer's name, and cancels it. Screenshots go to target/e2e/.

mod support;

use anyhow::Result;
use fantoccini::Client;
use serde_json::json;
use support::{click, demo_app, fill, screenshot, wait_for, wait_for_text};

/// A fake customer of the demo shop (crates/core/src/demo/customers.rs).
const MARIA: (&str, &str) = ("5491134567890", "María González");

/// Sets a `datetime-local` input as typing would (React sees an input event): WebDriver cannot
/// type into WebKit's date fields. Returns the value set: tomorrow at 10:00, local time.
async fn set_tomorrow_at_ten(app: &Client, css: &str) -> Result<String> {
    let v = app
        .execute(
            "const el = document.querySelector(arguments[0]);\n\
             const d = new Date(Date.now() + 86400000);\n\
             const p = (n) => String(n).padStart(2, '0');\n\
             const v = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T10:00`;\n\
             Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, v);\n\
             el.dispatchEvent(new Event('input', { bubbles: true }));\n\
             return v;",
            vec![json!(css)],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn schedule_an_aviso_for_a_customer_found_by_name() -> Result<()> {
    let (data, _driver, sim, app) = demo_app().await?;
    // María writes: a customer with a conversation, as a shop has them.
    sim.customer_sends(
        MARIA.0,
        json!({"type":"text","text":{"body":"¿Me avisás cuando llegue la yerba?"}}),
    )
    .await?;
    click(&app, "#nav-conversations").await?;
    support::wait_for_row(&app, MARIA.1).await?;

    click(&app, "#nav-reminders").await?;
    // Without a customer the form says what is missing, and nothing is scheduled.
    fill(&app, "#reminder-body", "Hola, ya llegó la yerba Playadito.").await?;
    set_tomorrow_at_ten(&app, "#reminder-at").await?;
    click(&app, "#reminder-save").await?;
    wait_for_text(&app, "#reminders [role='alert']", "Elegí el cliente").await?;

    // Found by part of her surname, chosen by name.
    fill(&app, "#reminder-customer", "Gonz").await?;
    let hits = wait_for_text(&app, "#reminder-customer-hits", MARIA.1).await?;
    assert!(!hits.contains("Juan Pérez"), "{hits}");
    click(&app, "#reminder-customer-hits button").await?;
    wait_for_text(&app, "#reminder-customer-picked", MARIA.1).await?;
    fill(&app, "#reminder-subject", "Llegó la yerba").await?;
    let at = set_tomorrow_at_ten(&app, "#reminder-at").await?;
    click(&app, "#reminder-save").await?;
    let row = wait_for_text(&app, "#reminders-list", "Llegó la yerba").await?;
    assert!(row.contains(MARIA.1), "{row}");
    assert!(row.contains("Programado"), "{row}");
    // The form is blank again for the next one.
    wait_for(&app, "#reminder-customer").await?;
    screenshot(&app, "reminders-01-scheduled").await?;

    let db = mostrador_core::demo::db_path(data.path());
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let (name, body, send_at): (String, String, String) = sqlx::query_as(
        "SELECT c.name, s.body, s.send_at FROM scheduled_notices s
         JOIN customers c ON c.id = s.customer_id WHERE s.state = 'scheduled'",
    )
    .fetch_one(&db)
    .await?;
    assert_eq!(name, MARIA.1);
    assert_eq!(body, "Hola, ya llegó la yerba Playadito.");
    // Tomorrow 10:00 on the owner's clock, stored in UTC.
    let expected = app
        .execute(
            "return new Date(arguments[0]).toISOString();",
            vec![json!(at)],
        )
        .await?;
    let expected = expected.as_str().unwrap_or_default();
    assert_eq!(send_at.get(..16), expected.get(..16), "{send_at} for {at}");

    // Cancelled from the list: it stays listed as such, and nothing goes out.
    click(
        &app,
        "#reminders-list tr[id^='reminder-'] button:last-child",
    )
    .await?;
    wait_for_text(&app, "#reminders-list", "Cancelado").await?;
    let state: String = sqlx::query_scalar("SELECT state FROM scheduled_notices")
        .fetch_one(&db)
        .await?;
    assert_eq!(state, "cancelled");
    db.close().await;

    app.close().await?;
    Ok(())
}
