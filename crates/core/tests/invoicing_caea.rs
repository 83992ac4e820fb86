//! CAEA contingency against the AFIP simulator over real HTTP, on a real SQLite file and keychain:
//! the fortnight's CAEA obtained ahead of time, three invoices issued offline on the contingency
//! point of sale, informed with FECAEARegInformativo (the simulator has them as CAEA invoices),
//! and the unused contingency point of sale declared with FECAEASinMovimientoInformar.

mod invoicing_support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Days;
use invoicing_support::*;
use mostrador_afip::invoice::{
    Amounts, Concept, Currency, Invoice, InvoiceDraft, InvoiceSettings, Money, Receiver,
    ReceiverDoc, VoucherType,
};
use mostrador_core::invoicing::caea::{CaeaError, Contingency};
use mostrador_types::IvaCondition;
use sqlx::Row;

const CONTINGENCY: u32 = 90;
const UNUSED: u32 = 91;

fn factura_c(date: chrono::NaiveDate, pesos: i32) -> Invoice {
    InvoiceDraft {
        voucher_type: VoucherType::FACTURA_C,
        point_of_sale: CONTINGENCY,
        date,
        concept: Concept::Products,
        receiver: Receiver {
            doc: ReceiverDoc::Anonymous,
            condition: IvaCondition::ConsumidorFinal,
        },
        amounts: Amounts::class_c(Money::units(pesos), vec![]).unwrap(),
        currency: Currency::pesos(),
        associated: vec![],
    }
    .validate(&InvoiceSettings::default())
    .unwrap()
}

#[test]
fn caea_obtained_three_invoices_issued_offline_informed_and_an_unused_point_declared() {
    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(5));
    let port = free_port();
    let _afip = serve(&net, &fx.sim, port);
    let engine = Engine::start(&fx, &format!("http://127.0.0.1:{port}/afip"));
    let caea = Contingency::new(
        engine.store.clone(),
        engine.setups.clone(),
        engine.tickets.clone(),
        Arc::new(SimClock(fx.sim.clone())),
    );
    let org = fx.org;
    let today = sim_today(&fx.sim);

    engine.rt.block_on(async {
        // The CAE point of sale cannot be the contingency one.
        assert!(matches!(
            caea.set_points_of_sale(org, &[POINT_OF_SALE]).await,
            Err(CaeaError::Invalid(_))
        ));
        caea.set_points_of_sale(org, &[CONTINGENCY, UNUSED])
            .await
            .unwrap();

        // Not a contingency point of sale / no CAEA yet: refused before anything is stored.
        let mut other = factura_c(today, 10).draft().clone();
        other.point_of_sale = 92;
        let other = other.validate(&InvoiceSettings::default()).unwrap();
        assert!(matches!(
            caea.issue(org, &other).await,
            Err(CaeaError::NotContingencyPoint(92))
        ));
        assert!(matches!(
            caea.issue(org, &factura_c(today, 10)).await,
            Err(CaeaError::NoCaea(_))
        ));

        // Ahead of time: consult-or-request; a second pass requests nothing more.
        let stored = caea.ensure_caeas(org).await.unwrap();
        assert!(!stored.is_empty());
        let granted = fx.sim.caeas();
        assert_eq!(granted.len(), stored.len());
        let current = caea.caea_for(org, today).await.unwrap().unwrap();
        assert!(granted
            .iter()
            .any(|g| g.code == current.code.to_string() && g.report_by == current.report_by));
        caea.ensure_caeas(org).await.unwrap();
        assert_eq!(fx.sim.caeas().len(), granted.len());

        // Three invoices offline: numbered 1, 2, 3 locally, nothing sent yet.
        let mut numbers = Vec::new();
        for pesos in [100, 200, 300] {
            let issued = caea.issue(org, &factura_c(today, pesos)).await.unwrap();
            assert_eq!(issued.caea, current.code);
            numbers.push(issued.number);
        }
        assert_eq!(numbers, vec![1, 2, 3]);
        assert!(fx.sim.invoices().is_empty());

        // Informed: the simulator has them, under the CAEA, in order.
        let summary = caea.report_pending(org).await.unwrap();
        assert_eq!(
            (summary.informed, summary.rejected, summary.pending),
            (3, 0, 0)
        );
        let at_afip = fx.sim.invoices();
        assert_eq!(at_afip.len(), 3);
        for (inv, n) in at_afip.iter().zip(1..) {
            assert_eq!(
                (inv.point_of_sale, inv.voucher_type, inv.number),
                (CONTINGENCY, 11, n)
            );
            assert_eq!(inv.emission, "CAEA");
            assert_eq!(inv.cae, current.code.to_string());
        }
        assert_eq!(at_afip[2].total, 300.0);
        let states: Vec<String> = sqlx::query("SELECT state FROM caea_invoices ORDER BY number")
            .fetch_all(engine.store.reader())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("state"))
            .collect();
        assert_eq!(states, vec!["informed"; 3]);
        // A second pass has nothing to inform.
        assert_eq!(caea.report_pending(org).await.unwrap().informed, 0);

        // While the fortnight runs, nothing is declared unused.
        assert!(caea.declare_unused(org).await.unwrap().is_empty());
    });

    // The fortnight ends (still before FchTopeInf): the unused point is declared, once, and the
    // new fortnight's CAEA is obtained.
    fx.sim.advance(Days::days(
        (current_valid_to(&engine, &caea, org, today) - today).num_days() + 1,
    ));
    engine.rt.block_on(async {
        let declared = caea.declare_unused(org).await.unwrap();
        assert_eq!(declared.len(), 1);
        assert_eq!(declared[0].1, UNUSED);
        let at_afip = fx.sim.no_activity_declarations();
        assert_eq!(at_afip.len(), 1);
        assert_eq!(at_afip[0].point_of_sale, UNUSED);
        assert!(caea.declare_unused(org).await.unwrap().is_empty());

        let later = sim_today(&fx.sim);
        caea.ensure_caeas(org).await.unwrap();
        assert!(caea.caea_for(org, later).await.unwrap().is_some());
    });
    engine.stop();
}

fn current_valid_to(
    engine: &Engine,
    caea: &Contingency,
    org: mostrador_core::org::OrgId,
    today: chrono::NaiveDate,
) -> chrono::NaiveDate {
    engine
        .rt
        .block_on(caea.caea_for(org, today))
        .unwrap()
        .unwrap()
        .valid_to
}

/// The `afip.caea` job on the outbound engine: enqueued while AFIP is down it retries, and once
/// AFIP answers it stores the CAEA and informs what was issued offline.
#[test]
fn the_caea_job_retries_while_afip_is_down_then_informs() {
    use mostrador_core::activity::ActivityGate;
    use mostrador_core::invoicing::caea::job::{self, CaeaHandler};
    use mostrador_core::invoicing::{AfipSetup, AfipSetups, Tickets};
    use mostrador_core::outbound::{Handlers, Outbound, Wiring};
    use mostrador_core::store::Store;

    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(2));
    let port = free_port();
    let afip = format!("http://127.0.0.1:{port}/afip");
    let rt = runtime();
    let org = fx.org;
    let setups = AfipSetups::default();
    setups.set(
        org,
        AfipSetup {
            environment: Default::default(),
            endpoints: mostrador_afip::Endpoints::under(&afip).unwrap(),
            signer: fx.signer.clone(),
            point_of_sale: POINT_OF_SALE,
            timeout: fx.timeout,
            padron: None,
        },
    );
    let tickets = Arc::new(Tickets::new(fx.secrets.clone()));
    let (store, outbound, caea) = rt.block_on(async {
        let store = Store::open(&fx.db_path()).await.unwrap();
        let caea = Contingency::new(
            store.clone(),
            setups.clone(),
            tickets.clone(),
            Arc::new(SimClock(fx.sim.clone())),
        );
        let mut wiring = Wiring::new(fx.secrets.clone(), ActivityGate::new());
        wiring.handlers = Handlers::new().with(job::KIND, CaeaHandler::new(caea.clone()));
        let outbound = Outbound::start(store.clone(), wiring, fast_config())
            .await
            .unwrap();
        caea.set_points_of_sale(org, &[CONTINGENCY]).await.unwrap();
        outbound
            .queue()
            .enqueue(&job::job(org, fx.sim.now()).unwrap())
            .await
            .unwrap();
        (store, outbound, caea)
    });
    let attempts = || -> i64 {
        rt.block_on(
            sqlx::query_scalar("SELECT coalesce(max(attempts), 0) FROM jobs WHERE kind = ?")
                .bind(job::KIND)
                .fetch_one(store.reader()),
        )
        .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while attempts() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the job was not retried"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(fx.sim.caeas().is_empty());

    // AFIP comes up: the retry obtains the CAEA. Then an invoice issued offline is informed by
    // the next pass.
    let _sandbox = serve(&net, &fx.sim, port);
    let today = sim_today(&fx.sim);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while rt.block_on(caea.caea_for(org, today)).unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no CAEA after AFIP came up"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let issued = rt.block_on(caea.issue(org, &factura_c(today, 50))).unwrap();
    rt.block_on(async {
        outbound
            .queue()
            .enqueue(&job::soon(org, fx.sim.now(), issued.id).unwrap())
            .await
            .unwrap();
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while fx.sim.invoices().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the invoice was never informed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(fx.sim.invoices()[0].emission, "CAEA");
    rt.block_on(async {
        outbound.shutdown().await;
        store.close().await;
    });
    rt.shutdown_background();
}

/// The answer to FECAEARegInformativo is lost after AFIP stored the invoices: the pass leaves
/// them pending, and the next one (703, "not next") confirms them with FECompConsultar instead of
/// marking them rejected.
#[test]
fn a_lost_report_answer_is_confirmed_by_consulting_not_rejected() {
    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(2));
    let port = free_port();
    let _afip = serve(&net, &fx.sim, port);
    let engine = Engine::start(&fx, &format!("http://127.0.0.1:{port}/afip"));
    let caea = Contingency::new(
        engine.store.clone(),
        engine.setups.clone(),
        engine.tickets.clone(),
        Arc::new(SimClock(fx.sim.clone())),
    );
    let org = fx.org;
    let today = sim_today(&fx.sim);
    engine.rt.block_on(async {
        caea.set_points_of_sale(org, &[CONTINGENCY]).await.unwrap();
        caea.ensure_caeas(org).await.unwrap();
        for pesos in [10, 20] {
            caea.issue(org, &factura_c(today, pesos)).await.unwrap();
        }
        fx.sim.inject_once(
            "FECAEARegInformativo",
            mostrador_sandbox::afip::Fault::ProcessThenDrop,
        );
        assert!(caea.report_pending(org).await.is_err());
        assert_eq!(fx.sim.invoices().len(), 2);
        let summary = caea.report_pending(org).await.unwrap();
        // The first is confirmed by consulting; the batch stopped there, the second follows.
        assert_eq!((summary.informed, summary.rejected), (1, 0), "{summary:?}");
        let summary = caea.report_pending(org).await.unwrap();
        assert_eq!((summary.informed, summary.rejected), (1, 0), "{summary:?}");
        let states: Vec<String> = sqlx::query_scalar("SELECT state FROM caea_invoices")
            .fetch_all(engine.store.reader())
            .await
            .unwrap();
        assert_eq!(states, vec!["informed"; 2]);
    });
    engine.stop();
}

/// AFIP rejects one invoice at inform time (the simulator's `reject-inform` control): that one is
/// marked rejected with AFIP's code and reason, the others of the batch stay informed, a second
/// pass sends nothing, and the settings section counts it.
#[test]
fn an_invoice_afip_rejects_at_inform_is_marked_with_its_reason_and_counted() {
    use mostrador_sandbox::afip::caea::InformRejection;

    let net = runtime();
    let fx = Fixture::new(&net, Duration::from_secs(5));
    let port = free_port();
    let _afip = serve(&net, &fx.sim, port);
    let engine = Engine::start(&fx, &format!("http://127.0.0.1:{port}/afip"));
    let caea = Contingency::new(
        engine.store.clone(),
        engine.setups.clone(),
        engine.tickets.clone(),
        Arc::new(SimClock(fx.sim.clone())),
    );
    let org = fx.org;
    let today = sim_today(&fx.sim);
    const REASON: &str = "El campo DocNro no se encuentra registrado en los padrones de AFIP.";
    engine.rt.block_on(async {
        caea.set_points_of_sale(org, &[CONTINGENCY]).await.unwrap();
        caea.ensure_caeas(org).await.unwrap();
        for pesos in [10, 20, 30] {
            caea.issue(org, &factura_c(today, pesos)).await.unwrap();
        }
        // Only number 3 is refused; the rule for it does not touch 1 and 2.
        fx.sim
            .reject_inform(InformRejection::of(CONTINGENCY, 3, 10015, REASON));
        let summary = caea.report_pending(org).await.unwrap();
        assert_eq!(
            (summary.informed, summary.rejected, summary.pending),
            (2, 1, 0),
            "{summary:?}"
        );
        let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT number, state, reject_reason FROM caea_invoices ORDER BY number",
        )
        .fetch_all(engine.store.reader())
        .await
        .unwrap();
        assert_eq!(rows[0], (1, "informed".into(), None));
        assert_eq!(rows[1], (2, "informed".into(), None));
        assert_eq!((rows[2].0, rows[2].1.as_str()), (3, "rejected"));
        let reason = rows[2].2.as_deref().unwrap_or_default();
        assert!(
            reason.contains("10015") && reason.contains(REASON),
            "{reason}"
        );
        // AFIP has the two it accepted, not the refused one.
        let at_afip: Vec<u64> = fx.sim.invoices().iter().map(|i| i.number).collect();
        assert_eq!(at_afip, vec![1, 2]);
        // Nothing is sent again; the section counts it.
        assert_eq!(caea.report_pending(org).await.unwrap(), Default::default());
        let status = caea.status(org).await.unwrap();
        assert_eq!((status.pending, status.rejected), (0, 1));
    });
    engine.stop();
}
