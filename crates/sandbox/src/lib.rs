//! Local simulators of every provider Mostrador talks to, served over real HTTP on one port with a
//! path prefix per provider. Tests start it in-process ([`Sandbox::start`]); the `mostrador-sandbox`
//! binary serves the same thing for the app's "try it without accounts" mode.
//!
//! Each simulator is a cloneable handle (`whatsapp::WhatsAppSim`, `afip::AfipSim`, `twilio::TwilioSim`) that owns its
//! state; tests reach it through [`Sandbox`] fields to configure it or read its log, and every
//! control action is also available over HTTP under the simulator's own prefix.

pub mod afip;
pub mod mercadopago;
pub mod sendgrid;
pub mod stripe;
pub mod twilio;
pub mod whatsapp;

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Path prefix of the Graph API (WhatsApp) simulator.
pub const GRAPH_PREFIX: &str = "/graph";
/// Path prefix of the WSAA/WSFE simulator.
pub const AFIP_PREFIX: &str = "/afip";
/// Path prefix of the Twilio Messages API simulator.
pub const TWILIO_PREFIX: &str = "/twilio";

/// The router with every simulator mounted under its prefix.
pub fn router(
    whatsapp: &whatsapp::WhatsAppSim,
    afip: &afip::AfipSim,
    twilio: &twilio::TwilioSim,
) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest(GRAPH_PREFIX, whatsapp.router())
        .nest(AFIP_PREFIX, afip.router())
        .nest(TWILIO_PREFIX, twilio.router())
        .nest("/sendgrid", sendgrid::SendGridSim::default().router())
        .nest("/stripe", stripe::StripeSim::default().router())
        .nest(
            mercadopago::PREFIX,
            mercadopago::MercadoPagoSim::default().router(),
        )
}

/// A running sandbox: its address, the simulator handles, and the server task (aborted on drop).
pub struct Sandbox {
    pub addr: SocketAddr,
    pub whatsapp: whatsapp::WhatsAppSim,
    pub afip: afip::AfipSim,
    pub twilio: twilio::TwilioSim,
    task: JoinHandle<()>,
}

impl Sandbox {
    /// Binds `addr` (use `127.0.0.1:0` for a free port) and serves default simulators.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Sandbox> {
        Self::start_with(
            addr,
            whatsapp::WhatsAppSim::default(),
            afip::AfipSim::default(),
        )
        .await
    }

    /// Binds `addr` and serves the given simulators (and a default Twilio one) in the background.
    pub async fn start_with(
        addr: SocketAddr,
        whatsapp: whatsapp::WhatsAppSim,
        afip: afip::AfipSim,
    ) -> std::io::Result<Sandbox> {
        Self::start_all(addr, whatsapp, afip, twilio::TwilioSim::default()).await
    }

    /// Binds `addr` and serves every given simulator in the background.
    pub async fn start_all(
        addr: SocketAddr,
        whatsapp: whatsapp::WhatsAppSim,
        afip: afip::AfipSim,
        twilio: twilio::TwilioSim,
    ) -> std::io::Result<Sandbox> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = router(&whatsapp, &afip, &twilio);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        Ok(Sandbox {
            addr,
            whatsapp,
            afip,
            twilio,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`, the root of every simulator.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL to give a Graph API client (`…/graph`; the client appends `/{version}/…`).
    pub fn graph_url(&self) -> String {
        format!("{}{GRAPH_PREFIX}", self.base_url())
    }

    /// Base URL to give a Twilio client (`…/twilio`; the client appends `/2010-04-01/…`).
    pub fn twilio_url(&self) -> String {
        format!("{}{TWILIO_PREFIX}", self.base_url())
    }

    /// Base URL of the AFIP simulator (`…/afip`).
    pub fn afip_url(&self) -> String {
        format!("{}{AFIP_PREFIX}", self.base_url())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
