//! WSAA + WSFEv1 simulator (issue 5).

use axum::Router;

/// Handle to the AFIP simulator's state (cheap to clone).
#[derive(Clone, Default)]
pub struct AfipSim {}

impl AfipSim {
    pub fn router(&self) -> Router {
        Router::new()
    }
}
