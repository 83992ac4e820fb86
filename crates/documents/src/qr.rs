//! The RG 4291 QR as a grid of modules, with one fixed mask.
//!
//! `qrcode::QrCode` draws the symbol with each of the 8 masks and keeps the one with the lowest
//! penalty score: about a third of a document's render time. Every mask makes a valid symbol
//! (the mask is written in the format information, ISO/IEC 18004 §7.8), and the scoring only
//! avoids patterns that confuse some scanners in large areas of equal modules. Our data is
//! base64 text, close to random bits, so a fixed mask gives symbols that decode as well; the
//! tests decode many different URLs with zbar to hold that.

use qrcode::bits::encode_auto;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::ec::construct_codewords;
use qrcode::{Color, EcLevel};

use crate::RenderError;

/// Pattern 010 (`x % 3 == 0`).
const MASK: MaskPattern = MaskPattern::VerticalLines;
/// Level L: the URL is long and the code is printed, not worn; the smallest symbol that fits.
const EC: EcLevel = EcLevel::L;

/// How the mask is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// [`MASK`], always.
    Fixed,
    /// The lowest penalty of the 8 (`qrcode::QrCode`'s way; the bench's "before").
    Scored,
}

/// A square of `width` × `width` modules, row by row, `true` for dark.
pub struct Qr {
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    pub fn encode(data: &[u8], mask: Mask) -> Result<Qr, RenderError> {
        let qr = |e: qrcode::types::QrError| RenderError::Qr(e.to_string());
        if mask == Mask::Scored {
            let code = qrcode::QrCode::with_error_correction_level(data, EC).map_err(qr)?;
            return Ok(Qr {
                width: code.width(),
                dark: code
                    .into_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect(),
            });
        }
        let bits = encode_auto(data, EC).map_err(qr)?;
        let version = bits.version();
        let (data, ec) = construct_codewords(&bits.into_bytes(), version, EC).map_err(qr)?;
        let mut canvas = Canvas::new(version, EC);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        canvas.apply_mask(MASK);
        Ok(Qr {
            width: version.width() as usize,
            dark: canvas
                .into_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// Modules per side (without the quiet zone).
    pub fn width(&self) -> usize {
        self.width
    }

    /// One row, left to right.
    pub fn row(&self, y: usize) -> &[bool] {
        &self.dark[y * self.width..(y + 1) * self.width]
    }
}
