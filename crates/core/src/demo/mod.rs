//! Demo mode, "Probar sin cuentas": a working shop without any account. Everything runs
//! in-process on loopback: the sandbox's provider simulators (Graph, AFIP, Twilio, MercadoPago) and a local
//! `mostrador-relay` on SQLite in the demo's own directory. The demo business is configured like a
//! real one (settings rows, secrets in the keychain), so the REAL pipeline runs: fake customer →
//! simulator → signed webhook → relay → poll → `inbox_raw` → processor → tables → events, and
//! sends go through the outbound engine to the simulator.
//!
//! The demo lives apart from the real data: its own directory (`<data>/demo/`, see [`demo_dir`])
//! with its own database, and a marker there ([`is_active`]) that makes the app open in demo mode.
//! [`exit`] deletes the directory and the demo's keychain entries.
//!
//! The caller opens the demo's store, calls [`start`] (simulators, relay, settings), then starts
//! the intake and outbound engine on that store as for any business (`intake::start_for_org`).

mod afip;
mod customers;
mod error;
mod marker;
mod payments;
mod trickle;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mostrador_relay::server::{self as relay_server, tenant_admin, ServeConfig, Storage};
use mostrador_sandbox::mercadopago::{MercadoPagoSim, RunningMp};
use mostrador_sandbox::whatsapp::{ConfigPatch, NewCustomer, WhatsAppSim};
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};
use rand::seq::IndexedRandom as _;
use serde::Serialize;

pub use afip::DEMO_POINT_OF_SALE;
pub use customers::{DemoMessageKind, FakeCustomer, CUSTOMERS};
pub use error::DemoError;
pub use marker::{demo_dir, is_active, DEMO_DIR};
pub use payments::DEMO_POS;

use crate::channels::whatsapp::{WhatsAppSettings, ACCESS_TOKEN};
use crate::inbox::{self, RELAY_DEVICE_TOKEN, RELAY_URL};
use crate::intake::APP_SECRET;
use crate::org::{self, NewOrganization, OrgId};
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::{Store, DB_FILE_NAME};
use marker::{Marker, RELAY_DB_FILE};
use trickle::Trickle;

/// The demo business (a valid CUIT: check digit 1).
pub const DEMO_BUSINESS_NAME: &str = "Almacén Demo";
pub const DEMO_CUIT: &str = "30-71234567-1";
/// Organization setting: whether customers write on their own now and then (`true`/`false`;
/// absent means `true`).
pub const TRICKLE: &str = "demo.trickle";
/// Every keychain entry the demo business has, deleted by [`exit`].
const SECRET_NAMES: [&str; 3] = [ACCESS_TOKEN, APP_SECRET, RELAY_DEVICE_TOKEN];

/// The demo database's path under the app data dir `data_dir`.
pub fn db_path(data_dir: &Path) -> PathBuf {
    demo_dir(data_dir).join(DB_FILE_NAME)
}

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the demo business's secrets go (the app's keychain service; tests use their own).
    pub secrets: SecretStore,
    /// The automatic trickle waits a random time in this range between two messages.
    pub trickle_every: (Duration, Duration),
}

impl DemoOptions {
    pub fn new(secrets: SecretStore) -> Self {
        DemoOptions {
            secrets,
            // Slow enough to read each one, fast enough that the shop looks alive.
            trickle_every: (Duration::from_secs(20), Duration::from_secs(40)),
        }
    }
}

/// What a simulated customer sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SimulatedMessage {
    pub wa_id: String,
    pub customer_name: String,
    /// What was sent: a reaction or reply asked of a customer who never wrote is a text.
    pub kind: DemoMessageKind,
    /// The text, caption, place name or emoji; `null` for a voice note.
    pub text: Option<String>,
    pub wamid: String,
}

/// Makes the fake customers write (shared by the button and the trickle).
#[derive(Clone)]
struct Driver {
    sim: WhatsAppSim,
    /// Each customer's last message id in this run: the target of their reactions and replies.
    last: Arc<Mutex<HashMap<&'static str, String>>>,
}

impl Driver {
    fn send(&self, kind: Option<DemoMessageKind>) -> Result<SimulatedMessage, DemoError> {
        let customer = *CUSTOMERS.choose(&mut rand::rng()).expect("not empty");
        let asked = kind.unwrap_or_else(DemoMessageKind::random);
        let previous = self.last.lock().unwrap().get(customer.wa_id).cloned();
        let (message, text, kind) = customers::build(asked, previous.as_deref());
        let wamid = self
            .sim
            .customer_sends(customer.wa_id, message)
            .map_err(DemoError::Simulator)?;
        // Reactions are not messages one can react to or quote.
        if kind != DemoMessageKind::Reaction {
            self.last
                .lock()
                .unwrap()
                .insert(customer.wa_id, wamid.clone());
        }
        tracing::debug!(?kind, "demo customer wrote");
        Ok(SimulatedMessage {
            wa_id: customer.wa_id.to_owned(),
            customer_name: customer.name.to_owned(),
            kind,
            text,
            wamid,
        })
    }
}

/// A running demo: the simulators, the local relay, and the trickle.
pub struct Demo {
    dir: PathBuf,
    store: Store,
    org: OrgId,
    sandbox: Sandbox,
    /// The MercadoPago simulator (its own port: the demo keeps the handle).
    mercadopago: RunningMp,
    relay: relay_server::Running,
    relay_url: String,
    driver: Driver,
    options: DemoOptions,
    trickle: Mutex<Option<Trickle>>,
}

/// Starts the demo of the app data dir `data_dir` on `store` (the demo's database, see
/// [`db_path`]): creates the demo business the first time, then serves the simulators and the
/// relay on loopback and points the business's settings at them. Start the intake afterwards.
#[tracing::instrument(skip_all, fields(org_id))]
pub async fn start(data_dir: &Path, store: Store, options: DemoOptions) -> Result<Demo, DemoError> {
    let dir = demo_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|source| DemoError::Io {
        path: dir.clone(),
        source,
    })?;
    let secrets = &options.secrets;
    let marker = Marker::load(&dir)?;

    let sandbox = Sandbox::start(([127, 0, 0, 1], 0).into())
        .await
        .map_err(DemoError::Sandbox)?;
    // The simulator forgets its ids on restart; the database does not.
    sandbox
        .whatsapp
        .start_ids_at(chrono::Utc::now().timestamp_millis() as u64);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| DemoError::Relay(e.to_string()))?;
    let relay_addr = listener
        .local_addr()
        .map_err(|e| DemoError::Relay(e.to_string()))?;
    let relay_url = format!("http://{relay_addr}");
    let relay_db = format!("sqlite:{}", dir.join(RELAY_DB_FILE).display());

    let (org, ingress_path, device_token) = match &marker {
        Some(m) => (m.org_id, m.whatsapp_ingress_path.clone(), None),
        None => {
            let org = create_business(&store).await?;
            let storage = Storage::open(&relay_db).await?;
            let tenant = tenant_admin::create(
                &storage,
                &relay_url,
                "demo",
                chrono::Utc::now().timestamp_millis(),
            )
            .await;
            storage.close().await;
            let tenant = tenant?;
            let ingress = &tenant.ingress_urls["whatsapp"];
            let path = ingress
                .strip_prefix(&relay_url)
                .ok_or_else(|| DemoError::Relay(format!("unexpected ingress URL {ingress}")))?;
            (org, path.to_owned(), Some(Secret::new(tenant.device_token)))
        }
    };
    tracing::Span::current().record("org_id", tracing::field::display(org));

    let mut cfg = ServeConfig::new(relay_db, relay_url.clone());
    // One shop's trickle; the per-tenant limit would only get in the way of tests.
    cfg.rate_limit = 0.0;
    let relay = relay_server::start(&cfg, listener).await?;

    let configured = async {
        match device_token {
            Some(token) => {
                inbox::configure_relay(&store, secrets, org, &relay_url, token).await?;
            }
            // Same tenant and token as before; only the port changed.
            None => settings::set(&store, Some(org), RELAY_URL, &relay_url).await?,
        }
        let access_token = secret_or_new(secrets, org, ACCESS_TOKEN).await?;
        let app_secret = secret_or_new(secrets, org, APP_SECRET).await?;
        let account = sandbox.whatsapp.account();
        WhatsAppSettings {
            phone_number_id: account.phone_number_id,
            waba_id: account.waba_id,
            base_url: Some(sandbox.graph_url()),
            graph_version: None,
        }
        .save(&store, org)
        .await?;
        // Templates with a media header upload through the app (resumable upload API).
        settings::set(&store, Some(org), crate::templates::APP_ID, &account.app_id).await?;
        sandbox.whatsapp.configure(ConfigPatch {
            access_token: Some(access_token.expose().to_owned()),
            app_secret: Some(app_secret.expose().to_owned()),
            webhook_url: Some(format!("{relay_url}{ingress_path}")),
            ..Default::default()
        });
        for c in CUSTOMERS {
            let mut new = NewCustomer::new(c.wa_id);
            new.name = Some(c.name.to_owned());
            sandbox.whatsapp.add_customer(new);
        }
        afip::configure(&store, secrets, org, &sandbox.afip, &sandbox.afip_url()).await?;
        let mp_notify = format!("{relay_url}{}", payments::ingress_path(&ingress_path));
        let mp = payments::start(&store, secrets, org, mp_notify).await?;
        if marker.is_none() {
            Marker {
                org_id: org,
                whatsapp_ingress_path: ingress_path.clone(),
            }
            .save(&dir)?;
        }
        Ok::<_, DemoError>(mp)
    }
    .await;
    let mercadopago = match configured {
        Ok(mp) => mp,
        Err(e) => {
            let _ = relay.shutdown().await;
            return Err(e);
        }
    };

    let demo = Demo {
        dir,
        store,
        org,
        driver: Driver {
            sim: sandbox.whatsapp.clone(),
            last: Arc::default(),
        },
        sandbox,
        mercadopago,
        relay,
        relay_url,
        options,
        trickle: Mutex::new(None),
    };
    if demo.trickle_enabled().await? {
        demo.start_trickle();
    }
    tracing::info!(%org, "demo running");
    Ok(demo)
}

async fn create_business(store: &Store) -> Result<OrgId, DemoError> {
    let org = org::create(
        store,
        NewOrganization {
            name: DEMO_BUSINESS_NAME.into(),
            cuit: DEMO_CUIT.into(),
            iva_condition: IvaCondition::ResponsableInscripto,
        },
    )
    .await?
    .id;
    settings::set(store, None, settings::CURRENT_ORG, &org.to_string()).await?;
    Ok(org)
}

/// The stored secret, or a new random one stored now (the simulator accepts whatever we say).
async fn secret_or_new(secrets: &SecretStore, org: OrgId, name: &str) -> Result<Secret, DemoError> {
    if let Some(s) = secrets.get(org, name).await? {
        return Ok(s);
    }
    let value = Secret::new(format!("demo-{}", uuid::Uuid::new_v4().simple()));
    secrets.set(org, name, &value).await?;
    Ok(value)
}

impl Demo {
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn org(&self) -> OrgId {
        self.org
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The simulators (tests, and the AFIP part of the demo).
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The MercadoPago simulator (tests; its checkout page is where a demo link is paid).
    pub fn mercadopago(&self) -> &MercadoPagoSim {
        &self.mercadopago.sim
    }

    pub fn relay_url(&self) -> &str {
        &self.relay_url
    }

    /// "Simular mensaje de un cliente": a random customer sends a message of `kind` (random when
    /// `None`). It arrives through the whole pipeline like any customer's.
    pub fn simulate(&self, kind: Option<DemoMessageKind>) -> Result<SimulatedMessage, DemoError> {
        self.driver.send(kind)
    }

    /// Whether the automatic trickle is on (the setting; on by default).
    pub async fn trickle_enabled(&self) -> Result<bool, DemoError> {
        Ok(settings::get(&self.store, Some(self.org), TRICKLE)
            .await?
            .is_none_or(|v| v != "false"))
    }

    /// Turns the automatic trickle on or off, and remembers it.
    pub async fn set_trickle(&self, on: bool) -> Result<(), DemoError> {
        settings::set(
            &self.store,
            Some(self.org),
            TRICKLE,
            if on { "true" } else { "false" },
        )
        .await?;
        if on {
            self.start_trickle();
        } else if let Some(t) = self.trickle.lock().unwrap().take() {
            t.stop();
        }
        Ok(())
    }

    fn start_trickle(&self) {
        let mut slot = self.trickle.lock().unwrap();
        if slot.is_none() {
            *slot = Some(Trickle::spawn(
                self.driver.clone(),
                self.options.trickle_every,
            ));
        }
    }

    /// Stops the trickle, the relay (gracefully) and the simulators. Stop the intake first.
    pub async fn stop(self) {
        if let Some(t) = self.trickle.lock().unwrap().take() {
            t.stop();
        }
        self.sandbox.whatsapp.set_webhook_url(None);
        if let Err(e) = self.relay.shutdown().await {
            tracing::warn!(error = %e, "demo relay did not stop cleanly");
        }
        drop(self.mercadopago);
        drop(self.sandbox);
        tracing::info!("demo stopped");
    }
}

/// "Salir del demo": deletes the demo business's keychain entries and the whole demo directory
/// (database, relay database, marker), so the next start is a clean first run. Stop the demo and
/// close its store first. The real database, outside that directory, is never touched.
pub async fn exit(data_dir: &Path, secrets: &SecretStore) -> Result<(), DemoError> {
    let dir = demo_dir(data_dir);
    // An unreadable marker still lets the directory go; only the keychain entries stay behind.
    match Marker::load(&dir) {
        Ok(Some(m)) => {
            for name in SECRET_NAMES.into_iter().chain(payments::SECRET_NAMES) {
                secrets.delete(m.org_id, name).await?;
            }
            for name in afip::secret_names() {
                secrets.delete(m.org_id, &name).await?;
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "demo marker unreadable; keychain entries kept"),
    }
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(DemoError::Io { path: dir, source }),
    }
    tracing::info!("demo removed");
    Ok(())
}
