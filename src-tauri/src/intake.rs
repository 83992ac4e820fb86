//! Inbound WhatsApp in the app: once the store is open, the core's intake supervisor starts every
//! business with a relay (with the outbound engine as the evidence that resolves in-doubt
//! sends), restarts a business's intake when Ajustes changes its connection, and reports each
//! business's connection state, which is forwarded to the window for the status bar.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use mostrador_core::events::EventBus;
use mostrador_core::inbox::PollerOptions;
use mostrador_core::intake::{IntakeStatus, IntakeSupervisor, IntakeWiring};
use mostrador_core::org::OrgId;
use mostrador_core::outbound::Outbound;
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_core::AppError;
use tauri::{AppHandle, Manager, RunEvent, State};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::ipc::command;

crate::event! {
    /// A business's relay connection state changed (conectado, reconectando, token rechazado,
    /// sin configurar): sent as it happens, for the status bar.
    pub INTAKE_STATUS: "intake-status" => IntakeStatus
}

/// How long the exit waits for the loops to stop (a batch in flight commits or rolls back).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// The intake supervisor (once the store is open) and the bus its processors publish on.
#[derive(Default)]
pub struct Intakes {
    supervisor: OnceLock<Arc<IntakeSupervisor>>,
    /// The demo shop's supervisor (on the demo's database) while the window shows the demo:
    /// its business's state, restarts and status-bar events go through it.
    demo: std::sync::RwLock<Option<(OrgId, Arc<IntakeSupervisor>)>>,
    events: EventBus,
}

impl Intakes {
    /// The bus conversation events are published on (forwarded to the window elsewhere).
    pub fn bus(&self) -> EventBus {
        self.events.clone()
    }

    /// The supervisor, once the store is open.
    pub fn supervisor(&self) -> Option<&Arc<IntakeSupervisor>> {
        self.supervisor.get()
    }

    /// The supervisor that owns `org`: the demo's for the demo business, else the app's.
    fn owner(&self, org: OrgId) -> Option<Arc<IntakeSupervisor>> {
        match &*self.demo.read().unwrap_or_else(|p| p.into_inner()) {
            Some((demo_org, d)) if *demo_org == org => Some(d.clone()),
            _ => self.supervisor.get().cloned(),
        }
    }

    /// Restarts the business's intake from its current settings (after Ajustes saved or
    /// removed a connection). Before the store is open there is nothing to restart: the boot
    /// start reads the new settings.
    pub async fn restart(&self, org: OrgId) {
        if let Some(s) = self.owner(org) {
            s.restart(org).await;
        }
    }

    /// The business's connection state now (not configured before anything started).
    pub fn status(&self, org: OrgId) -> IntakeStatus {
        match self.owner(org) {
            Some(s) => s.status(org),
            None => IntakeStatus {
                org_id: org,
                connection: None,
                whatsapp_configured: false,
            },
        }
    }
}

/// Runs the demo business's intake under a supervisor of its own (on the demo's database), whose
/// state changes reach the status bar like the app's. Fails when the intake cannot start.
pub async fn start_demo(
    app: &AppHandle,
    wiring: IntakeWiring,
    org: OrgId,
) -> Result<DemoIntake, mostrador_core::inbox::InboxError> {
    let supervisor = Arc::new(IntakeSupervisor::new(wiring));
    // Subscribed before it starts, so no state change is missed.
    let forward = tauri::async_runtime::spawn(forward_status(app.clone(), supervisor.subscribe()));
    if let (_, Some(e)) = supervisor.try_restart(org).await {
        forward.abort();
        supervisor.shutdown().await;
        return Err(e);
    }
    *app.state::<Intakes>()
        .demo
        .write()
        .unwrap_or_else(|p| p.into_inner()) = Some((org, supervisor.clone()));
    Ok(DemoIntake {
        app: app.clone(),
        supervisor,
        forward,
    })
}

/// The demo's running intake; [`DemoIntake::stop`] stops it and detaches it from the window.
pub struct DemoIntake {
    app: AppHandle,
    supervisor: Arc<IntakeSupervisor>,
    forward: tauri::async_runtime::JoinHandle<()>,
}

impl DemoIntake {
    pub async fn stop(self) {
        self.app
            .state::<Intakes>()
            .demo
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.supervisor.shutdown().await;
        self.forward.abort();
    }
}

/// Starts the supervisor and every configured business's intake. `engine` is `None` when the
/// outbound engine could not start: messages still come in, statuses are stored, in-doubt jobs
/// wait for the next start.
pub async fn start(app: &AppHandle, store: Store, engine: Option<Arc<Outbound>>) {
    let intakes = app.state::<Intakes>();
    let wiring = IntakeWiring {
        store,
        secrets: SecretStore::default(),
        events: intakes.events.clone(),
        evidence: engine.map(|e| {
            app.state::<crate::notifications::Notifications>()
                .evidence(e)
        }),
        poller: PollerOptions::default(),
    };
    let supervisor = Arc::new(IntakeSupervisor::new(wiring));
    if intakes.supervisor.set(supervisor.clone()).is_err() {
        tracing::error!("intake supervisor started twice; keeping the first");
        return;
    }
    // Subscribed before anything starts, so no state change is missed.
    tauri::async_runtime::spawn(forward_status(app.clone(), supervisor.subscribe()));
    match supervisor.start_all().await {
        Ok(n) => tracing::info!(businesses = n, "intake running"),
        Err(e) => tracing::error!(error = %e, "cannot list businesses; intake not started"),
    }
}

async fn forward_status(app: AppHandle, mut changes: broadcast::Receiver<IntakeStatus>) {
    loop {
        match changes.recv().await {
            Ok(status) => {
                let _ = INTAKE_STATUS.emit(&app, status);
            }
            // Too many changes at once: the window asks `intake_status` again on its next
            // event; the latest state of each business follows anyway.
            Err(RecvError::Lagged(n)) => tracing::debug!(missed = n, "intake status lagged"),
            Err(RecvError::Closed) => return,
        }
    }
}

/// The business's relay connection state now (the status bar's first paint; then
/// `intake-status` events).
#[command]
pub async fn intake_status(
    intakes: State<'_, Intakes>,
    org_id: OrgId,
) -> Result<IntakeStatus, AppError> {
    Ok(intakes.status(org_id))
}

/// On exit, before the outbound engine stops: no new evidence is handed to it afterwards.
pub fn on_run_event(app: &AppHandle, event: &RunEvent) {
    if let RunEvent::Exit = event {
        let Some(supervisor) = app.state::<Intakes>().supervisor().cloned() else {
            return;
        };
        tauri::async_runtime::block_on(async {
            if tokio::time::timeout(SHUTDOWN_WAIT, supervisor.shutdown())
                .await
                .is_err()
            {
                tracing::warn!(
                    "intake still stopping at exit; unprocessed rows wait for next start"
                );
            }
        });
    }
}
