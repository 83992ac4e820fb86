//! The A4 layout: AFIP's usual invoice (header with the letter box, receiver, lines, totals,
//! CAE and QR at the foot). Lines that do not fit continue on another page with the header.

use crate::canvas::{wrap, Align, Page};
use crate::font::{Fonts, Weight};
use crate::qr::Qr;
use crate::{format, labels, summary, InvoiceDocument, LineIva};
use mostrador_afip::invoice::VoucherClass;

const W: f32 = 595.28;
const H: f32 = 841.89;
const LEFT: f32 = 28.0;
const RIGHT: f32 = W - 28.0;
const MID: f32 = W / 2.0;
/// Lines stop above this; the foot (totals, legend, CAE, QR) lives below.
const FOOT_TOP: f32 = 270.0;
const ROW: f32 = 11.0;
/// The logo's box in the issuer half of the header: what leaves room for the names and three
/// data rows below it inside the 120-point header.
const LOGO_MAX_W: f32 = 150.0;
const LOGO_MAX_H: f32 = 34.0;

use Align::{Center as C, Left as L, Right as R};
use Weight::{Bold as B, Regular as N};

pub fn draw(doc: &InvoiceDocument, fonts: &mut Fonts, qr: &Qr) -> Vec<Page> {
    let class_a = doc.voucher_type.class == VoucherClass::A;
    // Column right edges: cantidad, precio unitario, bonificación, [IVA], subtotal.
    let cols: &[(&str, f32)] = if class_a {
        &[
            ("Cantidad", 318.0),
            ("Precio Unit.", 390.0),
            ("Bonif.", 445.0),
            ("Alíc. IVA", 495.0),
            ("Subtotal", RIGHT - 4.0),
        ]
    } else {
        &[
            ("Cantidad", 340.0),
            ("Precio Unit.", 415.0),
            ("Bonif.", 480.0),
            ("Subtotal", RIGHT - 4.0),
        ]
    };
    let desc_width = 260.0;

    let mut pages = Vec::new();
    let mut page = Page::new(W, H);
    let mut y = header(doc, fonts, &mut page, cols);
    for line in &doc.lines {
        let desc = wrap(fonts, &line.description, 8.0, N, desc_width);
        let needed = desc.len() as f32 * ROW;
        if y - needed < FOOT_TOP {
            pages.push(std::mem::replace(&mut page, Page::new(W, H)));
            y = header(doc, fonts, &mut page, cols);
        }
        let mut values = vec![
            format::quantity(line.quantity),
            format::amount(line.unit_price),
            format::amount(line.discount),
        ];
        if class_a {
            values.push(match line.iva {
                LineIva::Rate(r) => format::percent(r.basis_points()),
                LineIva::Exempt => "Exento".into(),
                LineIva::NotTaxed => "No grav.".into(),
                LineIva::None => String::new(),
            });
        }
        values.push(format::amount(line.subtotal));
        for (i, text) in desc.iter().enumerate() {
            page.text(fonts, LEFT + 4.0, y - i as f32 * ROW, 8.0, N, L, text);
        }
        for ((_, x), v) in cols.iter().zip(&values) {
            page.text(fonts, *x, y, 8.0, N, R, v);
        }
        y -= needed + 2.0;
    }
    foot(doc, fonts, &mut page, qr);
    pages.push(page);
    pages
}

/// Issuer, letter box, voucher data, receiver and the lines' column titles; returns the
/// baseline of the first line.
fn header(doc: &InvoiceDocument, fonts: &mut Fonts, p: &mut Page, cols: &[(&str, f32)]) -> f32 {
    let top = H - 28.0;
    let bottom = top - 120.0;
    p.frame(LEFT, bottom, RIGHT - LEFT, top - bottom, 0.8);
    // The letter box, centred on the top edge, and the rule below it.
    let box_side = 46.0;
    p.content.save_state().set_fill_gray(1.0);
    p.content
        .rect(MID - box_side / 2.0, top - box_side, box_side, box_side)
        .fill_nonzero()
        .restore_state();
    p.frame(
        MID - box_side / 2.0,
        top - box_side,
        box_side,
        box_side,
        0.8,
    );
    p.line(MID, top - box_side, MID, bottom, 0.8);
    let t = doc.voucher_type;
    p.text(fonts, MID, top - 30.0, 28.0, B, C, labels::letter(t));
    p.text(fonts, MID, top - 41.0, 7.0, B, C, &labels::code(t));

    // Issuer, left: the logo first (if any), the names below it.
    let i = &doc.issuer;
    let x = LEFT + 8.0;
    let mut y = top - 24.0;
    if let Some(logo) = &i.logo {
        let (w, h) = logo.fit(LOGO_MAX_W, LOGO_MAX_H);
        p.logo(x, top - 6.0 - h, w, h);
        y = top - 6.0 - h - 14.0;
    }
    let head = i.trade_name.as_deref().unwrap_or(&i.legal_name);
    for l in wrap(fonts, head, 13.0, B, MID - box_side / 2.0 - x - 6.0) {
        p.text(fonts, x, y, 13.0, B, L, &l);
        y -= 15.0;
    }
    y -= 6.0;
    let left_width = MID - x - 8.0;
    let kv = |fonts: &mut Fonts, p: &mut Page, key: &str, value: &str, y: &mut f32| {
        let k = format!("{key}: ");
        let kw = fonts.face(B).width(&k, 8.0);
        p.text(fonts, x, *y, 8.0, B, L, &k);
        for l in wrap(fonts, value, 8.0, N, left_width - kw) {
            p.text(fonts, x + kw, *y, 8.0, N, L, &l);
            *y -= 10.0;
        }
    };
    kv(fonts, p, "Razón Social", &i.legal_name, &mut y);
    kv(fonts, p, "Domicilio Comercial", &i.address, &mut y);
    kv(
        fonts,
        p,
        "Condición frente al IVA",
        labels::iva_condition(i.iva_condition),
        &mut y,
    );

    // Voucher data, right.
    let x = MID + 36.0;
    p.text(fonts, x, top - 24.0, 16.0, B, L, labels::voucher_title(t));
    let mut y = top - 44.0;
    let pos = format!("Punto de Venta: {:05}", doc.point_of_sale);
    let nro = format!("Comp. Nro: {:08}", doc.number);
    p.text(fonts, x, y, 9.0, B, L, &pos);
    p.text(fonts, RIGHT - 8.0, y, 9.0, B, R, &nro);
    y -= 13.0;
    for (k, v) in [
        ("Fecha de Emisión", format::date(doc.date)),
        ("CUIT", i.cuit.to_string()),
        ("Ingresos Brutos", i.iibb.clone()),
        (
            "Fecha de Inicio de Actividades",
            format::date(i.activity_start),
        ),
    ] {
        let k = format!("{k}: ");
        let kw = fonts.face(B).width(&k, 8.0);
        p.text(fonts, x, y, 8.0, B, L, &k);
        p.text(fonts, x + kw, y, 8.0, N, L, &v);
        y -= 11.0;
    }

    // Service period.
    let mut y = bottom - 4.0;
    if let Some(s) = doc.service {
        let h = 16.0;
        p.frame(LEFT, y - h, RIGHT - LEFT, h, 0.8);
        let text = format!(
            "Período Facturado Desde: {}    Hasta: {}    Fecha de Vto. para el pago: {}",
            format::date(s.from),
            format::date(s.to),
            format::date(s.payment_due)
        );
        p.text(fonts, LEFT + 8.0, y - 11.0, 8.0, N, L, &text);
        y -= h + 4.0;
    }

    // Receiver.
    let c = &doc.customer;
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(d) = labels::receiver_doc(c.doc) {
        let (k, v) = d.split_once(": ").unwrap_or(("Documento", &d));
        rows.push((k.into(), v.into()));
    }
    let name = if c.name.is_empty() {
        "Consumidor Final".to_string()
    } else {
        c.name.clone()
    };
    rows.push(("Apellido y Nombre / Razón Social".into(), name));
    rows.push((
        "Condición frente al IVA".into(),
        labels::iva_condition(c.iva_condition).into(),
    ));
    if let Some(a) = &c.address {
        rows.push(("Domicilio".into(), a.clone()));
    }
    if !doc.currency.is_pesos() {
        rows.push((
            "Moneda".into(),
            format!(
                "{}  Cotización: {}",
                doc.currency.code,
                format::rate(doc.currency.rate)
            ),
        ));
    }
    let h = rows.len() as f32 * 11.0 + 8.0;
    p.frame(LEFT, y - h, RIGHT - LEFT, h, 0.8);
    let mut ry = y - 12.0;
    for (k, v) in &rows {
        let k = format!("{k}: ");
        let kw = fonts.face(B).width(&k, 8.0);
        p.text(fonts, LEFT + 8.0, ry, 8.0, B, L, &k);
        p.text(fonts, LEFT + 8.0 + kw, ry, 8.0, N, L, v);
        ry -= 11.0;
    }
    y -= h + 6.0;

    // Column titles on a grey bar.
    let bar = 14.0;
    p.content.save_state().set_fill_gray(0.85);
    p.content
        .rect(LEFT, y - bar, RIGHT - LEFT, bar)
        .fill_nonzero()
        .restore_state();
    p.frame(LEFT, y - bar, RIGHT - LEFT, bar, 0.8);
    p.text(fonts, LEFT + 4.0, y - 10.0, 8.0, B, L, "Descripción");
    for (title, x) in cols {
        p.text(fonts, *x, y - 10.0, 8.0, B, R, title);
    }
    y - bar - 12.0
}

/// Totals, the Ley 27.743 block (class B), CAE and QR.
fn foot(doc: &InvoiceDocument, fonts: &mut Fonts, p: &mut Page, qr: &Qr) {
    let rows = summary::totals(doc);
    let top = FOOT_TOP - 6.0;
    let h = rows.len() as f32 * 13.0 + 10.0;
    p.frame(LEFT, top - h, RIGHT - LEFT, h, 0.8);
    let mut y = top - 14.0;
    for r in &rows {
        let (size, weight) = if r.strong { (10.0, B) } else { (8.5, N) };
        p.text(
            fonts,
            RIGHT - 110.0,
            y,
            size,
            weight,
            R,
            &format!("{}: $", r.label),
        );
        p.text(
            fonts,
            RIGHT - 8.0,
            y,
            size,
            weight,
            R,
            &format::amount(r.amount),
        );
        y -= 13.0;
    }
    if let Some(lines) = summary::transparencia(doc) {
        let x = LEFT + 8.0;
        let mut y = top - 14.0;
        p.text(fonts, x, y, 8.0, B, L, labels::TRANSPARENCIA);
        y -= 12.0;
        for (k, v) in lines {
            p.text(
                fonts,
                x,
                y,
                8.0,
                N,
                L,
                &format!("{k}: {}", format::money(v)),
            );
            y -= 11.0;
        }
    }

    // QR bottom left (white quiet zone is the page around it), CAE bottom right.
    let side = 100.0;
    let qr_top = 28.0 + side;
    p.qr(qr, LEFT + 8.0, qr_top, side);
    let x = LEFT + side + 24.0;
    p.text(
        fonts,
        x,
        qr_top - 30.0,
        11.0,
        B,
        L,
        "Comprobante Autorizado",
    );
    p.text(
        fonts,
        x,
        qr_top - 44.0,
        7.0,
        N,
        L,
        "Esta Agencia no se responsabiliza por los datos ingresados en el detalle de la operación",
    );
    let auth = match doc.authorization.kind {
        mostrador_afip::qr::AuthorizationKind::Cae => "CAE",
        mostrador_afip::qr::AuthorizationKind::Caea => "CAEA",
    };
    p.text(
        fonts,
        RIGHT - 8.0,
        qr_top - 66.0,
        10.0,
        B,
        R,
        &format!("{auth} N°: {:014}", doc.authorization.code),
    );
    p.text(
        fonts,
        RIGHT - 8.0,
        qr_top - 80.0,
        10.0,
        B,
        R,
        &format!(
            "Fecha de Vto. de {auth}: {}",
            format::date(doc.authorization.due)
        ),
    );
}
