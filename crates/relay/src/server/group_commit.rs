//! Group commit: ingress handlers hand their event to one writer task and wait; the writer takes
//! everything queued (up to a batch size), stores it in ONE transaction, and answers every waiter
//! only after the commit returned. Each 200 still means "durably stored", but one fsync serves many
//! requests.

use super::metrics::Metrics;
use super::notifier::Notifier;
use super::storage::{NewEvent, Storage, StorageError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tracing::Instrument as _;

pub struct Job {
    pub event: NewEvent,
    pub done: oneshot::Sender<Result<Option<i64>, Arc<StorageError>>>,
    /// This event's share of the queue's byte budget, given back once it is committed.
    queued: OwnedSemaphorePermit,
}

#[derive(Clone)]
pub struct GroupCommit {
    tx: mpsc::Sender<Job>,
    /// Bytes the queued (not yet committed) events may take; a request waits for room.
    budget: Arc<Semaphore>,
    max_queue_bytes: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("the writer stopped")]
    WriterGone,
    #[error(transparent)]
    Storage(Arc<StorageError>),
}

impl GroupCommit {
    /// Starts the writer task. It ends once every `GroupCommit` clone is dropped and the queue is
    /// drained, so a graceful shutdown never loses an accepted event.
    pub fn start(
        storage: Storage,
        notifier: Notifier,
        metrics: Arc<Metrics>,
        max_batch: usize,
        max_events_per_tenant: i64,
        max_queue_bytes: usize,
    ) -> (GroupCommit, tokio::task::JoinHandle<()>) {
        let max_queue_bytes = u32::try_from(max_queue_bytes.max(1)).unwrap_or(u32::MAX);
        let (tx, mut rx) = mpsc::channel::<Job>(max_batch * 4);
        let handle = tokio::spawn(
            async move {
                let mut jobs: Vec<Job> = Vec::with_capacity(max_batch);
                while rx.recv_many(&mut jobs, max_batch).await > 0 {
                    let mut permits = Vec::with_capacity(jobs.len());
                    let (events, waiters): (Vec<NewEvent>, Vec<_>) = jobs
                        .drain(..)
                        .map(|j| {
                            permits.push(j.queued);
                            (j.event, j.done)
                        })
                        .unzip();
                    match storage.insert_batch(&events, max_events_per_tenant).await {
                        Ok(outcome) => {
                            metrics.commit_batch();
                            if outcome.dropped > 0 {
                                metrics.dropped(outcome.dropped);
                                tracing::warn!(dropped = outcome.dropped, "tenant cap reached, oldest events dropped");
                            }
                            for ((event, done), seq) in events.iter().zip(waiters).zip(outcome.seqs) {
                                if seq.is_some() {
                                    metrics.received(event.provider);
                                }
                                let _ = done.send(Ok(seq));
                            }
                            for (tenant, _) in &outcome.tenants {
                                notifier.notify(tenant);
                            }
                        }
                        Err(e) => {
                            tracing::error!(error = %e, batch = events.len(), "group commit failed");
                            let e = Arc::new(e);
                            for done in waiters {
                                let _ = done.send(Err(e.clone()));
                            }
                        }
                    }
                }
                tracing::info!("group commit writer stopped");
            }
            .instrument(tracing::info_span!("group_commit")),
        );
        (
            GroupCommit {
                tx,
                budget: Arc::new(Semaphore::new(max_queue_bytes as usize)),
                max_queue_bytes,
            },
            handle,
        )
    }

    /// Queues the event and waits until it is durably committed; returns its seq (`None`: the
    /// tenant was deleted meanwhile and nothing was stored).
    pub async fn store(&self, event: NewEvent) -> Result<Option<i64>, CommitError> {
        // An event larger than the whole budget takes all of it (and waits for an empty queue).
        let cost = u32::try_from(event.queued_size())
            .unwrap_or(u32::MAX)
            .min(self.max_queue_bytes);
        let queued = self
            .budget
            .clone()
            .acquire_many_owned(cost)
            .await
            .map_err(|_| CommitError::WriterGone)?;
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job {
                event,
                done,
                queued,
            })
            .await
            .map_err(|_| CommitError::WriterGone)?;
        match wait.await {
            Ok(Ok(seq)) => Ok(seq),
            Ok(Err(e)) => Err(CommitError::Storage(e)),
            Err(_) => Err(CommitError::WriterGone),
        }
    }
}
