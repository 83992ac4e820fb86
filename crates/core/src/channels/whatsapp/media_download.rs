//! The `whatsapp.media_download` handler: one inbound media file per job (enqueued by the intake
//! processor with the message). Downloading is a safe, repeatable GET, so no send is marked: a
//! crash mid-way just runs it again. A sha256 mismatch or a network failure is retried by the
//! engine's backoff; the last attempt (or a media Meta no longer has) marks the file `failed`, and
//! every end state is announced as [`ConversationEvent::MediaChanged`].

use std::path::PathBuf;
use std::time::Instant;

use mostrador_queue::QueueError;
use tracing::Instrument;

use super::config::{load_client, LoadError};
use crate::conversations::MediaView;
use crate::events::{ConversationEvent, EventBus};
use crate::intake::media::{self, MediaError, MediaJob};
use crate::org::OrgId;
use crate::outbound::failure::{Failure, FailureKind, ProviderError};
use crate::outbound::handler::{queue_error, BoxFuture, Handled, JobHandler, JobRun};
use crate::secrets::SecretStore;
use crate::store::Store;

pub use crate::intake::media::KIND;

pub struct MediaDownloadHandler {
    store: Store,
    secrets: SecretStore,
    data_dir: PathBuf,
    events: Option<EventBus>,
}

impl MediaDownloadHandler {
    /// Files go under `data_dir/media/`.
    pub fn new(store: Store, secrets: SecretStore, data_dir: PathBuf) -> Self {
        MediaDownloadHandler {
            store,
            secrets,
            data_dir,
            events: None,
        }
    }

    /// Where [`ConversationEvent::MediaChanged`] goes (the intake's bus, forwarded to the UI).
    pub fn with_events(mut self, events: EventBus) -> Self {
        self.events = Some(events);
        self
    }

    async fn run(&self, run: &mut JobRun) -> Handled {
        let payload: MediaJob = match run.job.payload() {
            Ok(p) => p,
            Err(e) => {
                return Handled::Failed {
                    failure: Failure::bad_payload(format!("{KIND} payload: {e}")),
                    latency: None,
                }
            }
        };
        let org = OrgId(run.job.org_id);
        let client = match load_client(&self.store, &self.secrets, org).await {
            Ok(c) => c,
            Err(LoadError::Failure(f)) => {
                return Handled::Failed {
                    failure: f,
                    latency: None,
                }
            }
            Err(LoadError::Secret(e)) => {
                let app = crate::AppError::from(e);
                return Handled::Failed {
                    failure: Failure::new(FailureKind::NotConfigured, "keychain", app.message),
                    latency: None,
                };
            }
            Err(LoadError::Settings(e)) => return store_error(e.to_string()),
        };
        let started = Instant::now();
        let r =
            media::fetch_media(&self.store, &self.data_dir, &client, org, &payload.media_id).await;
        let latency = started.elapsed();
        match r {
            Ok(outcome) => {
                self.announce(org, outcome.media_row()).await;
                Handled::Done {
                    provider_id: None,
                    latency,
                }
            }
            Err(MediaError::Store(e)) => queue_error(QueueError::Sqlx(e)),
            Err(e) => {
                let (failure, reached) = classify(&e);
                let last = failure.kind == FailureKind::Permanent
                    || run.job.attempts >= run.job.max_attempts;
                tracing::warn!(error = %e, attempt = run.job.attempts, last, "media download failed");
                if last {
                    match media::mark_failed(&self.store, org, &payload.media_id, &e.message_es())
                        .await
                    {
                        Ok(Some(row)) => self.announce(org, row).await,
                        Ok(None) => {}
                        Err(db) => return queue_error(QueueError::Sqlx(db)),
                    }
                }
                Handled::Failed {
                    failure,
                    latency: reached.then_some(latency),
                }
            }
        }
    }

    /// Tells the UI about every message showing media row `row`.
    async fn announce(&self, org: OrgId, row: i64) {
        let Some(bus) = &self.events else { return };
        type Row = (
            i64,
            i64,
            Option<String>,
            String,
            Option<String>,
            Option<i64>,
        );
        let rows: Result<Vec<Row>, _> = sqlx::query_as(
            "SELECT m.id, m.conversation_id, md.mime_type, md.state, md.path,
                    coalesce(md.size_bytes, md.announced_size)
             FROM messages m JOIN media md ON md.id = m.media_id
             WHERE md.id = ? AND m.org_id = ?",
        )
        .bind(row)
        .bind(org.to_string())
        .fetch_all(self.store.reader())
        .await;
        match rows {
            Ok(rows) => {
                for (message_id, conversation_id, mime_type, state, path, size_bytes) in rows {
                    bus.emit(ConversationEvent::MediaChanged {
                        org_id: org,
                        conversation_id,
                        message_id,
                        media: MediaView {
                            id: row,
                            mime_type,
                            state,
                            path,
                            size_bytes,
                        },
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "media event not sent"),
        }
    }
}

fn store_error(detail: String) -> Handled {
    queue_error(QueueError::Sqlx(sqlx::Error::Protocol(detail)))
}

/// The engine's view of a failed download, and whether Meta was reached.
fn classify(e: &MediaError) -> (Failure, bool) {
    match e {
        MediaError::Provider(p) => {
            let mut f = p.to_failure();
            // A GET can always be repeated: nothing "may have been sent".
            if f.kind == FailureKind::MaybeSent {
                f.kind = FailureKind::Transient;
            }
            f.message_es = format!("Descarga de archivo: {}", f.message_es);
            (f, true)
        }
        MediaError::ShaMismatch => (
            Failure::new(FailureKind::Transient, "sha256_mismatch", e.message_es())
                .with_detail(e.to_string()),
            true,
        ),
        MediaError::Io { .. } => (
            Failure::new(FailureKind::Transient, "media_io", e.message_es())
                .with_detail(e.to_string()),
            false,
        ),
        MediaError::Unknown(_) | MediaError::InvalidId(_) => (
            Failure::new(FailureKind::Permanent, "media_unknown", e.message_es())
                .with_detail(e.to_string()),
            false,
        ),
        MediaError::Store(_) | MediaError::Settings(_) => (
            Failure::new(FailureKind::Transient, "media_store", e.message_es())
                .with_detail(e.to_string()),
            false,
        ),
    }
}

impl JobHandler for MediaDownloadHandler {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled> {
        let span = tracing::info_span!("whatsapp.media_download_job", job_id = %run.job.id, org_id = %run.job.org_id);
        Box::pin(self.run(run).instrument(span))
    }
}
