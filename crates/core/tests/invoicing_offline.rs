//! Offline backlog and date windows, against the AFIP simulator over real HTTP.
//!
//! - 1,000 invoices queued while AFIP is unreachable (nothing listens on its port), then AFIP
//!   comes up on that port: the backlog drains in order with exactly one WSAA login
//!   (`INVOICING_BACKLOG_N` changes the count). Prints invoices/s.
//! - Date windows with the simulator's clock: products ±5 days, services ±10, never before the
//!   last invoice; past the window the invoice waits for the owner, who confirms today's date.

mod invoicing_support;

use std::time::{Duration, Instant};

use chrono::Duration as Days;
use invoicing_support::*;
use mostrador_core::invoicing::model::{ConceptInput, ConceptKind};
use mostrador_core::invoicing::submit::{age_warning, HOLD_DATE_BEFORE_LAST, HOLD_DATE_WINDOW};
use mostrador_core::invoicing::InvoiceState;

#[test]
fn a_thousand_invoices_queued_offline_drain_in_order_with_one_login() {
    let n: usize = std::env::var("INVOICING_BACKLOG_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(5));
    let port = free_port();
    let afip = format!("http://127.0.0.1:{port}/afip");
    let engine = Engine::start(&fx, &afip);

    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(engine.create(fx.org, sale(10_000 + i as i64, None)));
    }
    // AFIP is unreachable: the first one was tried (and failed to log in); nothing got a number.
    engine.rt.block_on(async {
        let tried = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let attempts: i64 = sqlx::query_scalar(
                    "SELECT attempts FROM jobs WHERE id = (SELECT submit_job_id FROM invoices WHERE id = ?)",
                )
                .bind(ids[0])
                .fetch_one(engine.store.reader())
                .await
                .unwrap();
                if attempts > 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(tried.is_ok(), "the first submission was never attempted");
    });
    for id in [ids[0], ids[n / 2], ids[n - 1]] {
        let (s, number, _) = engine.state(id);
        assert_eq!((s, number), (InvoiceState::Queued, None));
    }
    assert_eq!(engine.tickets.logins(), 0);

    // AFIP answers again.
    let started = Instant::now();
    let sandbox = serve(&net, &fx.sim, port);
    engine.wait_all(Duration::from_secs(600), "the backlog to drain", |s, _| {
        s == InvoiceState::Authorized
    });
    let secs = started.elapsed().as_secs_f64();
    let numbers: Vec<i64> = engine
        .rt
        .block_on(
            sqlx::query_scalar("SELECT number FROM invoices ORDER BY id")
                .fetch_all(engine.store.reader()),
        )
        .unwrap();
    let expected: Vec<i64> = (1..=n as i64).collect();
    assert_eq!(numbers, expected, "issued in the order they were queued");
    println!(
        "offline backlog: {n} invoices drained in {secs:.2} s ({:.0} invoices/s) with {} WSAA login(s)",
        n as f64 / secs,
        engine.tickets.logins()
    );
    assert_eq!(
        engine.tickets.logins(),
        1,
        "one WSAA login for the whole backlog"
    );
    assert_eq!(fx.sim.invoices().len(), n);
    engine.stop();
    drop(sandbox);
}

#[test]
fn date_windows_follow_the_simulator_clock_and_the_owner_confirms_redating() {
    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(5));
    let sandbox = serve(&net, &fx.sim, 0);
    let engine = Engine::start(&fx, &sandbox.afip_url());
    let wait = Duration::from_secs(30);
    let today = sim_today(&fx.sim);

    // Products dated 5 days back: still inside the window.
    let ok = engine.create(fx.org, sale(1_00, Some(today - Days::days(5))));
    engine.wait_one(ok, wait, "authorized", |s, _, _| {
        s == InvoiceState::Authorized
    });

    // Then AFIP's calendar moves on 2 days (the invoice above stays the last one): a product
    // dated 6 days before the new today is past the window: held for the owner, no number.
    fx.sim.advance(Days::days(2));
    let today = sim_today(&fx.sim);
    let late = engine.create(fx.org, sale(2_00, Some(today - Days::days(6))));
    engine.wait_one(late, wait, "held", |s, n, h| {
        s == InvoiceState::Queued && n.is_none() && h == Some(HOLD_DATE_WINDOW)
    });
    assert_eq!(
        fx.sim.invoices().len(),
        1,
        "nothing sent for the held invoice"
    );

    // Services have ±10 days: 7 days back goes out (a product would be held), and it is not
    // before the last invoice (5 days before the old today = 7 days before this one).
    let mut service = sale(3_00, Some(today - Days::days(7)));
    service.concept = ConceptInput {
        kind: ConceptKind::Services,
        service_from: Some(today - Days::days(30)),
        service_to: Some(today - Days::days(7)),
        payment_due: Some(today),
    };
    let svc = engine.create(fx.org, service);
    engine.wait_one(svc, wait, "authorized", |s, _, _| {
        s == InvoiceState::Authorized
    });

    // A product dated before the last invoice of the sequence: held (AFIP would answer 10016).
    let last_date = today - Days::days(1);
    let a = engine.create(fx.org, sale(4_00, Some(last_date)));
    engine.wait_one(a, wait, "authorized", |s, _, _| {
        s == InvoiceState::Authorized
    });
    let before = engine.create(fx.org, sale(5_00, Some(last_date - Days::days(1))));
    engine.wait_one(before, wait, "held", |s, _, h| {
        s == InvoiceState::Queued && h == Some(HOLD_DATE_BEFORE_LAST)
    });

    // The owner confirms today's date for both held invoices: they go out dated today.
    for id in [late, before] {
        engine
            .rt
            .block_on(engine.invoicing.confirm_with_today(fx.org, id))
            .unwrap();
        engine.wait_one(id, wait, "authorized", |s, _, _| {
            s == InvoiceState::Authorized
        });
        let date: String = engine
            .rt
            .block_on(
                sqlx::query_scalar("SELECT date FROM invoices WHERE id = ?")
                    .bind(id)
                    .fetch_one(engine.store.reader()),
            )
            .unwrap();
        assert_eq!(date, today.to_string());
        let note: String = engine
            .rt
            .block_on(
                sqlx::query_scalar(
                    "SELECT note FROM invoice_state_history WHERE invoice_id = ? AND note LIKE '%confirmó%'",
                )
                .bind(id)
                .fetch_one(engine.store.reader()),
            )
            .unwrap();
        assert!(note.contains(&today.to_string()), "{note}");
    }
    // Confirming something that is not held is refused.
    assert!(engine
        .rt
        .block_on(engine.invoicing.confirm_with_today(fx.org, ok))
        .is_err());

    // The warning from day 3 (products close at 5).
    assert_eq!(age_warning(today - Days::days(2), today, 5), None);
    assert!(age_warning(today - Days::days(3), today, 5)
        .unwrap()
        .contains("quedan 2 días"));

    // AFIP holds exactly what we authorized, each with its number and date.
    let at_afip = fx.sim.invoices();
    assert_eq!(at_afip.len(), 5);
    engine.stop();
}
