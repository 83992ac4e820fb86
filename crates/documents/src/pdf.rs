//! Pages + fonts (+ the logo) → one PDF file.

use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, TextStr};

use crate::canvas::{Page, LOGO};
use crate::font::Fonts;
use crate::logo::{Logo, Pixels};
use crate::RenderError;

/// The deflate level of the page content streams. Level 1 (miniz's fastest) deflates a page
/// several times faster than 6 for a few percent more bytes on a document of tens of KB, most of
/// which is the font.
pub const CONTENT_LEVEL: u8 = 1;

pub fn assemble(
    pages: Vec<Page>,
    fonts: &Fonts,
    logo: Option<&Logo>,
    title: &str,
    content_level: u8,
) -> Result<Vec<u8>, RenderError> {
    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let catalog = next.bump();
    let tree = next.bump();
    let info = next.bump();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (next.bump(), next.bump())).collect();
    let (regular, bold) = fonts.write(&mut pdf, &mut next)?;
    // Written once, referenced by every page (A4 repeats the header on each).
    let logo_id = logo.map(|l| write_logo(&mut pdf, &mut next, l));

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(page_ids.len() as i32);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Mostrador"));

    for (page, (id, content_id)) in pages.into_iter().zip(&page_ids) {
        let mut p = pdf.page(*id);
        p.media_box(Rect::new(0.0, 0.0, page.width, page.height))
            .parent(tree)
            .contents(*content_id);
        let mut resources = p.resources();
        let mut f = resources.fonts();
        f.pair(Name(b"F1"), regular);
        f.pair(Name(b"F2"), bold);
        f.finish();
        if let Some(logo_id) = logo_id {
            resources.x_objects().pair(Name(LOGO), logo_id);
        }
        resources.finish();
        p.finish();
        let raw = page.content.finish();
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&raw, content_level);
        pdf.stream(*content_id, &compressed)
            .filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

/// The logo as an image XObject (a PNG's alpha as its soft mask); returns its id.
fn write_logo(pdf: &mut Pdf, next: &mut Ref, logo: &Logo) -> Ref {
    let id = next.bump();
    let (w, h) = (logo.width() as i32, logo.height() as i32);
    match &logo.pixels {
        Pixels::Jpeg { components } => {
            let mut img = pdf.image_xobject(id, logo.bytes());
            img.filter(Filter::DctDecode);
            img.width(w).height(h).bits_per_component(8);
            if *components == 1 {
                img.color_space().device_gray();
            } else {
                img.color_space().device_rgb();
            }
        }
        Pixels::Raw {
            rgb,
            samples,
            alpha,
        } => {
            let mask = alpha.as_ref().map(|alpha| {
                let mask = next.bump();
                let data = miniz_oxide::deflate::compress_to_vec_zlib(alpha, 6);
                let mut m = pdf.image_xobject(mask, &data);
                m.filter(Filter::FlateDecode);
                m.width(w).height(h).bits_per_component(8);
                m.color_space().device_gray();
                mask
            });
            let data = miniz_oxide::deflate::compress_to_vec_zlib(samples, 6);
            let mut img = pdf.image_xobject(id, &data);
            img.filter(Filter::FlateDecode);
            img.width(w).height(h).bits_per_component(8);
            if *rgb {
                img.color_space().device_rgb();
            } else {
                img.color_space().device_gray();
            }
            if let Some(mask) = mask {
                img.s_mask(mask);
            }
        }
    }
    id
}
