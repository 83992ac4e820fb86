//! Conversaciones and Plantillas on the real app in demo mode (issues 11 and 12): everything
//! runs through the demo's in-app pipeline (Graph simulator → signed webhook → relay → poll →
//! processor → window events; sends through the outbound engine to the simulator), and the test
//! drives the demo's simulator over its HTTP control API. Screenshots go to target/e2e/.

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::{Client, Locator};
use mostrador_sandbox::whatsapp::{
    sign, to_meta_json, ConfigPatch, Fault, FaultKind, TemplateReview,
};
use serde_json::json;
use support::sim::DemoSim;
use support::{
    click, demo_app, enter_demo, fill, invoke, open_row, screenshot, wait_attr, wait_for,
    wait_for_gone, wait_for_row, wait_for_text, Driver,
};

/// Fake customers of the demo shop (crates/core/src/demo/customers.rs).
const MARIA: (&str, &str) = ("5491134567890", "María González");
const JUAN: (&str, &str) = ("5491145678901", "Juan Pérez");
const DIEGO: (&str, &str) = ("5492614567891", "Diego Romero");

/// A 1×1 PNG.
const PNG: [u8; 70] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0,
    0, 0, 31, 21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 248, 207, 80, 15, 0, 3,
    134, 1, 128, 90, 52, 125, 107, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// The demo database, read beside the app (WAL): what the UI claims is also what is stored.
async fn demo_db(data: &std::path::Path) -> Result<sqlx::SqlitePool> {
    let db = mostrador_core::demo::db_path(data);
    Ok(sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?)
}

/// Chooses an option of a `<select>` the way a click on it would: WebKitWebDriver cannot click an
/// `<option>` (no box of its own), so the value is set and React told by a `change` event.
async fn choose(app: &Client, css: &str, value: &str) -> Result<()> {
    let select = wait_for(app, css).await?;
    let chosen = app
        .execute(
            "const [s, v] = arguments;\n\
             if (![...s.options].some(o => o.value === v)) return false;\n\
             s.value = v;\n\
             s.dispatchEvent(new Event('change', { bubbles: true }));\n\
             return true;",
            vec![serde_json::to_value(&select)?, value.into()],
        )
        .await?;
    anyhow::ensure!(chosen == true, "{css} has no option {value}");
    Ok(())
}

async fn count(db: &sqlx::SqlitePool, sql: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(db).await?)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_day_at_the_counter_in_demo_mode() -> Result<()> {
    let (data, _driver, sim, app) = demo_app().await?;
    let db = demo_db(data.path()).await?;
    click(&app, "#nav-conversations").await?;
    wait_for(&app, "#conversations").await?;

    // María writes: her row appears with an unread badge, pushed by events (no reload).
    sim.customer_sends(
        MARIA.0,
        json!({"type":"text","text":{"body":"Hola, ¿tienen pan rallado? https://example.com/pan"}}),
    )
    .await?;
    wait_for_text(&app, ".conv-row .unread-badge", "1").await?;
    screenshot(&app, "inbox-01-unread").await?;

    // Open it: the badge goes, the read receipt goes to WhatsApp, the link shows its host only.
    open_row(&app, MARIA.1).await?;
    wait_for_text(&app, "#thread", "¿tienen pan rallado?").await?;
    wait_for_text(&app, "#thread a", "example.com").await?;
    wait_for_gone(&app, ".conv-row .unread-badge").await?;
    sim.wait_log("mark_read", "María's read receipt", |l| l.len() == 1)
        .await?;

    // Reply with a double click on Enviar: one message; the simulator's statuses move its ticks
    // up to read.
    fill(&app, "#composer-input", "Sí, hasta las 20").await?;
    let send = wait_for(&app, "#composer-send").await?;
    let _ = send.click().await;
    let _ = send.click().await;
    wait_for_text(&app, "#thread .bubble.out", "Sí, hasta las 20").await?;
    wait_attr(&app, "#thread .bubble.out", "data-status", "read").await?;
    screenshot(&app, "inbox-02-reply-read").await?;
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM messages WHERE direction = 'out' AND type = 'text'"
        )
        .await?,
        1,
        "a double click creates one message"
    );
    assert_eq!(sim.sends_of_type("text").await?.len(), 1);

    // React to her message (the tools show on hover): the reaction reaches WhatsApp and shows
    // under the bubble.
    let bubble = wait_for(&app, "#thread .bubble.in").await?;
    app.perform_actions(
        MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: bubble,
            duration: None,
            x: 0.0,
            y: 0.0,
        }),
    )
    .await?;
    app.find(Locator::XPath(
        "//div[contains(@class,'bubble') and contains(@class,' in')]//div[@class='bubble-tools']/button[text()='👍']",
    ))
    .await?
    .click()
    .await?;
    wait_for_text(&app, "#thread .bubble.in .reactions", "👍").await?;
    let reactions = sim
        .wait_log("send_message", "the reaction", |l| {
            l.iter().any(|e| e["request"]["type"] == "reaction")
        })
        .await?;
    assert_eq!(
        reactions
            .iter()
            .filter(|e| e["request"]["type"] == "reaction")
            .count(),
        1
    );
    screenshot(&app, "inbox-03-reaction").await?;

    // Juan writes; search finds his message and opens it in his thread, highlighted.
    sim.customer_sends(
        JUAN.0,
        json!({"type":"text","text":{"body":"¿Les quedan huevos de campo?"}}),
    )
    .await?;
    wait_for_row(&app, JUAN.1).await?;
    click(&app, "#search-open").await?;
    fill(&app, "#search-input", "huevos").await?;
    wait_for_text(&app, ".search-hits li", JUAN.1).await?;
    screenshot(&app, "inbox-04-search").await?;
    click(&app, ".search-hits li").await?;
    wait_for_text(&app, "#thread-name", JUAN.1).await?;
    wait_for_text(&app, "#thread .bubble.highlighted", "huevos de campo").await?;
    screenshot(&app, "inbox-05-search-opened").await?;
    // His read receipt first: the fault below must hit our send, not the receipt.
    sim.wait_log("mark_read", "Juan's read receipt", |l| l.len() == 2)
        .await?;

    // A send WhatsApp refuses: ⚠ with the reason in Spanish; "Reintentar" sends it once.
    sim.inject(
        &Fault::new(FaultKind::GraphError {
            code: 131026,
            subcode: None,
            http_status: Some(400),
            details: None,
            retry_after: None,
        })
        .on_path("/messages"),
    )
    .await?;
    fill(&app, "#composer-input", "Sí, quedan dos docenas").await?;
    click(&app, "#composer-send").await?;
    wait_attr(&app, "#thread .bubble.out", "data-status", "failed").await?;
    let reason = wait_for_text(
        &app,
        "#thread .bubble.out .failed-reason",
        "No se pudo entregar",
    )
    .await?;
    assert!(reason.contains("Reintentar"), "{reason}");
    assert!(app.source().await?.contains('⚠'), "the failed tick is ⚠");
    screenshot(&app, "inbox-06-send-failed").await?;
    assert!(sim
        .sends_of_type("text")
        .await?
        .iter()
        .all(|e| e["request"]["text"]["body"] != "Sí, quedan dos docenas"));
    click(&app, "#thread .bubble.out .failed-reason button").await?;
    wait_attr(&app, "#thread .bubble.out", "data-status", "read").await?;
    screenshot(&app, "inbox-07-retried").await?;
    let retried = |l: &[serde_json::Value]| {
        l.iter()
            .filter(|e| e["request"]["text"]["body"] == "Sí, quedan dos docenas")
            .count()
    };
    assert_eq!(
        retried(&sim.log_of("send_message").await?),
        1,
        "Reintentar sends once"
    );

    // An image, attached through the composer by its path: previewed at once from our own copy
    // in the media store (the upload is held up 3 s: the photo shows before it), then uploaded,
    // sent, read.
    let photo = data.path().join("pan-rallado.png");
    std::fs::write(&photo, PNG)?;
    sim.inject(&Fault::new(FaultKind::Latency { ms: 3000 }).on_path("/media"))
        .await?;
    click(&app, "#composer-attach summary").await?;
    fill(&app, "#composer-attach-path", &photo.display().to_string()).await?;
    click(&app, "#composer-attach-send").await?;
    wait_for(&app, "#thread .bubble.out[data-kind='image']").await?;
    let img = wait_for(&app, "#thread .bubble.out[data-kind='image'] img").await?;
    let src = img.attr("src").await?.unwrap_or_default();
    assert!(
        src.starts_with("asset://") || src.contains("asset.localhost"),
        "our photo is shown from the media store through the asset protocol: {src}"
    );
    // Named by its sha256 in the media store, never by the name it had.
    let (stored, sha): (String, String) = sqlx::query_as(
        "SELECT md.path, md.sha256 FROM messages m JOIN media md ON md.id = m.media_id
         WHERE m.direction = 'out' AND m.type = 'image'",
    )
    .fetch_one(&db)
    .await?;
    assert_eq!(stored, format!("media/{}/{sha}", &sha[..2]));
    assert!(src.contains(&sha) && !src.contains("pan-rallado"), "{src}");
    let status_when_shown = app
        .find(Locator::Css("#thread .bubble.out[data-kind='image']"))
        .await?
        .attr("data-status")
        .await?;
    eprintln!("our photo's preview showed while its status was {status_when_shown:?}");
    screenshot(&app, "inbox-08a-image-before-upload").await?;
    wait_attr(
        &app,
        "#thread .bubble.out[data-kind='image']",
        "data-status",
        "read",
    )
    .await?;
    wait_for(&app, "#thread .bubble.out[data-kind='image'] img").await?;
    screenshot(&app, "inbox-08-image").await?;
    assert_eq!(sim.log_of("upload_media").await?.len(), 1);
    // After the upload the preview is still our stored copy.
    let after = wait_for(&app, "#thread .bubble.out[data-kind='image'] img").await?;
    assert_eq!(after.attr("src").await?.unwrap_or_default(), src);
    assert_eq!(sim.sends_of_type("image").await?.len(), 1);
    // Retried send + image: nothing else went out twice.
    assert_eq!(retried(&sim.log_of("send_message").await?), 1);

    db.close().await;
    app.close().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suggested_template_reaches_a_customer_whose_window_closed() -> Result<()> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    let org = enter_demo(&app).await?;
    let sim = DemoSim::of_demo(data.path()).await?;
    let db = demo_db(data.path()).await?;
    // Meta approves what is submitted; the approval arrives by webhook through the demo's relay.
    sim.configure(&ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 50 }),
        ..Default::default()
    })
    .await?;

    // Plantillas → Crear plantillas sugeridas (the invoice one with its PDF header, uploaded
    // with the demo's Meta app id).
    click(&app, "#nav-templates").await?;
    click(&app, "#templates-suggested").await?;
    wait_for_text(&app, "#templates-notice", "enviadas a revisión").await?;
    assert!(sim.log_of("create_template").await?.len() >= 5);
    // The approvals were emitted (the review takes 50 ms); "Sincronizar" then reads them.
    for name in ["turno_confirmado", "factura_disponible"] {
        sim.wait_webhook(&format!("{name} approved"), |w| {
            let v = &w["body"]["entry"][0]["changes"][0]["value"];
            v["message_template_name"] == name && v["event"] == "APPROVED"
        })
        .await?;
    }
    click(&app, "#templates-sync").await?;
    wait_for_text(&app, "tr[data-template='turno_confirmado']", "Aprobada").await?;
    wait_for_text(&app, "tr[data-template='factura_disponible']", "Aprobada").await?;
    screenshot(&app, "template-01-suggested").await?;

    // Diego last wrote 25 h ago: his window is closed.
    sim.old_message(
        DIEGO.0,
        DIEGO.1,
        "wamid.diego-old",
        "¿Abren el domingo?",
        Duration::from_secs(25 * 3600),
    )
    .await?;
    click(&app, "#nav-conversations").await?;
    open_row(&app, DIEGO.1).await?;
    wait_for_text(
        &app,
        "#window-closed",
        &format!(
            "Pasaron más de 24 h desde el último mensaje de {}: solo podés enviar una plantilla.",
            DIEGO.1
        ),
    )
    .await?;
    assert!(
        app.find(Locator::Css("#composer-input"))
            .await?
            .attr("disabled")
            .await?
            .is_some(),
        "the composer is disabled"
    );
    let conversation: i64 = sqlx::query_scalar(
        "SELECT c.id FROM conversations c JOIN customers u ON u.id = c.customer_id WHERE u.wa_id = ?",
    )
    .bind(DIEGO.0)
    .fetch_one(&db)
    .await?;

    // Pick the template, fill what the context does not know, send: delivered.
    choose(&app, "#template-picker-choose", "turno_confirmado/es_AR").await?;
    let name = wait_for(&app, "#tpl-param-body-1").await?;
    assert_eq!(name.prop("value").await?.as_deref(), Some(DIEGO.1));
    fill(&app, "#tpl-param-body-2", "Almacén Demo").await?;
    fill(&app, "#tpl-param-body-3", "lunes 3 de marzo").await?;
    fill(&app, "#tpl-param-body-4", "10:30").await?;
    wait_for_text(&app, "#template-preview", "lunes 3 de marzo a las 10:30").await?;
    screenshot(&app, "template-02-picked").await?;
    click(&app, "#template-picker-send").await?;
    wait_for(&app, "#thread .bubble.out").await?;
    wait_attr(&app, "#thread .bubble.out", "data-status", "read").await?;
    screenshot(&app, "template-03-delivered").await?;
    let sent = sim.sends_of_type("template").await?;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0]["request"]["template"]["name"], "turno_confirmado");
    assert_eq!(sent[0]["request"]["to"], DIEGO.0);

    // And core itself refuses a free-form text to him (the UI cannot even try).
    let refused = invoke(
        &app,
        "conversation_send",
        json!({
            "orgId": org,
            "request": {
                "conversation_id": conversation,
                "client_key": "forced-send",
                "content": { "type": "text", "body": "¿Venís el lunes?" },
                "reply_to_message_id": null,
            },
        }),
    )
    .await?;
    let err = refused.expect_err("a free-form send with the window closed");
    assert_eq!(err["code"], "WINDOW_CLOSED", "{err}");
    assert!(sim
        .sends_of_type("text")
        .await?
        .iter()
        .all(|e| e["request"]["to"] != DIEGO.0));

    db.close().await;
    app.close().await?;
    Ok(())
}

/// One customer message of a signed batch webhook.
struct Incoming {
    wa_id: &'static str,
    name: &'static str,
    wamid: String,
    body: String,
    /// Unix seconds.
    at: u64,
}

/// Posts `messages` as ONE signed `messages` webhook (as Meta batches them) to the demo's relay.
async fn post_batch(account: &serde_json::Value, messages: &[Incoming]) -> Result<()> {
    let mut contacts: Vec<serde_json::Value> = Vec::new();
    for m in messages {
        if !contacts.iter().any(|c| c["wa_id"] == m.wa_id) {
            contacts.push(json!({ "profile": { "name": m.name }, "wa_id": m.wa_id }));
        }
    }
    let msgs: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| {
            json!({ "from": m.wa_id, "id": m.wamid, "timestamp": m.at.to_string(),
                    "type": "text", "text": { "body": m.body } })
        })
        .collect();
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "5491150000000", "phone_number_id": account["phone_number_id"] },
        "contacts": contacts,
        "messages": msgs,
    });
    let body = to_meta_json(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": account["waba_id"], "changes": [{ "field": "messages", "value": value }] }]
    }));
    let secret = account["app_secret"].as_str().context("no app secret")?;
    let url = account["webhook_url"].as_str().context("no webhook URL")?;
    let r = mostrador_testkit::http()
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(secret, &body))
        .body(body)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("the relay refused the webhook: {}", r.status());
    }
    Ok(())
}

/// Waits (bounded) until the demo database holds `n` messages from `wa_id`.
async fn wait_stored(db: &sqlx::SqlitePool, wa_id: &str, n: i64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id
             JOIN customers c ON c.id = v.customer_id WHERE c.wa_id = ? AND m.direction = 'in'",
        )
        .bind(wa_id)
        .fetch_one(db)
        .await?;
        if got >= n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {got} of {n} messages from {wa_id} were stored");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A number read from an attribute of `#thread`.
async fn thread_attr(app: &Client, attr: &str) -> Result<i64> {
    let el = app.find(Locator::Css("#thread")).await?;
    Ok(el
        .attr(attr)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or_default())
}

/// Waits (bounded) until `#thread`'s `attr` satisfies `ok`.
async fn wait_thread(
    app: &Client,
    attr: &str,
    what: &str,
    ok: impl Fn(i64) -> bool,
) -> Result<i64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = thread_attr(app, attr).await.unwrap_or_default();
        if ok(v) {
            return Ok(v);
        }
        if Instant::now() > deadline {
            screenshot(app, "failed-wait").await?;
            bail!("#thread {attr} = {v}: never {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const LUCIA: (&str, &str) = ("5491166660000", "Lucía Fernández");

#[tokio::test(flavor = "multi_thread")]
async fn a_5000_message_thread_a_far_search_hit_and_a_burst_of_200_stay_responsive() -> Result<()> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    enter_demo(&app).await?;
    wait_for_text(&app, "#statusbar-text", "Conectado").await?;
    let sim = DemoSim::of_demo(data.path()).await?;
    let db = demo_db(data.path()).await?;
    let account = sim.account().await?;

    // Lucía's 5,000 messages over the last days, in batched webhooks of 250 through the real
    // relay and processor. One far back (4,900 older ones above the first page) names a word
    // nothing else has; the newest is 4,096 characters with a 300-letter "word".
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let start = now - 3 * 24 * 3600;
    let long: String = {
        let mut t = format!("Lista completa: {} ", "a".repeat(300));
        while t.chars().count() < 4096 {
            t.push_str("harina leudante, ");
        }
        t.chars().take(4096).collect()
    };
    let all: Vec<Incoming> = (0..5000)
        .map(|i| Incoming {
            wa_id: LUCIA.0,
            name: LUCIA.1,
            wamid: format!("wamid.lucia-{i}"),
            body: match i {
                100 => "Quería encargar alfajores marplatenses para el sábado".to_owned(),
                4999 => long.clone(),
                _ => format!("Mensaje número {i}"),
            },
            at: start + i as u64 * 40,
        })
        .collect();
    for chunk in all.chunks(250) {
        post_batch(&account, chunk).await?;
    }
    wait_stored(&db, LUCIA.0, 5000).await?;

    // Open her thread: the time to the first rendered bubbles is reported.
    click(&app, "#nav-conversations").await?;
    wait_for(&app, "#conversations").await?;
    let started = Instant::now();
    open_row(&app, LUCIA.1).await?;
    wait_for_text(&app, "#thread", "harina leudante").await?;
    let first_render = started.elapsed();
    eprintln!("time to first rendered thread (5,000 messages): {first_render:?}");
    screenshot(&app, "inbox-09-long-message").await?;

    // The 4,096-character message wraps inside its bubble: nothing overflows sideways.
    let overflow = app
        .execute(
            "const t = document.getElementById('thread');\n\
             const r = t.getBoundingClientRect();\n\
             const wide = [...t.querySelectorAll('.bubble')].filter(b => b.getBoundingClientRect().right > r.right + 1 || b.scrollWidth > b.clientWidth + 1).length;\n\
             const page = document.documentElement.scrollWidth - window.innerWidth;\n\
             return [t.scrollWidth - t.clientWidth, wide, Math.max(page, 0)];",
            vec![],
        )
        .await?;
    assert_eq!(
        overflow,
        json!([0, 0, 0]),
        "horizontal overflow (thread px, bubbles, page px)"
    );

    // Scroll up through 500 messages: pages load as the top is reached, and only the bubbles on
    // screen are in the page (virtualized).
    let loaded = wait_thread(&app, "data-messages", "loaded", |n| n > 0).await?;
    let started = Instant::now();
    let mut have = loaded;
    while have < loaded + 500 {
        app.execute(
            "const t = document.getElementById('thread'); t.scrollTop = 0; t.dispatchEvent(new Event('scroll'));",
            vec![],
        )
        .await?;
        let prev = have;
        have = wait_thread(&app, "data-messages", "a page more", move |n| n > prev).await?;
    }
    let scrolled = started.elapsed();
    let in_dom: i64 = app
        .execute(
            "return document.querySelectorAll('#thread .bubble').length;",
            vec![],
        )
        .await?
        .as_i64()
        .unwrap_or_default();
    eprintln!(
        "scrolled up {} messages in {scrolled:?}; {in_dom} bubbles in the page",
        have - loaded
    );
    assert!(have >= loaded + 500);
    assert!(
        in_dom > 0 && in_dom < 100,
        "{in_dom} bubbles rendered of {have}"
    );
    screenshot(&app, "inbox-10-scrolled").await?;

    // Search: a message 4,900 messages back, older than anything loaded: the thread loads around
    // it and shows it highlighted.
    click(&app, "#search-open").await?;
    fill(&app, "#search-input", "marplatenses").await?;
    wait_for_text(&app, ".search-hits li", LUCIA.1).await?;
    click(&app, ".search-hits li").await?;
    wait_for_text(
        &app,
        "#thread .bubble.highlighted",
        "alfajores marplatenses",
    )
    .await?;
    wait_attr(&app, "#thread", "data-detached", "true").await?;
    let target: i64 =
        sqlx::query_scalar("SELECT id FROM messages WHERE provider_id = 'wamid.lucia-100'")
            .fetch_one(&db)
            .await?;
    let first = thread_attr(&app, "data-first").await?;
    assert!(
        first < target,
        "older messages above the hit ({first} < {target})"
    );
    screenshot(&app, "inbox-11-search-far").await?;
    // Back to the newest in one click.
    click(&app, "#thread-latest").await?;
    wait_attr(&app, "#thread", "data-detached", "false").await?;
    wait_for_text(&app, "#thread", "harina leudante").await?;

    // A burst: 200 messages in one webhook, half of them Lucía's (her thread is open), half from
    // ten other customers. All arrive; the thread takes them in batches and the window still
    // answers a click.
    const OTHERS: [(&str, &str); 10] = [
        ("5491170000001", "Cliente Uno"),
        ("5491170000002", "Cliente Dos"),
        ("5491170000003", "Cliente Tres"),
        ("5491170000004", "Cliente Cuatro"),
        ("5491170000005", "Cliente Cinco"),
        ("5491170000006", "Cliente Seis"),
        ("5491170000007", "Cliente Siete"),
        ("5491170000008", "Cliente Ocho"),
        ("5491170000009", "Cliente Nueve"),
        ("5491170000010", "Cliente Diez"),
    ];
    let before = wait_thread(&app, "data-messages", "loaded", |n| n > 0).await?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let burst: Vec<Incoming> = (0..200)
        .map(|i| {
            let (wa_id, name) = if i % 2 == 0 {
                LUCIA
            } else {
                OTHERS[(i / 2) % 10]
            };
            Incoming {
                wa_id,
                name,
                wamid: format!("wamid.burst-{i}"),
                body: format!("Ráfaga {i}"),
                at: now,
            }
        })
        .collect();
    let started = Instant::now();
    post_batch(&account, &burst).await?;
    let clicked = Instant::now();
    click(&app, "#toggle-panel").await?;
    wait_for(&app, ".customer-panel").await?;
    let click_answer = clicked.elapsed();
    wait_thread(&app, "data-messages", "all 100 of hers", |n| {
        n >= before + 100
    })
    .await?;
    let all_in_thread = started.elapsed();
    assert_eq!(thread_attr(&app, "data-messages").await?, before + 100);
    wait_stored(&db, LUCIA.0, 5100).await?;
    let others: i64 =
        sqlx::query_scalar("SELECT count(*) FROM messages WHERE provider_id LIKE 'wamid.burst-%'")
            .fetch_one(&db)
            .await?;
    assert_eq!(others, 200, "every message of the burst is stored once");
    wait_for_row(&app, OTHERS[9].1).await?;
    wait_for_text(&app, "#thread", "Ráfaga 198").await?;
    let clicked = Instant::now();
    click(&app, "#toggle-panel").await?;
    wait_for_gone(&app, ".customer-panel").await?;
    let click_after = clicked.elapsed();
    eprintln!(
        "burst of 200: a click answered in {click_answer:?} during it, {click_after:?} after; \
         all 100 of hers in the open thread {all_in_thread:?} after the POST"
    );
    screenshot(&app, "inbox-12-burst").await?;

    db.close().await;
    app.close().await?;
    // This app has a big database to close: the next test's app must not find it still on the
    // session bus (single instance would hand over to it and never open a window).
    drop(driver);
    support::wait_until_app_gone(Duration::from_secs(30)).await
}
