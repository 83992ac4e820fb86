//! Facturas' list (issue 13, "The list"): pending and in-doubt invoices stay on top with what
//! the app is doing about them, even when the period shown does not hold their date.

mod invoicing_support;

use std::time::Duration;

use invoicing_support::*;
use mostrador_core::invoicing::list::{self, ListFilter};
use mostrador_core::invoicing::InvoiceState;

#[test]
fn a_queued_invoice_stays_on_top_whatever_the_period_shown() {
    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(5));
    // AFIP unreachable: the invoice stays queued.
    let afip = format!("http://127.0.0.1:{}/afip", free_port());
    let engine = Engine::start(&fx, &afip);
    let id = engine.create(fx.org, sale(12_345, None));
    let today = sim_today(&fx.sim);

    // The owner looks at last month: the queued one is still listed, on top, with what the app
    // does about it; a filter by an authorized state still leaves it out.
    let last_month = ListFilter {
        from: Some(today - chrono::Duration::days(60)),
        to: Some(today - chrono::Duration::days(30)),
        ..Default::default()
    };
    let items = engine
        .rt
        .block_on(list::list(&engine.store, fx.org, &last_month, today, 50))
        .unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].id, id);
    assert!(matches!(
        items[0].state,
        InvoiceState::Queued | InvoiceState::Submitting
    ));
    assert!(items[0].doing.is_some(), "{:?}", items[0]);
    let authorized_only = ListFilter {
        state: Some(InvoiceState::Authorized),
        ..last_month
    };
    let none = engine
        .rt
        .block_on(list::list(
            &engine.store,
            fx.org,
            &authorized_only,
            today,
            50,
        ))
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
    engine.stop();
}
