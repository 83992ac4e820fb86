//! AFIP/ARCA electronic invoicing protocol: WSAA login (TRA signed as CMS), WSFEv1 operations,
//! the invoice model with AFIP's validation rules, and the RG 4892 QR.
//!
//! A pure client: no database. Callers persist the access ticket ([`wsaa::AccessTicket::persist`]
//! and `restore`), the raw request/response XML ([`Exchange`]) and the invoices themselves.
//! Every call has a timeout, and `FECAESolicitar` is never retried at the HTTP layer.

pub mod endpoints;
pub mod exchange;
pub mod invoice;
pub mod padron;
pub mod qr;
pub mod tls;
pub mod transport;
pub mod wsaa;
pub mod wsfe;
pub mod xml;

pub use endpoints::{Endpoints, Environment};
pub use exchange::Exchange;
pub use mostrador_types::{Cuit, IvaCondition, Secret};

/// Argentina's civil time (UTC−03:00, no daylight saving since 2009).
pub fn argentina_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::west_opt(3 * 3600).expect("valid offset")
}
