//! Pages + fonts → one PDF file.

use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, TextStr};

use crate::canvas::Page;
use crate::font::Fonts;
use crate::RenderError;

pub fn assemble(pages: Vec<Page>, fonts: &Fonts, title: &str) -> Result<Vec<u8>, RenderError> {
    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let catalog = next.bump();
    let tree = next.bump();
    let info = next.bump();
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (next.bump(), next.bump())).collect();
    let (regular, bold) = fonts.write(&mut pdf, &mut next)?;

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
        resources.finish();
        p.finish();
        let raw = page.content.finish();
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6);
        pdf.stream(*content_id, &compressed)
            .filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}
