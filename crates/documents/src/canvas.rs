//! A page being drawn: positioned text in the embedded font, rules, boxes and the QR, in points
//! with the origin at the bottom left (PDF's).

use pdf_writer::{Content, Name, Str};

use crate::font::{Fonts, Weight};
use crate::qr::Qr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// The resource name of the issuer's logo on every page.
pub const LOGO: &[u8] = b"Logo";

pub struct Page {
    pub width: f32,
    pub height: f32,
    pub content: Content,
    /// The glyph codes of the text being drawn (one buffer for the whole page).
    codes: Vec<u8>,
}

impl Page {
    pub fn new(width: f32, height: f32) -> Self {
        Page {
            width,
            height,
            content: Content::new(),
            codes: Vec::with_capacity(256),
        }
    }

    /// Draws one line of text; `x` is the left edge, the centre or the right edge per `align`.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        fonts: &mut Fonts,
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        align: Align,
        text: &str,
    ) {
        let face = fonts.face_mut(weight);
        self.codes.clear();
        let units = face.encode_into(text, &mut self.codes);
        let width = face.scale(units, size);
        let left = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        self.content
            .begin_text()
            .set_font(Name(face.resource), size)
            .next_line(left, y)
            .show(Str(&self.codes))
            .end_text();
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.content
            .set_line_width(width)
            .move_to(x1, y1)
            .line_to(x2, y2)
            .stroke();
    }

    pub fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32) {
        self.content.set_line_width(width).rect(x, y, w, h).stroke();
    }

    /// The logo (resource [`LOGO`]) with its lower-left corner at (`x`, `y`), `w` × `h` points.
    pub fn logo(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.content
            .save_state()
            .transform([w, 0.0, 0.0, h, x, y])
            .x_object(Name(LOGO))
            .restore_state();
    }

    /// The QR with its top-left corner at (`x`, `top`), `side` points wide without the quiet
    /// zone. Drawn in module units (the transform scales them), so every coordinate is a small
    /// integer; runs of dark modules on a row are one rectangle each.
    pub fn qr(&mut self, code: &Qr, x: f32, top: f32, side: f32) {
        let n = code.width();
        let module = side / n as f32;
        self.content
            .save_state()
            .transform([module, 0.0, 0.0, module, x, top - side])
            .set_fill_gray(0.0);
        for y in 0..n {
            let row = code.row(y);
            // Row 0 is the top one; module units grow upwards.
            let bottom = (n - 1 - y) as f32;
            let mut col = 0;
            while col < n {
                if row[col] {
                    let start = col;
                    while col < n && row[col] {
                        col += 1;
                    }
                    self.content
                        .rect(start as f32, bottom, (col - start) as f32, 1.0);
                } else {
                    col += 1;
                }
            }
        }
        self.content.fill_nonzero().restore_state();
    }
}

/// Splits `text` into lines no wider than `max` (words longer than a line are cut).
pub fn wrap(fonts: &Fonts, text: &str, size: f32, weight: Weight, max: f32) -> Vec<String> {
    let face = fonts.face(weight);
    let fits = |units: u32| face.scale(units, size) <= max;
    let space = face.char_units(' ');
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_units = 0;
    for word in text.split_whitespace() {
        let word_units = face.units(word);
        let candidate = if current.is_empty() {
            word_units
        } else {
            current_units + space + word_units
        };
        if fits(candidate) {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
            current_units = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // A single word wider than the line: cut it by characters.
        let mut piece = String::new();
        let mut piece_units = 0;
        for c in word.chars() {
            let units = face.char_units(c);
            piece.push(c);
            piece_units += units;
            if !fits(piece_units) && piece.chars().nth(1).is_some() {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
                piece_units = units;
            }
        }
        current = piece;
        current_units = piece_units;
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The way lines were wrapped before widths were added up: measure every candidate line.
    fn wrap_by_measuring(fonts: &Fonts, text: &str, size: f32, max: f32) -> Vec<String> {
        let face = fonts.face(Weight::Regular);
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if face.width(&candidate, size) <= max {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if face.width(&piece, size) > max && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            current = piece;
        }
        if !current.is_empty() || lines.is_empty() {
            lines.push(current);
        }
        lines
    }

    #[test]
    fn wrapping_by_adding_widths_breaks_where_measuring_each_line_did() {
        let fonts = Fonts::load().unwrap();
        let texts = [
            "",
            "Yerba mate Playadito 1 kg con palo, paquete de papel",
            "Régimen de Transparencia Fiscal al Consumidor (Ley 27.743)",
            "Una-palabra-larguísima-que-no-entra-en-ninguna-línea-del-ticket-de-80-mm y algo más",
            "  espacios   de   más  ",
            "Distribuidora Ñandú S.R.L. — Calle 7 N° 456, La Plata",
        ];
        let mut broke = false;
        for text in texts {
            for max in [20.0, 60.0, 120.0, 206.77, 260.0] {
                for size in [7.0, 8.0, 11.0] {
                    let new = wrap(&fonts, text, size, Weight::Regular, max);
                    assert_eq!(
                        new,
                        wrap_by_measuring(&fonts, text, size, max),
                        "{text:?} at {size} pt in {max} pt"
                    );
                    broke |= new.len() > 1;
                }
            }
        }
        assert!(broke, "some of these must wrap");
    }
}
