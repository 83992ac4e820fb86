//! The per-organization long-poll loop.

use super::alerts::{load_alerts, IntakeAlerts, QuarantinedEvent, RelayGap};
use super::batch::{commit_batch, load_cursor, record_ack, reset_cursor};
use super::tenant::bind_tenant;
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

/// Where a poll starts: the cursor's epoch, its seq and the `event_id` stored at that seq.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    pub epoch: i64,
    pub seq: i64,
    pub event_id: Option<String>,
}

/// What one poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The wait ran out with no event.
    Empty,
    /// A batch was committed with the new cursor; `inserted` of `fetched` were new.
    Committed {
        next_cursor: i64,
        /// The `event_id` at `next_cursor`.
        next_event_id: Option<String>,
        fetched: usize,
        inserted: u64,
        quarantined: Vec<QuarantinedEvent>,
        gaps: Vec<RelayGap>,
    },
    /// The relay's stream is not the one our cursor belongs to (its storage was reset, restored
    /// or replaced): the cursor restarted from 0 in `epoch`.
    RelayReset { epoch: i64 },
}

/// One step of the loop: poll after `from`, then store the batch and the cursor in one
/// transaction. Does NOT acknowledge: the caller acks after this returns.
pub async fn fetch_and_commit(
    store: &Store,
    org: OrgId,
    client: &RelayClient,
    from: &Position,
    opts: &PollerOptions,
) -> Result<FetchOutcome, InboxError> {
    let resp = client
        .events(from.seq, from.event_id.as_deref(), opts.limit, opts.wait)
        .await?;
    if resp.cursor_mismatch || resp.last_seq < from.seq {
        let epoch = reset_cursor(store, org, from.epoch).await?;
        return Ok(FetchOutcome::RelayReset { epoch });
    }
    if resp.events.is_empty() {
        return Ok(FetchOutcome::Empty);
    }
    let done = commit_batch(store, org, from.epoch, from.seq, &resp).await?;
    Ok(FetchOutcome::Committed {
        next_cursor: resp.next_cursor,
        next_event_id: resp
            .events
            .last()
            .filter(|e| e.seq == resp.next_cursor)
            .map(|e| e.event_id.clone()),
        fetched: resp.events.len(),
        inserted: done.inserted,
        quarantined: done.quarantined,
        gaps: done.gaps,
    })
}

/// A running loop. Dropping the handle does not stop it; call [`InboxHandle::stop`].
pub struct InboxHandle {
    state: watch::Receiver<ConnectionState>,
    committed: watch::Receiver<i64>,
    alerts: watch::Receiver<IntakeAlerts>,
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

    /// Gaps and quarantined events on record, for the UI (the loop keeps going meanwhile).
    pub fn alerts(&self) -> watch::Receiver<IntakeAlerts> {
        self.alerts.clone()
    }

    /// Stops the loop (an in-flight poll is abandoned; a transaction in flight rolls back) and
    /// waits for its acknowledger to finish the ack in flight, if any.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Starts the loop of one organization.
pub fn spawn(store: Store, org: OrgId, client: RelayClient, opts: PollerOptions) -> InboxHandle {
    let (state_tx, state) = watch::channel(ConnectionState::Connecting);
    let (committed_tx, committed) = watch::channel(0);
    let (alerts_tx, alerts) = watch::channel(IntakeAlerts::default());
    let (stop, stop_rx) = watch::channel(false);
    let watches = Watches {
        state: state_tx,
        committed: committed_tx,
        alerts: alerts_tx,
    };
    let task = tokio::spawn(
        run(store, org, client, opts, watches, stop_rx)
            .instrument(tracing::info_span!("inbox", %org)),
    );
    InboxHandle {
        state,
        committed,
        alerts,
        stop,
        task,
    }
}

struct Watches {
    state: watch::Sender<ConnectionState>,
    committed: watch::Sender<i64>,
    alerts: watch::Sender<IntakeAlerts>,
}

fn backoff(opts: &PollerOptions) -> backon::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(opts.min_backoff)
        .with_max_delay(opts.max_backoff)
        .with_jitter()
        .with_max_times(usize::MAX)
        .build()
}

/// What the acknowledger should confirm next: `seq` of cursor epoch `epoch`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct AckTarget {
    epoch: i64,
    seq: i64,
    event_id: Option<String>,
}

async fn run(
    store: Store,
    org: OrgId,
    client: RelayClient,
    opts: PollerOptions,
    w: Watches,
    mut stop: watch::Receiver<bool>,
) {
    let mut delays = backoff(&opts);
    let mut failing: Option<(chrono::DateTime<Utc>, u32)> = None;
    // Resume from the last ACKNOWLEDGED seq: anything committed but never acknowledged (a crash
    // between commit and ack) is fetched again, skipped by the dedupe, then acknowledged.
    let mut pos = loop {
        let loaded = match load_cursor(&store, org).await {
            Ok(c) => load_alerts(&store, org).await.map(|a| (c, a)),
            Err(e) => Err(e),
        };
        match loaded {
            Ok((c, alerts)) => {
                w.committed.send_replace(c.committed_seq);
                w.alerts.send_replace(alerts);
                break Position {
                    epoch: c.epoch,
                    seq: c.acked_seq,
                    event_id: c.acked_event_id,
                };
            }
            Err(e) => {
                if !pause_after_error(&w.state, &mut failing, &e, &mut delays, &opts, &mut stop)
                    .await
                {
                    w.state.send_replace(ConnectionState::Stopped);
                    return;
                }
            }
        }
    };
    // One tenant, one business: make sure no other organization reads this tenant.
    loop {
        let bound = tokio::select! {
            r = bind_tenant(&store, org, &client) => r,
            _ = stop.wait_for(|s| *s) => {
                w.state.send_replace(ConnectionState::Stopped);
                return;
            }
        };
        match bound {
            Ok(_) => break,
            Err(InboxError::TenantUnknown) => {
                tracing::warn!(
                    "the relay does not report its tenant id; cannot check it is ours alone"
                );
                break;
            }
            Err(InboxError::TenantAlreadyBound {
                tenant_id,
                other_org,
            }) => {
                tracing::error!(%tenant_id, %other_org, "relay tenant already bound to another business; not polling");
                w.state.send_replace(ConnectionState::TenantInUse {
                    tenant_id,
                    other_org,
                });
                let _ = stop.wait_for(|s| *s).await;
                w.state.send_replace(ConnectionState::Stopped);
                return;
            }
            Err(e) => {
                if !pause_after_error(&w.state, &mut failing, &e, &mut delays, &opts, &mut stop)
                    .await
                {
                    w.state.send_replace(ConnectionState::Stopped);
                    return;
                }
            }
        }
    }
    // Binding to another tenant than before restarted the cursor.
    if let Ok(c) = load_cursor(&store, org).await {
        if c.epoch != pos.epoch {
            w.committed.send_replace(c.committed_seq);
            pos = Position {
                epoch: c.epoch,
                seq: c.acked_seq,
                event_id: c.acked_event_id,
            };
        }
    }
    tracing::info!(after = pos.seq, epoch = pos.epoch, "inbox poller started");
    let (to_ack, to_ack_rx) = watch::channel(AckTarget {
        epoch: pos.epoch,
        seq: pos.seq,
        event_id: pos.event_id.clone(),
    });
    let acker = tokio::spawn(
        acker(store.clone(), org, client.clone(), to_ack_rx, opts.clone())
            .instrument(tracing::info_span!("inbox_ack", %org)),
    );
    loop {
        let step = tokio::select! {
            r = fetch_and_commit(&store, org, &client, &pos, &opts) => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        match step {
            Ok(outcome) => {
                if failing.take().is_some()
                    || !matches!(*w.state.borrow(), ConnectionState::Connected { .. })
                {
                    w.state
                        .send_replace(ConnectionState::Connected { since: Utc::now() });
                    delays = backoff(&opts);
                }
                match outcome {
                    FetchOutcome::Empty => {}
                    FetchOutcome::RelayReset { epoch } => {
                        tracing::warn!(
                            after = pos.seq,
                            epoch,
                            "the relay's event stream is not our cursor's (relay storage reset or restored?); restarting from 0"
                        );
                        pos = Position {
                            epoch,
                            seq: 0,
                            event_id: None,
                        };
                        w.committed.send_replace(0);
                        // Through the acknowledger, so an ack of the old epoch still waiting
                        // there is replaced, never sent.
                        to_ack.send_replace(AckTarget {
                            epoch,
                            seq: 0,
                            event_id: None,
                        });
                    }
                    FetchOutcome::Committed {
                        next_cursor,
                        next_event_id,
                        fetched,
                        inserted,
                        quarantined,
                        gaps,
                    } => {
                        tracing::debug!(next_cursor, fetched, inserted, "batch committed");
                        if !quarantined.is_empty() || !gaps.is_empty() {
                            w.alerts.send_modify(|a| {
                                a.quarantined += quarantined.len() as u64;
                                a.gaps += gaps.len() as u64;
                                if let Some(q) = quarantined.into_iter().last() {
                                    a.last_quarantined = Some(q);
                                }
                                if let Some(g) = gaps.into_iter().last() {
                                    a.last_gap = Some(g);
                                }
                            });
                        }
                        pos.seq = next_cursor;
                        pos.event_id = next_event_id;
                        w.committed.send_replace(next_cursor);
                        // Ack after the commit, off the polling path (the acker task).
                        to_ack.send_replace(AckTarget {
                            epoch: pos.epoch,
                            seq: pos.seq,
                            event_id: pos.event_id.clone(),
                        });
                    }
                }
            }
            Err(e) => {
                if !pause_after_error(&w.state, &mut failing, &e, &mut delays, &opts, &mut stop)
                    .await
                {
                    break;
                }
                if matches!(e, InboxError::StaleEpoch { .. }) {
                    // Someone else reset the cursor: continue from what is on record.
                    if let Ok(c) = load_cursor(&store, org).await {
                        pos = Position {
                            epoch: c.epoch,
                            seq: c.acked_seq,
                            event_id: c.acked_event_id,
                        };
                    }
                }
            }
        }
    }
    // The acknowledger ends once its sender is gone (after the ack in flight, if any).
    drop(to_ack);
    let _ = acker.await;
    w.state.send_replace(ConnectionState::Stopped);
    tracing::info!("inbox poller stopped");
}

/// Acknowledges the latest committed position, coalescing: acks are cumulative, so when several
/// batches commit during one ack only the newest is sent next. A failed ack is retried with
/// backoff until it succeeds or a newer target replaces it. A target is dropped, never sent, when
/// its epoch is no longer the cursor's or it is above what is committed; the relay refuses (409)
/// an ack whose event is not its event at that seq. Ends when the poll loop drops its sender.
async fn acker(
    store: Store,
    org: OrgId,
    client: RelayClient,
    mut to_ack: watch::Receiver<AckTarget>,
    opts: PollerOptions,
) {
    let mut pending = false;
    let mut delays = backoff(&opts);
    loop {
        if !pending && to_ack.changed().await.is_err() {
            return;
        }
        let target = to_ack.borrow_and_update().clone();
        pending = false;
        if target.seq <= 0 {
            continue;
        }
        match load_cursor(&store, org).await {
            Ok(c) if c.epoch != target.epoch || target.seq > c.committed_seq => {
                tracing::info!(
                    seq = target.seq,
                    epoch = target.epoch,
                    "stale ack dropped (the cursor was reset)"
                );
                continue;
            }
            Ok(c) if target.seq <= c.acked_seq => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the cursor before an ack"),
        }
        match client.ack(target.seq, target.event_id.as_deref()).await {
            Ok(a) => {
                delays = backoff(&opts);
                let (seq, id) = if a.acked_seq >= target.seq {
                    (target.seq, target.event_id.as_deref())
                } else {
                    (a.acked_seq, None)
                };
                if let Err(e) = record_ack(&store, org, target.epoch, seq, id).await {
                    tracing::warn!(error = %e, "could not record the ack");
                }
            }
            Err(ClientError::CursorMismatch) => {
                tracing::warn!(
                    seq = target.seq,
                    "the relay refused the ack: its stream changed; the poll loop will restart"
                );
            }
            Err(e) => {
                pending = true;
                let delay = delays
                    .next()
                    .unwrap_or(opts.max_backoff)
                    .min(opts.max_backoff);
                tracing::warn!(error = %e, seq = target.seq, "ack failed; retrying (re-deliveries are deduplicated)");
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
