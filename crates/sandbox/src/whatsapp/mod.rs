//! Graph API (WhatsApp Cloud API) simulator (issue 3).

use axum::Router;

pub fn router() -> Router {
    Router::new()
}
