//! Facturas on the real app in demo mode (issue 13): "Nueva factura" issues a Factura B to a
//! consumidor final through the demo's AFIP simulator (its own test CA), the list and the detail
//! show it authorized with its CAE, and the PDF is opened and saved with the CAE and the total
//! in its text. Then the counter's whole path: a logo in Ajustes → AFIP, "Facturar" from a
//! customer's conversation, the invoice authorized with the logo on its PDF, and "Enviar por
//! WhatsApp" putting the `factura_disponible` template with the PDF in her thread.
//! Screenshots go to target/e2e/.
//!
//! "Guardar PDF" opens the system's save dialog, which WebDriver cannot drive: the tests call
//! the command the button calls after the dialog (`invoices_save_pdf` with the chosen path).

mod support;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mostrador_sandbox::whatsapp::{ConfigPatch, TemplateReview};
use serde_json::json;
use support::sim::DemoSim;
use support::{
    click, enter_demo, fill, invoke, open_row, screenshot, wait_attr, wait_for, wait_for_text,
    workspace_root, Driver,
};

/// 2 × $ 1.250,00 + 21 % IVA: what the preview, the list and the PDF must say.
const TOTAL: &str = "3.025,00";

/// The path a notice such as "PDF listo: /…/x.pdf" names, checked to exist.
fn path_in(notice: &str, prefix: &str) -> Result<PathBuf> {
    let path = notice
        .split_once(prefix)
        .with_context(|| format!("{notice:?} does not start with {prefix:?}"))?
        .1
        .trim();
    let path = PathBuf::from(path);
    anyhow::ensure!(path.is_file(), "{} does not exist", path.display());
    Ok(path)
}

fn pdf_text(pdf: &Path) -> Result<String> {
    let out = std::process::Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .context("pdftotext (poppler-utils) is installed")?;
    anyhow::ensure!(
        out.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_factura_b_for_a_consumidor_final_in_demo_mode() -> Result<()> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    let org = enter_demo(&app).await?;

    // Facturas → Nueva: consumidor final is the default receiver.
    click(&app, "#nav-invoices").await?;
    wait_for(&app, "#invoices").await?;
    click(&app, "#inv-new").await?;
    let kind = wait_for(&app, "#receiver-kind").await?;
    assert_eq!(
        kind.prop("value").await?.as_deref(),
        Some("consumidor_final")
    );
    fill(&app, "#item-0-description", "Yerba mate 1 kg").await?;
    fill(&app, "#item-0-quantity", "2").await?;
    fill(&app, "#item-0-unit_price", "1250,00").await?;
    // The core's preview: a responsable inscripto gives a consumidor final a Factura B.
    wait_for_text(&app, "#inv-preview", "Factura B").await?;
    wait_for_text(&app, "#inv-preview-total", TOTAL).await?;
    screenshot(&app, "invoices-01-new").await?;

    // Emitir: the detail opens and turns authorized by the invoice events (no polling here).
    click(&app, "#inv-submit").await?;
    wait_attr(&app, "#inv-detail", "data-state", "authorized").await?;
    let cae = wait_for(&app, "#inv-detail-cae").await?.text().await?;
    assert!(
        cae.len() == 14 && cae.chars().all(|c| c.is_ascii_digit()),
        "a CAE has 14 digits: {cae:?}"
    );
    wait_for_text(&app, "#inv-detail-state", "Autorizada").await?;
    // The list shows the same invoice authorized, with its CAE and total.
    let row = "#inv-list tbody tr[data-state='authorized']";
    wait_for_text(&app, &format!("{row} .inv-cae"), &cae).await?;
    let row_text = wait_for_text(&app, row, TOTAL).await?;
    assert!(row_text.contains("Factura B"), "{row_text}");
    screenshot(&app, "invoices-02-authorized").await?;

    // What the UI shows is what is stored.
    let db = mostrador_core::demo::db_path(data.path());
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let (stored_cae, voucher_type): (Option<String>, i64) =
        sqlx::query_as("SELECT cae, voucher_type FROM invoices")
            .fetch_one(&db)
            .await?;
    assert_eq!(stored_cae.as_deref(), Some(cae.as_str()));
    assert_eq!(voucher_type, 6, "Factura B");
    db.close().await;

    // Ver PDF: rendered into the store.
    click(&app, "#inv-pdf").await?;
    let notice = wait_for_text(&app, "#inv-detail-notice", "PDF listo: ").await?;
    let rendered = path_in(&notice, "PDF listo: ")?;
    let text = pdf_text(&rendered)?;
    assert!(text.contains(&cae), "the PDF shows the CAE {cae}:\n{text}");

    // Guardar PDF (what the button does once the save dialog answered): a copy at the chosen
    // path, `.pdf` added when the name was typed without it, with the CAE and the total.
    let id: i64 = {
        let db = mostrador_core::demo::db_path(data.path());
        let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
        let id = sqlx::query_scalar("SELECT id FROM invoices")
            .fetch_one(&db)
            .await?;
        db.close().await;
        id
    };
    let chosen = data.path().join("copia de la factura");
    let saved = invoke(
        &app,
        "invoices_save_pdf",
        json!({ "orgId": org, "invoiceId": id, "layout": "ticket", "path": chosen }),
    )
    .await?
    .map_err(|e| anyhow::anyhow!("invoices_save_pdf failed: {e}"))?;
    let saved = PathBuf::from(saved["path"].as_str().context("a path")?);
    assert_eq!(saved, data.path().join("copia de la factura.pdf"));
    assert_ne!(saved, rendered, "a copy, not the stored file");
    let text = pdf_text(&saved)?;
    screenshot(&app, "invoices-03-pdf-saved").await?;
    assert!(
        text.contains(&cae),
        "the saved PDF shows the CAE {cae}:\n{text}"
    );
    assert!(
        text.contains(TOTAL),
        "the saved PDF shows the total {TOTAL}:\n{text}"
    );

    app.close().await?;
    Ok(())
}

/// Fake customer of the demo shop (crates/core/src/demo/customers.rs).
const MARIA: (&str, &str) = ("5491134567890", "María González");

/// `pdfimages -list` rows (after its two header lines).
fn pdf_images(pdf: &Path) -> Result<Vec<String>> {
    let out = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(pdf)
        .output()
        .context("pdfimages (poppler-utils) is installed")?;
    anyhow::ensure!(
        out.status.success(),
        "pdfimages failed on {}",
        pdf.display()
    );
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .map(str::to_owned)
        .collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn facturar_from_a_conversation_and_send_it_by_whatsapp() -> Result<()> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    enter_demo(&app).await?;
    let sim = DemoSim::of_demo(data.path()).await?;

    // Ajustes → AFIP → logo: a text file is refused with the reason, the JPEG is taken.
    click(&app, "#nav-settings").await?;
    wait_for(&app, "#issuer-logo").await?;
    let not_an_image = workspace_root().join("Cargo.toml");
    fill(
        &app,
        "#issuer-logo-path",
        &not_an_image.display().to_string(),
    )
    .await?;
    click(&app, "#issuer-logo-use").await?;
    wait_for_text(&app, "#issuer-logo-error", "no es una imagen PNG ni JPEG").await?;
    let logo = workspace_root().join("crates/documents/tests/fixtures/logo.jpg");
    fill(&app, "#issuer-logo-path", &logo.display().to_string()).await?;
    click(&app, "#issuer-logo-use").await?;
    wait_for_text(&app, "#issuer-logo-current", "JPEG · 120 × 40 px").await?;
    screenshot(&app, "invoices-10-logo").await?;

    // The invoice template, approved (the review arrives by webhook; "Sincronizar" reads it).
    sim.configure(&ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 50 }),
        ..Default::default()
    })
    .await?;
    click(&app, "#nav-templates").await?;
    click(&app, "#templates-suggested").await?;
    wait_for_text(&app, "#templates-notice", "enviadas a revisión").await?;
    sim.wait_webhook("factura_disponible approved", |w| {
        let v = &w["body"]["entry"][0]["changes"][0]["value"];
        v["message_template_name"] == "factura_disponible" && v["event"] == "APPROVED"
    })
    .await?;
    click(&app, "#templates-sync").await?;
    wait_for_text(&app, "tr[data-template='factura_disponible']", "Aprobada").await?;

    // María writes; from her conversation, "Facturar" opens Facturas → Nueva with her name.
    sim.customer_sends(
        MARIA.0,
        json!({"type":"text","text":{"body":"¿Me mandás la factura de la yerba?"}}),
    )
    .await?;
    click(&app, "#nav-conversations").await?;
    open_row(&app, MARIA.1).await?;
    click(&app, "#toggle-panel").await?;
    click(&app, "#customer-invoice").await?;
    let name = wait_for(&app, "#receiver-name").await?;
    assert_eq!(name.prop("value").await?.as_deref(), Some(MARIA.1));
    let kind = wait_for(&app, "#receiver-kind").await?;
    assert_eq!(
        kind.prop("value").await?.as_deref(),
        Some("consumidor_final"),
        "below the identification threshold: consumidor final"
    );
    fill(&app, "#item-0-description", "Yerba mate 1 kg").await?;
    fill(&app, "#item-0-quantity", "2").await?;
    fill(&app, "#item-0-unit_price", "1250,00").await?;
    wait_for_text(&app, "#inv-preview", "Factura B").await?;
    wait_for_text(&app, "#inv-preview-total", TOTAL).await?;
    screenshot(&app, "invoices-11-from-conversation").await?;
    click(&app, "#inv-submit").await?;
    wait_attr(&app, "#inv-detail", "data-state", "authorized").await?;
    let cae = wait_for(&app, "#inv-detail-cae").await?.text().await?;
    assert_eq!(cae.len(), 14, "{cae:?}");

    // The invoice is hers, as stored.
    let db = mostrador_core::demo::db_path(data.path());
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let (customer, receiver): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT customer_id, receiver_name FROM invoices")
            .fetch_one(&db)
            .await?;
    let maria: i64 = sqlx::query_scalar("SELECT id FROM customers WHERE wa_id = ?")
        .bind(MARIA.0)
        .fetch_one(&db)
        .await?;
    assert_eq!(customer, Some(maria.to_string()));
    assert_eq!(receiver.as_deref(), Some(MARIA.1));

    // Ver PDF: the app names the file; it carries the CAE and the logo.
    click(&app, "#inv-pdf").await?;
    let notice = wait_for_text(&app, "#inv-detail-notice", "PDF listo: ").await?;
    let pdf = path_in(&notice, "PDF listo: ")?;
    let text = pdf_text(&pdf)?;
    assert!(text.contains(&cae), "the PDF shows the CAE {cae}:\n{text}");
    assert!(text.contains(MARIA.1), "the PDF names her:\n{text}");
    let images = pdf_images(&pdf)?;
    assert!(
        images.len() == 1 && images[0].contains("jpeg"),
        "the logo is on the PDF: {images:?}"
    );

    // Enviar por WhatsApp: the template with the PDF as its document header, to her.
    click(&app, "#inv-send-whatsapp").await?;
    wait_for_text(&app, "#inv-detail-notice", "Se está enviando la factura").await?;
    screenshot(&app, "invoices-12-sent").await?;
    let sent = sim
        .wait_log("send_message", "the invoice template", |l| {
            l.iter().any(|e| e["request"]["type"] == "template")
        })
        .await?;
    let sent: Vec<_> = sent
        .into_iter()
        .filter(|e| e["request"]["type"] == "template")
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let request = &sent[0]["request"];
    assert_eq!(request["to"], MARIA.0);
    assert_eq!(request["template"]["name"], "factura_disponible");
    let header = request["template"]["components"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "header"))
        .context("a header component")?;
    let document = &header["parameters"][0]["document"];
    assert!(document["id"].is_string(), "the uploaded PDF: {header}");
    let filename = document["filename"].as_str().context("a file name")?;
    assert!(
        filename.starts_with("Factura-B-") && filename.ends_with(".pdf"),
        "{filename}"
    );

    // Her thread shows it: the template's text and the PDF it carried.
    click(&app, "#nav-conversations").await?;
    open_row(&app, MARIA.1).await?;
    let bubble = "#thread .bubble.out[data-kind='template']";
    wait_for_text(&app, bubble, "te enviamos la factura B").await?;
    wait_for_text(&app, &format!("{bubble} .template-document"), filename).await?;
    wait_for_text(&app, bubble, TOTAL).await?;
    screenshot(&app, "invoices-13-thread").await?;

    db.close().await;
    app.close().await?;
    Ok(())
}

/// The demo's in-process AFIP simulator, driven over its HTTP control API (`/afip/_sandbox/…`,
/// the same door the Graph simulator's tests use: the sandbox serves both on the port of the
/// demo business's `whatsapp.base_url`).
async fn demo_afip_url(data: &Path) -> Result<String> {
    let db = mostrador_core::demo::db_path(data);
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let graph: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'whatsapp.base_url'")
            .fetch_optional(&db)
            .await?;
    db.close().await;
    let graph = graph.context("the demo has no simulator URL")?;
    let base = graph
        .strip_suffix(mostrador_sandbox::GRAPH_PREFIX)
        .with_context(|| format!("unexpected Graph URL {graph}"))?;
    Ok(format!("{base}{}", mostrador_sandbox::AFIP_PREFIX))
}

async fn afip_control(
    afip: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value> {
    let http = mostrador_testkit::http();
    let url = format!("{afip}/_sandbox/{path}");
    let req = match method {
        "POST" => http.post(&url).json(&body.unwrap_or_default()),
        "DELETE" => http.delete(&url),
        _ => http.get(&url),
    };
    let r = req
        .send()
        .await
        .with_context(|| format!("AFIP simulator {path}"))?;
    anyhow::ensure!(
        r.status().is_success(),
        "AFIP simulator {path}: {}",
        r.status()
    );
    let text = r.text().await?;
    Ok(if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text)?
    })
}

/// AFIP unreachable in demo mode: the owner issues a Factura B, it waits queued with AFIP not
/// answering, "Emitir con CAEA" issues it at once on the contingency point of sale (the detail
/// says CAEA and "a informar"), and when AFIP answers again it is informed ("informada"), the
/// simulator holding it as a CAEA invoice.
#[tokio::test(flavor = "multi_thread")]
async fn afip_unreachable_a_factura_b_goes_out_with_caea_and_is_informed_later() -> Result<()> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    enter_demo(&app).await?;
    let afip = demo_afip_url(data.path()).await?;

    // The demo's start-up pass obtains the fortnight's CAEA while AFIP answers.
    let db = mostrador_core::demo::db_path(data.path());
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let caea: String = loop {
        let got: Option<String> = sqlx::query_scalar("SELECT caea FROM afip_caeas LIMIT 1")
            .fetch_optional(&db)
            .await?;
        if let Some(c) = got {
            break c;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the demo never got its CAEA"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };

    // AFIP goes unreachable (every request answers 503).
    afip_control(
        &afip,
        "POST",
        "faults",
        Some(json!({ "operation": null, "fault": { "kind": "status", "code": 503 }, "times": u32::MAX })),
    )
    .await?;

    click(&app, "#nav-invoices").await?;
    wait_for(&app, "#invoices").await?;
    click(&app, "#inv-new").await?;
    fill(&app, "#item-0-description", "Yerba mate 1 kg").await?;
    fill(&app, "#item-0-quantity", "2").await?;
    fill(&app, "#item-0-unit_price", "1250,00").await?;
    wait_for_text(&app, "#inv-preview", "Factura B").await?;
    click(&app, "#inv-submit").await?;
    // Queued, AFIP not answering: the owner is offered the CAEA.
    wait_attr(&app, "#inv-detail", "data-state", "queued").await?;
    wait_for(&app, "#inv-issue-caea").await?;
    screenshot(&app, "invoices-caea-01-afip-unreachable").await?;

    click(&app, "#inv-issue-caea").await?;
    wait_attr(&app, "#inv-detail", "data-state", "authorized").await?;
    wait_for_text(&app, "#inv-detail-caea-inform", "a informar").await?;
    let code = wait_for(&app, "#inv-detail-cae").await?.text().await?;
    assert_eq!(code, caea, "issued with the fortnight's CAEA");
    let line = wait_for_text(&app, "#inv-detail", "CAEA").await?;
    assert!(line.contains(&caea), "{line}");
    screenshot(&app, "invoices-caea-02-issued-with-caea").await?;
    let (emission, pos, number): (String, i64, Option<i64>) =
        sqlx::query_as("SELECT emission, point_of_sale, number FROM invoices")
            .fetch_one(&db)
            .await?;
    assert_eq!((emission.as_str(), pos, number), ("CAEA", 90, Some(1)));

    // AFIP answers again: the inform pass (retrying with backoff) informs it.
    afip_control(&afip, "DELETE", "faults", None).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let shown = wait_for(&app, "#inv-detail-caea-inform")
            .await?
            .text()
            .await?;
        if shown.contains("informada") {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "never informed (shows {shown:?})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    screenshot(&app, "invoices-caea-03-informed").await?;
    let at_afip = afip_control(&afip, "GET", "invoices", None).await?;
    let caea_ones: Vec<&serde_json::Value> = at_afip
        .as_array()
        .context("a list")?
        .iter()
        .filter(|i| i["emission"] == "CAEA")
        .collect();
    assert_eq!(caea_ones.len(), 1, "{at_afip}");
    assert_eq!(caea_ones[0]["point_of_sale"], 90);
    assert_eq!(caea_ones[0]["number"], 1);
    assert_eq!(caea_ones[0]["cae"], caea.as_str());
    db.close().await;
    app.close().await?;
    Ok(())
}
