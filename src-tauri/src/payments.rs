//! Cobros in the app: "Cobrar" (link or counter QR, MercadoPago or Stripe), the payments list,
//! refunds, an invoice's payment status, Ajustes → MercadoPago and Ajustes → Stripe (keys to the
//! keychain, "Probar", the webhook URL to paste). Each command is one core call; payment events
//! go to the window.

use mostrador_core::org::OrgId;
use mostrador_core::payments::{
    self, ChargeRequest, ConfiguredProviders, InvoicePaymentStatus, MercadoPagoSettings,
    PaymentBus, PaymentEvent, PaymentFilter, PaymentLinkView, PaymentView, RefundRequest,
    StripeProbe, StripeSettings,
};
use mostrador_core::secrets::SecretStore;
use mostrador_core::AppError;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tokio::sync::broadcast::error::RecvError;

use crate::boot::Boot;
use crate::ipc::command;
use crate::outbound::Engine;

crate::event! {
    /// A payment or a payment link changed, or something the owner must see (chargeback…).
    pub PAYMENT_EVENT: "payment-event" => PaymentEvent
}

/// The app's payment event bus (the engine's handlers publish on it).
#[derive(Default)]
pub struct Payments {
    bus: PaymentBus,
}

impl Payments {
    pub fn bus(&self) -> PaymentBus {
        self.bus.clone()
    }
}

/// Forwards payment events to the window for as long as the app runs.
pub fn start(app: &AppHandle) {
    let mut rx = app.state::<Payments>().bus().subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    let _ = PAYMENT_EVENT.emit(&app, e);
                }
                Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "payment events lagged"),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// The Cobros list.
#[command]
pub async fn payments_list(
    boot: State<'_, Boot>,
    org_id: OrgId,
    filter: PaymentFilter,
) -> Result<Vec<PaymentView>, AppError> {
    Ok(payments::list_payments(&boot.store().await?, org_id, &filter).await?)
}

/// "Cobrar": the link (or QR) for an invoice or an amount; the same open link on a double click.
#[command]
pub async fn payment_charge(
    boot: State<'_, Boot>,
    engine: State<'_, Engine>,
    payments: State<'_, Payments>,
    org_id: OrgId,
    request: ChargeRequest,
) -> Result<PaymentLinkView, AppError> {
    let store = boot.store().await?;
    Ok(payments::charge_checked(
        &store,
        &engine.queue()?,
        &SecretStore::default(),
        &payments.bus(),
        org_id,
        request,
    )
    .await?)
}

/// Which providers can charge (the dialog shows a choice only when both can).
#[command]
pub async fn payment_providers(org_id: OrgId) -> Result<ConfiguredProviders, AppError> {
    Ok(ConfiguredProviders::load(&SecretStore::default(), org_id).await?)
}

/// A link as it is now (the dialog polls it until it is ready).
#[command]
pub async fn payment_link(
    boot: State<'_, Boot>,
    org_id: OrgId,
    link_id: i64,
) -> Result<PaymentLinkView, AppError> {
    Ok(payments::get_link(&boot.store().await?, org_id, link_id).await?)
}

/// The link's URL or the counter QR as an SVG image (`None` while it is being created).
#[command]
pub async fn payment_link_qr(
    boot: State<'_, Boot>,
    org_id: OrgId,
    link_id: i64,
) -> Result<Option<String>, AppError> {
    let l = payments::get_link(&boot.store().await?, org_id, link_id).await?;
    Ok(l.qr_data.or(l.url).as_deref().and_then(payments::qr_svg))
}

/// A total or partial refund (refused above what is left of the payment).
#[command]
pub async fn payment_refund(
    boot: State<'_, Boot>,
    engine: State<'_, Engine>,
    org_id: OrgId,
    request: RefundRequest,
) -> Result<i64, AppError> {
    let store = boot.store().await?;
    Ok(payments::request_refund(&store, &engine.queue()?, org_id, request).await?)
}

/// "Enviar por WhatsApp" on a ready link: in its customer's conversation (text inside the 24 h
/// window, the payment template outside it), once; returns the message id.
#[command]
pub async fn payment_link_send(
    app: AppHandle,
    boot: State<'_, Boot>,
    engine: State<'_, Engine>,
    org_id: OrgId,
    link_id: i64,
) -> Result<i64, AppError> {
    let store = boot.store().await?;
    let events = app.state::<crate::intake::Intakes>().bus();
    Ok(payments::send_link(&store, &engine.queue()?, &events, org_id, link_id).await?)
}

/// "Hacer nota de crédito" after a refund: the credit note of the payment's invoice for the
/// refunded amount, pre-filled for the owner to review and issue.
#[command]
pub async fn payment_refund_credit_note(
    boot: State<'_, Boot>,
    afip: State<'_, crate::invoices::Afip>,
    engine: State<'_, Engine>,
    org_id: OrgId,
    payment_id: i64,
    amount_cents: i64,
) -> Result<mostrador_core::invoicing::model::NewInvoice, AppError> {
    let (_, inv) = crate::invoices::invoicing(&afip, &engine, org_id).await?;
    let store = boot.store().await?;
    Ok(payments::credit_note_for_refund(&store, &inv, org_id, payment_id, amount_cents).await?)
}

/// What an invoice has been paid (`None`: no payment yet).
#[command]
pub async fn invoice_payment_status(
    boot: State<'_, Boot>,
    org_id: OrgId,
    invoice_id: i64,
) -> Result<Option<InvoicePaymentStatus>, AppError> {
    Ok(payments::invoice_status(&boot.store().await?, org_id, invoice_id).await?)
}

/// What Ajustes → MercadoPago shows: the settings and which secrets are stored (never them).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct MercadoPagoSettingsView {
    pub settings: MercadoPagoSettings,
    pub has_access_token: bool,
    pub has_webhook_secret: bool,
    /// The URL to paste in MercadoPago's panel ("Webhooks").
    pub webhook_url: Option<String>,
}

#[command]
pub async fn mercadopago_settings(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<MercadoPagoSettingsView, AppError> {
    let store = boot.store().await?;
    let settings = MercadoPagoSettings::load(&store, org_id).await?;
    let secrets = SecretStore::default();
    Ok(MercadoPagoSettingsView {
        webhook_url: settings.webhook_url(),
        has_access_token: payments::has_secret(&secrets, org_id, payments::ACCESS_TOKEN).await?,
        has_webhook_secret: payments::has_secret(&secrets, org_id, payments::WEBHOOK_SECRET)
            .await?,
        settings,
    })
}

/// Saves Ajustes → MercadoPago; a given token or secret replaces the stored one.
#[command]
pub async fn save_mercadopago_settings(
    boot: State<'_, Boot>,
    org_id: OrgId,
    settings: MercadoPagoSettings,
    access_token: Option<String>,
    webhook_secret: Option<String>,
) -> Result<(), AppError> {
    let store = boot.store().await?;
    settings.save(&store, org_id).await?;
    payments::save_secrets(
        &SecretStore::default(),
        org_id,
        [
            (payments::ACCESS_TOKEN, access_token),
            (payments::WEBHOOK_SECRET, webhook_secret),
        ],
    )
    .await?;
    Ok(())
}

/// Whose MercadoPago account the token is.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct MercadoPagoAccount {
    #[ts(type = "number")]
    pub id: i64,
    pub nickname: Option<String>,
    pub email: Option<String>,
    pub site_id: Option<String>,
}

/// "Probar": the stored token's account (its id is saved for the counter QR).
#[command]
pub async fn mercadopago_probe(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<MercadoPagoAccount, AppError> {
    let a = payments::probe(&boot.store().await?, &SecretStore::default(), org_id, None).await?;
    Ok(MercadoPagoAccount {
        id: a.id,
        nickname: a.nickname,
        email: a.email,
        site_id: a.site_id,
    })
}

/// What Ajustes → Stripe shows: the settings and which secrets are stored (never them).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct StripeSettingsView {
    pub settings: StripeSettings,
    pub has_secret_key: bool,
    pub has_webhook_secret: bool,
    /// The relay URL to paste in Stripe's dashboard (Developers → Webhooks → endpoint).
    pub webhook_url: Option<String>,
}

#[command]
pub async fn stripe_settings(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<StripeSettingsView, AppError> {
    let store = boot.store().await?;
    let settings = StripeSettings::load(&store, org_id).await?;
    let secrets = SecretStore::default();
    Ok(StripeSettingsView {
        webhook_url: settings.webhook_url_or_derived(&store, org_id).await,
        has_secret_key: payments::has_secret(&secrets, org_id, payments::STRIPE_SECRET_KEY).await?,
        has_webhook_secret: payments::has_secret(&secrets, org_id, payments::STRIPE_WEBHOOK_SECRET)
            .await?,
        settings,
    })
}

/// Saves Ajustes → Stripe; a given key or signing secret replaces the stored one.
#[command]
pub async fn save_stripe_settings(
    boot: State<'_, Boot>,
    org_id: OrgId,
    settings: StripeSettings,
    secret_key: Option<String>,
    webhook_secret: Option<String>,
) -> Result<(), AppError> {
    let store = boot.store().await?;
    settings.save(&store, org_id).await?;
    payments::save_secrets(
        &SecretStore::default(),
        org_id,
        [
            (payments::STRIPE_SECRET_KEY, secret_key),
            (payments::STRIPE_WEBHOOK_SECRET, webhook_secret),
        ],
    )
    .await?;
    Ok(())
}

/// "Probar": the stored key's balance (proves the key works; says whether it is a test key).
#[command]
pub async fn stripe_probe(boot: State<'_, Boot>, org_id: OrgId) -> Result<StripeProbe, AppError> {
    Ok(
        payments::stripe::probe(&boot.store().await?, &SecretStore::default(), org_id, None)
            .await?,
    )
}
