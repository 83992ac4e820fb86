//! The job as the queue knows it: ids, states, what callers enqueue and what a claim hands out.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

use crate::clock::parse_ts;
use crate::QueueError;

/// A job's id: the row id, increasing in enqueue order and never reused (pruning keeps the newest row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for JobId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(JobId)
    }
}

/// This process's identity as a lease owner: chosen at start-up, so rows left `running` by another
/// boot are known to be orphans the moment we start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BootId(pub Uuid);

impl BootId {
    pub fn new() -> Self {
        BootId(Uuid::now_v7())
    }
}

impl Default for BootId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for BootId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// `scheduled → available → running → completed | retryable | discarded | cancelled`, plus `in_doubt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Enqueued with a future `run_at`; claimable once `run_at` has passed (no stager step).
    Scheduled,
    /// Waiting to run now.
    Available,
    /// Leased by a worker (`lease_owner` = its boot id).
    Running,
    /// Done. Pruned after the completed retention (24 h).
    Completed,
    /// Failed, will run again at `run_at`.
    Retryable,
    /// Dead letter: failed for good, expired, or out of attempts; `errors` says why.
    Discarded,
    /// Stopped by the owner or the app.
    Cancelled,
    /// The provider may have received the request (crash or timeout after `send_started_at`): never
    /// retried automatically; resolved by evidence or by the owner.
    InDoubt,
}

impl JobState {
    pub const ALL: [JobState; 8] = [
        JobState::Scheduled,
        JobState::Available,
        JobState::Running,
        JobState::Completed,
        JobState::Retryable,
        JobState::Discarded,
        JobState::Cancelled,
        JobState::InDoubt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Scheduled => "scheduled",
            JobState::Available => "available",
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Retryable => "retryable",
            JobState::Discarded => "discarded",
            JobState::Cancelled => "cancelled",
            JobState::InDoubt => "in_doubt",
        }
    }

    /// Completed, discarded or cancelled: the row only waits to be pruned.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Discarded | JobState::Cancelled
        )
    }

    /// Scheduled, available or retryable: a claim may take it once `run_at` has passed.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            JobState::Scheduled | JobState::Available | JobState::Retryable
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = QueueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| QueueError::Decode {
                column: "state",
                detail: format!("unknown state {s:?}"),
            })
    }
}

/// Lower runs first. 0..=9, like Oban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Priority(u8);

impl Priority {
    /// What the owner is waiting for right now (a reply in an open chat).
    pub const URGENT: Priority = Priority(0);
    pub const HIGH: Priority = Priority(2);
    pub const NORMAL: Priority = Priority(5);
    /// Campaigns and reminders: behind everything else.
    pub const BULK: Priority = Priority(9);

    /// `None` outside 0..=9.
    pub fn new(p: u8) -> Option<Priority> {
        (p <= 9).then_some(Priority(p))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Priority::NORMAL
    }
}

/// The integration a kind belongs to: its first dot-separated segment ("whatsapp" for
/// "whatsapp.send"). Claim filters, breakers and rate limits work per (org, lane).
pub fn lane_of(kind: &str) -> &str {
    kind.split('.').next().unwrap_or(kind)
}

/// Default attempts for a new job: chat must not retry for days (design §5).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// A job to enqueue. Build with [`NewJob::new`] and the setters.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub org_id: Uuid,
    pub kind: String,
    /// JSON text (already encoded by [`NewJob::new`]).
    pub payload: String,
    pub priority: Priority,
    /// `None` = now (by the queue's clock).
    pub run_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_attempts: u32,
    /// Idempotency key, unique per org over every state until the row is pruned.
    pub unique_key: Option<String>,
    /// Jobs sharing it run one at a time, in enqueue (id) order.
    pub serial_key: Option<String>,
    pub parent_id: Option<JobId>,
}

impl NewJob {
    /// `kind` is `lane.action` ("whatsapp.send"); the payload is encoded as JSON now.
    pub fn new(
        org_id: Uuid,
        kind: impl Into<String>,
        payload: &impl Serialize,
    ) -> Result<NewJob, QueueError> {
        Ok(NewJob {
            org_id,
            kind: kind.into(),
            payload: serde_json::to_string(payload)?,
            priority: Priority::default(),
            run_at: None,
            expires_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            unique_key: None,
            serial_key: None,
            parent_id: None,
        })
    }

    pub fn priority(mut self, p: Priority) -> Self {
        self.priority = p;
        self
    }
    pub fn run_at(mut self, t: DateTime<Utc>) -> Self {
        self.run_at = Some(t);
        self
    }
    pub fn expires_at(mut self, t: DateTime<Utc>) -> Self {
        self.expires_at = Some(t);
        self
    }
    /// At least 1.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }
    pub fn unique_key(mut self, k: impl Into<String>) -> Self {
        self.unique_key = Some(k.into());
        self
    }
    pub fn serial_key(mut self, k: impl Into<String>) -> Self {
        self.serial_key = Some(k.into());
        self
    }
    pub fn parent(mut self, id: JobId) -> Self {
        self.parent_id = Some(id);
        self
    }

    pub(crate) fn validate(&self) -> Result<(), QueueError> {
        if self.kind.is_empty() || lane_of(&self.kind).is_empty() {
            return Err(QueueError::InvalidJob(format!(
                "kind {:?} must be \"lane.action\", e.g. \"whatsapp.send\"",
                self.kind
            )));
        }
        if self.max_attempts == 0 || self.max_attempts > i32::MAX as u32 {
            return Err(QueueError::InvalidJob(format!(
                "max_attempts must be at least 1 (got {})",
                self.max_attempts
            )));
        }
        Ok(())
    }
}

/// What enqueue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A new row.
    Inserted(JobId),
    /// A job with the same (org, unique_key) already exists (in any state): nothing was inserted.
    AlreadyExists(JobId),
}

impl Enqueued {
    /// The id of the job that now stands for this request, new or old.
    pub fn id(self) -> JobId {
        match self {
            Enqueued::Inserted(id) | Enqueued::AlreadyExists(id) => id,
        }
    }
}

/// One failed attempt, as the handler classifies it. The queue adds the attempt number and time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    /// The retry class ("transient", "rate_limited", "permanent", "maybe_sent", "expired", ...).
    pub class: String,
    /// Provider or app code ("131047", "http_503"); never a secret or a message body.
    pub code: Option<String>,
    /// For people (the UI shows it in the dead letter).
    pub message: String,
}

impl JobError {
    pub fn new(class: impl Into<String>, code: Option<String>, message: impl Into<String>) -> Self {
        JobError {
            class: class.into(),
            code,
            message: message.into(),
        }
    }
}

/// One entry of a job's `errors` JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub class: String,
    #[serde(default)]
    pub code: Option<String>,
    pub message: String,
}

/// A job row.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub org_id: Uuid,
    pub kind: String,
    pub payload: String,
    pub state: JobState,
    pub priority: Priority,
    pub run_at: DateTime<Utc>,
    pub attempts: u32,
    pub max_attempts: u32,
    pub expires_at: Option<DateTime<Utc>>,
    pub unique_key: Option<String>,
    pub serial_key: Option<String>,
    pub parent_id: Option<JobId>,
    pub lease_owner: Option<BootId>,
    pub lease_until: Option<DateTime<Utc>>,
    pub send_started_at: Option<DateTime<Utc>>,
    pub errors: Vec<ErrorRecord>,
    /// JSON stored by [`crate::Queue::complete_with`] (the provider's id of what was sent).
    pub result: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub attempted_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Times claimed (the fencing token); see [`Lease`].
    pub(crate) claims: i64,
}

impl Job {
    /// The job's lane ("whatsapp" for "whatsapp.send").
    pub fn lane(&self) -> &str {
        lane_of(&self.kind)
    }

    /// Parses the payload. A payload that no longer parses (schema change) should be discarded by
    /// the handler with this error, not retried.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }

    pub(crate) fn from_row(row: &SqliteRow) -> Result<Job, QueueError> {
        let opt_ts = |col: &'static str| -> Result<Option<DateTime<Utc>>, QueueError> {
            row.try_get::<Option<String>, _>(col)?
                .map(|s| parse_ts(col, &s))
                .transpose()
        };
        let ts = |col: &'static str| -> Result<DateTime<Utc>, QueueError> {
            parse_ts(col, &row.try_get::<String, _>(col)?)
        };
        let uuid = |col: &'static str, s: &str| {
            Uuid::parse_str(s).map_err(|e| QueueError::Decode {
                column: col,
                detail: format!("{s:?}: {e}"),
            })
        };
        let org: String = row.try_get("org_id")?;
        let owner: Option<String> = row.try_get("lease_owner")?;
        let errors: String = row.try_get("errors")?;
        let priority: i64 = row.try_get("priority")?;
        Ok(Job {
            id: JobId(row.try_get("id")?),
            org_id: uuid("org_id", &org)?,
            kind: row.try_get("kind")?,
            payload: row.try_get("payload")?,
            state: row.try_get::<String, _>("state")?.parse()?,
            priority: u8::try_from(priority)
                .ok()
                .and_then(Priority::new)
                .ok_or_else(|| QueueError::Decode {
                    column: "priority",
                    detail: priority.to_string(),
                })?,
            run_at: ts("run_at")?,
            attempts: row.try_get::<i64, _>("attempts")? as u32,
            max_attempts: row.try_get::<i64, _>("max_attempts")? as u32,
            expires_at: opt_ts("expires_at")?,
            unique_key: row.try_get("unique_key")?,
            serial_key: row.try_get("serial_key")?,
            parent_id: row.try_get::<Option<i64>, _>("parent_id")?.map(JobId),
            lease_owner: owner
                .map(|s| uuid("lease_owner", &s).map(BootId))
                .transpose()?,
            lease_until: opt_ts("lease_until")?,
            send_started_at: opt_ts("send_started_at")?,
            errors: serde_json::from_str(&errors).map_err(|e| QueueError::Decode {
                column: "errors",
                detail: e.to_string(),
            })?,
            result: row.try_get("result")?,
            created_at: ts("created_at")?,
            updated_at: ts("updated_at")?,
            attempted_at: opt_ts("attempted_at")?,
            finished_at: opt_ts("finished_at")?,
            claims: row.try_get("claims")?,
        })
    }
}

/// Every column, in the order `Job::from_row` reads them by name.
pub(crate) const COLUMNS: &str = "id, org_id, kind, payload, state, priority, run_at, attempts, \
    max_attempts, claims, expires_at, unique_key, serial_key, parent_id, lease_owner, lease_until, \
    send_started_at, errors, result, created_at, updated_at, attempted_at, finished_at";

/// Proof that this worker holds a job. Every finalizing update is fenced by it: if the job was
/// rescued and claimed again (even by this same boot), the old lease no longer matches and the
/// update fails with [`QueueError::LeaseLost`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    pub job_id: JobId,
    pub owner: BootId,
    /// The job's claim count at the moment it was claimed.
    pub(crate) token: i64,
}

/// A job handed out by a claim, with the lease to finalize it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub job: Job,
    pub lease: Lease,
}
