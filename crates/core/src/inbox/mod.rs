//! The relay inbox: one durable long-poll loop per organization (design §4).
//!
//! poll `GET /v1/events?after=…` → in ONE `BEGIN IMMEDIATE` transaction insert every event into
//! `inbox_raw` (`ON CONFLICT(event_id) DO NOTHING`) and move the cursor → `POST /v1/ack`. A crash
//! between the commit and the ack costs a re-delivery that the dedupe absorbs; nothing is lost
//! because the relay keeps every event until it is acknowledged.
//!
//! On start the loop resumes from the last *acknowledged* seq, so whatever was committed but never
//! acknowledged is fetched again (and ignored) and then acknowledged. Errors back off with jitter
//! (capped); the connection state is observable through [`InboxHandle::state`]. Rows stay `new`: the
//! processor that verifies signatures and applies events comes with the conversations issue.

mod batch;
mod config;
mod error;
mod poller;
mod state;

pub use batch::{commit_batch, load_cursor, record_ack, Cursor};
pub use config::{relay_client, spawn_for_org, RELAY_DEVICE_TOKEN, RELAY_URL};
pub use error::InboxError;
pub use poller::{fetch_and_commit, spawn, FetchOutcome, InboxHandle, PollerOptions};
pub use state::ConnectionState;
