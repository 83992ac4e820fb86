//! Shared set-up of the invoicing tests: a real SQLite file, a business whose CUIT is on a test
//! certificate, the AFIP simulator over HTTP on 127.0.0.1 trusting the test CA, the outbound
//! engine with the `afip.submit` handler, and the WSAA ticket in the real keychain (run under
//! `dbus-run-session` with an unlocked keyring, like `scripts/test` does).
//!
//! Each engine runs on its own tokio runtime so a test can "crash" it: dropping the runtime with
//! `shutdown_background` cancels every task at its current await point, mid-request included,
//! and a new engine then starts on the same database file.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use mostrador_afip::Endpoints;
use mostrador_core::activity::ActivityGate;
use mostrador_core::invoicing::model::{ItemInput, NewInvoice};
use mostrador_core::invoicing::{
    AfipSetup, AfipSetups, InvoiceState, Invoicing, SubmitHandler, Tickets, KIND,
};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::outbound::{Handlers, Outbound, OutboundConfig, RateConfig, Wiring};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_queue::Clock;
use mostrador_sandbox::afip::AfipSim;
use mostrador_sandbox::Sandbox;
use mostrador_types::{Cuit, IvaCondition};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509Name, X509};
use sqlx::Row;

pub const ISSUER: &str = "20-26756539-3";
pub const POINT_OF_SALE: u32 = 3;
/// Factura C (the test business is monotributista).
pub const FACTURA_C: u16 = 11;

fn key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn serial() -> openssl::asn1::Asn1Integer {
    let mut bn = BigNum::new().unwrap();
    bn.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    bn.to_asn1_integer().unwrap()
}

/// A self-signed test CA and a computer certificate for `ISSUER` signed by it.
pub fn pki() -> (X509, mostrador_afip::wsaa::Signer) {
    let ca_key = key();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("C", "AR").unwrap();
    name.append_entry_by_text("O", "AFIP").unwrap();
    name.append_entry_by_text("CN", "Computadores Test")
        .unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&ca_key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(3650).unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(KeyUsage::new().key_cert_sign().crl_sign().build().unwrap())
        .unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let ca = b.build();

    let leaf_key = key();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text(
        "serialNumber",
        &format!("CUIT {}", Cuit::parse(ISSUER).unwrap().digits()),
    )
    .unwrap();
    name.append_entry_by_text("CN", "mostrador-test").unwrap();
    let name = name.build();
    let now = Utc::now().timestamp();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(&leaf_key).unwrap();
    // Valid from 30 days back: the tests move the simulator's clock.
    b.set_not_before(&Asn1Time::from_unix(now - 30 * 86_400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + 730 * 86_400).unwrap())
        .unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let leaf = b.build();
    let signer = mostrador_afip::wsaa::Signer::new(leaf, leaf_key).unwrap();
    (ca, signer)
}

/// Our clock is the simulator's, so moving AFIP's day moves ours (date windows).
#[derive(Clone)]
pub struct SimClock(pub AfipSim);

impl std::fmt::Debug for SimClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimClock")
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

/// The test's fixed parts: database file, business, keychain, simulator, signer.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub org: OrgId,
    pub secrets: SecretStore,
    pub sim: AfipSim,
    pub signer: Arc<mostrador_afip::wsaa::Signer>,
    pub timeout: Duration,
}

impl Fixture {
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("m.sqlite3")
    }

    /// A new fixture: the database is created and the business stored (on `rt`).
    pub fn new(rt: &tokio::runtime::Runtime, timeout: Duration) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let sim = AfipSim::default();
        let (ca, signer) = pki();
        sim.trust_ca(ca);
        let path = dir.path().join("m.sqlite3");
        let org = rt.block_on(async {
            let store = Store::open(&path).await.unwrap();
            let org = org::create(
                &store,
                NewOrganization {
                    name: "Kiosco Don Pepe".into(),
                    cuit: ISSUER.into(),
                    iva_condition: IvaCondition::Monotributo,
                },
            )
            .await
            .unwrap()
            .id;
            store.close().await;
            org
        });
        Fixture {
            dir,
            org,
            secrets: SecretStore::new(&format!(
                "ar.mostrador.test.invoicing.{}",
                uuid::Uuid::new_v4()
            )),
            sim,
            signer: Arc::new(signer),
            timeout,
        }
    }
}

/// Short timings so the tests run in seconds.
pub fn fast_config() -> OutboundConfig {
    let mut cfg = OutboundConfig::default();
    cfg.retry.base = Duration::from_millis(20);
    cfg.retry.cap = Duration::from_millis(200);
    cfg.queue.backstop_poll = Duration::from_millis(50);
    cfg.maintenance_every = Duration::from_secs(3600);
    cfg.rates = RateConfig::unlimited();
    cfg
}

/// One incarnation of the app: its own runtime, store, engine and ticket cache.
pub struct Engine {
    pub rt: tokio::runtime::Runtime,
    pub store: Store,
    pub outbound: Outbound,
    pub invoicing: Invoicing,
    pub tickets: Arc<Tickets>,
    pub setups: AfipSetups,
}

impl Engine {
    /// Starts on the fixture's database with AFIP at `afip_base` (`…/afip`).
    pub fn start(fx: &Fixture, afip_base: &str) -> Engine {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let setups = AfipSetups::default();
        setups.set(
            fx.org,
            AfipSetup {
                environment: Default::default(),
                endpoints: Endpoints::under(afip_base).unwrap(),
                signer: fx.signer.clone(),
                point_of_sale: POINT_OF_SALE,
                timeout: fx.timeout,
                padron: Some(mostrador_afip::padron::url_under(afip_base).unwrap()),
            },
        );
        let tickets = Arc::new(Tickets::new(fx.secrets.clone()));
        let clock: Arc<dyn Clock> = Arc::new(SimClock(fx.sim.clone()));
        let path = fx.db_path();
        let (store, outbound, invoicing) = rt.block_on(async {
            let store = Store::open(&path).await.unwrap();
            let gate = ActivityGate::new();
            let handler = SubmitHandler::new(
                store.clone(),
                setups.clone(),
                tickets.clone(),
                gate.clone(),
                clock.clone(),
            );
            let mut wiring = Wiring::new(fx.secrets.clone(), gate);
            wiring.handlers = Handlers::new().with(KIND, handler);
            let outbound = Outbound::start(store.clone(), wiring, fast_config())
                .await
                .unwrap();
            let invoicing = Invoicing::new(
                store.clone(),
                outbound.queue().clone(),
                setups.clone(),
                clock.clone(),
            );
            (store, outbound, invoicing)
        });
        Engine {
            rt,
            store,
            outbound,
            invoicing,
            tickets,
            setups,
        }
    }

    /// Like a SIGKILL: every task stops where it is; nothing is finalized.
    pub fn crash(self) {
        self.rt.shutdown_background();
    }

    pub fn stop(self) {
        self.rt.block_on(async {
            self.outbound.shutdown().await;
            self.store.close().await;
        });
        self.rt.shutdown_background();
    }

    pub fn create(&self, org: OrgId, new: NewInvoice) -> i64 {
        self.rt
            .block_on(self.invoicing.create(org, new))
            .unwrap_or_else(|e| panic!("create: {e}"))
    }

    pub fn state(&self, id: i64) -> (InvoiceState, Option<u64>, Option<String>) {
        self.rt.block_on(async {
            let r = sqlx::query("SELECT state, number, hold FROM invoices WHERE id = ?")
                .bind(id)
                .fetch_one(self.store.reader())
                .await
                .unwrap();
            let state: String = r.get("state");
            (
                state.parse().unwrap(),
                r.get::<Option<i64>, _>("number").map(|n| n as u64),
                r.get("hold"),
            )
        })
    }

    /// Waits (bounded by `limit`) until `f` holds for every invoice's (state, hold); polls the
    /// database because the rows are the engine's output.
    pub fn wait_all(&self, limit: Duration, what: &str, f: impl Fn(InvoiceState, bool) -> bool) {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let rows: Vec<(String, Option<String>)> = self
                .rt
                .block_on(
                    sqlx::query_as("SELECT state, hold FROM invoices")
                        .fetch_all(self.store.reader()),
                )
                .unwrap();
            if rows.iter().all(|(s, h)| f(s.parse().unwrap(), h.is_some())) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until invoice `id` satisfies `f`.
    pub fn wait_one(
        &self,
        id: i64,
        limit: Duration,
        what: &str,
        f: impl Fn(InvoiceState, Option<u64>, Option<&str>) -> bool,
    ) {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let (s, n, h) = self.state(id);
            if f(s, n, h.as_deref()) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for invoice {id}: {what} (now {s} {n:?} {h:?})"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A one-item Factura C to a consumidor final; `cents` makes each sale unique.
pub fn sale(cents: i64, date: Option<NaiveDate>) -> NewInvoice {
    let mut n = NewInvoice::consumidor_final(vec![ItemInput {
        description: "Alfajor".into(),
        quantity: "1".into(),
        unit_price: format!("{}.{:02}", cents / 100, cents % 100),
        discount: None,
        iva: None,
    }]);
    n.date = date;
    n
}

/// A free port on 127.0.0.1 with nothing listening (AFIP unreachable until a sandbox binds it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Serves `sim` on `port` on `rt` (the runtime must outlive the returned sandbox).
pub fn serve(rt: &tokio::runtime::Runtime, sim: &AfipSim, port: u16) -> Sandbox {
    rt.block_on(Sandbox::start_with(
        format!("127.0.0.1:{port}").parse().unwrap(),
        Default::default(),
        sim.clone(),
    ))
    .unwrap()
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Argentina's date on the simulator's clock.
pub fn sim_today(sim: &AfipSim) -> NaiveDate {
    mostrador_core::invoicing::submit::argentina_today(sim.now())
}
