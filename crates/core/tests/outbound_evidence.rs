//! In-doubt sends resolved by evidence over the whole pipeline, on real HTTP: WhatsApp accepts the
//! message and the gateway answers 504 (the job is in doubt), then the simulator's signed status
//! webhook goes to the relay, the inbox loop stores it, the processor applies it and hands it to
//! the outbound engine, which completes the job. Never a resend.

mod conversations_support;
mod outbound_support;

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::inbox::{PollerOptions, RELAY_DEVICE_TOKEN, RELAY_URL};
use mostrador_core::intake::{self, IntakeHandle, IntakeWiring, JobEvidence};
use mostrador_core::outbound::Outbound;
use mostrador_core::settings;
use mostrador_queue::{JobId, JobState};
use mostrador_sandbox::whatsapp::{Fault, FaultKind};
use mostrador_types::Secret;
use outbound_support::{accepted_callbacks, enqueue, fast_config, text_job, wait_state, CUSTOMER};

struct World {
    p: conversations_support::Pipeline,
    engine: Arc<Outbound>,
}

/// The conversations pipeline's simulator, relay and store, with WhatsApp sending to the simulator
/// and the relay configured as the app configures it (setting + keychain). Its own loop and
/// processor are stopped: the intake under test is started by [`intake::start_configured`].
async fn world() -> World {
    let mut p = conversations_support::pipeline().await;
    p.proc.take().unwrap().stop().await;
    p.inbox.take().unwrap().stop().await;
    outbound_support::configure_whatsapp(&p.store, &p.secrets, p.org, &p.sandbox, true).await;
    outbound_support::customer(&p.sandbox, CUSTOMER);
    settings::set(
        &p.store,
        Some(p.org),
        RELAY_URL,
        &format!("http://{}", p.relay.addr),
    )
    .await
    .unwrap();
    p.secrets
        .set(
            p.org,
            RELAY_DEVICE_TOKEN,
            &Secret::new(p.device_token.clone()),
        )
        .await
        .unwrap();
    let engine = Arc::new(outbound_support::start_on(&p.store, &p.secrets, fast_config()).await);
    World { p, engine }
}

impl World {
    /// Every configured business's intake, wired to the engine (what the app does at start).
    async fn start_intake(&self) -> IntakeHandle {
        let wiring = IntakeWiring {
            store: self.p.store.clone(),
            secrets: self.p.secrets.clone(),
            events: self.p.events.clone(),
            evidence: Some(self.engine.clone() as Arc<dyn JobEvidence>),
            poller: PollerOptions {
                wait: Duration::from_secs(5),
                limit: 500,
                min_backoff: Duration::from_millis(50),
                max_backoff: Duration::from_millis(300),
            },
        };
        let mut running = intake::start_configured(&wiring).await.unwrap();
        assert_eq!(running.len(), 1, "one business has a relay");
        let h = running.pop().unwrap();
        assert_eq!(h.org(), self.p.org);
        h
    }

    /// A send that WhatsApp accepted but whose answer was a gateway's 504: in doubt.
    async fn in_doubt_send(&self, to: &str) -> JobId {
        self.p.sandbox.whatsapp.inject(
            Fault::new(FaultKind::AcceptThenHttpStatus { status: 504 }).on_path("/messages"),
        );
        let id = enqueue(
            &self.engine,
            text_job(self.p.org, to, "Tu pedido está listo"),
        )
        .await;
        let j = wait_state(&self.engine, id, JobState::InDoubt).await;
        assert_eq!(j.errors[0].class, "maybe_sent");
        id
    }

    async fn evidence_status(&self, id: JobId) -> Option<(String, String, String)> {
        sqlx::query_as("SELECT source, provider_id, status FROM outbound_evidence WHERE job_id = ?")
            .bind(id.0)
            .fetch_optional(self.p.store.reader())
            .await
            .unwrap()
    }

    async fn stop(self, intake: IntakeHandle) {
        intake.stop().await;
        self.engine.shutdown().await;
        let _ = self.p.secrets.delete(self.p.org, RELAY_DEVICE_TOKEN).await;
        let _ = self
            .p
            .secrets
            .delete(self.p.org, mostrador_core::channels::whatsapp::ACCESS_TOKEN)
            .await;
        self.p.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_webhook_through_the_relay_resolves_an_in_doubt_send() {
    let w = world().await;
    let id = w.in_doubt_send(CUSTOMER).await;
    assert_eq!(accepted_callbacks(&w.p.sandbox), vec![id.to_string()]);
    assert_eq!(w.evidence_status(id).await, None);

    // The app starts (or reconnects): the statuses waiting in the relay reach the engine.
    let intake = w.start_intake().await;
    let j = wait_state(&w.engine, id, JobState::Completed).await;
    let (source, wamid, status) = w.evidence_status(id).await.expect("evidence kept");
    assert_eq!(source, "webhook");
    assert!(wamid.starts_with("wamid."), "{wamid}");
    assert!(
        ["sent", "delivered", "read"].contains(&status.as_str()),
        "{status}"
    );
    // One attempt only; the resolution is noted on the job with the evidence.
    assert!(j.errors.iter().all(|e| e.attempt == 1), "{:#?}", j.errors);
    let last = j.errors.last().unwrap();
    assert_eq!(last.class, "resolved_sent");
    assert!(last.message.contains(&wamid), "{}", last.message);
    // Later statuses of the same message (delivered, read) change nothing and never resend.
    intake_settled(&intake, &w).await;
    assert_eq!(accepted_callbacks(&w.p.sandbox), vec![id.to_string()]);
    assert!(w
        .engine
        .in_doubt_for_owner(w.p.org)
        .await
        .unwrap()
        .is_empty());
    w.stop(intake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_status_resolves_the_job_and_keeps_the_failure() {
    let w = world().await;
    // Not a WhatsApp user: Meta accepts the request, then reports `failed` (131026).
    let id = w.in_doubt_send("5491199998888").await;
    let intake = w.start_intake().await;
    wait_state(&w.engine, id, JobState::Completed).await;
    let (_, _, status) = w.evidence_status(id).await.expect("evidence kept");
    assert_eq!(status, "failed");
    intake_settled(&intake, &w).await;
    assert_eq!(accepted_callbacks(&w.p.sandbox), vec![id.to_string()]);
    // The status itself is stored by intake, with Meta's code and the job id (the engine made
    // no message row for this bare job, so it waits among the pending statuses).
    let row: (Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT error_code, callback_data FROM pending_statuses WHERE status = 'failed'",
    )
    .fetch_one(w.p.store.reader())
    .await
    .unwrap();
    assert_eq!(row, (Some(131026), Some(id.to_string())));
    w.stop(intake).await;
}

/// Waits until every webhook the simulator sent has been taken out of `new` by the processor.
async fn intake_settled(intake: &IntakeHandle, w: &World) {
    let mut rx = intake.report();
    let want = || w.p.sandbox.whatsapp.webhooks().len() as u64;
    let ok = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let n = want();
            rx.wait_for(|r| r.rows() >= n).await.unwrap();
            if want() == n {
                return;
            }
        }
    })
    .await
    .is_ok();
    assert!(ok, "intake did not catch up: {:?}", *rx.borrow());
}
