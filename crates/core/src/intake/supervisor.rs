//! One intake per business, kept in step with its settings: started at boot for every business
//! with a relay, restarted when its WhatsApp or relay settings change, stopped when it is
//! disconnected. Each business's connection state is observable (a snapshot and a broadcast of
//! changes) so the app can show it in the status bar.

use std::collections::HashMap;
use std::sync::Mutex as StdMutex;

use serde::Serialize;
use tokio::sync::{broadcast, Mutex};
use tokio::task::JoinHandle;

use super::handle::{start_for_org, IntakeHandle, IntakeWiring};
use super::Report;
use crate::channels::whatsapp::PHONE_NUMBER_ID;
use crate::inbox::{ConnectionState, InboxError};
use crate::org::{self, OrgId};
use crate::settings;

/// What the status bar shows for one business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IntakeStatus {
    pub org_id: OrgId,
    /// `None`: no relay configured (nothing comes in).
    pub connection: Option<ConnectionState>,
    /// Without WhatsApp settings the events that arrive wait unprocessed.
    pub whatsapp_configured: bool,
}

impl IntakeStatus {
    fn not_configured(org: OrgId, whatsapp_configured: bool) -> Self {
        IntakeStatus {
            org_id: org,
            connection: None,
            whatsapp_configured,
        }
    }
}

struct Running {
    handle: IntakeHandle,
    /// Copies the relay loop's state into the snapshot and the broadcast.
    forward: JoinHandle<()>,
}

/// Owns the running intakes. Every change goes through [`IntakeSupervisor::restart`] (or
/// [`IntakeSupervisor::stop`]), one business at a time.
pub struct IntakeSupervisor {
    wiring: IntakeWiring,
    running: Mutex<HashMap<OrgId, Running>>,
    states: std::sync::Arc<StdMutex<HashMap<OrgId, IntakeStatus>>>,
    changes: broadcast::Sender<IntakeStatus>,
}

impl IntakeSupervisor {
    pub fn new(wiring: IntakeWiring) -> Self {
        IntakeSupervisor {
            wiring,
            running: Mutex::new(HashMap::new()),
            states: Default::default(),
            changes: broadcast::channel(64).0,
        }
    }

    /// Starts every business's intake (the ones without a relay are "not configured"); one
    /// business's failure does not keep the others from starting. Returns how many run.
    pub async fn start_all(&self) -> Result<usize, org::OrgError> {
        let mut n = 0;
        for o in org::list(&self.wiring.store).await? {
            if self.restart(o.id).await.connection.is_some() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Stops the business's intake, if running, and starts it again from its current settings
    /// (call it after saving or removing WhatsApp or relay settings). Returns the new state.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn restart(&self, org: OrgId) -> IntakeStatus {
        self.try_restart(org).await.0
    }

    /// [`IntakeSupervisor::restart`] for a caller that must know why the intake could not start
    /// (the demo refuses to run without its intake): the state, and the error when starting it
    /// failed for another reason than a missing relay.
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn try_restart(&self, org: OrgId) -> (IntakeStatus, Option<InboxError>) {
        let mut running = self.running.lock().await;
        if let Some(r) = running.remove(&org) {
            r.forward.abort();
            r.handle.stop().await;
            tracing::info!("intake stopped for a restart");
        }
        let wa = self.whatsapp_configured(org).await;
        let status = match start_for_org(&self.wiring, org).await {
            Ok(handle) => {
                let status = IntakeStatus {
                    org_id: org,
                    connection: Some(handle.connection().borrow().clone()),
                    whatsapp_configured: wa,
                };
                // Before the forwarder runs, so a newer state it sees is never overwritten.
                self.publish(status.clone());
                let forward = tokio::spawn(forward(
                    org,
                    wa,
                    handle.connection(),
                    self.states.clone(),
                    self.changes.clone(),
                ));
                running.insert(org, Running { handle, forward });
                return (status, None);
            }
            Err(InboxError::NotConfigured(what)) => {
                tracing::debug!(missing = what, "no relay configured; intake not started");
                (IntakeStatus::not_configured(org, wa), None)
            }
            Err(e) => {
                // Reading the settings or the keychain failed: shown like a failing connection,
                // with the reason, so the status bar does not claim "not configured".
                tracing::warn!(error = %e, "intake could not start");
                let status = IntakeStatus {
                    org_id: org,
                    connection: Some(ConnectionState::Reconnecting {
                        since: chrono::Utc::now(),
                        last_error: e.to_string(),
                        attempts: 1,
                    }),
                    whatsapp_configured: wa,
                };
                (status, Some(e))
            }
        };
        self.publish(status.0.clone());
        status
    }

    /// Stops the business's intake (it was disconnected); its state becomes "not configured".
    #[tracing::instrument(skip_all, fields(%org))]
    pub async fn stop(&self, org: OrgId) {
        let mut running = self.running.lock().await;
        if let Some(r) = running.remove(&org) {
            r.forward.abort();
            r.handle.stop().await;
        }
        let wa = self.whatsapp_configured(org).await;
        self.publish(IntakeStatus::not_configured(org, wa));
    }

    /// Stops every intake (app exit).
    pub async fn shutdown(&self) {
        let all: Vec<Running> = self.running.lock().await.drain().map(|(_, r)| r).collect();
        for r in all {
            r.forward.abort();
            r.handle.stop().await;
        }
    }

    /// The business's state now (not configured when never started).
    pub fn status(&self, org: OrgId) -> IntakeStatus {
        self.states
            .lock()
            .unwrap()
            .get(&org)
            .cloned()
            .unwrap_or_else(|| IntakeStatus::not_configured(org, false))
    }

    /// Every change of any business's state, as it happens.
    pub fn subscribe(&self) -> broadcast::Receiver<IntakeStatus> {
        self.changes.subscribe()
    }

    /// Whether the business's intake loop runs.
    pub async fn is_running(&self, org: OrgId) -> bool {
        self.running.lock().await.contains_key(&org)
    }

    /// The processor totals of a running intake (tests wait on them).
    pub async fn report(&self, org: OrgId) -> Option<tokio::sync::watch::Receiver<Report>> {
        self.running
            .lock()
            .await
            .get(&org)
            .map(|r| r.handle.report())
    }

    fn publish(&self, status: IntakeStatus) {
        publish(&self.states, &self.changes, status);
    }

    async fn whatsapp_configured(&self, org: OrgId) -> bool {
        matches!(
            settings::get(&self.wiring.store, Some(org), PHONE_NUMBER_ID).await,
            Ok(Some(_))
        )
    }
}

fn publish(
    states: &StdMutex<HashMap<OrgId, IntakeStatus>>,
    changes: &broadcast::Sender<IntakeStatus>,
    status: IntakeStatus,
) {
    let changed =
        states.lock().unwrap().insert(status.org_id, status.clone()) != Some(status.clone());
    if changed {
        // No subscriber is fine: the snapshot has it.
        let _ = changes.send(status);
    }
}

async fn forward(
    org: OrgId,
    whatsapp_configured: bool,
    mut rx: tokio::sync::watch::Receiver<ConnectionState>,
    states: std::sync::Arc<StdMutex<HashMap<OrgId, IntakeStatus>>>,
    changes: broadcast::Sender<IntakeStatus>,
) {
    loop {
        let state = rx.borrow_and_update().clone();
        // The loop's own "stopped" is not news: the supervisor says what comes next.
        if state == ConnectionState::Stopped {
            return;
        }
        publish(
            &states,
            &changes,
            IntakeStatus {
                org_id: org,
                connection: Some(state),
                whatsapp_configured,
            },
        );
        if rx.changed().await.is_err() {
            return;
        }
    }
}
