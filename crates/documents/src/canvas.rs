//! A page being drawn: positioned text in the embedded font, rules, boxes and the QR, in points
//! with the origin at the bottom left (PDF's).

use pdf_writer::{Content, Name, Str};

use crate::font::{Fonts, Weight};

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
}

impl Page {
    pub fn new(width: f32, height: f32) -> Self {
        Page {
            width,
            height,
            content: Content::new(),
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
        let width = fonts.face(weight).width(text, size);
        let left = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
            Align::Right => x - width,
        };
        let face = fonts.face_mut(weight);
        let codes = face.encode(text);
        self.content
            .begin_text()
            .set_font(Name(face.resource), size)
            .next_line(left, y)
            .show(Str(&codes))
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
    /// zone. Runs of dark modules on a row are one rectangle each.
    pub fn qr(&mut self, code: &qrcode::QrCode, x: f32, top: f32, side: f32) {
        let n = code.width();
        let module = side / n as f32;
        let colors = code.to_colors();
        self.content.save_state().set_fill_gray(0.0);
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    self.content.rect(
                        x + start as f32 * module,
                        top - (row + 1) as f32 * module,
                        (col - start) as f32 * module,
                        module,
                    );
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
        // A single word wider than the line: cut it by characters.
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
