//! Notas de crédito / débito referencing an authorized invoice (total or partial) with CbtesAsoc,
//! against the AFIP simulator over real HTTP; local rules refuse what AFIP would.

mod invoicing_support;

use std::time::Duration;

use invoicing_support::*;
use mostrador_core::invoicing::list::{self, ListFilter};
use mostrador_core::invoicing::model::DocumentKind;
use mostrador_core::invoicing::{InvoiceState, InvoicingError};

#[test]
fn credit_notes_reference_the_invoice_and_never_exceed_what_is_left() {
    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(5));
    let sandbox = serve(&net, &fx.sim, 0);
    let engine = Engine::start(&fx, &sandbox.afip_url());
    let wait = Duration::from_secs(30);
    let authorized =
        |s: InvoiceState, _: Option<u64>, _: Option<&str>| s == InvoiceState::Authorized;

    let invoice = engine.create(fx.org, sale(100_000, None));
    engine.wait_one(invoice, wait, "invoice authorized", authorized);

    let note = |cents: i64, kind: DocumentKind| {
        let mut n = sale(cents, None);
        n.kind = kind;
        n.associated_invoice_id = Some(invoice);
        n
    };
    // A note on an invoice that is not authorized yet is refused, naming the field.
    let queued_only = engine.rt.block_on(async {
        let mut n = sale(1_00, None);
        n.kind = DocumentKind::NotaCredito;
        n.associated_invoice_id = Some(invoice + 1000);
        engine.invoicing.create(fx.org, n).await
    });
    assert!(
        matches!(queued_only, Err(InvoicingError::NotFound)),
        "{queued_only:?}"
    );

    // Partial credit, then more than what is left: refused before queuing.
    let nc1 = engine.create(fx.org, note(40_000, DocumentKind::NotaCredito));
    engine.wait_one(nc1, wait, "credit note authorized", authorized);
    let too_much = engine.rt.block_on(
        engine
            .invoicing
            .create(fx.org, note(60_001, DocumentKind::NotaCredito)),
    );
    match too_much {
        Err(InvoicingError::Field(f)) => {
            assert_eq!(
                (f.field.as_str(), f.rule.as_str()),
                ("items", "CREDIT_EXCEEDS_REMAINING")
            )
        }
        other => panic!("{other:?}"),
    }
    // The rest exactly, and a debit note.
    let nc2 = engine.create(fx.org, note(60_000, DocumentKind::NotaCredito));
    engine.wait_one(nc2, wait, "second credit note authorized", authorized);
    let nd = engine.create(fx.org, note(5_000, DocumentKind::NotaDebito));
    engine.wait_one(nd, wait, "debit note authorized", authorized);

    // AFIP holds one invoice (11) and two credit notes (13) and a debit note (12), each numbered
    // in its own sequence, the notes associated with invoice 1.
    let mut at_afip: Vec<(u16, u64)> = fx
        .sim
        .invoices()
        .iter()
        .map(|s| (s.voucher_type, s.number))
        .collect();
    at_afip.sort();
    assert_eq!(at_afip, vec![(11, 1), (12, 1), (13, 1), (13, 2)]);
    let asoc: Vec<(i64, i64)> = engine
        .rt
        .block_on(
            sqlx::query_as(
                "SELECT voucher_type, number FROM invoice_associated ORDER BY invoice_id",
            )
            .fetch_all(engine.store.reader()),
        )
        .unwrap();
    assert_eq!(asoc, vec![(11, 1); 3]);

    // The list, the period's totals (credit notes negative) and the libro IVA ventas CSV.
    let today = sim_today(&fx.sim);
    let items = engine
        .rt
        .block_on(list::list(
            &engine.store,
            fx.org,
            &ListFilter::default(),
            today,
            100,
        ))
        .unwrap();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|i| i.doing.is_none() && i.cae.is_some()));
    let day = chrono::Duration::days(1);
    let totals = engine
        .rt
        .block_on(list::totals(
            &engine.store,
            fx.org,
            today - day,
            today + day,
        ))
        .unwrap();
    let totals: Vec<(u16, u32, i64)> = totals
        .iter()
        .map(|t| (t.voucher_type, t.count, t.total_cents))
        .collect();
    assert_eq!(
        totals,
        vec![(11, 1, 100_000), (12, 1, 5_000), (13, 2, -100_000)]
    );
    let csv = engine
        .rt
        .block_on(list::libro_iva_ventas_csv(
            &engine.store,
            fx.org,
            today - day,
            today + day,
        ))
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("Fecha,Tipo de comprobante,Punto de venta,Número,CAE"));
    assert!(
        lines
            .iter()
            .any(|l| l.contains(",13,00003,00000001,") && l.ends_with(",-400.00")),
        "{csv}"
    );
    engine.stop();
}
