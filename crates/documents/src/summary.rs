//! What both layouts print below the lines: totals rows and the Ley 27.743 block.

use mostrador_afip::invoice::VoucherClass;
use mostrador_types::Money;

use crate::format;
use crate::InvoiceDocument;

/// One row of the totals: label, amount, emphasized.
pub struct TotalRow {
    pub label: String,
    pub amount: Money,
    pub strong: bool,
}

fn row(label: impl Into<String>, amount: Money) -> TotalRow {
    TotalRow {
        label: label.into(),
        amount,
        strong: false,
    }
}

pub fn totals(doc: &InvoiceDocument) -> Vec<TotalRow> {
    let a = &doc.amounts;
    let mut rows = Vec::new();
    if doc.voucher_type.class == VoucherClass::A {
        rows.push(row("Importe Neto Gravado", a.net));
        let mut iva = a.iva.clone();
        // Highest aliquot first, as AFIP's own printout lists them.
        iva.sort_by_key(|l| std::cmp::Reverse(l.rate));
        for line in &iva {
            rows.push(row(
                format!("IVA {}", format::percent(line.rate.basis_points())),
                line.amount,
            ));
        }
        if !a.exempt.is_zero() {
            rows.push(row("Importe Exento", a.exempt));
        }
        if !a.not_taxed.is_zero() {
            rows.push(row("Importe No Gravado", a.not_taxed));
        }
    } else {
        let subtotal = a.total.checked_sub(a.tributes_total).unwrap_or(a.total);
        rows.push(row("Subtotal", subtotal));
    }
    rows.push(row("Importe Otros Tributos", a.tributes_total));
    rows.push(TotalRow {
        label: "Importe Total".into(),
        amount: a.total,
        strong: true,
    });
    rows
}

/// The Ley 27.743 lines for class B: the IVA contained and the other national indirect taxes
/// (tributes 1, nacionales, and 4, internos).
pub fn transparencia(doc: &InvoiceDocument) -> Option<[(String, Money); 2]> {
    if !doc.shows_transparencia() {
        return None;
    }
    let other = Money::checked_sum(
        doc.amounts
            .tributes
            .iter()
            .filter(|t| t.id == 1 || t.id == 4)
            .map(|t| t.amount),
    )
    .unwrap_or(Money::ZERO);
    Some([
        ("IVA Contenido".into(), doc.amounts.iva_total),
        ("Otros Impuestos Nacionales Indirectos".into(), other),
    ])
}
