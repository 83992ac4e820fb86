//! The issuer's logo on both layouts, read back with poppler: `pdfimages -list` finds the
//! embedded image (a JPEG as DCT, a PNG with its alpha as soft mask) and `pdftoppm` shows dark
//! pixels where the logo goes (and paper where the PNG is transparent). Refused: a file that is
//! not an image, one over 1 MB, absurd pixel sizes.

mod support;

use std::path::Path;
use std::process::Command;

use mostrador_documents::{render, InvoiceDocument, Layout, Logo, LogoError, LogoFormat};

/// The JPEG fixture: 120 × 40, solid dark blue (made with libjpeg's cjpeg).
const JPEG: &[u8] = include_bytes!("fixtures/logo.jpg");

/// 120 × 40 RGBA: the left 90 columns opaque dark, the right 30 fully transparent *black*, so
/// a lost alpha channel would print them black.
fn png_logo(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    let mut data = Vec::with_capacity((width * height * 4) as usize);
    for _ in 0..height {
        for x in 0..width {
            if x < width * 3 / 4 {
                data.extend_from_slice(&[0x30, 0x10, 0x10, 0xFF]);
            } else {
                data.extend_from_slice(&[0, 0, 0, 0]);
            }
        }
    }
    w.write_image_data(&data).unwrap();
    w.finish().unwrap();
    out
}

fn tool(name: &str, args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{name} is needed by this test (apt-get install poppler-utils): {e}")
        });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn with_logo(doc: &mut InvoiceDocument, bytes: Vec<u8>) {
    doc.issuer.logo = Some(Logo::from_bytes(bytes).expect("a valid logo"));
}

/// `pdfimages -list` rows after its two header lines: (type, width, height, color, enc).
fn images(pdf: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.pdf"), pdf).unwrap();
    let list = String::from_utf8(tool("pdfimages", &["-list", "doc.pdf"], dir.path())).unwrap();
    list.lines()
        .skip(2)
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // page num type width height color comp bpc enc …
            [2, 3, 4, 5, 8]
                .iter()
                .map(|&i| cols[i].to_string())
                .collect()
        })
        .collect()
}

/// The first page at 72 dpi (1 pixel = 1 point) in gray: (width, height, pixels).
fn raster(pdf: &[u8]) -> (usize, usize, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("doc.pdf"), pdf).unwrap();
    tool(
        "pdftoppm",
        &[
            "-r",
            "72",
            "-gray",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "doc.pdf",
            "page",
        ],
        dir.path(),
    );
    let pgm = std::fs::read(dir.path().join("page.pgm")).unwrap();
    // "P5\n<w> <h>\n255\n" then one byte per pixel.
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8(pgm[start..i].to_vec()).unwrap());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, pgm[i + 1..].to_vec())
}

/// Share of dark pixels (< 128) in the box `x0..x1` × `y0..y1` (pixels from the top left).
fn dark_share(page: &(usize, usize, Vec<u8>), x0: usize, x1: usize, y0: usize, y1: usize) -> f32 {
    let (w, _, px) = page;
    let mut dark = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            if px[y * w + x] < 128 {
                dark += 1;
            }
        }
    }
    dark as f32 / ((x1 - x0) * (y1 - y0)) as f32
}

#[test]
fn a4_with_a_jpeg_logo_embeds_it_as_dct_top_left_in_the_issuer_box() {
    let mut doc = support::factura_b();
    let plain = render(&doc, Layout::A4).unwrap();
    with_logo(&mut doc, JPEG.to_vec());
    let pdf = render(&doc, Layout::A4).unwrap();

    assert!(images(&plain).is_empty(), "no logo, no image");
    assert_eq!(
        images(&pdf),
        vec![vec!["image", "120", "40", "rgb", "jpeg"]]
    );

    // 120 × 40 fits 150 × 34 points as 102 × 34, at 36 pt from the left and 34 from the top.
    let with = raster(&pdf);
    let without = raster(&plain);
    assert!(
        dark_share(&with, 40, 134, 38, 64) > 0.95,
        "the logo is drawn there"
    );
    assert!(
        dark_share(&without, 40, 134, 38, 64) < 0.4,
        "only text there without it"
    );
}

#[test]
fn a4_with_a_png_logo_keeps_its_transparency_as_a_soft_mask() {
    let mut doc = support::factura_b();
    with_logo(&mut doc, png_logo(120, 40));
    let pdf = render(&doc, Layout::A4).unwrap();
    assert_eq!(
        images(&pdf),
        vec![
            vec!["image", "120", "40", "rgb", "image"],
            vec!["smask", "120", "40", "gray", "image"],
        ]
    );
    let page = raster(&pdf);
    // Opaque part (90 of 120 columns → 76,5 of 102 points) dark; transparent part paper.
    assert!(dark_share(&page, 40, 108, 38, 64) > 0.95);
    assert!(
        dark_share(&page, 116, 136, 38, 64) < 0.05,
        "transparent prints as paper"
    );
}

#[test]
fn the_ticket_draws_the_logo_centred_on_top() {
    for (format, bytes) in [
        (LogoFormat::Jpeg, JPEG.to_vec()),
        (LogoFormat::Png, png_logo(120, 40)),
    ] {
        let mut doc = support::factura_b();
        let plain = raster(&render(&doc, Layout::Ticket80).unwrap());
        with_logo(&mut doc, bytes);
        assert_eq!(doc.issuer.logo.as_ref().unwrap().format(), format);
        let pdf = render(&doc, Layout::Ticket80).unwrap();
        assert_eq!(
            images(&pdf).len(),
            if format == LogoFormat::Png { 2 } else { 1 }
        );
        let page = raster(&pdf);
        // 120 × 40 fits 206,77 × 50 as 150 × 50, centred (38,4 pt in) below a 10 pt margin.
        assert!(
            dark_share(&page, 44, 140, 16, 56) > 0.95,
            "{format:?} logo on top"
        );
        assert!(
            dark_share(&plain, 44, 140, 16, 56) < 0.4,
            "{format:?}: text only without it"
        );
        // The ticket grows by the logo's height (50 + 6 points), nothing else moves.
        assert_eq!(page.1, plain.1 + 56, "{format:?}");
    }
}

#[test]
fn what_is_not_a_sane_png_or_jpeg_is_refused() {
    assert_eq!(
        Logo::from_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()).unwrap_err(),
        LogoError::NotAnImage
    );
    let mut big = JPEG.to_vec();
    big.resize(1024 * 1024 + 1, 0);
    assert!(matches!(
        Logo::from_bytes(big).unwrap_err(),
        LogoError::TooLarge { .. }
    ));
    // Compresses to a few bytes, would decode to 5000 × 16 pixels: refused from its header.
    assert_eq!(
        Logo::from_bytes(png_logo(5000, 16)).unwrap_err(),
        LogoError::PixelSize {
            width: 5000,
            height: 16
        }
    );
    assert_eq!(
        Logo::from_bytes(png_logo(8, 8)).unwrap_err(),
        LogoError::PixelSize {
            width: 8,
            height: 8
        }
    );
    // A PNG cut in half: damaged, refused when chosen rather than at print time.
    let png = png_logo(120, 40);
    assert!(matches!(
        Logo::from_bytes(png[..png.len() / 2].to_vec()).unwrap_err(),
        LogoError::Corrupt(_)
    ));
}
