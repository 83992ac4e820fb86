//! The 80 mm ticket: one column, as long as its content (thermal printers cut where it ends).

use crate::canvas::{wrap, Align, Page};
use crate::font::{Fonts, Weight};
use crate::qr::Qr;
use crate::{format, labels, summary, InvoiceDocument, LineIva};
use mostrador_afip::invoice::VoucherClass;
use mostrador_afip::qr::AuthorizationKind;

/// 80 mm in points.
const W: f32 = 226.77;
const MARGIN: f32 = 10.0;
const QR_SIDE: f32 = 130.0;
const LOGO_MAX_H: f32 = 50.0;

enum Row {
    Text(f32, Weight, Align, String),
    /// Label left, amount right, on one line.
    Pair(f32, Weight, String, String),
    Rule,
    Gap(f32),
    Qr,
    /// The issuer's logo, centred, `w` × `h` points.
    Logo(f32, f32),
}

impl Row {
    fn height(&self) -> f32 {
        match self {
            Row::Text(size, ..) | Row::Pair(size, ..) => size * 1.3,
            Row::Rule => 8.0,
            Row::Gap(h) => *h,
            Row::Qr => QR_SIDE + 8.0,
            Row::Logo(_, h) => h + 6.0,
        }
    }
}

struct Rows<'f> {
    fonts: &'f Fonts,
    rows: Vec<Row>,
}

impl Rows<'_> {
    /// Wrapped text, each piece its own row.
    fn text(&mut self, size: f32, weight: Weight, align: Align, text: &str) {
        for l in wrap(self.fonts, text, size, weight, W - 2.0 * MARGIN) {
            self.rows.push(Row::Text(size, weight, align, l));
        }
    }
    fn pair(&mut self, size: f32, weight: Weight, label: String, value: String) {
        self.rows.push(Row::Pair(size, weight, label, value));
    }
    fn push(&mut self, row: Row) {
        self.rows.push(row);
    }
}

use Align::{Center as C, Left as L};
use Weight::{Bold as B, Regular as N};

pub fn draw(doc: &InvoiceDocument, fonts: &mut Fonts, qr: &Qr) -> Vec<Page> {
    let rows = rows(doc, fonts);
    let height: f32 = rows.iter().map(Row::height).sum::<f32>() + 2.0 * MARGIN;
    let mut page = Page::new(W, height);
    let mut y = height - MARGIN;
    for row in &rows {
        let h = row.height();
        match row {
            Row::Text(size, weight, align, text) => {
                let x = match align {
                    Align::Left => MARGIN,
                    Align::Center => W / 2.0,
                    Align::Right => W - MARGIN,
                };
                page.text(fonts, x, y - size, *size, *weight, *align, text);
            }
            Row::Pair(size, weight, label, value) => {
                page.text(fonts, MARGIN, y - size, *size, *weight, L, label);
                page.text(
                    fonts,
                    W - MARGIN,
                    y - size,
                    *size,
                    *weight,
                    Align::Right,
                    value,
                );
            }
            Row::Rule => {
                page.content.save_state().set_dash_pattern([2.0, 2.0], 0.0);
                page.line(MARGIN, y - 4.0, W - MARGIN, y - 4.0, 0.5);
                page.content.restore_state();
            }
            Row::Gap(_) => {}
            Row::Qr => page.qr(qr, (W - QR_SIDE) / 2.0, y - 4.0, QR_SIDE),
            Row::Logo(w, h) => page.logo((W - w) / 2.0, y - h, *w, *h),
        }
        y -= h;
    }
    vec![page]
}

fn rows(doc: &InvoiceDocument, fonts: &Fonts) -> Vec<Row> {
    let mut r = Rows {
        fonts,
        rows: Vec::new(),
    };
    let i = &doc.issuer;
    if let Some(logo) = &i.logo {
        let (w, h) = logo.fit(W - 2.0 * MARGIN, LOGO_MAX_H);
        r.push(Row::Logo(w, h));
    }
    if let Some(trade) = &i.trade_name {
        r.text(11.0, B, C, trade);
    }
    r.text(9.0, B, C, &i.legal_name);
    r.text(7.5, N, C, &format!("CUIT: {}", i.cuit));
    r.text(7.5, N, C, &format!("Ing. Brutos: {}", i.iibb));
    r.text(
        7.5,
        N,
        C,
        &format!("Inicio de Actividades: {}", format::date(i.activity_start)),
    );
    r.text(7.5, N, C, &i.address);
    r.text(7.5, N, C, labels::iva_condition(i.iva_condition));
    r.push(Row::Rule);

    let t = doc.voucher_type;
    r.text(
        11.0,
        B,
        C,
        &format!("{} {}", labels::voucher_title(t), labels::letter(t)),
    );
    r.text(7.0, N, C, &labels::code(t));
    r.text(
        9.0,
        B,
        C,
        &format!(
            "Nro: {}",
            format::voucher_number(doc.point_of_sale, doc.number)
        ),
    );
    r.text(8.0, N, C, &format!("Fecha: {}", format::date(doc.date)));
    if let Some(s) = doc.service {
        r.text(
            7.5,
            N,
            C,
            &format!(
                "Período: {} al {} - Vto. pago: {}",
                format::date(s.from),
                format::date(s.to),
                format::date(s.payment_due)
            ),
        );
    }
    r.push(Row::Rule);

    let c = &doc.customer;
    if let Some(d) = labels::receiver_doc(c.doc) {
        r.text(8.0, N, L, &d);
    }
    if !c.name.is_empty() {
        r.text(8.0, N, L, &c.name);
    }
    r.text(8.0, N, L, labels::iva_condition(c.iva_condition));
    if let Some(a) = &c.address {
        r.text(8.0, N, L, a);
    }
    if !doc.currency.is_pesos() {
        r.text(
            8.0,
            N,
            L,
            &format!(
                "Moneda: {}  Cotización: {}",
                doc.currency.code,
                format::rate(doc.currency.rate)
            ),
        );
    }
    r.push(Row::Rule);

    let class_a = t.class == VoucherClass::A;
    for line in &doc.lines {
        r.text(8.0, N, L, &line.description);
        let mut detail = format!(
            "{} x {}",
            format::quantity(line.quantity),
            format::amount(line.unit_price)
        );
        if class_a {
            if let LineIva::Rate(rate) = line.iva {
                detail.push_str(&format!(" ({})", format::percent(rate.basis_points())));
            }
        }
        r.pair(8.0, N, detail, format::amount(line.subtotal));
        if !line.discount.is_zero() {
            r.pair(
                8.0,
                N,
                "  Bonificación".into(),
                format!("-{}", format::amount(line.discount)),
            );
        }
    }
    r.push(Row::Rule);

    for row in summary::totals(doc) {
        let (size, weight, label) = if row.strong {
            (11.0, B, "TOTAL".to_string())
        } else {
            (8.0, N, row.label)
        };
        r.pair(size, weight, label, format::money(row.amount));
    }
    if let Some(lines) = summary::transparencia(doc) {
        r.push(Row::Gap(4.0));
        r.text(7.5, B, L, labels::TRANSPARENCIA);
        for (k, v) in lines {
            r.pair(7.5, N, k, format::money(v));
        }
    }
    r.push(Row::Rule);

    let auth = match doc.authorization.kind {
        AuthorizationKind::Cae => "CAE",
        AuthorizationKind::Caea => "CAEA",
    };
    r.text(
        9.0,
        B,
        C,
        &format!("{auth} N°: {:014}", doc.authorization.code),
    );
    r.text(
        8.0,
        N,
        C,
        &format!("Vto. {auth}: {}", format::date(doc.authorization.due)),
    );
    r.push(Row::Qr);
    r.text(7.5, B, C, "Comprobante Autorizado");
    r.rows
}
