//! The relay inbox: one durable long-poll loop per organization (design §4).
//!
//! poll `GET /v1/events?after=…` → in ONE `BEGIN IMMEDIATE` transaction insert every event into
//! `inbox_raw` (`ON CONFLICT(event_id) DO NOTHING`) and move the cursor → `POST /v1/ack`. A crash
//! between the commit and the ack costs a re-delivery that the dedupe absorbs; nothing is lost
//! because the relay keeps every event until it is acknowledged.
//!
//! On start the loop resumes from the last *acknowledged* seq, so whatever was committed but never
//! acknowledged is fetched again (and ignored) and then acknowledged.
//!
//! The cursor names its stream: each poll and ack carries the `event_id` stored at its seq, and the
//! relay answers a mismatch when its event at that seq is another one (restored backup, new
//! database). The loop then resets the cursor to 0 in a new *epoch*; acks and writes of an older
//! epoch are dropped. Holes in the seqs (events the relay dropped) are recorded as gaps, and an
//! event that cannot be read is stored quarantined; both show in [`InboxHandle::alerts`] while the
//! loop goes on. Errors back off with jitter
//! (capped); the connection state is observable through [`InboxHandle::state`]. Rows stay `new`: the
//! processor that verifies signatures and applies events comes with the conversations issue.

mod alerts;
mod batch;
mod config;
mod error;
mod poller;
mod state;
mod tenant;

pub use alerts::{load_alerts, IntakeAlerts, QuarantinedEvent, RelayGap};
pub use batch::{commit_batch, load_cursor, record_ack, reset_cursor, Committed, Cursor};
pub use config::{configure_relay, relay_client, spawn_for_org, RELAY_DEVICE_TOKEN, RELAY_URL};
pub use error::InboxError;
pub use poller::{fetch_and_commit, spawn, FetchOutcome, InboxHandle, PollerOptions, Position};
pub use state::ConnectionState;
pub use tenant::{bind_tenant, record_tenant};
