//! The RG 4291/4892 QR: JSON with AFIP's exact field names and types, base64 into the verifier
//! URL, rendered as SVG or PNG.

use base64::Engine;
use chrono::NaiveDate;
use mostrador_types::Cuit;

use crate::invoice::Invoice;
use crate::invoice::{Money, Rate};

/// AFIP's verifier URL. Configurable: the ARCA rebrand publishes `https://www.arca.gob.ar/fe/qr/`.
pub const DEFAULT_QR_URL: &str = "https://www.afip.gob.ar/fe/qr/";

/// Which authorization code the invoice carries (`tipoCodAut`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationKind {
    /// `"E"`: CAE.
    Cae,
    /// `"A"`: CAEA.
    Caea,
}

/// The data encoded in the QR (RG 4892 table, reference §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrData {
    pub date: NaiveDate,
    pub issuer: Cuit,
    pub point_of_sale: u32,
    pub voucher_type: u16,
    pub number: u64,
    pub total: Money,
    pub currency: String,
    pub rate: Rate,
    /// `(tipoDocRec, nroDocRec)`, omitted when absent.
    pub receiver_doc: Option<(u8, u64)>,
    pub auth_kind: AuthorizationKind,
    /// The 14-digit CAE or CAEA.
    pub auth_code: u64,
}

/// Rendering failed (the data cannot fit a QR, which cannot happen for valid invoice data).
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the QR payload does not fit a QR code: {0}")]
    Encode(String),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

impl QrData {
    /// The QR data of an authorized invoice.
    pub fn for_invoice(
        issuer: Cuit,
        invoice: &Invoice,
        number: u64,
        auth_kind: AuthorizationKind,
        auth_code: u64,
    ) -> QrData {
        QrData {
            date: invoice.date,
            issuer,
            point_of_sale: invoice.point_of_sale,
            voucher_type: invoice.voucher_type.code(),
            number,
            total: invoice.amounts.total,
            currency: invoice.currency.code.clone(),
            rate: invoice.currency.rate,
            receiver_doc: Some((
                invoice.receiver.doc.doc_tipo(),
                invoice.receiver.doc.doc_nro(),
            )),
            auth_kind,
            auth_code,
        }
    }

    /// The compact JSON, fields in the spec's order, numbers as JSON numbers.
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(256);
        s.push_str(&format!(
            "{{\"ver\":1,\"fecha\":\"{}\",\"cuit\":{},\"ptoVta\":{},\"tipoCmp\":{},\"nroCmp\":{},\"importe\":{},\"moneda\":{},\"ctz\":{}",
            self.date.format("%Y-%m-%d"),
            self.issuer.as_u64(),
            self.point_of_sale,
            self.voucher_type,
            self.number,
            self.total.to_json_number(),
            serde_json::Value::String(self.currency.clone()),
            self.rate.to_wire(),
        ));
        if let Some((tipo, nro)) = self.receiver_doc {
            s.push_str(&format!(",\"tipoDocRec\":{tipo},\"nroDocRec\":{nro}"));
        }
        let kind = match self.auth_kind {
            AuthorizationKind::Cae => "E",
            AuthorizationKind::Caea => "A",
        };
        s.push_str(&format!(
            ",\"tipoCodAut\":\"{kind}\",\"codAut\":{}}}",
            self.auth_code
        ));
        s
    }

    /// `{base_url}?p={base64(json)}` (standard alphabet, with padding).
    pub fn url(&self, base_url: &str) -> String {
        let p = base64::engine::general_purpose::STANDARD.encode(self.to_json());
        format!("{base_url}?p={p}")
    }

    fn code(&self, base_url: &str) -> Result<qrcode::QrCode, QrError> {
        qrcode::QrCode::with_error_correction_level(self.url(base_url), qrcode::EcLevel::L)
            .map_err(|e| QrError::Encode(e.to_string()))
    }

    /// An SVG image of the QR.
    pub fn to_svg(&self, base_url: &str) -> Result<String, QrError> {
        Ok(self
            .code(base_url)?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build())
    }

    /// A grayscale PNG: `module_px` pixels per module and a 4-module quiet zone.
    pub fn to_png(&self, base_url: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
        let code = self.code(base_url)?;
        let width = code.width() as u32;
        let colors = code.to_colors();
        let border = 4;
        let px = module_px.max(1);
        let side = (width + 2 * border) * px;
        let mut pixels = vec![255u8; (side * side) as usize];
        for (i, c) in colors.iter().enumerate() {
            if *c == qrcode::Color::Dark {
                let (mx, my) = (i as u32 % width, i as u32 / width);
                for dy in 0..px {
                    let row = (my + border) * px + dy;
                    let start = (row * side + (mx + border) * px) as usize;
                    pixels[start..start + px as usize].fill(0);
                }
            }
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, side, side);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc
                .write_header()
                .map_err(|e| QrError::Png(e.to_string()))?;
            w.write_image_data(&pixels)
                .map_err(|e| QrError::Png(e.to_string()))?;
        }
        Ok(out)
    }
}
