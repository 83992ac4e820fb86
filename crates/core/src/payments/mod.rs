//! Payments (issue 14): "Cobrar" with a MercadoPago link or a counter QR, the payments MercadoPago
//! reports, refunds and chargebacks, and what each invoice has been paid.
//!
//! ```text
//! Cobrar → payment_links row + mercadopago.preference job (one transaction)
//!   job: POST /checkout/preferences with the link's fixed X-Idempotency-Key → link ready
//!        → the link goes to the customer's conversation (text in the window, template outside)
//! MercadoPago → relay → inbox_raw → processor (webhook.rs + intake.rs): x-signature with the
//!   keychain secret, dedupe, mercadopago.sync job — a notification is only a reason to fetch
//!   (Stripe: webhook.rs + stripe_intake.rs, the same path with its own header and verify)
//!   job: GET /v1/payments/{id} → payments row + history (apply.rs), invoice status recomputed,
//!        approved ⇒ one mercadopago.thanks job per payment (unique key) ⇒ one "pago recibido"
//! ```
//!
//! Jobs that call MercadoPago do not mark "send started": every creating call carries a fixed
//! idempotency key, so a crash or timeout is retried with the same key and MercadoPago answers
//! with what it already created (never in doubt, never twice).

mod apply;
mod charge;
pub mod config;
mod error;
pub mod events;
pub(crate) mod intake;
mod jobs;
mod list;
mod notice;
pub mod provider_settings;
pub(crate) mod providers;
mod refund;
mod share;
pub mod stripe;
pub(crate) mod stripe_intake;
pub(crate) mod webhook;

pub use charge::{
    charge, charge_checked, charge_with, ChargeKind, ChargeRequest, ConfiguredProviders,
};
pub use config::{load_client, probe, MercadoPagoSettings, ACCESS_TOKEN, WEBHOOK_SECRET};
pub use error::PaymentsError;
pub use events::{PaymentAlert, PaymentBus, PaymentEvent};
pub use jobs::{
    handlers, PREFERENCE_KIND, REFUND_KIND, STRIPE_CHECKOUT_KIND, STRIPE_REFUND_KIND,
    STRIPE_SYNC_KIND, SYNC_KIND, THANKS_KIND,
};
pub use list::{
    get_link, get_payment, invoice_status, list_payments, InvoicePaymentStatus, PaymentFilter,
    PaymentLinkView, PaymentView,
};
pub use notice::{format_ars, format_money};
pub use provider_settings::{has_secret, save_secrets};
pub use providers::ProviderName;
pub use refund::{credit_note_for_refund, RefundNoteError};
pub use refund::{request_refund, RefundRequest};
pub use share::send_link;
pub use stripe::{StripeProbe, StripeSettings};
/// Keychain entries of Stripe (the MercadoPago ones are [`ACCESS_TOKEN`] and [`WEBHOOK_SECRET`]).
pub use stripe::{SECRET_KEY as STRIPE_SECRET_KEY, WEBHOOK_SECRET as STRIPE_WEBHOOK_SECRET};

/// A QR code of `data` (a link's URL, or the counter QR's EMVCo text) as an SVG image.
pub fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
    )
}
