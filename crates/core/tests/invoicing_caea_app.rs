//! The CAEA contingency as the app wires it (`AfipRuntime::register` + `refresh_all`), against
//! the AFIP simulator over HTTP on a real SQLite file and keychain:
//! - the `afip.caea` job is scheduled at start-up, obtains the fortnight's CAEA, chains the next
//!   pass in the next time slot, and a restart inside the slot adds nothing;
//! - Ajustes → AFIP → Contingencia refuses a CAE point of sale and one AFIP does not list;
//! - AFIP unreachable: a queued invoice is issued with the CAEA (owner's choice, then automatic)
//!   as the same `invoices` row, "a informar", then informed when AFIP answers; an invoice
//!   numbered under the CAE is never switched; no sale ever gets both a CAE and a CAEA;
//! - its PDF says "CAEA" and its RG 4291 QR carries tipoCodAut "A".
//!
//! Needs a Secret Service (run under `dbus-run-session` with an unlocked keyring).

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::Utc;
use mostrador_afip::transport::HttpClient;
use mostrador_afip::Endpoints;
use mostrador_core::activity::ActivityGate;
use mostrador_core::invoicing::caea::issue::Trigger;
use mostrador_core::invoicing::caea::settings::ContingencySettings;
use mostrador_core::invoicing::caea::{job, CaeaError};
use mostrador_core::invoicing::document::{self, PrintLayout};
use mostrador_core::invoicing::list::{self, ListFilter};
use mostrador_core::invoicing::model::{ItemInput, NewInvoice};
use mostrador_core::invoicing::{AfipRuntime, InvoiceState, Invoicing};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::outbound::integration::Integration;
use mostrador_core::outbound::{
    BreakerConfig, Handlers, Outbound, OutboundConfig, RateConfig, Wiring,
};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_queue::SystemClock;
use mostrador_sandbox::afip::faults::{Fault, FaultRule};
use mostrador_sandbox::afip::test_ca::TestCa;
use mostrador_sandbox::afip::AfipSim;
use mostrador_sandbox::Sandbox;
use mostrador_types::IvaCondition;

const CUIT: &str = "20-26756539-3";
const POINT_OF_SALE: u32 = 3;
const CONTINGENCY: u32 = 90;

struct App {
    dir: tempfile::TempDir,
    store: Store,
    org: OrgId,
    sandbox: Sandbox,
    runtime: AfipRuntime,
    engine: Outbound,
    invoicing: Invoicing,
}

fn fast_config() -> OutboundConfig {
    let mut cfg = OutboundConfig::default();
    cfg.retry.base = Duration::from_millis(20);
    cfg.retry.cap = Duration::from_millis(200);
    cfg.queue.backstop_poll = Duration::from_millis(50);
    cfg.rates = RateConfig::unlimited();
    // AFIP down for a while must not park the lane behind a breaker in these tests.
    cfg.guards.breakers.insert(
        Integration::Afip,
        BreakerConfig {
            failure_threshold: u32::MAX,
            success_threshold: 1,
            open_for: Duration::from_millis(100),
        },
    );
    cfg
}

/// A monotributista set up like the app does (key, CSR, certificate, "Probar", point of sale),
/// with the runtime's handlers on a running engine and its start-up pass scheduled.
async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco Ñandú".into(),
            cuit: CUIT.into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    let secrets = SecretStore::new(&format!("ar.mostrador.test.caea.{}", uuid::Uuid::new_v4()));
    let ca = TestCa::generate("Computadores Test").unwrap();
    let sim = AfipSim::default();
    sim.trust_ca(ca.certificate().clone());
    sim.set_points_of_sale(Some([POINT_OF_SALE].into_iter().collect()));
    sim.set_caea_points_of_sale([CONTINGENCY].into_iter().collect());
    let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), Default::default(), sim)
        .await
        .unwrap();
    let setup =
        mostrador_core::invoicing::certificate::AfipSetup::new(store.clone(), secrets.clone());
    let request = setup.generate_request(org, "caja1").await.unwrap();
    let now = Utc::now();
    let cert = ca
        .sign_csr(
            request.pem.as_bytes(),
            now - chrono::Duration::days(1),
            now + chrono::Duration::days(365),
        )
        .unwrap()
        .to_pem()
        .unwrap();
    setup.import_certificate(org, &cert, now).await.unwrap();
    let base = sandbox.afip_url();
    setup
        .probe(
            org,
            &Endpoints::under(&base).unwrap(),
            &HttpClient::default(),
            now,
        )
        .await
        .unwrap();
    setup.set_point_of_sale(org, POINT_OF_SALE).await.unwrap();
    setup
        .set_issuer(
            org,
            &mostrador_core::invoicing::certificate::IssuerProfile {
                legal_name: Some("Kiosco Ñandú".into()),
                trade_name: None,
                address: "Av. Corrientes 1234, CABA".into(),
                iibb: "901-000000-1".into(),
                activity_start: chrono::NaiveDate::from_ymd_opt(2020, 3, 1),
                logo_path: None,
            },
        )
        .await
        .unwrap();
    let runtime = AfipRuntime::new(
        store.clone(),
        secrets.clone(),
        Some(base),
        Arc::new(SystemClock),
    );
    runtime.refresh_all().await;
    let gate = ActivityGate::new();
    let mut wiring = Wiring::new(secrets.clone(), gate.clone());
    wiring.handlers = runtime.register(Handlers::new(), gate);
    let engine = Outbound::start(store.clone(), wiring, fast_config())
        .await
        .unwrap();
    let invoicing = runtime.invoicing(engine.queue().clone());
    App {
        dir,
        store,
        org,
        sandbox,
        runtime,
        engine,
        invoicing,
    }
}

fn sale(pesos: &str) -> NewInvoice {
    NewInvoice::consumidor_final(vec![ItemInput {
        description: "Alfajor".into(),
        quantity: "1".into(),
        unit_price: pesos.into(),
        discount: None,
        iva: None,
    }])
}

async fn eventually<F, Fut>(what: &str, f: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn item(app: &App, id: i64) -> list::InvoiceListItem {
    list::detail(&app.store, app.org, id, chrono::Local::now().date_naive())
        .await
        .unwrap()
        .unwrap()
        .invoice
}

fn afip_down(sim: &AfipSim) {
    sim.inject(FaultRule {
        operation: None,
        fault: Fault::Status { code: 503 },
        times: u32::MAX,
    });
}

async fn debug(app: &App) -> String {
    let jobs: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT kind, unique_key, errors, attempts FROM jobs ORDER BY id")
            .fetch_all(app.store.reader())
            .await
            .unwrap();
    format!(
        "{jobs:#?} {:?}",
        app.runtime.contingency().status(app.org).await
    )
}

async fn enable(app: &App, auto: bool) {
    app.runtime
        .contingency()
        .configure(
            app.org,
            &ContingencySettings {
                enabled: true,
                auto,
                points_of_sale: vec![CONTINGENCY],
            },
        )
        .await
        .unwrap();
}

async fn caea_jobs(store: &Store) -> Vec<(String, String)> {
    sqlx::query_as("SELECT unique_key, state FROM jobs WHERE kind = ? ORDER BY id")
        .bind(job::KIND)
        .fetch_all(store.reader())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caea_job_is_scheduled_at_start_up_obtains_the_caea_and_chains_the_next_pass() {
    let app = app().await;
    let contingency = app.runtime.contingency();
    // The start-up pass ran with nothing to do (no contingency yet) and chained the next slot.
    let now = Utc::now();
    let this_slot = format!("{}:slot:{}", job::KIND, job::slot(now));
    let next_slot = format!("{}:slot:{}", job::KIND, job::slot(job::next_run(now)));
    eventually("start-up pass done and next one chained", || async {
        let jobs = caea_jobs(&app.store).await;
        jobs.contains(&(this_slot.clone(), "completed".into()))
            && jobs
                .iter()
                .any(|(k, s)| *k == next_slot && s == "scheduled")
    })
    .await;
    assert!(app.sandbox.afip.caeas().is_empty());

    // Ajustes → AFIP → Contingencia: the CAE point of sale and one AFIP does not list are
    // refused, naming them; nothing is stored.
    for bad in [POINT_OF_SALE, 95] {
        let r = contingency
            .configure(
                app.org,
                &ContingencySettings {
                    enabled: true,
                    auto: false,
                    points_of_sale: vec![bad],
                },
            )
            .await;
        assert!(
            matches!(r, Err(CaeaError::NotCaeaAtAfip(p)) if p == bad),
            "{r:?}"
        );
    }
    assert!(contingency
        .points_of_sale(app.org)
        .await
        .unwrap()
        .is_empty());
    assert!(!contingency.enabled(app.org).await.unwrap());

    // Enabled on the CAEA point: a pass runs now and obtains the fortnight's CAEA.
    enable(&app, false).await;
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        while contingency.status(app.org).await.unwrap().current.is_none() {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    assert!(got.is_ok(), "no CAEA: {}", debug(&app).await);
    let status = contingency.status(app.org).await.unwrap();
    assert!(status.enabled && !status.auto);
    assert_eq!(status.points_of_sale, vec![CONTINGENCY]);
    assert_eq!(status.pending, 0);
    let current = status.current.unwrap();
    assert!(current.valid_from <= current.valid_to && current.valid_to < current.report_by);
    assert!(app
        .sandbox
        .afip
        .caeas()
        .iter()
        .any(|g| g.code == current.code));
    eventually("no error left", || async {
        contingency
            .status(app.org)
            .await
            .unwrap()
            .last_error
            .is_none()
    })
    .await;

    // A restart inside the slot: the start-up pass is the same job, nothing new is queued.
    let before = caea_jobs(&app.store).await.len();
    app.runtime.refresh_all().await;
    assert_eq!(caea_jobs(&app.store).await.len(), before);
    app.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn afip_down_the_owner_issues_with_caea_once_informed_later_never_with_both_codes() {
    let app = app().await;
    let contingency = app.runtime.contingency();
    let sim = app.sandbox.afip.clone();
    enable(&app, false).await;
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        while contingency.status(app.org).await.unwrap().current.is_none() {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    assert!(got.is_ok(), "no CAEA: {}", debug(&app).await);
    let caea = contingency.status(app.org).await.unwrap().current.unwrap();

    // One invoice numbered under the CAE whose answer is lost, and AFIP cannot be consulted:
    // it is in doubt (and holds its sequence's queue).
    sim.inject_once("FECAESolicitar", Fault::ProcessThenDrop);
    sim.inject(FaultRule {
        operation: Some("FECompConsultar".into()),
        fault: Fault::Status { code: 503 },
        times: u32::MAX,
    });
    let doubtful = app.invoicing.create(app.org, sale("700")).await.unwrap();
    eventually("in doubt", || async {
        item(&app, doubtful).await.state == InvoiceState::InDoubt
    })
    .await;

    // AFIP goes down. A new sale queues (behind the one in doubt); AFIP is not answering.
    afip_down(&sim);
    let id = app.invoicing.create(app.org, sale("1500")).await.unwrap();
    eventually("AFIP found unreachable", || async {
        item(&app, id).await.afip_unreachable
    })
    .await;
    let queued = item(&app, id).await;
    assert_eq!(
        (queued.state, queued.number, queued.emission.as_str()),
        (InvoiceState::Queued, None, "CAE")
    );

    // The in-doubt one stays on its CAE path: never renumbered.
    assert!(matches!(
        contingency
            .issue_queued(app.org, doubtful, Trigger::Owner)
            .await,
        Err(CaeaError::NotEligible(_))
    ));

    // The owner issues it with the CAEA: authorized at once on the contingency point, "a informar".
    let issued = contingency
        .issue_queued(app.org, id, Trigger::Owner)
        .await
        .unwrap();
    assert_eq!((issued.point_of_sale, issued.number), (CONTINGENCY, 1));
    let it = item(&app, id).await;
    assert_eq!(it.state, InvoiceState::Authorized);
    assert_eq!(it.emission, "CAEA");
    assert_eq!(it.point_of_sale, CONTINGENCY);
    assert_eq!(it.number, Some(1));
    assert_eq!(it.cae.as_deref(), Some(caea.code.as_str()));
    assert_eq!(it.cae_due, Some(caea.valid_to.to_string()));
    assert_eq!(it.caea_inform.as_deref(), Some("pending"));
    assert!(!it.afip_unreachable);
    assert_eq!(contingency.status(app.org).await.unwrap().pending, 1);
    // Twice is refused: one sale, one CAEA invoice.
    assert!(contingency
        .issue_queued(app.org, id, Trigger::Owner)
        .await
        .is_err());
    // It shows in Facturas like any invoice, and prints.
    let listed = list::list(
        &app.store,
        app.org,
        &ListFilter::default(),
        chrono::Local::now().date_naive(),
        50,
    )
    .await
    .unwrap();
    assert!(listed.iter().any(|l| l.id == id && l.emission == "CAEA"));

    // The PDF says CAEA and the QR carries tipoCodAut "A" (RG 4291).
    let pdf = document::render_to_store(&app.store, app.dir.path(), app.org, id, PrintLayout::A4)
        .await
        .unwrap();
    let (text, qrs) = read_back(&pdf);
    assert!(text.contains("CAEA"), "{text}");
    assert!(text.contains(&caea.code), "{text}");
    assert!(
        text.contains(&caea.valid_to.format("%d/%m/%Y").to_string()),
        "{text}"
    );
    let qr = qrs.first().expect("a QR on the page");
    let json = qr_json(qr);
    assert_eq!(json["tipoCodAut"], "A", "{json}");
    assert_eq!(
        json["codAut"].as_u64().map(|c| c.to_string()),
        Some(caea.code.clone())
    );
    assert_eq!(json["ptoVta"], CONTINGENCY);

    // AFIP comes back: the CAEA invoice is informed, and the in-doubt one resolves with its CAE.
    sim.clear_faults();
    eventually("informed", || async {
        item(&app, id).await.caea_inform.as_deref() == Some("informed")
    })
    .await;
    eventually("in-doubt resolved", || async {
        item(&app, doubtful).await.state == InvoiceState::Authorized
    })
    .await;
    // The first sale's own submission job ends without sending anything.
    eventually("submit jobs finished", || async {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'afip.submit' AND finished_at IS NULL",
        )
        .fetch_one(app.store.reader())
        .await
        .unwrap();
        open == 0
    })
    .await;
    // At AFIP: exactly one voucher per sale — the CAEA one and the CAE one — never both.
    let at_afip = sim.invoices();
    assert_eq!(at_afip.len(), 2, "{at_afip:?}");
    let caea_one: Vec<_> = at_afip.iter().filter(|i| i.emission == "CAEA").collect();
    assert_eq!(caea_one.len(), 1);
    assert_eq!(
        (
            caea_one[0].point_of_sale,
            caea_one[0].number,
            caea_one[0].total
        ),
        (CONTINGENCY, 1, 1500.0)
    );
    let cae_one: Vec<_> = at_afip.iter().filter(|i| i.emission == "CAE").collect();
    assert_eq!(cae_one.len(), 1);
    assert_eq!(cae_one[0].total, 700.0);
    let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM caea_invoices WHERE invoice_id = ?")
        .bind(doubtful)
        .fetch_one(app.store.reader())
        .await
        .unwrap();
    assert_eq!(linked, 0);
    assert_eq!(contingency.status(app.org).await.unwrap().pending, 0);
    app.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_contingency_issues_with_caea_on_its_own_when_afip_is_down() {
    let app = app().await;
    let contingency = app.runtime.contingency();
    let sim = app.sandbox.afip.clone();
    enable(&app, true).await;
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        while contingency.status(app.org).await.unwrap().current.is_none() {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    assert!(got.is_ok(), "no CAEA: {}", debug(&app).await);
    // AFIP up: the invoice gets a CAE as always.
    let online = app.invoicing.create(app.org, sale("100")).await.unwrap();
    eventually("authorized with CAE", || async {
        item(&app, online).await.state == InvoiceState::Authorized
    })
    .await;
    assert_eq!(item(&app, online).await.emission, "CAE");
    // While AFIP answers, the owner is not offered the CAEA.
    assert!(matches!(
        contingency
            .issue_queued(app.org, online, Trigger::Owner)
            .await,
        Err(CaeaError::AfipAnswering)
    ));

    afip_down(&sim);
    let offline = app.invoicing.create(app.org, sale("200")).await.unwrap();
    eventually("authorized with CAEA", || async {
        item(&app, offline).await.state == InvoiceState::Authorized
    })
    .await;
    let it = item(&app, offline).await;
    assert_eq!(
        (
            it.emission.as_str(),
            it.point_of_sale,
            it.caea_inform.as_deref()
        ),
        ("CAEA", CONTINGENCY, Some("pending"))
    );
    sim.clear_faults();
    eventually("informed", || async {
        item(&app, offline).await.caea_inform.as_deref() == Some("informed")
    })
    .await;
    assert_eq!(sim.invoices().len(), 2);
    app.engine.shutdown().await;
}

/// Automatic contingency with the first sale in doubt (AFIP authorized it, the answer never
/// came) and AFIP then unreachable: the sales queued behind it on its sequence do not wait for
/// it — they are issued with the CAEA on the contingency point of sale, in order — while it
/// stays in doubt under the CAE until FECompConsultar adopts its CAE. At AFIP: exactly one code
/// per sale and no gap on either point of sale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_contingency_moves_the_sales_queued_behind_one_in_doubt() {
    let app = app().await;
    let contingency = app.runtime.contingency();
    let sim = app.sandbox.afip.clone();
    enable(&app, true).await;
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        while contingency.status(app.org).await.unwrap().current.is_none() {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    assert!(got.is_ok(), "no CAEA: {}", debug(&app).await);
    let caea = contingency.status(app.org).await.unwrap().current.unwrap();

    // The first sale: AFIP authorizes it and the answer never comes (the client times out).
    sim.inject_once("FECAESolicitar", Fault::ProcessThenHang);
    let doubtful = app.invoicing.create(app.org, sale("700")).await.unwrap();
    eventually("AFIP authorized the first sale", || async {
        sim.invoices().len() == 1
    })
    .await;
    // Then AFIP is unreachable, and three more sales queue behind the first on its sequence.
    afip_down(&sim);
    let mut behind = Vec::new();
    for pesos in ["10", "20", "30"] {
        behind.push(app.invoicing.create(app.org, sale(pesos)).await.unwrap());
    }
    // After the timeout (20 s) the first is in doubt and the others go out with the CAEA.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let mut done = true;
        for id in &behind {
            done &= item(&app, *id).await.emission == "CAEA";
        }
        if done {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sales behind were not issued with CAEA: {}",
            debug(&app).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = item(&app, doubtful).await;
    assert_eq!(
        (first.state, first.emission.as_str(), first.point_of_sale),
        (InvoiceState::InDoubt, "CAE", POINT_OF_SALE)
    );
    assert_eq!(first.number, Some(1));
    for (id, n) in behind.iter().zip(1..) {
        let it = item(&app, *id).await;
        assert_eq!(it.state, InvoiceState::Authorized);
        assert_eq!((it.point_of_sale, it.number), (CONTINGENCY, Some(n)));
        assert_eq!(it.cae.as_deref(), Some(caea.code.as_str()));
        assert_eq!(it.caea_inform.as_deref(), Some("pending"));
    }

    // AFIP comes back: the first keeps its CAE (consulted, never re-sent), the others are informed.
    sim.clear_faults();
    eventually("in-doubt resolved", || async {
        item(&app, doubtful).await.state == InvoiceState::Authorized
    })
    .await;
    for id in &behind {
        eventually("informed", || async {
            item(&app, *id).await.caea_inform.as_deref() == Some("informed")
        })
        .await;
    }
    eventually("submit jobs finished", || async {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'afip.submit' AND finished_at IS NULL",
        )
        .fetch_one(app.store.reader())
        .await
        .unwrap();
        open == 0
    })
    .await;
    let first = item(&app, doubtful).await;
    assert_eq!((first.emission.as_str(), first.number), ("CAE", Some(1)));

    // At AFIP: one code per sale (by total), CAE 1 on the CAE point, CAEA 1–3 on the other.
    let at_afip = sim.invoices();
    let mut totals: Vec<f64> = at_afip.iter().map(|i| i.total).collect();
    totals.sort_by(f64::total_cmp);
    assert_eq!(totals, vec![10.0, 20.0, 30.0, 700.0], "{at_afip:?}");
    let numbers = |pos: u32, emission: &str| -> Vec<u64> {
        at_afip
            .iter()
            .filter(|i| i.point_of_sale == pos && i.emission == emission)
            .map(|i| i.number)
            .collect()
    };
    assert_eq!(numbers(POINT_OF_SALE, "CAE"), vec![1]);
    assert_eq!(numbers(CONTINGENCY, "CAEA"), vec![1, 2, 3]);
    assert_eq!(at_afip.len(), 4);
    assert_eq!(contingency.status(app.org).await.unwrap().pending, 0);
    app.engine.shutdown().await;
}

fn tool(name: &str, args: &[&str], dir: &std::path::Path) -> String {
    let out = Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{name} is needed (apt-get install poppler-utils zbar-tools): {e}")
        });
    assert!(out.status.success(), "{name} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// pdftotext's text and the QR payloads zbarimg decodes from the rasterized pages.
fn read_back(pdf: &std::path::Path) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(pdf, dir.path().join("doc.pdf")).unwrap();
    let text = tool("pdftotext", &["-layout", "doc.pdf", "-"], dir.path());
    tool(
        "pdftoppm",
        &["-r", "200", "-gray", "-png", "doc.pdf", "page"],
        dir.path(),
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("page") && n.ends_with(".png"))
        .collect();
    pages.sort();
    let mut qrs = Vec::new();
    for page in pages {
        let out = Command::new("zbarimg")
            .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", &page])
            .current_dir(dir.path())
            .output()
            .expect("zbarimg (apt-get install zbar-tools)");
        qrs.extend(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    (text, qrs)
}

/// The JSON inside an RG 4291 URL (`…/fe/qr/?p=<base64>`).
fn qr_json(url: &str) -> serde_json::Value {
    let p = url.split("?p=").nth(1).expect("the p parameter");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(p)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(p))
        .expect("base64");
    serde_json::from_slice(&bytes).expect("json")
}
