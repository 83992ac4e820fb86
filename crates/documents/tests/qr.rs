//! The QR is drawn with one fixed mask instead of the lowest-penalty one (src/qr.rs): many
//! different RG 4291 URLs (issuer CUIT, receiver, number, amount, CAE vary, so do the symbol's
//! bits and size) rendered in both layouts must each decode, with zbar from the rasterized page,
//! to the exact URL. (Debian: poppler-utils, zbar-tools.)

mod support;

use std::path::Path;
use std::process::Command;

use mostrador_afip::invoice::{Amounts, IvaRate, ReceiverDoc};
use mostrador_afip::qr::AuthorizationKind;
use mostrador_documents::{render, InvoiceDocument, Layout};
use mostrador_types::{Cuit, Money};

/// A small deterministic generator (no dependency): the same documents on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }

    fn cuit(&mut self) -> Cuit {
        loop {
            let kind = [20, 23, 27, 30, 33][self.next(5) as usize];
            if let Some(c) = Cuit::from_prefix(kind * 100_000_000 + self.next(100_000_000)) {
                return c;
            }
        }
    }
}

fn document(rng: &mut Lcg, i: u64) -> InvoiceDocument {
    let mut doc = support::factura_b();
    doc.issuer.cuit = rng.cuit();
    doc.point_of_sale = 1 + rng.next(99_998) as u32;
    doc.number = 1 + rng.next(99_999_998);
    let base = Money::from_cents(1 + rng.next(10_000_000_000) as i64);
    doc.amounts = Amounts::compute(
        &[(IvaRate::TwentyOne, base)],
        Money::ZERO,
        Money::ZERO,
        vec![],
    )
    .unwrap();
    doc.customer.doc = match i % 4 {
        0 => ReceiverDoc::Anonymous,
        1 => ReceiverDoc::Dni(1_000_000 + rng.next(98_000_000) as u32),
        2 => ReceiverDoc::Cuit(rng.cuit()),
        _ => ReceiverDoc::Cuil(rng.cuit()),
    };
    doc.authorization.code = 10_000_000_000_000 + rng.next(89_999_999_999_999);
    if i.is_multiple_of(5) {
        doc.authorization.kind = AuthorizationKind::Caea;
    }
    doc
}

fn run(name: &str, args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{name} is needed by this test (apt-get install poppler-utils zbar-tools): {e}")
        })
}

#[test]
fn many_different_urls_each_decode_exactly_from_both_layouts() {
    let mut rng = Lcg(0x4291);
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    let mut lengths = std::collections::BTreeSet::new();
    for i in 0..32u64 {
        let doc = document(&mut rng, i);
        let url = doc.qr_url();
        lengths.insert(url.len());
        // Mostly tickets (a small page rasterizes fast); every fourth an A4.
        let layout = if i % 4 == 3 {
            Layout::A4
        } else {
            Layout::Ticket80
        };
        let pdf = render(&doc, layout).unwrap();
        let name = format!("doc{i:02}");
        std::fs::write(dir.path().join(format!("{name}.pdf")), &pdf).unwrap();
        let out = run(
            "pdftoppm",
            &[
                "-r",
                "200",
                "-gray",
                "-png",
                "-singlefile",
                &format!("{name}.pdf"),
                &name,
            ],
            dir.path(),
        );
        assert!(out.status.success(), "pdftoppm failed on {name}");
        expected.push((name, layout, url));
    }
    assert!(lengths.len() > 1, "the URLs vary in length: {lengths:?}");
    for (name, layout, url) in &expected {
        let out = run(
            "zbarimg",
            &[
                "--quiet",
                "--raw",
                "-Sdisable",
                "-Sqrcode.enable",
                &format!("{name}.png"),
            ],
            dir.path(),
        );
        let found = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            found.lines().collect::<Vec<_>>(),
            vec![url.as_str()],
            "{name} ({layout:?}) must decode to its exact URL"
        );
    }
}
