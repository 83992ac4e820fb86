//! What a job kind's handler implements, and what the dispatcher hands it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use mostrador_queue::{Job, Lease, QueueError};

use super::commit::{Committer, Fatal, Written};
use super::failure::Failure;

/// A boxed future, so handlers of different kinds fit in one registry.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What one run of a handler produced.
#[derive(Debug)]
pub enum Handled {
    /// The provider accepted it; `provider_id` (the wamid) is stored with the job.
    Done {
        provider_id: Option<String>,
        latency: Duration,
    },
    /// It failed. `latency` is `Some` when the provider was reached (the breaker, panic mode and
    /// health count it), `None` when it failed on our side first (payload, config, pair rate).
    Failed {
        failure: Failure,
        latency: Option<Duration>,
    },
    /// Not now, and the provider was not contacted (per-recipient pacing): back in the queue at
    /// once, no attempt burnt.
    NotNow { after: Duration },
    /// The lease was lost (rescued/reclaimed/cancelled): the job is someone else's now.
    LeaseLost,
    /// The database failed; the dispatcher stops (nothing is lost: the lease runs out and the job
    /// is rescued — in doubt if its send had started).
    Store(Fatal),
}

/// One claimed job, as its handler sees it.
pub struct JobRun {
    pub job: Job,
    pub(crate) lease: Lease,
    pub(crate) committer: Committer,
    pub(crate) send_started: bool,
}

impl JobRun {
    /// Records, fenced and committed, that the provider call starts now. Call it right BEFORE the
    /// call: a crash after it makes the job `in_doubt`, never silently resent. An error means: do
    /// not call the provider.
    pub async fn mark_send_started(&mut self) -> Result<(), NotStarted> {
        match self.committer.start_send(self.lease).await {
            Ok(Written::Done) => {
                self.send_started = true;
                Ok(())
            }
            Ok(Written::LeaseLost) => Err(NotStarted(Handled::LeaseLost)),
            Err(f) => Err(NotStarted(Handled::Store(f))),
        }
    }

    /// The `biz_opaque_callback_data` / idempotency reference of this job.
    pub fn callback_data(&self) -> String {
        self.job.id.to_string()
    }
}

/// The handler of one job kind (`whatsapp.send`, later `afip.submit`, `sms.send`…).
pub trait JobHandler: Send + Sync + 'static {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled>;

    /// The business's credentials or settings changed in Ajustes: drop anything cached from
    /// them, so the next job reads the new ones (handlers that cache nothing ignore it).
    fn credentials_changed(&self, _org: crate::org::OrgId) {}
}

/// Why a send must not start (the lease was lost, or the database failed): return the
/// [`Handled`] it carries.
#[derive(Debug)]
pub struct NotStarted(pub Handled);

/// Turns a queue error during a run into the matching [`Handled`].
pub fn queue_error(e: QueueError) -> Handled {
    match e {
        QueueError::LeaseLost { .. } => Handled::LeaseLost,
        other => Handled::Store(Fatal::from(&other)),
    }
}
