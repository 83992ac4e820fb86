//! The rendered PDFs read back with the tools a person's computer uses: poppler's `pdftotext`
//! finds the voucher's CAE, number and total; `pdftoppm` + zbar's `zbarimg` decode the QR to the
//! exact RG 4291 URL. Both layouts, classes A and B. (Debian: poppler-utils, zbar-tools.)

mod support;

use std::path::Path;
use std::process::Command;

use mostrador_documents::{render, InvoiceDocument, Layout, TRANSPARENCIA};

fn tool(name: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{name} is needed by this test (apt-get install poppler-utils zbar-tools): {e}")
        });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Renders, then returns (pdftotext's text, the decoded QR payloads).
fn read_back(doc: &InvoiceDocument, layout: Layout) -> (String, Vec<String>) {
    let pdf = render(doc, layout).expect("renders");
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.pdf"), &pdf).unwrap();
    let text = tool("pdftotext", &["-layout", "doc.pdf", "-"], dir.path());
    tool(
        "pdftoppm",
        &["-r", "200", "-gray", "-png", "doc.pdf", "page"],
        dir.path(),
    );
    let mut qrs = Vec::new();
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("page") && n.ends_with(".png"))
        .collect();
    pages.sort();
    for page in pages {
        // zbarimg exits 4 when a page has no code: only the last page carries it.
        let out = Command::new("zbarimg")
            .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", &page])
            .current_dir(dir.path())
            .output()
            .expect("zbarimg (apt-get install zbar-tools)");
        let found = String::from_utf8(out.stdout).unwrap();
        qrs.extend(found.lines().map(str::to_owned));
    }
    (text, qrs)
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_essentials(doc: &InvoiceDocument, layout: Layout, total: &str, number: &str) {
    let (text, qrs) = read_back(doc, layout);
    let flat = squash(&text);
    assert!(
        flat.contains(&format!("{:014}", doc.authorization.code)),
        "{layout:?}: CAE missing in\n{text}"
    );
    assert!(
        flat.contains(number),
        "{layout:?}: {number} missing in\n{text}"
    );
    assert!(
        flat.contains(total),
        "{layout:?}: {total} missing in\n{text}"
    );
    assert!(flat.contains("29/11/2026"), "{layout:?}: date missing");
    assert!(
        flat.contains("09/12/2026"),
        "{layout:?}: CAE due date missing"
    );
    assert_eq!(
        qrs,
        vec![doc.qr_url()],
        "{layout:?}: the QR must decode to the exact URL"
    );
}

#[test]
fn factura_b_a4_reads_back_cae_number_total_legend_and_qr() {
    let doc = support::factura_b();
    // Bases 1.000 (21 %) and 100 (10,5 %): 1.100 + 210 + 10,50 = 1.320,50.
    assert_essentials(&doc, Layout::A4, "1.320,50", "Comp. Nro: 00001842");
    let (text, _) = read_back(&doc, Layout::A4);
    let flat = squash(&text);
    assert!(flat.contains(TRANSPARENCIA), "legend missing:\n{text}");
    assert!(
        flat.contains("IVA Contenido: $ 220,50"),
        "IVA contenido:\n{text}"
    );
    assert!(
        flat.contains("Almacén Don Juan"),
        "accents survive:\n{text}"
    );
    assert!(flat.contains("Punto de Venta: 00003"));
    assert!(flat.contains("COD. 006"));
}

#[test]
fn factura_b_ticket_reads_back_cae_number_total_legend_and_qr() {
    let doc = support::factura_b();
    assert_essentials(&doc, Layout::Ticket80, "$ 1.320,50", "00003-00001842");
    let (text, _) = read_back(&doc, Layout::Ticket80);
    let flat = squash(&text);
    assert!(flat.contains("IVA Contenido $ 220,50"), "{text}");
    // The legend may wrap on 72 mm; its words are all there in order.
    assert!(
        flat.contains("Régimen de Transparencia Fiscal al"),
        "{text}"
    );
    assert!(flat.contains("Ley 27.743"), "{text}");
}

#[test]
fn factura_a_itemizes_iva_and_has_no_transparencia_legend() {
    let doc = support::factura_a();
    for layout in [Layout::A4, Layout::Ticket80] {
        // Net 12.345,67 + IVA 21 % 2.592,59 = 14.938,26.
        assert_essentials(&doc, layout, "14.938,26", "00000077");
        let (text, _) = read_back(&doc, layout);
        let flat = squash(&text);
        assert!(flat.contains("IVA 21%"), "{layout:?}:\n{text}");
        assert!(flat.contains("2.592,59"), "{layout:?}:\n{text}");
        assert!(
            flat.contains("Distribuidora Ñandú S.R.L."),
            "{layout:?}:\n{text}"
        );
        assert!(
            !flat.contains("Ley 27.743"),
            "{layout:?}: class A has no legend"
        );
    }
}

#[test]
fn long_invoices_continue_on_more_a4_pages_with_the_qr_on_the_last() {
    let doc = support::long_factura_b(120);
    let pdf = render(&doc, Layout::A4).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.pdf"), &pdf).unwrap();
    let info = tool("pdfinfo", &["doc.pdf"], dir.path());
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 2, "120 lines cannot fit one page: {pages}");
    let (text, qrs) = read_back(&doc, Layout::A4);
    assert!(text.contains("Artículo de prueba número 119"));
    assert_eq!(qrs, vec![doc.qr_url()], "one QR, on the last page");
}

#[test]
fn the_font_is_a_subset_so_documents_stay_small() {
    let pdf = render(&support::factura_b(), Layout::A4).unwrap();
    // The full DejaVu Sans Condensed pair is 1.3 MB; the subset keeps a document small enough
    // to send by WhatsApp without thinking about it.
    assert!(pdf.len() < 120_000, "{} bytes", pdf.len());
}

/// `DOCS_OUT=/dir cargo test -p mostrador-documents --test render write_samples` writes the
/// samples for a look by eye.
#[test]
fn write_samples() {
    let Ok(dir) = std::env::var("DOCS_OUT") else {
        return;
    };
    for (name, doc) in [("b", support::factura_b()), ("a", support::factura_a())] {
        for (suffix, layout) in [("a4", Layout::A4), ("ticket", Layout::Ticket80)] {
            let pdf = render(&doc, layout).unwrap();
            std::fs::write(format!("{dir}/{name}-{suffix}.pdf"), pdf).unwrap();
        }
    }
}
