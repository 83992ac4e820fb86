//! The embedded font (DejaVu Sans Condensed, Bitstream Vera licence, see fonts/LICENSE-DejaVu.txt):
//! metrics for layout and the subset written into each PDF as a CID font (Identity-H, glyph ids
//! as codes) with a ToUnicode map, so `pdftotext` and copy-paste read the real text.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};

use crate::RenderError;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSansCondensed.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSansCondensed-Bold.ttf");

/// Subsetting and compressing a face is most of a document's cost (a few ms each time), and
/// invoices use the same few glyphs: each face's subset of the characters an invoice normally
/// uses is made once per process and embedded as is. A document using any other glyph gets its
/// own subset, as before. The glyph ids are the face's own either way (Identity CIDToGIDMap).
static REGULAR_COMMON: OnceLock<Option<Presubset>> = OnceLock::new();
static BOLD_COMMON: OnceLock<Option<Presubset>> = OnceLock::new();

/// Printable ASCII and Latin-1, and the typographic marks our texts use.
fn common_chars() -> impl Iterator<Item = char> {
    ('\u{20}'..='\u{7e}')
        .chain('\u{a0}'..='\u{ff}')
        .chain(['–', '—', '‘', '’', '“', '”', '…', '•', '€', '→', '✓'])
}

/// A face's subset, compressed, and the glyphs it holds.
struct Presubset {
    glyphs: BTreeSet<u16>,
    length1: i32,
    compressed: Vec<u8>,
}

fn subset_stream(data: &[u8], glyphs: &[u16], name: &str) -> Result<(i32, Vec<u8>), RenderError> {
    let subset = subsetter::subset(data, 0, subsetter::Profile::pdf(glyphs))
        .map_err(|e| RenderError::Font(format!("subsetting {name}: {e:?}")))?;
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
    Ok((subset.len() as i32, compressed))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// One face and the glyphs a document used from it.
pub struct FontFace {
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    common: &'static OnceLock<Option<Presubset>>,
    /// The PDF resource name (`F1`, `F2`).
    pub resource: &'static [u8],
    base_name: &'static str,
    /// glyph id → the text it stands for (for ToUnicode).
    used: BTreeMap<u16, char>,
}

impl FontFace {
    fn load(
        data: &'static [u8],
        common: &'static OnceLock<Option<Presubset>>,
        resource: &'static [u8],
        base_name: &'static str,
    ) -> Result<Self, RenderError> {
        let face = ttf_parser::Face::parse(data, 0)
            .map_err(|e| RenderError::Font(format!("{base_name}: {e}")))?;
        Ok(FontFace {
            data,
            face,
            common,
            resource,
            base_name,
            used: BTreeMap::new(),
        })
    }

    /// This face's subset of [`common_chars`] (`None` if subsetting failed: each document then
    /// subsets its own glyphs and reports the error).
    fn presubset(&self) -> Option<Presubset> {
        let mut glyphs: BTreeSet<u16> = common_chars().map(|c| self.glyph(c)).collect();
        glyphs.insert(0);
        let list: Vec<u16> = glyphs.iter().copied().collect();
        let (length1, compressed) = subset_stream(self.data, &list, self.base_name).ok()?;
        Some(Presubset {
            glyphs,
            length1,
            compressed,
        })
    }

    fn units_per_em(&self) -> f32 {
        self.face.units_per_em() as f32
    }

    fn glyph(&self, c: char) -> u16 {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('?'))
            .map(|g| g.0)
            .unwrap_or(0)
    }

    fn advance(&self, gid: u16) -> f32 {
        self.advance_units(gid) as f32
    }

    fn advance_units(&self, gid: u16) -> u32 {
        self.face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0) as u32
    }

    /// The advance of `text` in font units. Integers, so a line's width is the sum of its
    /// words' and spaces' exactly (wrapping adds them up instead of measuring each candidate).
    pub fn units(&self, text: &str) -> u32 {
        text.chars().map(|c| self.char_units(c)).sum()
    }

    pub fn char_units(&self, c: char) -> u32 {
        self.advance_units(self.glyph(c))
    }

    /// `units` font units at `size` points, in points.
    pub fn scale(&self, units: u32, size: f32) -> f32 {
        units as f32 * size / self.units_per_em()
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        self.scale(self.units(text), size)
    }

    /// Appends `text` to `out` as 2-byte glyph ids, remembering each glyph for the subset;
    /// returns its advance in font units (one cmap lookup per character for both).
    pub fn encode_into(&mut self, text: &str, out: &mut Vec<u8>) -> u32 {
        let mut units = 0;
        for c in text.chars() {
            let gid = self.glyph(c);
            self.used.entry(gid).or_insert(c);
            out.extend_from_slice(&gid.to_be_bytes());
            units += self.advance_units(gid);
        }
        units
    }

    #[cfg(test)]
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(text, &mut out);
        out
    }

    /// Writes the Type0 font, its CID font, descriptor, subset file and ToUnicode map.
    fn write(&self, pdf: &mut Pdf, next: &mut Ref, type0: Ref) -> Result<(), RenderError> {
        let cid = next.bump();
        let descriptor = next.bump();
        let file = next.bump();
        let cmap = next.bump();
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        // A subset's name carries a six-letter tag (ISO 32000 9.6.4).
        let name = format!("MOSTRA+{}", self.base_name);
        let scale = 1000.0 / self.units_per_em();

        pdf.type0_font(type0)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);

        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(Name(name.as_bytes()))
            .system_info(info)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = cid_font.widths();
        for &gid in self.used.keys() {
            widths.consecutive(gid, [self.advance(gid) * scale]);
        }
        widths.finish();
        cid_font.finish();

        let bbox = self.face.global_bounding_box();
        let mut flags = FontFlags::SYMBOLIC;
        flags.set(FontFlags::FORCE_BOLD, self.face.is_bold());
        pdf.font_descriptor(descriptor)
            .name(Name(name.as_bytes()))
            .flags(flags)
            .bbox(Rect::new(
                bbox.x_min as f32 * scale,
                bbox.y_min as f32 * scale,
                bbox.x_max as f32 * scale,
                bbox.y_max as f32 * scale,
            ))
            .italic_angle(0.0)
            .ascent(self.face.ascender() as f32 * scale)
            .descent(self.face.descender() as f32 * scale)
            .cap_height(self.face.capital_height().unwrap_or(700) as f32 * scale)
            .stem_v(if self.face.is_bold() { 140.0 } else { 80.0 })
            .font_file2(file);

        let common = self.common.get_or_init(|| self.presubset());
        let own;
        let (length1, compressed) = match common {
            Some(c) if self.used.keys().all(|g| c.glyphs.contains(g)) => {
                (c.length1, c.compressed.as_slice())
            }
            _ => {
                let glyphs: Vec<u16> = self.used.keys().copied().collect();
                own = subset_stream(self.data, &glyphs, self.base_name)?;
                (own.0, own.1.as_slice())
            }
        };
        pdf.stream(file, compressed)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), length1);

        let mut map = UnicodeCmap::new(Name(b"Custom"), info);
        for (&gid, &c) in &self.used {
            map.pair(gid, c);
        }
        pdf.stream(cmap, &map.finish());
        Ok(())
    }
}

/// The two faces a document uses.
pub struct Fonts {
    pub regular: FontFace,
    pub bold: FontFace,
}

impl Fonts {
    pub fn load() -> Result<Self, RenderError> {
        Ok(Fonts {
            regular: FontFace::load(REGULAR, &REGULAR_COMMON, b"F1", "DejaVuSansCondensed")?,
            bold: FontFace::load(BOLD, &BOLD_COMMON, b"F2", "DejaVuSansCondensed-Bold")?,
        })
    }

    pub fn face(&self, weight: Weight) -> &FontFace {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    pub fn face_mut(&mut self, weight: Weight) -> &mut FontFace {
        match weight {
            Weight::Regular => &mut self.regular,
            Weight::Bold => &mut self.bold,
        }
    }

    /// Writes both faces; returns their Type0 refs in (regular, bold) order.
    pub fn write(&self, pdf: &mut Pdf, next: &mut Ref) -> Result<(Ref, Ref), RenderError> {
        let regular = next.bump();
        let bold = next.bump();
        self.regular.write(pdf, next, regular)?;
        self.bold.write(pdf, next, bold)?;
        Ok((regular, bold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written_len(fonts: &Fonts) -> usize {
        let mut pdf = Pdf::new();
        let mut next = Ref::new(1);
        fonts.write(&mut pdf, &mut next).unwrap();
        pdf.finish().len()
    }

    #[test]
    fn common_text_embeds_the_shared_subset_and_a_rare_glyph_its_own() {
        let mut fonts = Fonts::load().unwrap();
        fonts
            .regular
            .encode("Factura B 00001-00000042 · $ 3.025,00 — Pérez");
        let shared = written_len(&fonts);
        // The same text again: the shared subset, byte for byte.
        assert_eq!(written_len(&fonts), shared);
        // Greek is not among the common characters: this document subsets its own glyphs,
        // which for a few glyphs is far smaller than the shared subset.
        fonts.regular.encode("Ω");
        let own = written_len(&fonts);
        assert!(own < shared, "own subset {own} bytes, shared {shared}");
        assert!(!REGULAR_COMMON
            .get()
            .and_then(|c| c.as_ref())
            .expect("the shared subset was made")
            .glyphs
            .contains(&fonts.regular.glyph('Ω')));
    }
}
