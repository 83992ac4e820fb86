//! Group commit of the per-send writes. With `synchronous=FULL` every commit is an fsync (~4 ms on
//! a laptop disk), so one commit per "send started" and per "sent" would cap the engine at ~130
//! sends/s. Sends in flight hand their writes to this one task instead; it runs everything that
//! is waiting in ONE transaction and answers each after the commit. The guarantee per job is
//! unchanged: a send starts only after its mark is durable, and a reply is the committed outcome.

use mostrador_queue::{JobId, Lease, Queue, QueueError, StorageFailure};
use tokio::sync::{mpsc, oneshot};

use super::in_doubt;
use crate::events::{ConversationEvent, EventBus};
use crate::org::OrgId;
use crate::store::Store;

/// Writes per transaction at most (keeps the write lock short).
const MAX_BATCH: usize = 256;

/// A database failure as every waiter of a failed batch sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    pub storage: Option<StorageFailure>,
    pub detail: String,
}

impl From<&QueueError> for Fatal {
    fn from(e: &QueueError) -> Self {
        Fatal {
            storage: e.storage_failure(),
            detail: e.to_string(),
        }
    }
}

/// What one write came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Done,
    /// The fence matched nothing: the job is not ours any more.
    LeaseLost,
}

enum Op {
    Start {
        lease: Lease,
        reply: oneshot::Sender<Result<Written, Fatal>>,
    },
    Complete {
        lease: Lease,
        job: JobId,
        org: OrgId,
        provider_id: Option<String>,
        reply: oneshot::Sender<Result<Written, Fatal>>,
    },
}

#[derive(Clone)]
pub(crate) struct Committer {
    tx: mpsc::UnboundedSender<Op>,
}

impl Committer {
    pub fn start(store: Store, queue: Queue, events: EventBus) -> Committer {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(store, queue, events, rx));
        Committer { tx }
    }

    async fn ask(
        &self,
        op: Op,
        rx: oneshot::Receiver<Result<Written, Fatal>>,
    ) -> Result<Written, Fatal> {
        let gone = || Fatal {
            storage: None,
            detail: "the commit task stopped".into(),
        };
        self.tx.send(op).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Marks the send started; durable when this returns `Done`.
    pub async fn start_send(&self, lease: Lease) -> Result<Written, Fatal> {
        let (reply, rx) = oneshot::channel();
        self.ask(Op::Start { lease, reply }, rx).await
    }

    /// Completes the job with the provider's id (stored as its result and as evidence).
    pub async fn complete(
        &self,
        lease: Lease,
        job: JobId,
        org: OrgId,
        provider_id: Option<String>,
    ) -> Result<Written, Fatal> {
        let (reply, rx) = oneshot::channel();
        self.ask(
            Op::Complete {
                lease,
                job,
                org,
                provider_id,
                reply,
            },
            rx,
        )
        .await
    }
}

async fn run(store: Store, queue: Queue, events: EventBus, mut rx: mpsc::UnboundedReceiver<Op>) {
    while let Some(first) = rx.recv().await {
        let mut ops = vec![first];
        while ops.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        match apply(&store, &queue, &ops).await {
            Ok((results, out)) => {
                events.emit_all(out);
                let completed = ops.iter().any(|o| matches!(o, Op::Complete { .. }));
                for (op, r) in ops.into_iter().zip(results) {
                    let _ = match op {
                        Op::Start { reply, .. } | Op::Complete { reply, .. } => reply.send(Ok(r)),
                    };
                }
                if completed {
                    // A finished job may unblock the next of its conversation.
                    queue.notify();
                }
            }
            Err(fatal) => {
                tracing::error!(detail = %fatal.detail, "group commit failed");
                for op in ops {
                    let _ = match op {
                        Op::Start { reply, .. } | Op::Complete { reply, .. } => {
                            reply.send(Err(fatal.clone()))
                        }
                    };
                }
            }
        }
    }
}

fn lost(r: Result<(), QueueError>) -> Result<Written, QueueError> {
    match r {
        Ok(()) => Ok(Written::Done),
        Err(QueueError::LeaseLost { .. }) => Ok(Written::LeaseLost),
        Err(e) => Err(e),
    }
}

/// Also returns the message events (sent) to announce after the commit.
async fn apply(
    store: &Store,
    queue: &Queue,
    ops: &[Op],
) -> Result<(Vec<Written>, Vec<ConversationEvent>), Fatal> {
    let fatal = |e: QueueError| Fatal::from(&e);
    let mut tx = store.begin_immediate().await.map_err(|e| match e {
        crate::store::StoreError::Sqlx(s) => fatal(QueueError::Sqlx(s)),
        other => Fatal {
            storage: None,
            detail: other.to_string(),
        },
    })?;
    let now = queue.now();
    let mut out = Vec::with_capacity(ops.len());
    let mut events = Vec::new();
    for op in ops {
        let r = match op {
            Op::Start { lease, .. } => lost(queue.mark_send_started_in(&mut tx, lease).await),
            Op::Complete {
                lease,
                job,
                org,
                provider_id,
                ..
            } => {
                // The evidence is kept even if the lease was lost (rescued as in doubt
                // meanwhile): it resolves the job without a resend.
                if let Some(pid) = provider_id {
                    in_doubt::record_evidence(
                        &mut tx, *job, *org, "response", pid, "accepted", now,
                    )
                    .await
                    .map_err(fatal)?;
                    // The message row queued with this job (a template, a reply) learns its
                    // wamid now, so the status webhooks that follow find it.
                    crate::conversations::attach_to_job(&mut tx, *org, job.0, pid)
                        .await
                        .map_err(|e| fatal(QueueError::Sqlx(e)))?;
                }
                // The message row of this job (if it is one) gets its wamid and ✓, even when
                // the lease was lost: it was sent.
                crate::conversations::jobs::job_sent(
                    &mut tx,
                    *org,
                    job.0,
                    provider_id.as_deref(),
                    &mut events,
                )
                .await
                .map_err(|e| fatal(QueueError::Sqlx(e)))?;
                let result = serde_json::json!({ "provider_id": provider_id });
                lost(queue.complete_with_in(&mut tx, lease, &result).await)
            }
        };
        out.push(r.map_err(fatal)?);
    }
    tx.commit().await.map_err(|e| fatal(QueueError::Sqlx(e)))?;
    Ok((out, events))
}
