//! The demo shop's MercadoPago: the sandbox's MercadoPago simulator on its own loopback port (the
//! demo keeps its handle: tests and the checkout page), an access token and a webhook secret made
//! for this demo and stored in its keychain entries, and the settings of a real shop — the API
//! pointed at the simulator, the notification URL at the demo relay's `mercadopago` ingress. So
//! "Cobrar" in the demo runs the real pipeline: preference job → simulator checkout page → signed
//! webhook → relay → processor (x-signature) → fetch → invoice paid → "pago recibido".

use mostrador_sandbox::mercadopago::{MercadoPagoSim, MpConfigPatch, RunningMp};

use super::{secret_or_new, DemoError};
use crate::org::OrgId;
use crate::payments::{self, MercadoPagoSettings};
use crate::secrets::SecretStore;
use crate::store::Store;

/// The demo counter's point of sale (for "Cobrar con QR").
pub const DEMO_POS: &str = "CAJA1";

/// Every keychain entry the demo's MercadoPago has.
pub(super) const SECRET_NAMES: [&str; 2] = [payments::ACCESS_TOKEN, payments::WEBHOOK_SECRET];

/// The relay's MercadoPago ingress path from the WhatsApp one (same tenant token).
pub(super) fn ingress_path(whatsapp_ingress_path: &str) -> String {
    let base = whatsapp_ingress_path
        .strip_suffix("/whatsapp")
        .unwrap_or(whatsapp_ingress_path);
    format!("{base}/mercadopago")
}

/// Serves the simulator and configures the demo business to use it.
pub(super) async fn start(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    notification_url: String,
) -> Result<RunningMp, DemoError> {
    let mp = MercadoPagoSim::default()
        .serve(([127, 0, 0, 1], 0).into())
        .await
        .map_err(DemoError::Sandbox)?;
    // The simulator forgets its ids on restart; the demo's payments table does not.
    mp.sim
        .start_ids_at(chrono::Utc::now().timestamp_millis() as u64);
    let token = secret_or_new(secrets, org, payments::ACCESS_TOKEN).await?;
    let webhook_secret = secret_or_new(secrets, org, payments::WEBHOOK_SECRET).await?;
    mp.sim.configure(MpConfigPatch {
        access_token: Some(token.expose().to_owned()),
        webhook_secret: Some(webhook_secret.expose().to_owned()),
        ..Default::default()
    });
    MercadoPagoSettings {
        base_url: Some(mp.base_url()),
        notification_url: Some(notification_url),
        external_pos_id: Some(DEMO_POS.into()),
        user_id: Some(mp.sim.account().user_id),
        timeout_ms: None,
    }
    .save(store, org)
    .await
    .map_err(|e| DemoError::MercadoPago(e.to_string()))?;
    tracing::info!(%org, "demo MercadoPago ready");
    Ok(mp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mercadopago_ingress_is_the_whatsapp_one_with_the_provider_changed() {
        assert_eq!(
            ingress_path("/in/tok123/whatsapp"),
            "/in/tok123/mercadopago"
        );
    }
}
