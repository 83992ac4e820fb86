//! WSAA + WSFEv1 simulator (issue 5).

use axum::Router;

pub fn router() -> Router {
    Router::new()
}
