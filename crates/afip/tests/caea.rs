//! CAEA operations against the simulator over real HTTP: request/consult (15006, 15008, 602),
//! informing (703, 702, FchTopeInf), "sin movimiento" (1202, 1209).

mod sandbox_support;

use chrono::{Duration, NaiveDate};
use mostrador_afip::invoice::*;
use mostrador_afip::wsfe::caea::{codes, is_already_granted, is_outside_window};
use mostrador_afip::wsfe::{CaeaInvoice, Fortnight, Outcome, WsfeError};
use mostrador_sandbox::afip::caea::DEADLINE_PASSED;
use sandbox_support::*;

const CONTINGENCY_POS: u32 = 90;

fn on_pos(date: NaiveDate, pos: u32) -> Invoice {
    let mut draft = factura_b(date).draft().clone();
    draft.point_of_sale = pos;
    draft.validate(&InvoiceSettings::default()).unwrap()
}

fn at(inv: &Invoice, number: u64, caea: mostrador_afip::wsfe::Cae) -> CaeaInvoice<'_> {
    CaeaInvoice {
        invoice: inv,
        number,
        caea,
        generated_at: inv.date.and_hms_opt(10, 30, 0).unwrap(),
    }
}

fn codes_of(e: &WsfeError) -> Vec<i64> {
    match e {
        WsfeError::Service { errors, .. } => errors.iter().map(|m| m.code).collect(),
        other => panic!("not a service error: {other}"),
    }
}

#[tokio::test]
async fn one_caea_per_fortnight_requested_only_inside_its_window() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    let now = Fortnight::containing(today);

    // Nothing granted yet: consult says 602 → None.
    assert!(env
        .wsfe
        .consult_caea(&auth, now)
        .await
        .unwrap()
        .value
        .is_none());

    // Two fortnights ahead is outside the window (15006).
    let far = now.next().next();
    let err = env.wsfe.request_caea(&auth, far).await.unwrap_err();
    assert!(is_outside_window(&err), "{err}");

    let granted = env.wsfe.request_caea(&auth, now).await.unwrap().value;
    assert_eq!(granted.fortnight, now);
    assert_eq!(
        (granted.valid_from, granted.valid_to),
        (now.first_day(), now.last_day())
    );
    assert!(granted.report_by > granted.valid_to);
    assert!(granted.covers(today));

    // A second request is refused (15008); consult and obtain return the same CAEA.
    let err = env.wsfe.request_caea(&auth, now).await.unwrap_err();
    assert!(is_already_granted(&err), "{err}");
    assert_eq!(codes_of(&err), vec![codes::ALREADY_GRANTED]);
    let consulted = env
        .wsfe
        .consult_caea(&auth, now)
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(consulted, granted);
    assert_eq!(
        env.wsfe.obtain_caea(&auth, now).await.unwrap().value,
        granted
    );
    assert_eq!(env.sim().caeas().len(), 1);
}

#[tokio::test]
async fn obtain_requests_when_missing_then_returns_the_same_caea() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let now = Fortnight::containing(sim_today(env.sim()));
    let a = env.wsfe.obtain_caea(&auth, now).await.unwrap().value;
    let b = env.wsfe.obtain_caea(&auth, now).await.unwrap().value;
    assert_eq!(a, b);
    assert_eq!(env.sim().caeas().len(), 1);
}

#[tokio::test]
async fn invoices_are_informed_in_sequence_and_consultable_as_caea() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    let caea = env
        .wsfe
        .obtain_caea(&auth, Fortnight::containing(today))
        .await
        .unwrap()
        .value;
    let inv = on_pos(today, CONTINGENCY_POS);

    // Two in one call.
    let report = env
        .wsfe
        .report_caea_invoices(&auth, &[at(&inv, 1, caea.code), at(&inv, 2, caea.code)])
        .await
        .unwrap();
    assert_eq!(
        report.value.outcome,
        Outcome::Approved,
        "{:?}",
        report.value
    );
    assert_eq!(report.value.accepted().collect::<Vec<_>>(), vec![1, 2]);
    assert!(report
        .exchange
        .request_xml
        .contains(&format!("<CAEA>{}</CAEA><CbteFchHsGen>", caea.code)));

    // A gap is refused (703), and so is informing the same number again.
    for n in [4, 2] {
        let r = env
            .wsfe
            .report_caea_invoices(&auth, &[at(&inv, n, caea.code)])
            .await
            .unwrap()
            .value;
        assert_eq!(r.outcome, Outcome::Rejected);
        assert!(r.codes().any(|c| c == codes::NOT_NEXT), "{r:?}");
    }
    // The third, contiguous, is accepted.
    let r = env
        .wsfe
        .report_caea_invoices(&auth, &[at(&inv, 3, caea.code)])
        .await
        .unwrap()
        .value;
    assert_eq!(r.outcome, Outcome::Approved, "{r:?}");

    // FECompConsultar sees them with EmisionTipo CAEA and the CAEA as the code.
    let c = env
        .wsfe
        .consult(&auth, 6, CONTINGENCY_POS, 3)
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(c.emission_type, "CAEA");
    assert_eq!(c.authorization_code, caea.code.to_string());
    assert_eq!(
        env.wsfe
            .last_authorized(&auth, CONTINGENCY_POS, 6)
            .await
            .unwrap()
            .value,
        3
    );

    // A date outside the CAEA's validity is refused (702).
    let late = on_pos(caea.valid_to + Duration::days(1), CONTINGENCY_POS);
    let r = env
        .wsfe
        .report_caea_invoices(&auth, &[at(&late, 4, caea.code)])
        .await
        .unwrap()
        .value;
    assert!(r.codes().any(|c| c == 702), "{r:?}");

    // An unknown CAEA is refused (782).
    let bogus = mostrador_afip::wsfe::Cae::parse("11111111111111").unwrap();
    let r = env
        .wsfe
        .report_caea_invoices(&auth, &[at(&inv, 4, bogus)])
        .await
        .unwrap()
        .value;
    assert!(r.codes().any(|c| c == 782), "{r:?}");
}

#[tokio::test]
async fn informing_after_fch_tope_inf_is_refused() {
    let env = Env::start().await;
    let ta = env.login().await;
    let today = sim_today(env.sim());
    let caea = env
        .wsfe
        .obtain_caea(&auth(&ta), Fortnight::containing(today))
        .await
        .unwrap()
        .value;
    let inv = on_pos(today, CONTINGENCY_POS);
    env.sim()
        .advance(Duration::days((caea.report_by - today).num_days() + 1));
    let ta = env.login().await;
    let r = env
        .wsfe
        .report_caea_invoices(&auth(&ta), &[at(&inv, 1, caea.code)])
        .await
        .unwrap()
        .value;
    assert_eq!(r.outcome, Outcome::Rejected);
    assert!(r.codes().any(|c| c == DEADLINE_PASSED), "{r:?}");
    assert!(env.sim().invoices().is_empty());
}

#[tokio::test]
async fn unused_points_of_sale_are_declared_once_and_only_without_invoices() {
    let env = Env::start().await;
    let ta = env.login().await;
    let auth = auth(&ta);
    let today = sim_today(env.sim());
    let caea = env
        .wsfe
        .obtain_caea(&auth, Fortnight::containing(today))
        .await
        .unwrap()
        .value;
    // Nothing declared yet.
    assert!(env
        .wsfe
        .consult_no_activity(&auth, caea.code, Some(91))
        .await
        .unwrap()
        .value
        .is_empty());

    let declared = env
        .wsfe
        .report_no_activity(&auth, 91, caea.code)
        .await
        .unwrap()
        .value;
    assert_eq!((declared.point_of_sale, declared.caea), (91, caea.code));
    let again = env
        .wsfe
        .report_no_activity(&auth, 91, caea.code)
        .await
        .unwrap_err();
    assert_eq!(codes_of(&again), vec![codes::ALREADY_DECLARED]);

    // A point of sale with invoices under the CAEA cannot be declared unused.
    let inv = on_pos(today, CONTINGENCY_POS);
    env.wsfe
        .report_caea_invoices(&auth, &[at(&inv, 1, caea.code)])
        .await
        .unwrap();
    let err = env
        .wsfe
        .report_no_activity(&auth, CONTINGENCY_POS, caea.code)
        .await
        .unwrap_err();
    assert_eq!(codes_of(&err), vec![codes::HAS_INVOICES]);

    let listed = env
        .wsfe
        .consult_no_activity(&auth, caea.code, None)
        .await
        .unwrap()
        .value;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].point_of_sale, 91);
    assert_eq!(env.sim().no_activity_declarations().len(), 1);
}
