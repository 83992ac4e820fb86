//! Webhook relay (design §4, protocol v1).
//!
//! - [`protocol`]: the wire types shared by the relay server and the desktop (events, ack, status).
//! - [`client`]: the desktop side of polling (`GET /v1/events`, `POST /v1/ack`, `GET /v1/status`).
//! - `server` (feature `server`, on by default): the relay server behind the `mostrador-relay` binary.
//!
//! The desktop app depends on this crate with `default-features = false`, so it links neither axum
//! nor the PostgreSQL driver.

pub mod client;
pub mod protocol;
#[cfg(feature = "server")]
pub mod server;

pub use client::{ClientError, RelayClient};
pub use protocol::{
    AckRequest, AckResponse, Event, EventsResponse, Header, Provider, StatusResponse,
};
