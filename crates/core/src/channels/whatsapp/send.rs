//! The `whatsapp.send` handler: parse the payload, load the org's client (settings + keychain
//! token), pace per recipient, mark the send started (fenced, committed) and only then call Graph
//! with `biz_opaque_callback_data` = the job id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mostrador_queue::QueueError;
use mostrador_whatsapp::Client;
use tracing::Instrument;

use super::config::{load_client, LoadError};
use super::payload::{WhatsAppContent, WhatsAppSend};
use crate::org::OrgId;
use crate::outbound::failure::{Failure, FailureKind, ProviderError};
use crate::outbound::handler::{queue_error, BoxFuture, Handled, JobHandler, JobRun};
use crate::outbound::rate::RateLimits;
use crate::secrets::SecretStore;
use crate::store::Store;
use mostrador_whatsapp::ids::MessageId;

/// The job kind.
pub const KIND: &str = "whatsapp.send";

/// How long a loaded client (settings + token) is reused before reading them again; an auth
/// failure drops it at once.
const CLIENT_TTL: Duration = Duration::from_secs(5 * 60);

pub struct SendHandler {
    store: Store,
    secrets: SecretStore,
    rates: Arc<RateLimits>,
    clients: Mutex<HashMap<OrgId, (Client, Instant)>>,
    /// One keychain read at a time: a burst of sends after a restart waits for the first read
    /// instead of each asking the keychain (a Secret Service call costs ~100 ms).
    loading: tokio::sync::Mutex<()>,
}

impl SendHandler {
    pub fn new(store: Store, secrets: SecretStore, rates: Arc<RateLimits>) -> Self {
        SendHandler {
            store,
            secrets,
            rates,
            clients: Mutex::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// Forgets the cached client (the token was changed in Ajustes).
    pub fn forget(&self, org: OrgId) {
        self.clients.lock().unwrap().remove(&org);
    }

    fn cached(&self, org: OrgId) -> Option<Client> {
        self.clients
            .lock()
            .unwrap()
            .get(&org)
            .filter(|(_, at)| at.elapsed() < CLIENT_TTL)
            .map(|(c, _)| c.clone())
    }

    async fn client(&self, org: OrgId) -> Result<Client, Handled> {
        if let Some(c) = self.cached(org) {
            return Ok(c);
        }
        let _one = self.loading.lock().await;
        if let Some(c) = self.cached(org) {
            return Ok(c);
        }
        let started = Instant::now();
        let loaded = load_client(&self.store, &self.secrets, org).await;
        tracing::info!(%org, ms = started.elapsed().as_millis() as u64, ok = loaded.is_ok(), "whatsapp settings and token loaded");
        match loaded {
            Ok(c) => {
                self.clients
                    .lock()
                    .unwrap()
                    .insert(org, (c.clone(), Instant::now()));
                Ok(c)
            }
            Err(LoadError::Failure(f)) => Err(Handled::Failed {
                failure: f,
                latency: None,
            }),
            Err(LoadError::Secret(e)) => {
                let app = crate::AppError::from(e);
                Err(Handled::Failed {
                    failure: Failure::new(FailureKind::NotConfigured, "keychain", app.message),
                    latency: None,
                })
            }
            Err(LoadError::Settings(e)) => Err(queue_error(QueueError::Sqlx(match e {
                crate::settings::SettingsError::Store(crate::store::StoreError::Sqlx(s)) => s,
                other => sqlx::Error::Protocol(format!("reading the WhatsApp settings: {other}")),
            }))),
        }
    }

    async fn run(&self, run: &mut JobRun) -> Handled {
        let payload: WhatsAppSend = match run.job.payload() {
            Ok(p) => p,
            Err(e) => {
                return Handled::Failed {
                    failure: Failure::bad_payload(format!("whatsapp.send payload: {e}")),
                    latency: None,
                }
            }
        };
        let org = OrgId(run.job.org_id);
        let failed = |failure: Failure| Handled::Failed {
            failure,
            latency: None,
        };
        let needs_client = matches!(payload.content, WhatsAppContent::MarkRead { .. })
            || payload.content.file_to_upload().is_some();
        let early = if needs_client {
            None
        } else {
            Some(match payload.to_message(&run.callback_data()) {
                Ok(m) => m,
                Err(e) => return failed(e.to_failure()),
            })
        };
        let client = match self.client(org).await {
            Ok(c) => c,
            Err(h) => return h,
        };
        let message = match (early, &payload.content) {
            (Some(m), _) => m,
            // Blue ticks for the customer: safe to repeat, nothing to fence.
            (None, WhatsAppContent::MarkRead { message_id }) => {
                let started = Instant::now();
                let id = match MessageId::new(message_id.clone()) {
                    Ok(id) => id,
                    Err(e) => return failed(mostrador_whatsapp::Error::from(e).to_failure()),
                };
                return match client.mark_read_id(&id).await {
                    Ok(()) => Handled::Done {
                        provider_id: None,
                        latency: started.elapsed(),
                    },
                    Err(e) => Handled::Failed {
                        failure: e.to_failure(),
                        latency: Some(started.elapsed()),
                    },
                };
            }
            (None, content) => {
                let Some((path, mime_type, filename)) = content.file_to_upload() else {
                    return failed(Failure::bad_payload("no message for this content"));
                };
                // Upload before the send mark: an upload is safe to repeat (a new id each time).
                let bytes = match tokio::fs::read(path).await {
                    Ok(b) => b,
                    Err(e) => {
                        return failed(
                            Failure::new(
                                FailureKind::Permanent,
                                "file_unreadable",
                                "No se pudo leer el archivo adjunto (¿se movió o borró?): adjuntalo de nuevo.",
                            )
                            .with_detail(format!("reading the attachment: {}", e.kind())),
                        )
                    }
                };
                let name = filename.unwrap_or("archivo");
                let (id, ty) = match client.upload_media(bytes.into(), mime_type, name).await {
                    Ok(u) => u,
                    Err(e) => return failed(e.to_failure()),
                };
                match payload.to_message_with_media(&run.callback_data(), Some((id, ty.kind))) {
                    Ok(m) => m,
                    Err(e) => return failed(e.to_failure()),
                }
            }
        };
        if let Err(after) = self.rates.take_recipient(org, &payload.to) {
            return Handled::NotNow { after };
        }
        if let Err(not) = run.mark_send_started().await {
            return not.0;
        }
        let started = Instant::now();
        match client.send(&message).await {
            Ok(sent) => Handled::Done {
                provider_id: Some(sent.message_id.as_str().to_owned()),
                latency: started.elapsed(),
            },
            Err(e) => {
                let latency = started.elapsed();
                let failure = e.to_failure();
                if failure.kind == FailureKind::PausesIntegration {
                    // A new token will be read when sends resume.
                    self.forget(org);
                }
                Handled::Failed {
                    failure,
                    latency: Some(latency),
                }
            }
        }
    }
}

impl JobHandler for SendHandler {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled> {
        let span = tracing::info_span!("whatsapp.send_job", job_id = %run.job.id, org_id = %run.job.org_id);
        Box::pin(self.run(run).instrument(span))
    }

    fn credentials_changed(&self, org: OrgId) {
        self.forget(org);
    }
}
