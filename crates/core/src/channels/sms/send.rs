//! The `sms.send` handler: parse the payload, honour an opt-out, load the org's Twilio client
//! (settings + keychain token), mark the send started (fenced, committed) and only then call
//! Twilio with `StatusCallback` = the shop's relay URL naming the job. The accepted sid is
//! attached to the message in the thread; a permanent refusal marks it failed with the reason.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mostrador_queue::QueueError;
use mostrador_twilio::ids::PhoneNumber;
use mostrador_twilio::{Client, ErrorClass, NewSms, Sender};
use tracing::Instrument;

use super::config::{load_client, status_callback_for, LoadError};
use super::enqueue::SmsSend;
use crate::conversations;
use crate::events::EventBus;
use crate::org::OrgId;
use crate::outbound::failure::{Failure, FailureKind, ProviderError};
use crate::outbound::handler::{queue_error, BoxFuture, Handled, JobHandler, JobRun};
use crate::secrets::SecretStore;
use crate::store::Store;

/// The job kind.
pub const KIND: &str = "sms.send";

const CLIENT_TTL: Duration = Duration::from_secs(5 * 60);

type Loaded = (Client, Sender, Option<String>);

pub struct SendHandler {
    store: Store,
    secrets: SecretStore,
    events: Option<EventBus>,
    clients: Mutex<HashMap<OrgId, (Loaded, Instant)>>,
    loading: tokio::sync::Mutex<()>,
}

impl SendHandler {
    pub fn new(store: Store, secrets: SecretStore) -> Self {
        SendHandler {
            store,
            secrets,
            events: None,
            clients: Mutex::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// Where thread updates (sid attached, failed) are announced.
    pub fn with_events(mut self, events: EventBus) -> Self {
        self.events = Some(events);
        self
    }

    /// Forgets the cached client (the credentials were changed in Ajustes).
    pub fn forget(&self, org: OrgId) {
        self.clients.lock().unwrap().remove(&org);
    }

    fn cached(&self, org: OrgId) -> Option<Loaded> {
        self.clients
            .lock()
            .unwrap()
            .get(&org)
            .filter(|(_, at)| at.elapsed() < CLIENT_TTL)
            .map(|(c, _)| c.clone())
    }

    async fn client(&self, org: OrgId) -> Result<Loaded, Handled> {
        if let Some(c) = self.cached(org) {
            return Ok(c);
        }
        let _one = self.loading.lock().await;
        if let Some(c) = self.cached(org) {
            return Ok(c);
        }
        match load_client(&self.store, &self.secrets, org).await {
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
            Err(LoadError::Settings(e)) => Err(queue_error(QueueError::Sqlx(match e {
                crate::settings::SettingsError::Store(crate::store::StoreError::Sqlx(s)) => s,
                other => sqlx::Error::Protocol(format!("reading the SMS settings: {other}")),
            }))),
        }
    }

    async fn opted_out(&self, org: OrgId, customer_id: Option<i64>) -> Result<bool, sqlx::Error> {
        let Some(id) = customer_id else {
            return Ok(false);
        };
        let v: Option<i64> =
            sqlx::query_scalar("SELECT sms_opted_out FROM customers WHERE id = ? AND org_id = ?")
                .bind(id)
                .bind(org.to_string())
                .fetch_optional(self.store.reader())
                .await?;
        Ok(v == Some(1))
    }

    /// The sid goes on the job's message; statuses that came first are applied.
    async fn attach(&self, org: OrgId, job_id: i64, sid: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.store.writer().begin().await?;
        let msg: Option<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE org_id = ? AND job_id = ?")
                .bind(org.to_string())
                .bind(job_id)
                .fetch_optional(&mut *tx)
                .await?;
        let mut events = Vec::new();
        if let Some(id) = msg {
            events = conversations::attach_provider_id(&mut tx, org, id, sid).await?;
        }
        tx.commit().await?;
        if let Some(bus) = &self.events {
            bus.emit_all(events);
        }
        Ok(())
    }

    /// A refusal that will not change: the thread shows it; 21610 opts the customer out.
    async fn refused(
        &self,
        org: OrgId,
        job_id: i64,
        customer_id: Option<i64>,
        failure: &Failure,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.store.writer().begin().await?;
        let code: Option<i64> = failure.code.parse().ok();
        sqlx::query(
            "UPDATE messages SET status = 'failed', error_code = ?, error_reason = ?
             WHERE org_id = ? AND job_id = ? AND status IN ('pending', 'queued')",
        )
        .bind(code)
        .bind(&failure.message_es)
        .bind(org.to_string())
        .bind(job_id)
        .execute(&mut *tx)
        .await?;
        if code.map(ErrorClass::from_code) == Some(ErrorClass::Unsubscribed) {
            if let Some(c) = customer_id {
                opt_out(&mut tx, org, c).await?;
            }
        }
        tx.commit().await
    }

    async fn run(&self, run: &mut JobRun) -> Handled {
        let payload: SmsSend = match run.job.payload() {
            Ok(p) => p,
            Err(e) => {
                return Handled::Failed {
                    failure: Failure::bad_payload(format!("sms.send payload: {e}")),
                    latency: None,
                }
            }
        };
        let org = OrgId(run.job.org_id);
        let job_id = run.job.id.0;
        match self.opted_out(org, payload.customer_id).await {
            Ok(false) => {}
            Ok(true) => {
                let f = Failure::new(
                    FailureKind::Permanent,
                    "opted_out",
                    "El cliente pidió no recibir SMS (STOP/BAJA): no se envió.",
                );
                if let Err(e) = self.refused(org, job_id, None, &f).await {
                    return queue_error(QueueError::Sqlx(e));
                }
                return Handled::Failed {
                    failure: f,
                    latency: None,
                };
            }
            Err(e) => return queue_error(QueueError::Sqlx(e)),
        }
        let (client, sender, callback_base) = match self.client(org).await {
            Ok(c) => c,
            Err(h) => return h,
        };
        let sms = PhoneNumber::new(payload.to.clone())
            .map_err(mostrador_twilio::Error::from)
            .and_then(|to| {
                let mut s = NewSms::new(to, sender, payload.body.clone())?;
                if let Some(base) = &callback_base {
                    s = s.with_status_callback(&status_callback_for(base, job_id))?;
                }
                Ok(s)
            });
        let sms = match sms {
            Ok(s) => s,
            Err(e) => {
                let failure = e.to_failure();
                if let Err(e) = self
                    .refused(org, job_id, payload.customer_id, &failure)
                    .await
                {
                    return queue_error(QueueError::Sqlx(e));
                }
                return Handled::Failed {
                    failure,
                    latency: None,
                };
            }
        };
        if let Err(not) = run.mark_send_started().await {
            return not.0;
        }
        let started = Instant::now();
        match client.send(&sms).await {
            Ok(msg) => {
                let latency = started.elapsed();
                let sid = msg.sid.as_str().to_owned();
                if let Err(e) = self.attach(org, job_id, &sid).await {
                    // The job still completes with the sid as evidence; the thread catches up
                    // when the first status callback names the sid.
                    tracing::warn!(error = %e, "could not attach the sid to the message");
                }
                Handled::Done {
                    provider_id: Some(sid),
                    latency,
                }
            }
            Err(e) => {
                let latency = started.elapsed();
                let failure = e.to_failure();
                if failure.kind == FailureKind::PausesIntegration {
                    self.forget(org);
                }
                if failure.kind == FailureKind::Permanent {
                    if let Err(e) = self
                        .refused(org, job_id, payload.customer_id, &failure)
                        .await
                    {
                        tracing::warn!(error = %e, "could not mark the SMS failed in the thread");
                    }
                }
                Handled::Failed {
                    failure,
                    latency: Some(latency),
                }
            }
        }
    }
}

/// Opts a customer out of SMS (STOP/BAJA, or Twilio's 21610).
pub(crate) async fn opt_out(
    conn: &mut sqlx::SqliteConnection,
    org: OrgId,
    customer_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE customers SET sms_opted_out = 1, sms_opted_out_at = ?, updated_at = ?
         WHERE id = ? AND org_id = ? AND sms_opted_out = 0",
    )
    .bind(crate::conversations::ts_now())
    .bind(crate::conversations::ts_now())
    .bind(customer_id)
    .bind(org.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl JobHandler for SendHandler {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled> {
        let span =
            tracing::info_span!("sms.send_job", job_id = %run.job.id, org_id = %run.job.org_id);
        Box::pin(self.run(run).instrument(span))
    }

    fn credentials_changed(&self, org: OrgId) {
        self.forget(org);
    }
}

/// "Probar" in Ajustes → SMS: one SMS now (not queued) to a number as typed; answers the sid.
pub async fn send_test(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    to: &str,
) -> Result<String, crate::AppError> {
    use crate::ErrorCode;
    let (client, sender, _) = super::config::load_client(store, secrets, org)
        .await
        .map_err(|e| match e {
            LoadError::Failure(f) => {
                crate::AppError::new(ErrorCode::ChannelNotConfigured, f.message_es)
            }
            LoadError::Settings(s) => s.into(),
        })?;
    let phone = mostrador_types::Phone::parse(to)
        .map_err(|e| crate::AppError::new(ErrorCode::InvalidRecipient, e.message_es()))?;
    let to = PhoneNumber::new(phone.e164())
        .map_err(|e| crate::AppError::new(ErrorCode::InvalidRecipient, e.to_string()))?;
    let sms = NewSms::new(
        to,
        sender,
        "Mostrador: SMS de prueba. Si te llegó, el SMS está bien configurado.",
    )
    .map_err(|e| crate::AppError::new(ErrorCode::Internal, e.to_string()))?;
    match client.send(&sms).await {
        Ok(m) => Ok(m.sid.as_str().to_owned()),
        Err(e) => Err(crate::AppError::new(
            ErrorCode::ProviderRejected,
            e.to_failure().message_es,
        )),
    }
}
