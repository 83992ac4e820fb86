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

    /// Bytes still free in the queue's budget (for metrics and tests).
    pub fn queue_room(&self) -> usize {
        self.budget.available_permits()
    }

    /// Reserves room for a request's event of about `bytes` (its body, before it is read): waits
    /// while the queue's byte budget is used up, so bodies waiting for a commit never exceed it.
    /// An event larger than the whole budget takes all of it.
    pub async fn reserve(&self, bytes: usize) -> Result<Reservation, CommitError> {
        let cost = u32::try_from(bytes.saturating_add(256))
            .unwrap_or(u32::MAX)
            .min(self.max_queue_bytes);
        self.budget
            .clone()
            .acquire_many_owned(cost)
            .await
            .map(Reservation)
            .map_err(|_| CommitError::WriterGone)
    }

    /// Queues the event (with the room reserved for it) and waits until it is durably committed;
    /// returns its seq (`None`: the tenant was deleted meanwhile and nothing was stored). The room
    /// is given back once the commit is done.
    pub async fn store(
        &self,
        reservation: Reservation,
        event: NewEvent,
    ) -> Result<Option<i64>, CommitError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job {
                event,
                done,
                queued: reservation.0,
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

/// Room in the commit queue, held from before a body is read until its event is committed.
pub struct Reservation(OwnedSemaphorePermit);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Provider;
    use crate::server::storage::TenantRow;
    use std::time::Duration;

    fn event(body: usize) -> NewEvent {
        NewEvent {
            tenant_id: "t1".into(),
            event_id: uuid::Uuid::now_v7().to_string(),
            provider: Provider::Whatsapp,
            received_at_ms: 0,
            method: "POST".into(),
            public_url: "https://r/in/x/whatsapp".into(),
            headers: vec![],
            body: vec![b'x'; body],
        }
    }

    /// Requests past the byte budget wait for room before reading their body, so bodies waiting
    /// for a commit never exceed it; room comes back once an event is committed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_queue_is_bounded_in_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("r.db").display());
        let storage = Storage::open(&url).await.unwrap();
        let row = TenantRow {
            id: "t1".into(),
            name: "t".into(),
            ingress_hash: "i".into(),
            device_hash: "d".into(),
            verify_hash: "v".into(),
        };
        storage.create_tenant(&row, 0).await.unwrap();
        let (commit, task) = GroupCommit::start(
            storage.clone(),
            Notifier::default(),
            Arc::new(Metrics::default()),
            16,
            1000,
            10_000,
        );
        let first = commit.reserve(4_000).await.unwrap();
        let _second = commit.reserve(4_000).await.unwrap();
        let third = tokio::spawn({
            let commit = commit.clone();
            async move { commit.reserve(4_000).await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!third.is_finished(), "no room for a third body");
        assert!(commit.store(first, event(4_000)).await.unwrap().is_some());
        tokio::time::timeout(Duration::from_secs(10), third)
            .await
            .expect("room came back after the commit")
            .unwrap()
            .unwrap();
        drop(commit);
        task.await.unwrap();
        storage.close().await;
    }
}
