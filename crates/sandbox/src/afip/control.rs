//! The simulator's control API, under `/afip/_sandbox/`:
//!
//! | Method | Path | Body | Effect |
//! |---|---|---|---|
//! | POST | `/_sandbox/trust-ca` | CA certificate (PEM) | trust it for CMS verification |
//! | GET | `/_sandbox/clock` | | `{"now": rfc3339}` |
//! | POST | `/_sandbox/clock` | `{"now": rfc3339}` or `{"advance_seconds": n}` or `{"reset": true}` | set/move the clock |
//! | POST | `/_sandbox/faults` | a [`FaultRule`] | queue a fault |
//! | DELETE | `/_sandbox/faults` | | clear faults |
//! | POST | `/_sandbox/foreign-invoice` | `{"cuit","point_of_sale","voucher_type"}` | another system takes the next number |
//! | GET | `/_sandbox/invoices` | | stored invoices (JSON) |
//! | POST | `/_sandbox/caea/reject-inform` | a [`InformRejection`] | the next FECAEARegInformativo of that invoice (or of the next ones) is rejected |

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::caea::InformRejection;
use super::{AfipSim, FaultRule, StoredInvoice};

pub fn routes() -> Router<AfipSim> {
    Router::new()
        .route("/_sandbox/trust-ca", post(trust_ca))
        .route("/_sandbox/clock", get(get_clock).post(set_clock))
        .route("/_sandbox/faults", post(add_fault).delete(clear_faults))
        .route("/_sandbox/foreign-invoice", post(foreign_invoice))
        .route("/_sandbox/invoices", get(invoices))
        .route("/_sandbox/caea/reject-inform", post(reject_inform))
}

async fn trust_ca(
    State(sim): State<AfipSim>,
    pem: String,
) -> Result<StatusCode, (StatusCode, String)> {
    sim.trust_ca_pem(pem.as_bytes())
        .map(|_| StatusCode::NO_CONTENT)
        .map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("not a PEM certificate: {e}"),
            )
        })
}

async fn get_clock(State(sim): State<AfipSim>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "now": sim.now().to_rfc3339() }))
}

#[derive(Deserialize)]
struct ClockChange {
    now: Option<DateTime<Utc>>,
    advance_seconds: Option<i64>,
    #[serde(default)]
    reset: bool,
}

async fn set_clock(
    State(sim): State<AfipSim>,
    Json(c): Json<ClockChange>,
) -> Json<serde_json::Value> {
    if c.reset {
        sim.reset_clock();
    }
    if let Some(now) = c.now {
        sim.set_time(now);
    }
    if let Some(s) = c.advance_seconds {
        sim.advance(Duration::seconds(s));
    }
    Json(serde_json::json!({ "now": sim.now().to_rfc3339() }))
}

async fn add_fault(State(sim): State<AfipSim>, Json(rule): Json<FaultRule>) -> StatusCode {
    sim.inject(rule);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(sim): State<AfipSim>) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct ForeignInvoice {
    cuit: u64,
    point_of_sale: u32,
    voucher_type: u16,
}

async fn foreign_invoice(
    State(sim): State<AfipSim>,
    Json(f): Json<ForeignInvoice>,
) -> Json<serde_json::Value> {
    let number = sim.insert_foreign_invoice(f.cuit, f.point_of_sale, f.voucher_type);
    Json(serde_json::json!({ "number": number }))
}

async fn invoices(State(sim): State<AfipSim>) -> Json<Vec<StoredInvoice>> {
    Json(sim.invoices())
}

async fn reject_inform(
    State(sim): State<AfipSim>,
    Json(rejection): Json<InformRejection>,
) -> StatusCode {
    sim.reject_inform(rejection);
    StatusCode::NO_CONTENT
}
