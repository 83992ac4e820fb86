//! Inbound WhatsApp in the app: once the store is open, every business with a relay configured
//! gets its relay loop and processor (one core call), with the outbound engine as the evidence
//! that resolves in-doubt sends; all of them are stopped on exit.

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::events::EventBus;
use mostrador_core::inbox::PollerOptions;
use mostrador_core::intake::{self, IntakeHandle, IntakeWiring, JobEvidence};
use mostrador_core::outbound::Outbound;
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use tauri::{AppHandle, Manager, RunEvent};
use tokio::sync::Mutex;

/// How long the exit waits for the loops to stop (a batch in flight commits or rolls back).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// The running intakes, one per business with a relay.
#[derive(Default)]
pub struct Intakes {
    running: Mutex<Vec<IntakeHandle>>,
    events: EventBus,
}

impl Intakes {
    /// The conversation events (sends recorded locally announce their message here).
    pub fn bus(&self) -> &EventBus {
        &self.events
    }
}

/// Starts every configured business's intake. `engine` is `None` when the outbound engine could
/// not start: messages still come in, statuses are stored, in-doubt jobs wait for the next start.
pub async fn start(app: &AppHandle, store: Store, engine: Option<Arc<Outbound>>) {
    let intakes = app.state::<Intakes>();
    let wiring = IntakeWiring {
        store,
        secrets: SecretStore::default(),
        events: intakes.events.clone(),
        evidence: engine.map(|e| e as Arc<dyn JobEvidence>),
        poller: PollerOptions::default(),
    };
    match intake::start_configured(&wiring).await {
        Ok(started) => {
            tracing::info!(businesses = started.len(), "intake running");
            intakes.running.lock().await.extend(started);
        }
        Err(e) => tracing::error!(error = %e, "cannot list businesses; intake not started"),
    }
}

/// On exit, before the outbound engine stops: no new evidence is handed to it afterwards.
pub fn on_run_event(app: &AppHandle, event: &RunEvent) {
    if let RunEvent::Exit = event {
        let intakes = app.state::<Intakes>();
        tauri::async_runtime::block_on(async {
            let running = std::mem::take(&mut *intakes.running.lock().await);
            let all = async {
                for h in running {
                    h.stop().await;
                }
            };
            if tokio::time::timeout(SHUTDOWN_WAIT, all).await.is_err() {
                tracing::warn!(
                    "intake still stopping at exit; unprocessed rows wait for next start"
                );
            }
        });
    }
}
