//! Mostrador's durable job queue (design §5): one SQLite table (`migrations/0004_jobs.sql`) for all
//! outbound and asynchronous work. It knows jobs, not WhatsApp: the engine in `mostrador-core`
//! registers handlers per kind, asks its rate limiters and breakers which (org, lane) groups may run,
//! and claims through a [`ClaimFilter`].
//!
//! Guarantees: a job exists iff its enqueue committed; a claimed job is leased by this boot and every
//! finalizing update is fenced by the [`Lease`]; a job interrupted after `send_started_at` becomes
//! `in_doubt`, never silently resent. See `API.md` for the life cycle and the decisions.

mod admin;
mod claim;
mod clock;
mod error;
mod finalize;
mod job;
mod maintenance;
mod queue;

pub use admin::{Depth, ListQuery, OldestWaiting, Page};
pub use claim::{ClaimFilter, ClaimGroup};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{QueueError, StorageFailure};
pub use finalize::RetryOutcome;
pub use job::{
    lane_of, BootId, Claimed, Enqueued, ErrorRecord, Job, JobError, JobId, JobState, Lease, NewJob,
    Priority, DEFAULT_MAX_ATTEMPTS,
};
pub use maintenance::{PruneReport, RescueReport};
pub use queue::{Queue, QueueBuilder, QueueConfig, Wake};
