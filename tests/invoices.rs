//! Facturas on the real app in demo mode (issue 13): "Nueva factura" issues a Factura B to a
//! consumidor final through the demo's AFIP simulator (its own test CA), the list and the detail
//! show it authorized with its CAE, and the PDF is opened and saved with the CAE and the total
//! in its text. Screenshots go to target/e2e/.

mod support;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use support::{click, enter_demo, fill, screenshot, wait_attr, wait_for, wait_for_text, Driver};

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
    enter_demo(&app).await?;

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

    // Guardar PDF: a copy (Descargas, or the data folder without one) with the CAE and total.
    click(&app, "#inv-save").await?;
    let notice = wait_for_text(&app, "#inv-detail-notice", "Guardado en ").await?;
    let saved = path_in(&notice, "Guardado en ")?;
    assert_ne!(saved, rendered, "a copy, not the stored file");
    let text = pdf_text(&saved)?;
    screenshot(&app, "invoices-03-pdf-saved").await?;
    // A Descargas outside the test's folder keeps nothing of the test.
    if !saved.starts_with(data.path()) {
        std::fs::remove_file(&saved)?;
    }
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
