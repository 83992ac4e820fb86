//! Work in flight that a restart must not cut short: an outbound send to a provider, an invoice
//! submission to AFIP. Whoever starts such work holds an [`ActivityGuard`] until the request has
//! an answer (or is recorded as `in_doubt`); the updater installs only once none is held.
//!
//! ```text
//! queue worker:    let _guard = gate.begin(ActivityKind::OutboundSend)?;   // refused while on hold
//!                  send → finalize the job row → drop the guard
//! updater install: let _hold = gate.hold_when_idle(|waiting| tell_the_ui(waiting)).await;
//!                  install → restart (new work stays queued and runs after the restart)
//! ```
//!
//! A hold refuses new work at once, so waiting cannot starve: the in-flight count only goes
//! down. Dropping the hold (the install failed or was cancelled) lets new work start again.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;

/// What kind of work is in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// A message (WhatsApp, SMS, e-mail) being sent to a provider.
    OutboundSend,
    /// An invoice being submitted to AFIP/ARCA.
    InvoiceSubmission,
}

/// How much work is in flight, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InFlight {
    pub outbound_sends: u32,
    pub invoice_submissions: u32,
}

impl InFlight {
    pub fn is_idle(&self) -> bool {
        self.outbound_sends == 0 && self.invoice_submissions == 0
    }

    fn slot(&mut self, kind: ActivityKind) -> &mut u32 {
        match kind {
            ActivityKind::OutboundSend => &mut self.outbound_sends,
            ActivityKind::InvoiceSubmission => &mut self.invoice_submissions,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct State {
    in_flight: InFlight,
    holds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivityError {
    #[error("new {0:?} work is on hold while an update is installed; leave it queued, it runs after the restart")]
    OnHold(ActivityKind),
}

/// The gate shared by everything that starts in-flight work and by the updater. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ActivityGate {
    state: Arc<watch::Sender<State>>,
}

impl Default for ActivityGate {
    fn default() -> Self {
        Self::new()
    }
}

impl ActivityGate {
    pub fn new() -> Self {
        ActivityGate {
            state: Arc::new(watch::Sender::new(State::default())),
        }
    }

    /// Marks one piece of work as in flight until the guard is dropped. Refused while an update
    /// holds the gate: the caller leaves the work queued.
    pub fn begin(&self, kind: ActivityKind) -> Result<ActivityGuard, ActivityError> {
        let mut admitted = false;
        self.state.send_if_modified(|s| {
            admitted = s.holds == 0;
            if admitted {
                *s.in_flight.slot(kind) += 1;
            }
            admitted
        });
        if !admitted {
            tracing::info!(?kind, "work kept queued: an update is being installed");
            return Err(ActivityError::OnHold(kind));
        }
        Ok(ActivityGuard {
            state: self.state.clone(),
            kind,
        })
    }

    pub fn in_flight(&self) -> InFlight {
        self.state.borrow().in_flight
    }

    /// Stops new work from starting, then waits until nothing is in flight. `on_wait` is called
    /// with what is still in flight each time that changes while waiting (not at all when idle).
    /// New work is refused until the returned hold is dropped; dropping this future early (a
    /// cancelled install) releases the hold too.
    pub async fn hold_when_idle(&self, mut on_wait: impl FnMut(InFlight)) -> ActivityHold {
        self.state.send_modify(|s| s.holds += 1);
        let hold = ActivityHold {
            state: self.state.clone(),
        };
        let mut rx = self.state.subscribe();
        loop {
            let in_flight = rx.borrow_and_update().in_flight;
            if in_flight.is_idle() {
                return hold;
            }
            tracing::info!(?in_flight, "update waits for work in flight");
            on_wait(in_flight);
            // The sender lives in `self`, so `changed` cannot fail while we wait.
            if rx.changed().await.is_err() {
                return hold;
            }
        }
    }
}

/// One piece of work in flight; dropping it marks the work as finished.
#[derive(Debug)]
pub struct ActivityGuard {
    state: Arc<watch::Sender<State>>,
    kind: ActivityKind,
}

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        let kind = self.kind;
        self.state.send_modify(|s| {
            let n = s.in_flight.slot(kind);
            *n = n.saturating_sub(1);
        });
    }
}

/// Keeps new work from starting (an update is being installed) until dropped.
#[derive(Debug)]
pub struct ActivityHold {
    state: Arc<watch::Sender<State>>,
}

impl Drop for ActivityHold {
    fn drop(&mut self) {
        self.state
            .send_modify(|s| s.holds = s.holds.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_work_in_flight_by_kind() {
        let gate = ActivityGate::new();
        assert!(gate.in_flight().is_idle());
        let a = gate.begin(ActivityKind::OutboundSend).unwrap();
        let b = gate.begin(ActivityKind::OutboundSend).unwrap();
        let c = gate.begin(ActivityKind::InvoiceSubmission).unwrap();
        assert_eq!(
            gate.in_flight(),
            InFlight {
                outbound_sends: 2,
                invoice_submissions: 1
            }
        );
        drop(a);
        drop(c);
        assert_eq!(gate.in_flight().outbound_sends, 1);
        assert_eq!(gate.in_flight().invoice_submissions, 0);
        drop(b);
        assert!(gate.in_flight().is_idle());
    }

    #[tokio::test]
    async fn hold_is_immediate_when_idle_and_refuses_new_work_until_dropped() {
        let gate = ActivityGate::new();
        let mut waited = Vec::new();
        let hold = gate.hold_when_idle(|w| waited.push(w)).await;
        assert!(waited.is_empty());
        assert_eq!(
            gate.begin(ActivityKind::InvoiceSubmission).unwrap_err(),
            ActivityError::OnHold(ActivityKind::InvoiceSubmission)
        );
        drop(hold);
        let _guard = gate.begin(ActivityKind::InvoiceSubmission).unwrap();
    }

    #[tokio::test]
    async fn hold_waits_for_work_in_flight_and_reports_it() {
        let gate = ActivityGate::new();
        let send = gate.begin(ActivityKind::OutboundSend).unwrap();
        let invoice = gate.begin(ActivityKind::InvoiceSubmission).unwrap();
        let (reported_tx, mut reported) = tokio::sync::mpsc::unbounded_channel();
        let holder = {
            let gate = gate.clone();
            tokio::spawn(async move {
                let _hold = gate.hold_when_idle(|w| reported_tx.send(w).unwrap()).await;
                gate.in_flight()
            })
        };
        assert_eq!(
            reported.recv().await.unwrap(),
            InFlight {
                outbound_sends: 1,
                invoice_submissions: 1
            }
        );
        // Held: nothing new starts while we wait.
        assert!(gate.begin(ActivityKind::OutboundSend).is_err());
        drop(send);
        assert_eq!(
            reported.recv().await.unwrap(),
            InFlight {
                outbound_sends: 0,
                invoice_submissions: 1
            }
        );
        assert!(!holder.is_finished());
        drop(invoice);
        assert!(holder.await.unwrap().is_idle());
        // The hold was dropped with the task: work starts again.
        gate.begin(ActivityKind::OutboundSend).unwrap();
    }

    #[tokio::test]
    async fn a_cancelled_wait_releases_the_hold() {
        let gate = ActivityGate::new();
        let _send = gate.begin(ActivityKind::OutboundSend).unwrap();
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let mut started_tx = Some(started_tx);
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.hold_when_idle(|_| {
                    if let Some(tx) = started_tx.take() {
                        let _ = tx.send(());
                    }
                })
                .await
            })
        };
        started.await.unwrap();
        assert!(gate.begin(ActivityKind::InvoiceSubmission).is_err());
        waiter.abort();
        assert!(waiter.await.unwrap_err().is_cancelled());
        gate.begin(ActivityKind::InvoiceSubmission).unwrap();
    }
}
