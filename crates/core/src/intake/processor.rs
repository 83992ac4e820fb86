//! The processor: takes `new` rows of `inbox_raw` in relay order and, per event, verifies the
//! provider signature with the organization's app secret (keychain), parses, dedupes on the
//! provider keys, applies every item and marks the row — all in one transaction. Rows are taken
//! in batches (one `BEGIN IMMEDIATE` per batch, a savepoint per event) so a backlog of thousands
//! drains quickly, yielding to the runtime between batches.
//!
//! Row states: `new` → `processed` | `quarantined` (not authentic, not ours, not a webhook: kept
//! with the reason, nothing applied) | `failed` (our bug: kept with the error, retried by
//! [`Processor::retry_failed`] after an update).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use mostrador_queue::{Queue, Wake};
use mostrador_types::Secret;
use mostrador_whatsapp::signature::{self, SignatureError};
use mostrador_whatsapp::webhook::{self, Notification};
use sqlx::Connection as _;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use super::evidence::{JobEvidence, JobStatusEvidence};
use super::whatsapp::{self as wa, Route};
use super::IntakeError;
use crate::conversations::ts_now;
use crate::events::{ConversationEvent, EventBus};
use crate::org::OrgId;
use crate::secrets::{SecretError, SecretStore};
use crate::settings;
use crate::store::Store;

/// Organization setting: the WhatsApp phone number id this business owns (webhooks for any other
/// are quarantined). Same key as the WhatsApp channel's settings.
pub const PHONE_NUMBER_ID: &str = "whatsapp.phone_number_id";
/// Organization setting: the WhatsApp Business Account id (template updates are checked against it).
pub const WABA_ID: &str = "whatsapp.waba_id";
/// Keychain entry name of the Meta app secret that signs webhooks.
pub const APP_SECRET: &str = "whatsapp_app_secret";

pub type SecretFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Secret>, SecretError>> + Send + 'a>>;

/// Where the processor gets an organization's app secret: the keychain in the app.
pub trait AppSecrets: Send + Sync + 'static {
    fn app_secret(&self, org: OrgId) -> SecretFuture<'_>;
    /// The Twilio auth token that signs Twilio's callbacks (none: they are quarantined).
    fn twilio_auth_token(&self, _org: OrgId) -> SecretFuture<'_> {
        Box::pin(async { Ok(None) })
    }
    /// The MercadoPago webhook secret (none: signed notifications are quarantined).
    fn mercadopago_webhook_secret(&self, _org: OrgId) -> SecretFuture<'_> {
        Box::pin(async { Ok(None) })
    }
    /// The Stripe webhook signing secret (none: Stripe events are quarantined).
    fn stripe_webhook_secret(&self, _org: OrgId) -> SecretFuture<'_> {
        Box::pin(async { Ok(None) })
    }
}

impl AppSecrets for SecretStore {
    fn app_secret(&self, org: OrgId) -> SecretFuture<'_> {
        Box::pin(self.get(org, APP_SECRET))
    }
    fn twilio_auth_token(&self, org: OrgId) -> SecretFuture<'_> {
        Box::pin(self.get(org, crate::channels::sms::AUTH_TOKEN))
    }
    fn mercadopago_webhook_secret(&self, org: OrgId) -> SecretFuture<'_> {
        Box::pin(self.get(org, crate::payments::WEBHOOK_SECRET))
    }
    fn stripe_webhook_secret(&self, org: OrgId) -> SecretFuture<'_> {
        Box::pin(self.get(org, crate::payments::STRIPE_WEBHOOK_SECRET))
    }
}

#[derive(Debug, Clone)]
pub struct ProcessorOptions {
    /// Events per transaction.
    pub batch: u32,
    /// Longest wait between looks at `inbox_raw` when nothing wakes the loop.
    pub idle: Duration,
}

impl Default for ProcessorOptions {
    fn default() -> Self {
        ProcessorOptions {
            batch: 200,
            idle: Duration::from_secs(30),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub processed: u64,
    pub quarantined: u64,
    pub failed: u64,
    /// Messages and statuses applied.
    pub applied: u64,
    /// Messages and statuses seen before (redeliveries).
    pub duplicates: u64,
}

impl Report {
    fn add(&mut self, o: Report) {
        self.processed += o.processed;
        self.quarantined += o.quarantined;
        self.failed += o.failed;
        self.applied += o.applied;
        self.duplicates += o.duplicates;
    }

    /// Rows taken out of `new`.
    pub fn rows(&self) -> u64 {
        self.processed + self.quarantined + self.failed
    }
}

/// The processor of one store (cheap to clone).
#[derive(Clone)]
pub struct Processor {
    store: Store,
    secrets: Arc<dyn AppSecrets>,
    events: EventBus,
    evidence: Option<Arc<dyn JobEvidence>>,
    /// Where media download jobs go (in the event's transaction).
    queue: Queue,
    opts: ProcessorOptions,
}

#[derive(sqlx::FromRow)]
struct RawRow {
    event_id: String,
    headers: String,
    body: Vec<u8>,
}

enum Outcome {
    Processed(Option<String>),
    Quarantined(String),
    Failed(String),
}

fn header<'a>(headers: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    headers.as_array()?.iter().find_map(|h| {
        let n = h.get("name")?.as_str()?;
        n.eq_ignore_ascii_case(name)
            .then(|| h.get("value")?.as_str())
            .flatten()
    })
}

fn signature_reason_es(e: SignatureError) -> String {
    match e {
        SignatureError::Missing => "Sin firma (falta X-Hub-Signature-256): no viene de Meta.".into(),
        SignatureError::WrongPrefix | SignatureError::Malformed => {
            "Firma mal formada en X-Hub-Signature-256: no viene de Meta.".into()
        }
        SignatureError::Mismatch => {
            "La firma no coincide con el contenido: el app secret es otro, o el mensaje fue alterado.".into()
        }
    }
}

/// A row after the checks that need no database: signature and parse.
struct Checked {
    event_id: String,
    check: Check,
}

enum Check {
    Parsed(Notification),
    Quarantined(String),
}

fn check(row: RawRow, secret: Option<&Secret>, has_route: bool) -> Checked {
    let check = 'check: {
        let Some(secret) = secret else {
            break 'check Check::Quarantined(
                "No hay app secret de WhatsApp guardado: no se puede verificar la firma. Conectá WhatsApp y reintentá.".into(),
            );
        };
        if !has_route {
            break 'check Check::Quarantined(
                "WhatsApp no está conectado en este negocio (falta el phone number id).".into(),
            );
        }
        let headers: serde_json::Value =
            serde_json::from_str(&row.headers).unwrap_or(serde_json::Value::Null);
        if let Err(e) = signature::verify(
            secret,
            &row.body,
            header(&headers, signature::SIGNATURE_HEADER),
        ) {
            break 'check Check::Quarantined(signature_reason_es(e));
        }
        match webhook::parse(&row.body) {
            Ok(n) => Check::Parsed(n),
            Err(e) => Check::Quarantined(format!("No es un webhook de WhatsApp legible: {e}")),
        }
    };
    Checked {
        event_id: row.event_id,
        check,
    }
}

fn foreign(route: &Route) -> Outcome {
    Outcome::Quarantined(format!(
        "El webhook es para otro número de WhatsApp (phone number id distinto de {}): no se aplicó.",
        route.phone_number_id
    ))
}

/// The row's state after its items were applied.
fn outcome_of(applied: &wa::Applied, n: &Notification) -> Outcome {
    let mut notes = Vec::new();
    if applied.foreign > 0 {
        notes.push(format!(
            "{} cambio(s) de otro número no se aplicaron",
            applied.foreign
        ));
    }
    for u in &n.unparsed {
        notes.push(format!("ilegible en {}: {}", u.path, u.reason));
    }
    if applied.errors.is_empty() {
        Outcome::Processed((!notes.is_empty()).then(|| notes.join("; ")))
    } else {
        // The rest is applied; a retry redoes only what failed (dedupe).
        notes.extend(applied.errors.iter().cloned());
        Outcome::Failed(notes.join("; "))
    }
}

/// What one committed batch hands out.
struct BatchOut {
    report: Report,
    events: Vec<ConversationEvent>,
    evidence: Vec<JobStatusEvidence>,
    wakes: Vec<Wake>,
}

impl Processor {
    pub fn new(store: Store, secrets: Arc<dyn AppSecrets>, events: EventBus) -> Self {
        // Jobs enqueued here are found by the engine's backstop poll; `with_queue` shares the
        // engine's queue so they are picked up at once.
        let queue = Queue::builder(store.writer().clone())
            .reader(store.reader().clone())
            .build();
        Processor {
            store,
            secrets,
            events,
            evidence: None,
            queue,
            opts: ProcessorOptions::default(),
        }
    }

    /// The outbound engine's queue (media download jobs wake its dispatcher at once).
    pub fn with_queue(mut self, queue: Queue) -> Self {
        self.queue = queue;
        self
    }

    /// The outbound engine's hook for statuses that name a job.
    pub fn with_evidence(mut self, evidence: Arc<dyn JobEvidence>) -> Self {
        self.evidence = Some(evidence);
        self
    }

    pub fn with_options(mut self, opts: ProcessorOptions) -> Self {
        self.opts = opts;
        self
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// Processes up to one batch of `new` WhatsApp rows of `org` in one transaction.
    ///
    /// The rows are read, their signatures checked and their bodies parsed before the write lock
    /// is taken (CPU work, on a blocking thread). The batch is then applied optimistically: every
    /// event in one transaction, no savepoints, message views loaded once at the end. If anything
    /// fails, that transaction is rolled back and the batch is redone with a savepoint per event
    /// (and per item), so only what failed is marked `failed`.
    pub async fn process_batch(&self, org: OrgId) -> Result<Report, IntakeError> {
        let mut report = self.process_twilio_batch(org).await?;
        report.add(self.process_mercadopago_batch(org).await?);
        report.add(self.process_stripe_batch(org).await?);
        report.add(self.process_whatsapp_batch(org).await?);
        Ok(report)
    }

    /// MercadoPago's notifications (payments/intake.rs): verified, deduped, turned into fetch jobs.
    async fn process_mercadopago_batch(&self, org: OrgId) -> Result<Report, IntakeError> {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM inbox_raw WHERE org_id = ? AND status = 'new' AND provider = 'mercadopago')",
        )
        .bind(org.to_string())
        .fetch_one(self.store.reader())
        .await?;
        if waiting == 0 {
            return Ok(Report::default());
        }
        let secret = self.secrets.mercadopago_webhook_secret(org).await?;
        let now = ts_now();
        let mut tx = self.store.begin_immediate().await?;
        let b = crate::payments::intake::process(
            &mut tx,
            &self.queue,
            org,
            secret.as_ref(),
            &now,
            self.opts.batch,
        )
        .await?;
        tx.commit().await.map_err(IntakeError::from)?;
        for w in b.wakes {
            w.after_commit();
        }
        Ok(Report {
            processed: b.processed,
            quarantined: b.quarantined,
            failed: 0,
            applied: b.applied,
            duplicates: b.duplicates,
        })
    }

    /// Stripe's events (payments/stripe_intake.rs): verified, deduped, turned into fetch jobs.
    async fn process_stripe_batch(&self, org: OrgId) -> Result<Report, IntakeError> {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM inbox_raw WHERE org_id = ? AND status = 'new' AND provider = 'stripe')",
        )
        .bind(org.to_string())
        .fetch_one(self.store.reader())
        .await?;
        if waiting == 0 {
            return Ok(Report::default());
        }
        let secret = self.secrets.stripe_webhook_secret(org).await?;
        let now = ts_now();
        let mut tx = self.store.begin_immediate().await?;
        let b = crate::payments::stripe_intake::process(
            &mut tx,
            &self.queue,
            org,
            secret.as_ref(),
            &now,
            self.opts.batch,
        )
        .await?;
        tx.commit().await.map_err(IntakeError::from)?;
        for w in b.wakes {
            w.after_commit();
        }
        Ok(Report {
            processed: b.processed,
            quarantined: b.quarantined,
            failed: 0,
            applied: b.applied,
            duplicates: b.duplicates,
        })
    }

    /// Twilio's callbacks and inbound SMS (intake/twilio.rs): one transaction per batch.
    async fn process_twilio_batch(&self, org: OrgId) -> Result<Report, IntakeError> {
        if !self.has_twilio_rows(org).await? {
            return Ok(Report::default());
        }
        let token = self.secrets.twilio_auth_token(org).await?;
        let account_sid =
            settings::get(&self.store, Some(org), crate::channels::sms::ACCOUNT_SID).await?;
        let now = ts_now();
        let mut tx = self.store.begin_immediate().await?;
        let b = super::twilio::process(
            &mut tx,
            org,
            token.as_ref(),
            account_sid.as_deref(),
            &now,
            self.opts.batch,
        )
        .await?;
        tx.commit().await.map_err(IntakeError::from)?;
        self.events.emit_all(b.events);
        if let Some(hook) = &self.evidence {
            for e in b.evidence {
                let job = e.job_id;
                if let Err(err) = hook.job_status(org, e).await {
                    tracing::warn!(job, error = %err, "outbound evidence hook failed");
                }
            }
        }
        Ok(Report {
            processed: b.processed,
            quarantined: b.quarantined,
            failed: b.failed,
            applied: b.applied,
            duplicates: b.duplicates,
        })
    }

    /// Whether Twilio rows wait (the keychain is only asked when they do).
    async fn has_twilio_rows(&self, org: OrgId) -> Result<bool, IntakeError> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT EXISTS (SELECT 1 FROM inbox_raw WHERE org_id = ? AND status = 'new' AND provider = 'twilio')",
        )
        .bind(org.to_string())
        .fetch_one(self.store.reader())
        .await?
            != 0)
    }

    async fn process_whatsapp_batch(&self, org: OrgId) -> Result<Report, IntakeError> {
        let route = match settings::get(&self.store, Some(org), PHONE_NUMBER_ID).await? {
            Some(phone_number_id) => Some(Route {
                phone_number_id,
                waba_id: settings::get(&self.store, Some(org), WABA_ID).await?,
            }),
            None => None,
        };
        let secret = self.secrets.app_secret(org).await?;
        let rows: Vec<RawRow> = sqlx::query_as(
            "SELECT event_id, headers, body FROM inbox_raw
             WHERE org_id = ? AND status = 'new' AND provider = 'whatsapp'
             ORDER BY relay_seq LIMIT ?",
        )
        .bind(org.to_string())
        .bind(self.opts.batch as i64)
        .fetch_all(self.store.reader())
        .await?;
        if rows.is_empty() {
            return Ok(Report::default());
        }
        let has_route = route.is_some();
        let checked = tokio::task::spawn_blocking(move || {
            rows.into_iter()
                .map(|row| check(row, secret.as_ref(), has_route))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| {
            IntakeError::Store(crate::store::StoreError::Sqlx(sqlx::Error::Protocol(
                format!("webhook check task: {e}"),
            )))
        })?;
        let now = ts_now();
        let route = route.unwrap_or(Route {
            phone_number_id: String::new(),
            waba_id: None,
        });
        let out = match self.apply_batch(org, &route, &checked, &now, false).await? {
            Some(out) => out,
            // Something failed: redo the batch isolated, so only that is marked failed.
            None => self
                .apply_batch(org, &route, &checked, &now, true)
                .await?
                .expect("the isolated pass always completes"),
        };
        for w in out.wakes {
            w.after_commit();
        }
        self.events.emit_all(out.events);
        if let Some(hook) = &self.evidence {
            for e in out.evidence {
                let job = e.job_id;
                if let Err(err) = hook.job_status(org, e).await {
                    tracing::warn!(job, error = %err, "outbound evidence hook failed");
                }
            }
        }
        Ok(out.report)
    }

    /// One pass over a checked batch, committed. `isolate: false` gives up at the first error
    /// (rolled back, `None`); `isolate: true` uses savepoints and marks failures per row.
    async fn apply_batch(
        &self,
        org: OrgId,
        route: &Route,
        checked: &[Checked],
        now: &str,
        isolate: bool,
    ) -> Result<Option<BatchOut>, IntakeError> {
        let mut tx = self.store.begin_immediate().await?;
        let mut report = Report::default();
        let mut applied_all = wa::Applied::default();
        let mut wakes: Vec<Wake> = Vec::new();
        let parsed: Vec<&Notification> = checked
            .iter()
            .filter_map(|c| match &c.check {
                Check::Parsed(n) => Some(n),
                Check::Quarantined(_) => None,
            })
            .collect();
        let mut state = wa::BatchState::load(&mut tx, org, !isolate, &parsed).await?;
        // (event id, status, reason): rows processed without a note are marked in one statement.
        let mut marks: Vec<(&str, &'static str, Option<String>)> = Vec::new();
        let mut clean: Vec<&str> = Vec::new();
        // Read before the lock: skip what another run took meanwhile.
        let ids = serde_json::to_string(&checked.iter().map(|c| &c.event_id).collect::<Vec<_>>())
            .expect("strings");
        let still_new: std::collections::HashSet<String> = sqlx::query_scalar(
            "SELECT event_id FROM inbox_raw WHERE event_id IN (SELECT value FROM json_each(?))
               AND status = 'new'",
        )
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        for c in checked.iter().filter(|c| still_new.contains(&c.event_id)) {
            let n = match &c.check {
                Check::Quarantined(reason) => {
                    marks.push((&c.event_id, "quarantined", Some(reason.clone())));
                    continue;
                }
                Check::Parsed(n) => n,
            };
            let outcome = if isolate {
                self.apply_isolated(&mut tx, org, route, n, now, &mut state, &mut wakes)
                    .await?
            } else {
                match wa::apply(&mut tx, org, route, n, now, false, &mut state).await {
                    Ok(applied) if applied.ours == 0 && applied.foreign > 0 => Ok(foreign(route)),
                    Ok(applied) => {
                        match self.enqueue_media(&mut tx, org, &applied, &mut wakes).await {
                            Ok(()) => Err(applied),
                            Err(_) => {
                                tx.rollback().await?;
                                return Ok(None);
                            }
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "batch failed fast; redoing it with savepoints");
                        tx.rollback().await?;
                        return Ok(None);
                    }
                }
            };
            // Ok(outcome) = decided; Err(applied) = applied, outcome from what it did.
            let outcome = match outcome {
                Ok(o) => o,
                Err(applied) => {
                    let o = outcome_of(&applied, n);
                    report.applied += applied.applied as u64;
                    report.duplicates += applied.duplicates as u64;
                    applied_all.merge(applied);
                    o
                }
            };
            match outcome {
                Outcome::Processed(None) => clean.push(&c.event_id),
                Outcome::Processed(note) => marks.push((&c.event_id, "processed", note)),
                Outcome::Quarantined(r) => marks.push((&c.event_id, "quarantined", Some(r))),
                Outcome::Failed(r) => marks.push((&c.event_id, "failed", Some(r))),
            }
        }
        report.processed += clean.len() as u64;
        if !clean.is_empty() {
            let ids = serde_json::to_string(&clean).expect("strings");
            sqlx::query(
                "UPDATE inbox_raw SET status = 'processed', status_reason = NULL, processed_at = ?,
                                      attempts = attempts + 1
                 WHERE event_id IN (SELECT value FROM json_each(?))",
            )
            .bind(now)
            .bind(ids)
            .execute(&mut *tx)
            .await?;
        }
        for (event_id, status, reason) in marks {
            match status {
                "processed" => report.processed += 1,
                "quarantined" => {
                    tracing::warn!(
                        event_id,
                        reason = reason.as_deref().unwrap_or(""),
                        "webhook quarantined"
                    );
                    report.quarantined += 1;
                }
                _ => {
                    tracing::error!(
                        event_id,
                        error = reason.as_deref().unwrap_or(""),
                        "webhook failed to apply (kept for retry)"
                    );
                    report.failed += 1;
                }
            }
            sqlx::query(
                "UPDATE inbox_raw SET status = ?, status_reason = ?, processed_at = ?,
                                      attempts = attempts + 1
                 WHERE event_id = ?",
            )
            .bind(status)
            .bind(reason)
            .bind(now)
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        }
        // What the batch put off, before its events read the rows.
        if let Err(e) = state.flush(&mut tx, org, now).await {
            if isolate {
                return Err(e.into());
            }
            tracing::debug!(error = %e, "batch failed fast; redoing it with savepoints");
            tx.rollback().await?;
            return Ok(None);
        }
        // The new messages' views and their conversations' rows, loaded once for the batch.
        state.resolve_ids(&mut applied_all.new_messages);
        let mut events = applied_all.events;
        wa::load_new_message_events(&mut tx, org, &applied_all.new_messages, &mut events).await?;
        tx.commit().await.map_err(IntakeError::from)?;
        Ok(Some(BatchOut {
            report,
            events,
            evidence: applied_all.evidence,
            wakes,
        }))
    }

    /// One event in its own savepoint; on an error, again with a savepoint per item so the good
    /// items still apply and the bad one is named. Returns the outcome, or what was applied.
    #[allow(clippy::too_many_arguments)]
    async fn apply_isolated(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        org: OrgId,
        route: &Route,
        n: &Notification,
        now: &str,
        state: &mut wa::BatchState,
        wakes: &mut Vec<Wake>,
    ) -> Result<Result<Outcome, wa::Applied>, IntakeError> {
        let mut sp = tx.begin().await?;
        let first = match wa::apply(&mut sp, org, route, n, now, false, state).await {
            Ok(applied) => Ok((sp, applied)),
            Err(_) => {
                sp.rollback().await?;
                let mut sp = tx.begin().await?;
                let r = wa::apply(&mut sp, org, route, n, now, true, state).await;
                r.map(|a| (sp, a))
            }
        };
        Ok(match first {
            Ok((sp, applied)) if applied.ours == 0 && applied.foreign > 0 => {
                sp.rollback().await?;
                Ok(foreign(route))
            }
            Ok((mut sp, applied)) => {
                let mut mine = Vec::new();
                match self.enqueue_media(&mut sp, org, &applied, &mut mine).await {
                    Ok(()) => {
                        sp.commit().await?;
                        wakes.extend(mine);
                        Err(applied)
                    }
                    Err(e) => {
                        sp.rollback().await?;
                        Ok(Outcome::Failed(format!(
                            "could not enqueue a media download: {e}"
                        )))
                    }
                }
            }
            // The savepoint was dropped (rolled back) with the error.
            Err(e) => Ok(Outcome::Failed(e.to_string())),
        })
    }

    /// Each new media's download job, in the caller's transaction: it exists iff the message does.
    async fn enqueue_media(
        &self,
        conn: &mut sqlx::SqliteConnection,
        org: OrgId,
        applied: &wa::Applied,
        wakes: &mut Vec<Wake>,
    ) -> Result<(), mostrador_queue::QueueError> {
        for m in &applied.media {
            let job = super::media::new_job(org, m)?;
            let (_, wake) = self.queue.enqueue_in(conn, &job).await?;
            wakes.push(wake);
        }
        Ok(())
    }

    /// Processes batches until no `new` row is left, yielding between batches.
    pub async fn drain(&self, org: OrgId) -> Result<Report, IntakeError> {
        let mut total = Report::default();
        loop {
            let r = self.process_batch(org).await?;
            total.add(r);
            if r.rows() < self.opts.batch as u64 {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }

    /// One step of merging the message search index's segments (migration 0024 turned FTS5's
    /// merging after every commit off, so batches do not pay for it): at most [`MERGE_PAGES`]
    /// pages in one short transaction. Returns whether there was anything to merge; the
    /// processor calls it while idle until there is not.
    pub async fn merge_search(&self) -> Result<bool, IntakeError> {
        let mut tx = self.store.begin_immediate().await?;
        let before: i64 = sqlx::query_scalar("SELECT total_changes()")
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO message_search (message_search, rank) VALUES ('merge', ?)")
            .bind(MERGE_PAGES)
            .execute(&mut *tx)
            .await?;
        let after: i64 = sqlx::query_scalar("SELECT total_changes()")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await.map_err(IntakeError::from)?;
        // FTS5: a difference under 2 means the merge found nothing to do.
        Ok(after - before >= 2)
    }

    /// Puts `failed` rows back to `new` (call after an update that may fix the bug). Returns how
    /// many.
    pub async fn retry_failed(&self, org: OrgId) -> Result<u64, IntakeError> {
        Ok(sqlx::query(
            "UPDATE inbox_raw SET status = 'new' WHERE org_id = ? AND status = 'failed'",
        )
        .bind(org.to_string())
        .execute(self.store.writer())
        .await?
        .rows_affected())
    }

    /// Puts rows quarantined for missing configuration back to `new` (after connecting
    /// WhatsApp). Forged or foreign webhooks stay quarantined.
    pub async fn retry_unconfigured(&self, org: OrgId) -> Result<u64, IntakeError> {
        Ok(sqlx::query(
            "UPDATE inbox_raw SET status = 'new' WHERE org_id = ? AND status = 'quarantined'
               AND (status_reason LIKE 'No hay app secret%' OR status_reason LIKE 'WhatsApp no está conectado%')",
        )
        .bind(org.to_string())
        .execute(self.store.writer())
        .await?
        .rows_affected())
    }

    /// Runs the processor of `org` in the background: drains at start (after retrying failed
    /// rows), then whenever `wake` changes (the inbox poller's committed cursor), at least every
    /// `idle`.
    pub fn spawn(&self, org: OrgId, mut wake: watch::Receiver<i64>) -> ProcessorHandle {
        let (stop, mut stop_rx) = watch::channel(false);
        let (done_tx, done) = watch::channel(Report::default());
        let this = self.clone();
        let task = tokio::spawn(
            async move {
                if let Err(e) = this.retry_failed(org).await {
                    tracing::warn!(error = %e, "could not requeue failed rows");
                }
                let mut total = Report::default();
                let mut delay = Duration::from_millis(200);
                loop {
                    match this.drain(org).await {
                        Ok(r) => {
                            total.add(r);
                            done_tx.send_replace(total);
                            delay = Duration::from_millis(200);
                            // Idle: merge the search index a step at a time, giving way to new
                            // rows at once.
                            if r.applied > 0 {
                                merge_while_idle(&this, &wake, &stop_rx).await;
                            }
                            tokio::select! {
                                r = wake.changed() => if r.is_err() {
                                    // The poller is gone: keep an eye on inbox_raw anyway.
                                    tokio::select! {
                                        _ = tokio::time::sleep(this.opts.idle) => {}
                                        _ = stopped(&mut stop_rx) => break,
                                    }
                                },
                                _ = tokio::time::sleep(this.opts.idle) => {}
                                _ = stopped(&mut stop_rx) => break,
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, delay_ms = delay.as_millis() as u64, "processing the inbox failed; retrying");
                            tokio::select! {
                                _ = tokio::time::sleep(delay) => {}
                                _ = stopped(&mut stop_rx) => break,
                            }
                            delay = (delay * 2).min(Duration::from_secs(30));
                        }
                    }
                }
            }
            .instrument(tracing::info_span!("inbox_processor", %org)),
        );
        ProcessorHandle { stop, done, task }
    }
}

/// Pages of search index merged per step: a few milliseconds of the writer at a time.
pub const MERGE_PAGES: i64 = 64;

async fn merge_while_idle(
    this: &Processor,
    wake: &watch::Receiver<i64>,
    stop: &watch::Receiver<bool>,
) {
    loop {
        if wake.has_changed().unwrap_or(false) || *stop.borrow() {
            return;
        }
        match this.merge_search().await {
            Ok(true) => tokio::task::yield_now().await,
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e, "merging the search index failed; next time");
                return;
            }
        }
    }
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// A running processor loop.
pub struct ProcessorHandle {
    stop: watch::Sender<bool>,
    done: watch::Receiver<Report>,
    task: JoinHandle<()>,
}

impl ProcessorHandle {
    /// Totals so far, updated after every drain (tests await a count here instead of sleeping).
    pub fn report(&self) -> watch::Receiver<Report> {
        self.done.clone()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
