//! Demo mode on real parts: the in-process Graph simulator and relay, the real poller and
//! processor, a real SQLite file and the OS keychain (run under `dbus-run-session`, see
//! COMMON/README). No sleeps: each test awaits the processor's events.

use std::path::Path;
use std::time::Duration;

use mostrador_core::conversations::MessageView;
use mostrador_core::demo::{self, Demo, DemoMessageKind, DemoOptions};
use mostrador_core::events::{ConversationEvent, EventBus};
use mostrador_core::inbox::PollerOptions;
use mostrador_core::intake::{self, IntakeHandle, IntakeWiring};
use mostrador_core::org;
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use tokio::sync::broadcast;

struct Running {
    demo: Demo,
    intake: IntakeHandle,
    events: broadcast::Receiver<ConversationEvent>,
}

fn secrets() -> SecretStore {
    SecretStore::new(&format!("ar.mostrador.test.demo.{}", uuid::Uuid::new_v4()))
}

/// What the app does at boot in demo mode: open the demo's own database, start the demo, then
/// the intake as for any business.
async fn boot(data: &Path, options: DemoOptions) -> Running {
    let store = Store::open(&demo::db_path(data)).await.unwrap();
    let demo = demo::start(data, store.clone(), options.clone())
        .await
        .unwrap();
    let bus = EventBus::default();
    let events = bus.subscribe();
    let wiring = IntakeWiring {
        store,
        secrets: options.secrets.clone(),
        events: bus,
        evidence: None,
        poller: PollerOptions {
            wait: Duration::from_secs(5),
            ..PollerOptions::default()
        },
    };
    let intake = intake::start_for_org(&wiring, demo.org()).await.unwrap();
    Running {
        demo,
        intake,
        events,
    }
}

impl Running {
    /// The first event `pick` accepts (bounded wait); others are skipped.
    async fn event<T>(&mut self, mut pick: impl FnMut(ConversationEvent) -> Option<T>) -> T {
        let wait = async {
            loop {
                match self.events.recv().await {
                    Ok(e) => {
                        if let Some(t) = pick(e) {
                            return t;
                        }
                    }
                    Err(e) => panic!("event bus: {e}"),
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .expect("the awaited event did not come within 30 s")
    }

    /// The next message stored for the demo business.
    async fn next_message(&mut self) -> MessageView {
        let org = self.demo.org();
        self.event(|e| match e {
            ConversationEvent::NewMessage { org_id, message } if org_id == org => Some(message),
            _ => None,
        })
        .await
    }

    /// The stored message with provider id `wamid`.
    async fn message(&mut self, wamid: &str) -> MessageView {
        let org = self.demo.org();
        self.event(|e| match e {
            ConversationEvent::NewMessage { org_id, message }
                if org_id == org && message.provider_id.as_deref() == Some(wamid) =>
            {
                Some(message)
            }
            _ => None,
        })
        .await
    }

    async fn stop(self) -> Store {
        let store = self.demo.store().clone();
        self.intake.stop().await;
        self.demo.stop().await;
        store.close().await;
        store
    }
}

fn quiet(secrets: &SecretStore) -> DemoOptions {
    // The trickle is tested on its own; here it must not add messages.
    let mut o = DemoOptions::new(secrets.clone());
    o.trickle_every = (Duration::from_secs(3600), Duration::from_secs(3600));
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_customer_text_goes_through_the_whole_pipeline() {
    let data = tempfile::tempdir().unwrap();
    let secrets = secrets();
    assert!(!demo::is_active(data.path()));
    let mut run = boot(data.path(), quiet(&secrets)).await;
    assert!(
        demo::is_active(data.path()),
        "the marker makes the next boot a demo"
    );

    let sent = run.demo.simulate(Some(DemoMessageKind::Text)).unwrap();
    let message = run.next_message().await;
    assert_eq!(message.kind, "text");
    assert_eq!(message.direction, "in");
    assert_eq!(message.text, sent.text);
    assert_eq!(message.provider_id.as_deref(), Some(sent.wamid.as_str()));

    let (wamid, text, direction, customer): (String, Option<String>, String, String) =
        sqlx::query_as(
            "SELECT m.provider_id, m.text, m.direction, c.name
             FROM messages m JOIN conversations v ON v.id = m.conversation_id
             JOIN customers c ON c.id = v.customer_id WHERE m.id = ?",
        )
        .bind(message.id)
        .fetch_one(run.demo.store().reader())
        .await
        .unwrap();
    assert_eq!(wamid, sent.wamid);
    assert_eq!(text, sent.text);
    assert_eq!(direction, "in");
    assert_eq!(customer, sent.customer_name);

    let orgs = org::list(run.demo.store()).await.unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].name, demo::DEMO_BUSINESS_NAME);
    let org_id = run.demo.org();

    run.stop().await;
    demo::exit(data.path(), &secrets).await.unwrap();
    assert!(!demo::is_active(data.path()));
    assert!(!demo::demo_dir(data.path()).exists());
    for name in [
        "whatsapp_app_secret",
        "whatsapp_access_token",
        "relay_device_token",
    ] {
        assert!(
            secrets.get(org_id, name).await.unwrap().is_none(),
            "{name} left in the keychain"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_simulated_kind_arrives_and_a_restarted_demo_keeps_its_business() {
    let data = tempfile::tempdir().unwrap();
    let secrets = secrets();
    let mut run = boot(data.path(), quiet(&secrets)).await;
    let org = run.demo.org();
    let mut seen = Vec::new();
    // Twice round: the second reaction/reply surely has an earlier message of its customer.
    for kind in DemoMessageKind::ALL.into_iter().chain(DemoMessageKind::ALL) {
        let sent = run.demo.simulate(Some(kind)).unwrap();
        seen.push(sent.kind);
        if sent.kind == DemoMessageKind::Reaction {
            // A reaction changes its target instead of adding a message.
            let emoji = run
                .event(|e| match e {
                    ConversationEvent::ReactionChanged { org_id, emoji, .. } if org_id == org => {
                        Some(emoji)
                    }
                    _ => None,
                })
                .await;
            assert_eq!(emoji, sent.text);
            continue;
        }
        let message = run.message(&sent.wamid).await;
        assert_eq!(message.direction, "in");
        match sent.kind {
            DemoMessageKind::Image => assert_eq!(message.kind, "image"),
            DemoMessageKind::Audio => assert!(["audio", "voice"].contains(&message.kind.as_str())),
            DemoMessageKind::Location => assert_eq!(message.kind, "location"),
            DemoMessageKind::Reply => {
                assert!(message.reply_to_provider_id.is_some(), "{message:?}")
            }
            _ => assert_eq!(message.text, sent.text),
        }
    }
    for kind in [
        DemoMessageKind::Image,
        DemoMessageKind::Audio,
        DemoMessageKind::Location,
    ] {
        assert!(seen.contains(&kind), "{kind:?} never sent: {seen:?}");
    }
    run.stop().await;

    // Same directory again: same business, same relay tenant, new ports; ids never collide with
    // the ones already stored (the simulator forgot them, the database did not).
    let mut run = boot(data.path(), quiet(&secrets)).await;
    assert_eq!(run.demo.org(), org);
    let sent = run.demo.simulate(Some(DemoMessageKind::Text)).unwrap();
    let message = run.message(&sent.wamid).await;
    assert_eq!(message.text, sent.text);
    assert_eq!(org::list(run.demo.store()).await.unwrap().len(), 1);
    run.stop().await;
    demo::exit(data.path(), &secrets).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trickle_writes_on_its_own_and_can_be_turned_off() {
    let data = tempfile::tempdir().unwrap();
    let secrets = secrets();
    let mut options = DemoOptions::new(secrets.clone());
    options.trickle_every = (Duration::from_millis(50), Duration::from_millis(100));
    let mut run = boot(data.path(), options.clone()).await;
    assert!(run.demo.trickle_enabled().await.unwrap(), "on by default");
    let first = run.next_message().await;
    assert_eq!(first.direction, "in");

    run.demo.set_trickle(false).await.unwrap();
    assert!(!run.demo.trickle_enabled().await.unwrap());
    run.stop().await;

    // The choice survives a restart, and the button still works with the trickle off.
    let mut run = boot(data.path(), options).await;
    assert!(!run.demo.trickle_enabled().await.unwrap());
    let sent = run.demo.simulate(Some(DemoMessageKind::Text)).unwrap();
    let message = run.message(&sent.wamid).await;
    assert_eq!(message.text, sent.text);
    run.stop().await;
    demo::exit(data.path(), &secrets).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_from_the_shop_goes_to_the_simulator_through_the_outbound_engine() {
    use mostrador_core::activity::ActivityGate;
    use mostrador_core::channels::whatsapp::{WhatsAppSend, KIND};
    use mostrador_core::outbound::{Outbound, OutboundConfig, Wiring};
    use mostrador_queue::{JobState, NewJob};

    let data = tempfile::tempdir().unwrap();
    let secrets = secrets();
    let mut run = boot(data.path(), quiet(&secrets)).await;
    let sent = run.demo.simulate(Some(DemoMessageKind::Text)).unwrap();
    run.message(&sent.wamid).await;

    let engine = Outbound::start(
        run.demo.store().clone(),
        Wiring::new(secrets.clone(), ActivityGate::new()),
        OutboundConfig::default(),
    )
    .await
    .unwrap();
    let job = NewJob::new(
        run.demo.org().0,
        KIND,
        &WhatsAppSend::text(&sent.wa_id, "¡Hola! Sí, tenemos."),
    )
    .unwrap();
    let id = engine.queue().enqueue(&job).await.unwrap().id();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let j = engine.queue().get(id).await.unwrap().unwrap();
        if j.state == JobState::Completed {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the send never completed: {j:#?}"
        );
        // The queue has no completion event to await; poll its row briefly.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sends = run.demo.sandbox().whatsapp.log_of("send_message");
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].request["to"], sent.wa_id.as_str());
    assert_eq!(sends[0].request["text"]["body"], "¡Hola! Sí, tenemos.");
    engine.shutdown().await;
    run.stop().await;
    demo::exit(data.path(), &secrets).await.unwrap();
}
