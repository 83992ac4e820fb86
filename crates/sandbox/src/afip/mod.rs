//! WSAA + WSFEv1 simulator (issue 5): the real rules (CMS verification against a trusted test CA,
//! TRA time window, 12 h tickets, `coe.alreadyAuthenticated`, numbering, date windows, sums, class
//! C, RG 5616, 602), an injectable clock and fault injection.
//!
//! Served under `/afip`: `POST /ws/services/LoginCms`, `POST /wsfev1/service.asmx`, and the control
//! API under `/_sandbox/` (see [`control`]). Every control action is also a method on [`AfipSim`].
//!
//! The simulator shares no parsing with the AFIP client (`crates/afip`): it has its own
//! namespace-strict XML reader ([`xml`]), .NET-like number reading ([`decimal`]), voucher-type
//! table ([`vouchers`]) and certificate reading ([`cert`]), so a client bug fails against it
//! instead of being mirrored.

pub mod caea;
mod cert;
pub mod clock;
mod control;
mod decimal;
pub mod faults;
pub mod padron;
mod rules;
mod soap;
mod state;
mod tables;
pub mod test_ca;
mod vouchers;
mod wsaa;
mod wsfe;
mod xml;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use openssl::x509::X509;

pub use faults::{Fault, FaultRule};
pub use state::{RestoredInvoice, StoredInvoice};

use state::State;

/// Handle to the AFIP simulator's state (cheap to clone).
#[derive(Clone, Default)]
pub struct AfipSim {
    state: Arc<Mutex<State>>,
}

impl AfipSim {
    pub fn router(&self) -> Router {
        Router::new()
            .route("/ws/services/LoginCms", post(login_cms))
            .route("/wsfev1/service.asmx", post(wsfe_endpoint))
            .route(
                "/sr-padron/webservices/personaServiceA5",
                post(padron_endpoint),
            )
            .merge(control::routes())
            .with_state(self.clone())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Trusts a CA (PEM) for WSAA's CMS verification.
    pub fn trust_ca_pem(&self, pem: &[u8]) -> Result<(), String> {
        let ca = X509::from_pem(pem).map_err(|e| e.to_string())?;
        self.trust_ca(ca);
        Ok(())
    }

    pub fn trust_ca(&self, ca: X509) {
        self.lock().trusted_cas.push(ca);
    }

    /// The simulator's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().clock.now()
    }

    /// Freezes the clock at `at`.
    pub fn set_time(&self, at: DateTime<Utc>) {
        self.lock().clock.set(at);
    }

    /// Moves the clock (e.g. 12 h to expire every ticket).
    pub fn advance(&self, by: Duration) {
        self.lock().clock.advance(by);
    }

    pub fn reset_clock(&self) {
        self.lock().clock.reset();
    }

    /// Queues a fault for the next request(s) of an operation.
    pub fn inject(&self, rule: FaultRule) {
        self.lock().faults.push(rule);
    }

    /// Shorthand: `fault` once on `operation`.
    pub fn inject_once(&self, operation: &str, fault: Fault) {
        self.inject(FaultRule {
            operation: Some(operation.to_owned()),
            fault,
            times: 1,
        });
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Another system issues the next invoice of (CUIT, point of sale, type); returns its number.
    pub fn insert_foreign_invoice(&self, cuit: u64, point_of_sale: u32, voucher_type: u16) -> u64 {
        self.lock()
            .insert_foreign((cuit, point_of_sale, voucher_type))
    }

    /// Registers an invoice an earlier run of the simulator stored (it keeps nothing across
    /// restarts, AFIP keeps everything), so numbering, dates and FECompConsultar go on from it.
    /// Only the identity is restored: amounts and receiver are placeholders.
    pub fn restore_invoice(&self, invoice: RestoredInvoice) {
        self.lock().restore(invoice);
    }

    /// Every stored invoice, in (CUIT, point of sale, type, number) order.
    pub fn invoices(&self) -> Vec<StoredInvoice> {
        self.lock().invoices.values().cloned().collect()
    }

    /// Lets certificates log in to `service` (default: only `wsfe`).
    pub fn authorize_service(&self, service: &str) {
        self.lock().authorized_services.insert(service.to_owned());
    }

    /// Removes `service` from the authorized ones (`coe.notAuthorized`).
    pub fn revoke_service(&self, service: &str) {
        self.lock().authorized_services.remove(service);
    }

    /// Restricts the registered web-service points of sale (`None`: all valid numbers).
    pub fn set_points_of_sale(&self, points: Option<BTreeSet<u32>>) {
        self.lock().points_of_sale = points;
    }

    /// Registers CAEA (contingency) points of sale: FEParamGetPtosVenta lists them as `CAEA`.
    pub fn set_caea_points_of_sale(&self, points: BTreeSet<u32>) {
        self.lock().caea_points_of_sale = points;
    }

    /// Marks a CUIT as missing from the padrón (10015 when it is a receiver).
    pub fn mark_unregistered(&self, cuit: u64) {
        self.lock().unregistered_cuits.insert(cuit);
    }

    /// The final-consumer identification threshold in ARS cents.
    pub fn set_identification_threshold_cents(&self, cents: i64) {
        self.lock().identification_threshold_cents = cents;
    }

    /// Adds `Events/Evt` to every WSFE answer (empty list: none).
    pub fn set_events(&self, events: Vec<(i64, String)>) {
        self.lock().events = events;
    }

    /// Adds (or replaces) a person in the simulated padrón (`getPersona_v2`).
    pub fn add_persona(&self, persona: padron::PadronPersona) {
        self.lock().personas.insert(persona.cuit, persona);
    }

    fn take_fault(&self, operation: &str) -> Option<Fault> {
        faults::take(&mut self.lock().faults, operation)
    }
}

/// Argentina's civil time (UTC−03:00), AFIP's clock for dates and `FEHeaderInfo`.
fn argentina() -> chrono::FixedOffset {
    chrono::FixedOffset::west_opt(3 * 3600).expect("a valid offset")
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn xml_response(status: u16, body: String, now: DateTime<Utc>) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .header(header::DATE, http_date(now))
        .body(Body::from(body))
        .expect("valid response")
}

/// Faults that act before processing. `Err` is the response to send instead.
async fn before(fault: &Option<Fault>, now: DateTime<Utc>) -> Result<(), Response> {
    match fault {
        Some(Fault::Latency { millis }) => {
            tokio::time::sleep(std::time::Duration::from_millis(*millis)).await;
            Ok(())
        }
        Some(Fault::Status { code }) => Err(xml_response(
            *code,
            format!("<html><body>HTTP {code}</body></html>"),
            now,
        )),
        Some(Fault::Hang) => {
            tokio::time::sleep(faults::HANG).await;
            Err(xml_response(504, String::new(), now))
        }
        _ => Ok(()),
    }
}

/// Faults that act after processing.
async fn after(fault: &Option<Fault>, resp: Response) -> Response {
    match fault {
        Some(Fault::ProcessThenHang) => {
            tokio::time::sleep(faults::HANG).await;
            resp
        }
        Some(Fault::ProcessThenDrop) => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(
                    b"<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope",
                )),
                Err(std::io::Error::other(
                    "connection dropped by fault injection",
                )),
            ];
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
                .body(Body::from_stream(futures::stream::iter(chunks)))
                .expect("valid response")
        }
        Some(Fault::ProcessThenReplace { status, body }) => {
            let now = resp
                .headers()
                .get(header::DATE)
                .and_then(|d| d.to_str().ok())
                .map(str::to_owned);
            let mut r = Response::builder()
                .status(StatusCode::from_u16(*status).unwrap_or(StatusCode::OK))
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8");
            if let Some(d) = now {
                r = r.header(header::DATE, d);
            }
            r.body(Body::from(body.clone())).expect("valid response")
        }
        _ => resp,
    }
}

async fn login_cms(AxState(sim): AxState<AfipSim>, headers: HeaderMap, body: String) -> Response {
    let fault = sim.take_fault("loginCms");
    let now = sim.now();
    if let Err(resp) = before(&fault, now).await {
        return resp;
    }
    if !headers.contains_key("soapaction") {
        return xml_response(
            500,
            soap::axis_fault("Client.NoSOAPAction", "no SOAPAction header!"),
            now,
        );
    }
    let result = {
        let mut state = sim.lock();
        wsaa::login(&mut state, &body)
    };
    let resp = match result {
        Ok(issued) => {
            tracing::info!("sandbox wsaa: ticket issued");
            xml_response(
                200,
                soap::login_cms_response(&issued.namespace, &issued.ticket_xml),
                now,
            )
        }
        Err(wsaa::LoginFault(code, msg)) => {
            tracing::info!(fault = code, "sandbox wsaa: fault");
            xml_response(500, soap::axis_fault(code, &msg), now)
        }
    };
    after(&fault, resp).await
}

async fn wsfe_endpoint(
    AxState(sim): AxState<AfipSim>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let action = headers.get("soapaction").and_then(|v| v.to_str().ok());
    let now = sim.now();
    let Some(op) = wsfe::operation(action, &body) else {
        return xml_response(
            500,
            soap::dotnet_fault(
                "soap:Client",
                "Unable to handle request without a valid action parameter.",
            ),
            now,
        );
    };
    let fault = sim.take_fault(&op);
    if let Err(resp) = before(&fault, now).await {
        return resp;
    }
    let (status, xml) = {
        let mut state = sim.lock();
        wsfe::process(&mut state, &op, &body, fault.as_ref())
    };
    tracing::info!(operation = %op, status, "sandbox wsfe");
    after(&fault, xml_response(status, xml, now)).await
}

/// `getPersona_v2` (faults are keyed by that operation name).
async fn padron_endpoint(AxState(sim): AxState<AfipSim>, body: String) -> Response {
    let now = sim.now();
    let fault = sim.take_fault("getPersona_v2");
    if let Err(resp) = before(&fault, now).await {
        return resp;
    }
    let (status, xml) = {
        let state = sim.lock();
        padron::process(&state, &body)
    };
    tracing::info!(status, "sandbox padron");
    after(&fault, xml_response(status, xml, now)).await
}
