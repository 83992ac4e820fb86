use super::InboxError;
use super::{InboxHandle, PollerOptions};
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;
use mostrador_relay::RelayClient;

/// Organization setting: the relay's public base URL, e.g. `https://relay.example.com`.
pub const RELAY_URL: &str = "relay_url";
/// Keychain entry name of the organization's relay device token.
pub const RELAY_DEVICE_TOKEN: &str = "relay_device_token";

/// The relay client of an organization, from its `relay_url` setting and its keychain token.
pub async fn relay_client(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
) -> Result<RelayClient, InboxError> {
    let url = settings::get(store, Some(org), RELAY_URL)
        .await?
        .ok_or(InboxError::NotConfigured(RELAY_URL))?;
    let token = secrets
        .get(org, RELAY_DEVICE_TOKEN)
        .await?
        .ok_or(InboxError::NotConfigured(RELAY_DEVICE_TOKEN))?;
    Ok(RelayClient::new(&url, token)?)
}

/// Starts the organization's loop from its configuration (`relay_url` setting, keychain token).
pub async fn spawn_for_org(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    opts: PollerOptions,
) -> Result<InboxHandle, InboxError> {
    let client = relay_client(store, secrets, org).await?;
    Ok(super::spawn(store.clone(), org, client, opts))
}

/// Sets the organization's relay: asks the relay which tenant `device_token` belongs to, binds the
/// organization to it (refused when another business already has that tenant: one tenant, one
/// business), then stores the URL setting and the keychain token.
pub async fn configure_relay(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    relay_url: &str,
    device_token: mostrador_types::Secret,
) -> Result<String, InboxError> {
    let client = RelayClient::new(relay_url, device_token.clone())?;
    let tenant = super::bind_tenant(store, org, &client).await?;
    settings::set(store, Some(org), RELAY_URL, relay_url).await?;
    secrets.set(org, RELAY_DEVICE_TOKEN, &device_token).await?;
    Ok(tenant)
}
