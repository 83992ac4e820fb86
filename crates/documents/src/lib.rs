//! The printed invoice: an A4 PDF and an 80 mm ticket PDF from plain invoice data, with the
//! embedded DejaVu font and the RG 4291/4892 QR. Pure: no database, no I/O, data in → bytes out.
//!
//! ```no_run
//! # fn doc() -> mostrador_documents::InvoiceDocument { unimplemented!() }
//! let pdf = mostrador_documents::render(&doc(), mostrador_documents::Layout::A4)?;
//! # Ok::<(), mostrador_documents::RenderError>(())
//! ```

mod a4;
mod canvas;
mod font;
pub mod format;
mod labels;
mod logo;
mod model;
mod pdf;
mod qr;
mod summary;
mod ticket;

pub use labels::TRANSPARENCIA;
pub use logo::{Logo, LogoError, LogoFormat, MAX_LOGO_BYTES, MAX_LOGO_SIDE, MIN_LOGO_SIDE};
pub use model::{
    Authorization, Customer, InvoiceDocument, Issuer, Layout, Line, LineIva, Quantity, ServiceDates,
};

use mostrador_afip::qr::QrData;

/// Why a document could not be rendered. None of these depend on the input for valid invoices;
/// they mean a broken build (font) or impossible data (QR overflow).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the embedded font cannot be used: {0}")]
    Font(String),
    #[error("the QR data does not fit a QR code: {0}")]
    Qr(String),
}

impl InvoiceDocument {
    /// The RG 4892 QR data of this voucher.
    pub fn qr_data(&self) -> QrData {
        QrData {
            date: self.date,
            issuer: self.issuer.cuit,
            point_of_sale: self.point_of_sale,
            voucher_type: self.voucher_type.code(),
            number: self.number,
            total: self.amounts.total,
            currency: self.currency.code.clone(),
            rate: self.currency.rate,
            receiver_doc: Some((self.customer.doc.doc_tipo(), self.customer.doc.doc_nro())),
            auth_kind: self.authorization.kind,
            auth_code: self.authorization.code,
        }
    }

    /// The exact URL the QR encodes: `{base}?p={base64(json)}`.
    pub fn qr_url(&self) -> String {
        self.qr_data().url(&self.qr_base_url)
    }

    fn qr_code(&self, mask: qr::Mask) -> Result<qr::Qr, RenderError> {
        qr::Qr::encode(self.qr_url().as_bytes(), mask)
    }

    /// Class B shows the IVA contained (Ley 27.743); A itemizes it; C has none.
    fn shows_transparencia(&self) -> bool {
        self.voucher_type.class == mostrador_afip::invoice::VoucherClass::B
    }
}

/// Renders `doc` as a PDF in `layout`.
pub fn render(doc: &InvoiceDocument, layout: Layout) -> Result<Vec<u8>, RenderError> {
    render_tuned(doc, layout, Tuning::default())
}

/// Where rendering trades time for bytes. [`render`] uses the default; the render bench also
/// draws with [`Tuning::BEFORE`] (how documents were drawn before: the QR's mask chosen by
/// scoring all 8, page streams deflated at level 6) for its A/B in one run.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    pub scored_mask: bool,
    pub content_level: u8,
}

impl Tuning {
    pub const BEFORE: Tuning = Tuning {
        scored_mask: true,
        content_level: 6,
    };
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            scored_mask: false,
            content_level: pdf::CONTENT_LEVEL,
        }
    }
}

#[doc(hidden)]
pub fn render_tuned(
    doc: &InvoiceDocument,
    layout: Layout,
    tuning: Tuning,
) -> Result<Vec<u8>, RenderError> {
    let mut fonts = font::Fonts::load()?;
    let qr = doc.qr_code(if tuning.scored_mask {
        qr::Mask::Scored
    } else {
        qr::Mask::Fixed
    })?;
    let pages = match layout {
        Layout::A4 => a4::draw(doc, &mut fonts, &qr),
        Layout::Ticket80 => ticket::draw(doc, &mut fonts, &qr),
    };
    let title = format!(
        "{} {} {}",
        labels::voucher_title(doc.voucher_type),
        labels::letter(doc.voucher_type),
        format::voucher_number(doc.point_of_sale, doc.number)
    );
    pdf::assemble(
        pages,
        &fonts,
        doc.issuer.logo.as_ref(),
        &title,
        tuning.content_level,
    )
}
