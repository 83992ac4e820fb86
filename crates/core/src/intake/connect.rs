//! Ajustes → Relay: read what `mostrador-relay tenant create` printed (the whole block, its
//! `--json` form, or the URL and device token typed separately), "Probar" (`GET /v1/status` with
//! the device token), save (URL setting + keychain token), and give back the exact webhook URL
//! and verify token to paste into Meta's dashboard.
//!
//! The relay stores only hashes of its tokens, so the webhook URL (its path carries the ingress
//! token) and the verify token exist only in the pasted block: they are kept in the keychain to
//! be shown again later, never in SQLite.

use mostrador_relay::{ClientError, RelayClient};
use mostrador_types::Secret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{AppError, ErrorCode};
use crate::inbox::{self, InboxError, RELAY_DEVICE_TOKEN, RELAY_URL};
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;

/// Keychain entry: the relay's WhatsApp webhook URL (its path is a capability).
pub const RELAY_WHATSAPP_WEBHOOK_URL: &str = "relay_whatsapp_webhook_url";
/// Keychain entry: the verify token Meta's GET handshake must present.
pub const RELAY_META_VERIFY_TOKEN: &str = "relay_meta_verify_token";

/// What the Relay form sends: the pasted block and/or the fields typed separately (a typed field
/// wins over the block's).
#[derive(Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RelayInput {
    #[serde(default)]
    pub pasted: String,
    #[serde(default)]
    pub relay_url: String,
    #[serde(
        default = "no_secret",
        deserialize_with = "crate::channels::whatsapp::secret"
    )]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub device_token: Secret,
}

fn no_secret() -> Secret {
    Secret::new("")
}

impl Default for RelayInput {
    fn default() -> Self {
        RelayInput {
            pasted: String::new(),
            relay_url: String::new(),
            device_token: no_secret(),
        }
    }
}

/// The relay data, read and checked.
#[derive(Debug, Clone)]
pub struct RelayBlock {
    /// The relay's public base URL (`https://relay.example.com`).
    pub relay_url: String,
    pub device_token: Secret,
    /// The URL to give Meta (`…/in/{ingress}/whatsapp`), when the block had it.
    pub whatsapp_webhook_url: Option<String>,
    pub meta_verify_token: Option<Secret>,
}

/// "Probar" passed: the relay knows the token. For the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RelayCheck {
    pub relay_url: String,
    pub tenant_id: String,
    /// Events waiting for this computer.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub backlog: i64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub oldest_unacked_age_secs: Option<i64>,
    /// What to paste into Meta's dashboard (WhatsApp → Configuración → Webhook).
    pub meta: Option<MetaWebhook>,
}

/// Meta's "Callback URL" and "Verify token" fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MetaWebhook {
    pub callback_url: String,
    pub verify_token: String,
}

/// What Ajustes → Relay shows once saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RelayStatus {
    NotConfigured,
    Configured {
        relay_url: String,
        /// "termina en 1234".
        token_hint: Option<String>,
        /// `None` when only the URL and device token were given (the block was not pasted).
        meta: Option<MetaWebhook>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RelayConnectError {
    #[error("the relay data is incomplete or malformed: {0}")]
    Block(String),
    #[error(transparent)]
    Inbox(#[from] InboxError),
}

impl From<crate::secrets::SecretError> for RelayConnectError {
    fn from(e: crate::secrets::SecretError) -> Self {
        RelayConnectError::Inbox(e.into())
    }
}

impl From<settings::SettingsError> for RelayConnectError {
    fn from(e: settings::SettingsError) -> Self {
        RelayConnectError::Inbox(e.into())
    }
}

impl From<ClientError> for RelayConnectError {
    fn from(e: ClientError) -> Self {
        RelayConnectError::Inbox(e.into())
    }
}

impl From<RelayConnectError> for AppError {
    fn from(e: RelayConnectError) -> Self {
        match e {
            RelayConnectError::Block(what) => AppError::new(
                ErrorCode::RelayBlockInvalid,
                format!("{what} Pegá todo lo que mostró `mostrador-relay tenant create`, o escribí la dirección del relay y el token del dispositivo."),
            ),
            RelayConnectError::Inbox(i) => inbox_error(i),
        }
    }
}

fn inbox_error(e: InboxError) -> AppError {
    match e {
        InboxError::Relay(ClientError::Unauthorized) => AppError::new(
            ErrorCode::RelayTokenRejected,
            "El relay rechazó el token del dispositivo: está mal copiado o se rotó. Pegá el token que mostró `mostrador-relay tenant create` (o `tenant rotate-token … device`).",
        ),
        InboxError::Relay(ClientError::InvalidUrl(reason)) => AppError::new(
            ErrorCode::RelayBlockInvalid,
            "La dirección del relay no es válida: tiene que empezar con https:// (http:// solo para un relay en esta computadora).",
        )
        .with_details(json!({ "field": "relay_url", "reason": reason })),
        InboxError::Relay(
            ClientError::Timeout | ClientError::Transport(_) | ClientError::Status { .. },
        )
        | InboxError::Relay(ClientError::Decode(_) | ClientError::CursorMismatch) => {
            AppError::new(
                ErrorCode::RelayUnreachable,
                "No se pudo comunicar con el relay: revisá la dirección y la conexión a internet, y que el relay esté funcionando.",
            )
        }
        InboxError::TenantAlreadyBound { tenant_id, .. } => AppError::new(
            ErrorCode::RelayTenantInUse,
            "Ese relay ya recibe los mensajes de otro negocio de esta computadora. Creá otro inquilino para este negocio (`mostrador-relay tenant create`) y usá su token.",
        )
        .with_details(json!({ "tenant_id": tenant_id })),
        InboxError::TenantUnknown => AppError::new(
            ErrorCode::RelayUnreachable,
            "El relay es de una versión vieja que no informa su inquilino: actualizalo.",
        ),
        InboxError::Secret(s) => s.into(),
        InboxError::Settings(s) => s.into(),
        InboxError::Store(s) => s.into(),
        InboxError::NotConfigured(_) => AppError::new(
            ErrorCode::InvalidSetting,
            "El relay no está configurado en este negocio.",
        ),
        other @ (InboxError::InvalidEvent { .. } | InboxError::StaleEpoch { .. }) => {
            tracing::error!(error = %other, "relay connect");
            AppError::new(ErrorCode::Internal, "Algo salió mal. Probá de nuevo.")
        }
    }
}

/// Reads the relay data from what the user pasted and typed.
pub fn parse_relay_input(input: &RelayInput) -> Result<RelayBlock, RelayConnectError> {
    let mut found = parse_pasted(&input.pasted);
    let typed_url = input.relay_url.trim();
    if !typed_url.is_empty() {
        found.relay_url = Some(typed_url.trim_end_matches('/').to_owned());
    }
    let typed_token = input.device_token.expose().trim();
    if !typed_token.is_empty() {
        found.device_token = Some(typed_token.to_owned());
    }
    let relay_url = found.relay_url.ok_or_else(|| {
        RelayConnectError::Block("Falta la dirección del relay (https://…).".into())
    })?;
    let device_token = found
        .device_token
        .ok_or_else(|| RelayConnectError::Block("Falta el token del dispositivo.".into()))?;
    if device_token.chars().any(char::is_whitespace) {
        return Err(RelayConnectError::Block(
            "El token del dispositivo tiene espacios en el medio.".into(),
        ));
    }
    // A webhook URL of another relay than the one typed would send Meta elsewhere: drop it.
    let webhook = found
        .webhook_url
        .filter(|w| base_of_ingress(w).as_deref() == Some(relay_url.as_str()));
    Ok(RelayBlock {
        relay_url,
        device_token: Secret::new(device_token),
        whatsapp_webhook_url: webhook,
        meta_verify_token: found.verify_token.map(Secret::new),
    })
}

#[derive(Default)]
struct Found {
    relay_url: Option<String>,
    device_token: Option<String>,
    webhook_url: Option<String>,
    verify_token: Option<String>,
}

/// The labels of the printed block's value lines.
const VERIFY_LABEL: &str = "meta verify token";
const DEVICE_LABEL: &str = "device token";

/// The block with its line breaks back before each label: some copies (a chat, a web form, a
/// typed-in field) lose them, and the tokens run into the next label.
fn relined(text: &str) -> String {
    // ASCII lower-casing keeps byte offsets.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len() + 8);
    let mut last = 0;
    for (at, _) in lower
        .match_indices(VERIFY_LABEL)
        .chain(lower.match_indices(DEVICE_LABEL))
        .collect::<std::collections::BTreeMap<_, _>>()
    {
        out.push_str(&text[last..at]);
        out.push('\n');
        last = at;
    }
    out.push_str(&text[last..]);
    out
}

/// The block as printed (text or `--json`). Unknown lines are ignored: terminals add prompts
/// and wrap lines.
fn parse_pasted(text: &str) -> Found {
    let text = text.trim();
    let mut f = Found::default();
    if text.is_empty() {
        return f;
    }
    if let Some(start) = text.find('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text[start..]) {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            f.device_token = s("device_token");
            f.verify_token = s("meta_verify_token");
            f.webhook_url = v
                .get("ingress_urls")
                .and_then(|u| u.get("whatsapp"))
                .and_then(|x| x.as_str())
                .map(str::to_owned);
            f.relay_url = f.webhook_url.as_deref().and_then(base_of_ingress);
            return f;
        }
    }
    let mut any_ingress: Option<String> = None;
    let text = relined(text);
    for line in text.lines().map(str::trim) {
        let lower = line.to_ascii_lowercase();
        let last_word = line.split_whitespace().last().map(str::to_owned);
        if lower.starts_with(DEVICE_LABEL) {
            f.device_token = last_word.filter(|w| !w.ends_with(':'));
        } else if lower.starts_with(VERIFY_LABEL) {
            f.verify_token = last_word.filter(|w| !w.ends_with(':'));
        } else {
            // Every URL of the line: a block whose line breaks were lost has them all on one.
            let words: Vec<&str> = line.split_whitespace().collect();
            for (i, url) in words.iter().enumerate().filter(|(_, w)| w.contains("://")) {
                if base_of_ingress(url).is_some() {
                    let named = i > 0 && words[i - 1] == "whatsapp";
                    if named || url.ends_with("/whatsapp") {
                        f.webhook_url = Some((*url).to_owned());
                    }
                    any_ingress.get_or_insert_with(|| (*url).to_owned());
                } else if f.relay_url.is_none() {
                    f.relay_url = Some(url.trim_end_matches('/').to_owned());
                }
            }
        }
    }
    if let Some(u) = f.webhook_url.as_deref().or(any_ingress.as_deref()) {
        f.relay_url = base_of_ingress(u).or(f.relay_url);
    }
    f
}

/// `https://relay.example.com/in/{token}/{provider}` → `https://relay.example.com` (the relay
/// may be served under a path prefix, kept).
fn base_of_ingress(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let path = parsed.path();
    let at = path.rfind("/in/")?;
    let rest: Vec<&str> = path[at + 4..].split('/').collect();
    if rest.len() != 2 || rest.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut base = parsed.clone();
    base.set_path(&path[..at]);
    base.set_query(None);
    Some(base.as_str().trim_end_matches('/').to_owned())
}

/// The façade src-tauri calls.
#[derive(Clone)]
pub struct RelayConnect {
    store: Store,
    secrets: SecretStore,
}

impl RelayConnect {
    pub fn new(store: Store, secrets: SecretStore) -> Self {
        RelayConnect { store, secrets }
    }

    /// "Probar": `GET /v1/status` with the device token; refused when another business here
    /// already uses that tenant. Nothing is stored.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn test(
        &self,
        org: OrgId,
        input: &RelayInput,
    ) -> Result<RelayCheck, RelayConnectError> {
        let block = parse_relay_input(input)?;
        self.check(org, &block).await
    }

    async fn check(&self, org: OrgId, block: &RelayBlock) -> Result<RelayCheck, RelayConnectError> {
        let client = RelayClient::new(&block.relay_url, block.device_token.clone())?;
        let status = client.status().await?;
        if let Some(other) = self.tenant_owner(&status.tenant_id, org).await? {
            return Err(InboxError::TenantAlreadyBound {
                tenant_id: status.tenant_id,
                other_org: other,
            }
            .into());
        }
        tracing::info!(tenant_id = %status.tenant_id, backlog = status.backlog, "relay answered");
        Ok(RelayCheck {
            relay_url: block.relay_url.clone(),
            tenant_id: status.tenant_id,
            backlog: status.backlog,
            oldest_unacked_age_secs: status.oldest_unacked_age_secs,
            meta: meta_of(block),
        })
    }

    /// "Guardar": tests, binds the business to the tenant, stores the URL setting and the
    /// keychain token (and the Meta values, when given). The intake must then be restarted.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn save(
        &self,
        org: OrgId,
        input: &RelayInput,
    ) -> Result<(RelayCheck, RelayStatus), RelayConnectError> {
        let block = parse_relay_input(input)?;
        let check = self.check(org, &block).await?;
        inbox::configure_relay(
            &self.store,
            &self.secrets,
            org,
            &block.relay_url,
            block.device_token.clone(),
        )
        .await?;
        match (&block.whatsapp_webhook_url, &block.meta_verify_token) {
            (Some(url), Some(token)) => {
                self.secrets
                    .set(org, RELAY_WHATSAPP_WEBHOOK_URL, &Secret::new(url.clone()))
                    .await?;
                self.secrets
                    .set(org, RELAY_META_VERIFY_TOKEN, token)
                    .await?;
            }
            // Another relay or tenant than the stored Meta values belong to: forget them.
            _ => self.forget_meta(org).await?,
        }
        tracing::info!("relay saved");
        Ok((check, self.status(org).await?))
    }

    pub async fn status(&self, org: OrgId) -> Result<RelayStatus, RelayConnectError> {
        let Some(relay_url) = settings::get(&self.store, Some(org), RELAY_URL).await? else {
            return Ok(RelayStatus::NotConfigured);
        };
        let token = self.secrets.get(org, RELAY_DEVICE_TOKEN).await?;
        let url = self.secrets.get(org, RELAY_WHATSAPP_WEBHOOK_URL).await?;
        let verify = self.secrets.get(org, RELAY_META_VERIFY_TOKEN).await?;
        Ok(RelayStatus::Configured {
            relay_url,
            token_hint: token.as_ref().and_then(Secret::hint),
            meta: match (url, verify) {
                (Some(u), Some(v)) => Some(MetaWebhook {
                    callback_url: u.expose().to_owned(),
                    verify_token: v.expose().to_owned(),
                }),
                _ => None,
            },
        })
    }

    /// Removes the relay configuration (the intake must be stopped); received history stays.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn disconnect(&self, org: OrgId) -> Result<(), RelayConnectError> {
        settings::delete(&self.store, Some(org), RELAY_URL).await?;
        self.secrets.delete(org, RELAY_DEVICE_TOKEN).await?;
        self.forget_meta(org).await?;
        tracing::info!("relay disconnected");
        Ok(())
    }

    async fn forget_meta(&self, org: OrgId) -> Result<(), RelayConnectError> {
        self.secrets.delete(org, RELAY_WHATSAPP_WEBHOOK_URL).await?;
        self.secrets.delete(org, RELAY_META_VERIFY_TOKEN).await?;
        Ok(())
    }

    async fn tenant_owner(
        &self,
        tenant_id: &str,
        org: OrgId,
    ) -> Result<Option<OrgId>, RelayConnectError> {
        if tenant_id.is_empty() {
            return Ok(None);
        }
        let other: Option<String> = sqlx::query_scalar(
            "SELECT org_id FROM relay_cursors WHERE relay_tenant_id = ? AND org_id <> ?",
        )
        .bind(tenant_id)
        .bind(org.to_string())
        .fetch_optional(self.store.reader())
        .await
        .map_err(InboxError::from)?;
        Ok(other
            .and_then(|o| uuid::Uuid::parse_str(&o).ok())
            .map(OrgId))
    }
}

fn meta_of(block: &RelayBlock) -> Option<MetaWebhook> {
    Some(MetaWebhook {
        callback_url: block.whatsapp_webhook_url.clone()?,
        verify_token: block.meta_verify_token.as_ref()?.expose().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exactly what `mostrador-relay tenant create` prints (crates/relay/src/main.rs).
    const PRINTED: &str = r#"Tenant "kiosco" created (id 5b1f0c2e-8d1a-4a77-9d1e-1f2a3b4c5d6e).
The values below are shown ONCE and stored only as hashes. Copy them now.

Provider webhook URLs:
  mercadopago  https://relay.example.com/in/ingTok_123/mercadopago
  twilio       https://relay.example.com/in/ingTok_123/twilio
  whatsapp     https://relay.example.com/in/ingTok_123/whatsapp

Meta verify token (WhatsApp webhook setup): verTok_456
Device token (Mostrador > Ajustes > Relay):  devTok_789abcdef
"#;

    fn input(pasted: &str) -> RelayInput {
        RelayInput {
            pasted: pasted.into(),
            ..Default::default()
        }
    }

    #[test]
    fn reads_the_printed_block() {
        let b = parse_relay_input(&input(PRINTED)).unwrap();
        assert_eq!(b.relay_url, "https://relay.example.com");
        assert_eq!(b.device_token.expose(), "devTok_789abcdef");
        assert_eq!(
            b.whatsapp_webhook_url.as_deref(),
            Some("https://relay.example.com/in/ingTok_123/whatsapp")
        );
        assert_eq!(b.meta_verify_token.unwrap().expose(), "verTok_456");
    }

    #[test]
    fn reads_the_json_block_and_a_path_prefix() {
        let json = r#"$ mostrador-relay tenant create --json kiosco
{
  "id": "x", "name": "kiosco",
  "ingress_urls": { "whatsapp": "https://h.example.com/relay/in/abc/whatsapp", "twilio": "https://h.example.com/relay/in/abc/twilio" },
  "meta_verify_token": "v1", "device_token": "d1"
}"#;
        let b = parse_relay_input(&input(json)).unwrap();
        assert_eq!(b.relay_url, "https://h.example.com/relay");
        assert_eq!(b.device_token.expose(), "d1");
        assert_eq!(b.meta_verify_token.unwrap().expose(), "v1");
    }

    #[test]
    fn separate_fields_and_what_is_missing() {
        let b = parse_relay_input(&RelayInput {
            pasted: String::new(),
            relay_url: " https://relay.example.com/ ".into(),
            device_token: Secret::new(" tok "),
        })
        .unwrap();
        assert_eq!(b.relay_url, "https://relay.example.com");
        assert_eq!(b.device_token.expose(), "tok");
        assert!(b.whatsapp_webhook_url.is_none() && b.meta_verify_token.is_none());

        // Only the device token line: the URL is missing.
        let err = parse_relay_input(&input("Device token (Mostrador > Ajustes > Relay):  abc"))
            .unwrap_err();
        assert!(matches!(&err, RelayConnectError::Block(m) if m.contains("dirección")));
        let app: AppError = err.into();
        assert_eq!(app.code, ErrorCode::RelayBlockInvalid);
        // A block cut before the device token line.
        let cut = &PRINTED[..PRINTED.find("Device token").unwrap()];
        assert!(matches!(
            parse_relay_input(&input(cut)),
            Err(RelayConnectError::Block(m)) if m.contains("token")
        ));
        // A typed URL of another relay drops the block's webhook URL (it would point elsewhere).
        let b = parse_relay_input(&RelayInput {
            pasted: PRINTED.into(),
            relay_url: "https://other.example.com".into(),
            device_token: Secret::new(""),
        })
        .unwrap();
        assert!(b.whatsapp_webhook_url.is_none());
        assert_eq!(b.device_token.expose(), "devTok_789abcdef");
    }

    #[test]
    fn reads_the_block_when_its_line_breaks_were_lost() {
        // What a copy that drops new lines leaves (seen from WebKit's WebDriver typing).
        let flat: String = PRINTED.lines().collect();
        let b = parse_relay_input(&input(&flat)).unwrap();
        assert_eq!(b.relay_url, "https://relay.example.com");
        assert_eq!(b.device_token.expose(), "devTok_789abcdef");
        assert_eq!(
            b.whatsapp_webhook_url.as_deref(),
            Some("https://relay.example.com/in/ingTok_123/whatsapp")
        );
        assert_eq!(b.meta_verify_token.unwrap().expose(), "verTok_456");
        // Joined with spaces instead (a chat app) reads the same.
        let spaced = PRINTED.lines().collect::<Vec<_>>().join(" ");
        let b = parse_relay_input(&input(&spaced)).unwrap();
        assert_eq!(b.device_token.expose(), "devTok_789abcdef");
        assert_eq!(b.meta_verify_token.unwrap().expose(), "verTok_456");
        assert!(b.whatsapp_webhook_url.is_some());
    }

    #[test]
    fn ingress_base() {
        assert_eq!(
            base_of_ingress("https://r.example.com/in/t/whatsapp").as_deref(),
            Some("https://r.example.com")
        );
        assert_eq!(base_of_ingress("https://r.example.com/v1/status"), None);
        assert_eq!(base_of_ingress("https://r.example.com/in/t"), None);
    }
}
