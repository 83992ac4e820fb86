//! Graph API (WhatsApp Cloud API) simulator (issue 3).

use axum::Router;

/// Handle to the Graph API simulator's state (cheap to clone).
#[derive(Clone, Default)]
pub struct WhatsAppSim {}

impl WhatsAppSim {
    pub fn router(&self) -> Router {
        Router::new()
    }
}
