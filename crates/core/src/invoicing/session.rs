//! The connection to AFIP per organization: endpoints, the signer (certificate + key, set up by
//! `invoicing/certificate/`), this computer's point of sale, and the WSAA ticket. The ticket is
//! reused across the whole backlog and across restarts (persisted in the keychain with
//! `AccessTicket::persist`/`restore`), so a backlog drains with one login and a restart never hits
//! `coe.alreadyAuthenticated`.
//!
//! There is ONE stored ticket per (organization, environment, service): `afip/{env}/ta/{service}`
//! ([`ticket_secret`]), read and written by both "Probar" (`certificate::AfipSetup::ticket`) and
//! the submissions here, so neither logs in while the other's ticket is valid, and a homologación
//! ticket is never offered to producción.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_afip::transport::HttpClient;
use mostrador_afip::wsaa::{AccessTicket, Signer, WsaaClient, WsaaError};
use mostrador_afip::wsfe::WsfeClient;
use mostrador_afip::Endpoints;
use tokio::sync::Mutex;

use super::certificate::AfipEnvironment;
use crate::org::OrgId;
use crate::secrets::{SecretError, SecretStore};

/// Keychain name (under `{org}/`) of the stored ticket of `service` in `env`.
pub fn ticket_secret(env: AfipEnvironment, service: &str) -> String {
    format!("afip/{}/ta/{service}", env.as_str())
}

/// The stored ticket of `service` in `env`, if it is still valid at `now`.
pub async fn stored_ticket(
    secrets: &SecretStore,
    org: OrgId,
    env: AfipEnvironment,
    service: &str,
    now: DateTime<Utc>,
) -> Result<Option<AccessTicket>, SecretError> {
    let Some(stored) = secrets.get(org, &ticket_secret(env, service)).await? else {
        return Ok(None);
    };
    match AccessTicket::restore(stored.expose()) {
        Ok(t) if t.service == service && t.is_valid(now) => Ok(Some(t)),
        Ok(_) => Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, "stored AFIP ticket unreadable; logging in again");
            Ok(None)
        }
    }
}

/// The shortest timeout a WSAA login gets.
pub const WSAA_MIN_TIMEOUT: Duration = Duration::from_secs(30);

/// How an organization reaches AFIP.
pub struct AfipSetup {
    /// Keys the stored tickets: homologación and producción never share one.
    pub environment: AfipEnvironment,
    pub endpoints: Endpoints,
    pub signer: Arc<Signer>,
    /// This computer's web-service point of sale.
    pub point_of_sale: u32,
    /// Timeout of each WSFE/WSAA call.
    pub timeout: Duration,
    /// ws_sr_constancia_inscripcion (`None`: no padrón lookups).
    pub padron: Option<url::Url>,
}

/// Clients built once per setup.
pub struct Connection {
    pub setup: AfipSetup,
    pub wsaa: WsaaClient,
    pub wsfe: WsfeClient,
}

/// The organizations' AFIP setups (the certificate flow and the app wiring fill it).
#[derive(Clone, Default)]
pub struct AfipSetups {
    map: Arc<RwLock<HashMap<OrgId, Arc<Connection>>>>,
}

impl AfipSetups {
    pub fn set(&self, org: OrgId, setup: AfipSetup) {
        let http = HttpClient::default();
        let conn = Connection {
            // A login that times out after WSAA issued the ticket locks us out for minutes
            // (coe.alreadyAuthenticated), so WSAA gets a generous timeout of its own.
            wsaa: WsaaClient::new(http.clone(), setup.endpoints.wsaa.clone())
                .with_timeout(setup.timeout.max(WSAA_MIN_TIMEOUT)),
            wsfe: WsfeClient::new(http, setup.endpoints.wsfe.clone()).with_timeout(setup.timeout),
            setup,
        };
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(org, Arc::new(conn));
    }

    pub fn remove(&self, org: OrgId) {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&org);
    }

    pub fn get(&self, org: OrgId) -> Option<Arc<Connection>> {
        self.map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&org)
            .cloned()
    }

    pub fn point_of_sale(&self, org: OrgId) -> Option<u32> {
        self.get(org).map(|c| c.setup.point_of_sale)
    }
}

/// Why no ticket could be had.
#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error(transparent)]
    Wsaa(#[from] WsaaError),
    #[error("keychain: {0}")]
    Keychain(String),
}

impl TicketError {
    /// AFIP (or the network) is down: wait and retry, nothing for the owner to fix yet.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            TicketError::Wsaa(
                WsaaError::Transport(_)
                    | WsaaError::Unavailable { .. }
                    | WsaaError::Unexpected { .. }
                    | WsaaError::AlreadyAuthenticated
            )
        )
    }
}

/// The tickets of one WSAA service, one per organization, logged in at most once while valid.
pub struct Tickets {
    secrets: SecretStore,
    service: &'static str,
    cache: Mutex<HashMap<(OrgId, AfipEnvironment), AccessTicket>>,
    logins: AtomicU64,
}

impl Tickets {
    /// WSFE's tickets.
    pub fn new(secrets: SecretStore) -> Self {
        Self::for_service(secrets, super::certificate::WSFE)
    }

    /// The padrón's tickets (a separate WSAA service).
    pub fn padron(secrets: SecretStore) -> Self {
        Self::for_service(secrets, mostrador_afip::padron::SERVICE)
    }

    fn for_service(secrets: SecretStore, service: &'static str) -> Self {
        Tickets {
            secrets,
            service,
            cache: Mutex::new(HashMap::new()),
            logins: AtomicU64::new(0),
        }
    }

    /// WSAA logins made by this process (the backlog drain must make one).
    pub fn logins(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    /// A valid ticket: the cached one, the keychain's, or a new login (persisted at once).
    pub async fn get(
        &self,
        org: OrgId,
        conn: &Connection,
        now: DateTime<Utc>,
    ) -> Result<AccessTicket, TicketError> {
        let env = conn.setup.environment;
        // Held across the login: concurrent sequences of one org share one login.
        let mut cache = self.cache.lock().await;
        if let Some(t) = cache.get(&(org, env)).filter(|t| t.is_valid(now)) {
            return Ok(t.clone());
        }
        // The keychain's may be newer than the cache's ("Probar" logs in with the same entry).
        if let Some(t) = stored_ticket(&self.secrets, org, env, self.service, now)
            .await
            .map_err(|e| TicketError::Keychain(e.to_string()))?
        {
            cache.insert((org, env), t.clone());
            return Ok(t);
        }
        let login = conn
            .wsaa
            .login(&conn.setup.signer, self.service, now)
            .await?;
        self.logins.fetch_add(1, Ordering::Relaxed);
        self.secrets
            .set(
                org,
                &ticket_secret(env, self.service),
                &login.ticket.persist(),
            )
            .await
            .map_err(|e| TicketError::Keychain(e.to_string()))?;
        cache.insert((org, env), login.ticket.clone());
        Ok(login.ticket)
    }

    /// WSFE refused the ticket (600): forget it so the next call logs in.
    pub async fn invalidate(&self, org: OrgId, env: AfipEnvironment) {
        self.cache.lock().await.remove(&(org, env));
        if let Err(e) = self
            .secrets
            .delete(org, &ticket_secret(env, self.service))
            .await
        {
            tracing::warn!(error = %e, "could not delete the stored AFIP ticket");
        }
    }
}
