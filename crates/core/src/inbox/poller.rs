//! The per-organization long-poll loop.

use super::batch::{commit_batch, load_cursor, record_ack, reset_cursor};
use super::{ConnectionState, InboxError};
use crate::org::OrgId;
use crate::store::Store;
use backon::BackoffBuilder as _;
use chrono::Utc;
use mostrador_relay::{ClientError, RelayClient};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument as _;

#[derive(Debug, Clone)]
pub struct PollerOptions {
    /// Long-poll wait asked of the relay (the relay caps it, 30 s by default).
    pub wait: Duration,
    /// Most events per poll (one SQLite transaction).
    pub limit: u32,
    /// First retry delay after an error; doubles up to `max_backoff`, with jitter.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for PollerOptions {
    fn default() -> Self {
        PollerOptions {
            wait: Duration::from_secs(25),
            limit: 500,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
        }
    }
}

/// What one poll did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The wait ran out with no event.
    Empty,
    /// A batch was committed with the new cursor; `inserted` of `fetched` were new.
    Committed {
        next_cursor: i64,
        fetched: usize,
        inserted: u64,
    },
    /// The relay's last seq is below our cursor (its storage was reset): restart from 0.
    RelayReset,
}

/// One step of the loop: poll after `after`, then store the batch and the cursor in one
/// transaction. Does NOT acknowledge: the caller acks after this returns.
pub async fn fetch_and_commit(
    store: &Store,
    org: OrgId,
    client: &RelayClient,
    after: i64,
    opts: &PollerOptions,
) -> Result<FetchOutcome, InboxError> {
    let resp = client.events(after, opts.limit, opts.wait).await?;
    if resp.last_seq < after {
        reset_cursor(store, org).await?;
        return Ok(FetchOutcome::RelayReset);
    }
    if resp.events.is_empty() {
        return Ok(FetchOutcome::Empty);
    }
    if let Some(bad) = resp.events.iter().find(|e| e.seq <= after) {
        return Err(InboxError::InvalidEvent {
            seq: bad.seq,
            reason: format!("not after the cursor {after}"),
        });
    }
    let inserted = commit_batch(store, org, &resp.events, resp.next_cursor).await?;
    Ok(FetchOutcome::Committed {
        next_cursor: resp.next_cursor,
        fetched: resp.events.len(),
        inserted,
    })
}

/// A running loop. Dropping the handle does not stop it; call [`InboxHandle::stop`].
pub struct InboxHandle {
    state: watch::Receiver<ConnectionState>,
    committed: watch::Receiver<i64>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl InboxHandle {
    /// Connection state, for the UI.
    pub fn state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// The highest relay seq committed to `inbox_raw` (for waiting in tests and for the processor).
    pub fn committed(&self) -> watch::Receiver<i64> {
        self.committed.clone()
    }

    /// Stops the loop (an in-flight poll is abandoned; a transaction in flight rolls back).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts the loop of one organization.
pub fn spawn(store: Store, org: OrgId, client: RelayClient, opts: PollerOptions) -> InboxHandle {
    let (state_tx, state) = watch::channel(ConnectionState::Connecting);
    let (committed_tx, committed) = watch::channel(0);
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(
        run(store, org, client, opts, state_tx, committed_tx, stop_rx)
            .instrument(tracing::info_span!("inbox", %org)),
    );
    InboxHandle {
        state,
        committed,
        stop,
        task,
    }
}

fn backoff(opts: &PollerOptions) -> backon::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(opts.min_backoff)
        .with_max_delay(opts.max_backoff)
        .with_jitter()
        .with_max_times(usize::MAX)
        .build()
}

async fn run(
    store: Store,
    org: OrgId,
    client: RelayClient,
    opts: PollerOptions,
    state: watch::Sender<ConnectionState>,
    committed: watch::Sender<i64>,
    mut stop: watch::Receiver<bool>,
) {
    let mut delays = backoff(&opts);
    let mut failing: Option<(chrono::DateTime<Utc>, u32)> = None;
    // Resume from the last ACKNOWLEDGED seq: anything committed but never acknowledged (a crash
    // between commit and ack) is fetched again, skipped by the dedupe, then acknowledged.
    let mut after = loop {
        match load_cursor(&store, org).await {
            Ok(c) => {
                committed.send_replace(c.committed_seq);
                break c.acked_seq;
            }
            Err(e) => {
                if !pause_after_error(&state, &mut failing, &e, &mut delays, &opts, &mut stop).await
                {
                    state.send_replace(ConnectionState::Stopped);
                    return;
                }
            }
        }
    };
    tracing::info!(after, "inbox poller started");
    let (to_ack, to_ack_rx) = watch::channel(after);
    tokio::spawn(
        acker(store.clone(), org, client.clone(), to_ack_rx, opts.clone())
            .instrument(tracing::info_span!("inbox_ack", %org)),
    );
    loop {
        let step = tokio::select! {
            r = fetch_and_commit(&store, org, &client, after, &opts) => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        match step {
            Ok(outcome) => {
                if failing.take().is_some()
                    || !matches!(*state.borrow(), ConnectionState::Connected { .. })
                {
                    state.send_replace(ConnectionState::Connected { since: Utc::now() });
                    delays = backoff(&opts);
                }
                match outcome {
                    FetchOutcome::Empty => {}
                    FetchOutcome::RelayReset => {
                        tracing::warn!(after, "relay sequence is behind our cursor (relay storage reset?); restarting from 0");
                        after = 0;
                        committed.send_replace(0);
                    }
                    FetchOutcome::Committed {
                        next_cursor,
                        fetched,
                        inserted,
                    } => {
                        tracing::debug!(next_cursor, fetched, inserted, "batch committed");
                        after = next_cursor;
                        committed.send_replace(next_cursor);
                        // Ack after the commit, off the polling path (the acker task).
                        to_ack.send_replace(next_cursor);
                    }
                }
            }
            Err(e) => {
                if !pause_after_error(&state, &mut failing, &e, &mut delays, &opts, &mut stop).await
                {
                    break;
                }
            }
        }
    }
    state.send_replace(ConnectionState::Stopped);
    tracing::info!("inbox poller stopped");
}

/// Acknowledges the latest committed seq, coalescing: acks are cumulative, so when several batches
/// commit during one ack only the newest is sent next. A failed ack is retried with backoff until
/// it succeeds or a newer seq replaces it. Ends when the poll loop drops its sender.
async fn acker(
    store: Store,
    org: OrgId,
    client: RelayClient,
    mut to_ack: watch::Receiver<i64>,
    opts: PollerOptions,
) {
    let mut pending = false;
    let mut delays = backoff(&opts);
    loop {
        if !pending && to_ack.changed().await.is_err() {
            return;
        }
        let seq = *to_ack.borrow_and_update();
        match client.ack(seq).await {
            Ok(a) => {
                pending = false;
                delays = backoff(&opts);
                if let Err(e) = record_ack(&store, org, a.acked_seq.min(seq)).await {
                    tracing::warn!(error = %e, "could not record the ack");
                }
            }
            Err(e) => {
                pending = true;
                let delay = delays
                    .next()
                    .unwrap_or(opts.max_backoff)
                    .min(opts.max_backoff);
                tracing::warn!(error = %e, seq, "ack failed; retrying (re-deliveries are deduplicated)");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    r = to_ack.changed() => if r.is_err() { return },
                }
            }
        }
    }
}

/// Publishes the error state and sleeps the next backoff delay. Returns false on stop.
async fn pause_after_error(
    state: &watch::Sender<ConnectionState>,
    failing: &mut Option<(chrono::DateTime<Utc>, u32)>,
    error: &InboxError,
    delays: &mut backon::ExponentialBackoff,
    opts: &PollerOptions,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    let (since, attempts) = failing.get_or_insert((Utc::now(), 0));
    *attempts += 1;
    let rejected = matches!(error, InboxError::Relay(ClientError::Unauthorized));
    let delay = if rejected {
        state.send_replace(ConnectionState::RejectedToken { since: *since });
        opts.max_backoff
    } else {
        state.send_replace(ConnectionState::Reconnecting {
            since: *since,
            last_error: error.to_string(),
            attempts: *attempts,
        });
        delays
            .next()
            .unwrap_or(opts.max_backoff)
            .min(opts.max_backoff)
    };
    tracing::warn!(error = %error, attempts = *attempts, delay_ms = delay.as_millis() as u64, "relay poll failed; backing off");
    tokio::select! {
        _ = tokio::time::sleep(delay) => true,
        _ = stop.wait_for(|s| *s) => false,
    }
}
