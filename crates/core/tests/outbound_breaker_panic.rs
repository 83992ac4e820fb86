//! Breakers and panic mode against the WhatsApp simulator over real HTTP, and their rows across a
//! restart (an injected clock for the timing that must not be slept through).

mod outbound_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use mostrador_core::outbound::breaker::{Admission, Health};
use mostrador_core::outbound::guards::{Guards, Outcome};
use mostrador_core::outbound::{
    BreakerConfig, BreakerState, Change, Failure, FailureKind, GuardConfig, HealthLevel,
    Integration, PanicConfig,
};
use mostrador_core::store::Store;
use mostrador_queue::{Clock, JobState, ManualClock};
use mostrador_sandbox::whatsapp::{Fault, FaultKind};
use outbound_support::*;
use tokio::sync::broadcast;

async fn next_change(
    rx: &mut broadcast::Receiver<mostrador_core::outbound::HealthChange>,
    what: &str,
    f: impl Fn(&Change) -> bool,
) -> Change {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let c = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} in time"))
            .unwrap();
        if f(&c.change) {
            return c.change;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_storm_opens_the_breaker_then_panic_mode_and_one_probe_resolves_it() {
    let env = env(true).await;
    // Meta's own "service unavailable" (131016 with a 503): a refusal, safe to retry. A bare 5xx
    // without an error object would leave each send in doubt instead (it may have gone out).
    env.sandbox.whatsapp.inject(
        Fault::new(FaultKind::GraphError {
            code: 131016,
            subcode: None,
            http_status: Some(503),
            details: None,
            // Meta's class hint is 30 s; the header wins and keeps the test short.
            retry_after: Some(1),
        })
        .times(10_000)
        .on_path("/messages"),
    );
    let mut cfg = fast_config();
    cfg.guards = GuardConfig {
        panic: PanicConfig {
            min_sample: 8,
            timeout: Duration::from_millis(1500),
            ..PanicConfig::default()
        },
        breakers: HashMap::from([(
            Integration::WhatsApp,
            BreakerConfig {
                failure_threshold: 5,
                success_threshold: 2,
                open_for: Duration::from_millis(200),
            },
        )]),
    };
    let o = start(&env, cfg).await;
    let mut rx = o.subscribe_health();
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(
            enqueue(
                &o,
                text_job(env.org, CUSTOMER, &format!("aviso {i}")).max_attempts(50),
            )
            .await,
        );
    }
    next_change(&mut rx, "breaker opening", |c| {
        matches!(
            c,
            Change::Breaker {
                to: BreakerState::Open,
                ..
            }
        )
    })
    .await;
    let triggered = next_change(&mut rx, "panic mode", |c| {
        matches!(c, Change::PanicTriggered { .. })
    })
    .await;
    let Change::PanicTriggered { code, reason_es } = triggered else {
        unreachable!()
    };
    assert_eq!(code, "failure_rate");
    assert!(reason_es.contains("WhatsApp"), "{reason_es}");

    // What the Estado page shows.
    let h = o.health(env.org).await.unwrap();
    let w = h
        .iter()
        .find(|h| h.integration == Integration::WhatsApp)
        .unwrap();
    assert_eq!(w.level, HealthLevel::Unhealthy);
    assert_eq!(w.panic.as_ref().unwrap().reason_code, "failure_rate");
    assert_eq!(w.last_error.as_ref().unwrap().code, "131016");
    assert!(w.queue_depth > 0);

    // Sends already out when it triggered finish (failing); nothing new starts.
    for id in &ids {
        wait_job(&o, *id, "not running", |j| j.state != JobState::Running).await;
    }
    // WhatsApp recovers. Nothing goes out before the timeout; then exactly one probe.
    env.sandbox.whatsapp.clear_faults();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        accepted_callbacks(&env.sandbox).is_empty(),
        "sent during panic mode"
    );
    let resolved = next_change(&mut rx, "auto resolution", |c| {
        matches!(c, Change::PanicResolved { .. })
    })
    .await;
    assert_eq!(resolved, Change::PanicResolved { by_owner: false });
    assert_eq!(
        accepted_callbacks(&env.sandbox).len(),
        1,
        "exactly one probe before the resolution"
    );
    for id in &ids {
        wait_state(&o, *id, JobState::Completed).await;
    }
    let mut sent = accepted_callbacks(&env.sandbox);
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), ids.len(), "each message exactly once");
    let history = o.panic_history(env.org, 10).await.unwrap();
    let events: Vec<_> = history.iter().rev().map(|e| e.event.as_str()).collect();
    assert_eq!(events.first(), Some(&"triggered"));
    assert_eq!(events.last(), Some(&"resolved"));
    assert_eq!(history[0].actor.as_deref(), Some("auto"));
    o.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_190_triggers_panic_at_once() {
    let env = env(true).await;
    env.sandbox.whatsapp.expire_token(true);
    let o = start(&env, fast_config()).await;
    let mut rx = o.subscribe_health();
    let first = enqueue(&o, text_job(env.org, CUSTOMER, "uno")).await;
    let c = next_change(&mut rx, "panic mode", |c| {
        matches!(c, Change::PanicTriggered { .. })
    })
    .await;
    let Change::PanicTriggered { code, reason_es } = c else {
        unreachable!()
    };
    assert_eq!(code, "190");
    assert!(reason_es.contains("token"), "{reason_es}");
    let j = wait_job(&o, first, "its 190 recorded", |j| !j.errors.is_empty()).await;
    assert_eq!(j.errors[0].code.as_deref(), Some("190"));
    // Paused at once: a new message is not even tried.
    let second = enqueue(&o, text_job(env.org, "5491100000002", "dos")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let j = job(&o, second).await;
    assert!(
        j.state.is_waiting() && j.attempts == 0 && j.errors.is_empty(),
        "{j:#?}"
    );
    let ids = [first, second];
    let w = o.health(env.org).await.unwrap().remove(0);
    assert_eq!(w.level, HealthLevel::Unhealthy);

    env.sandbox.whatsapp.expire_token(false);
    o.resume(env.org, Integration::WhatsApp).await.unwrap();
    customer(&env.sandbox, "5491100000002");
    for id in ids {
        wait_state(&o, id, JobState::Completed).await;
    }
    o.shutdown().await;
}

fn server_error() -> Failure {
    let mut f = Failure::new(
        FailureKind::Transient,
        "http_503",
        "WhatsApp no está disponible.",
    );
    f.provider_health = true;
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaker_and_panic_rows_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite3");
    let store = Store::open(&path).await.unwrap();
    let org = create_org(&store).await;
    let clock = ManualClock::new(chrono::Utc::now());
    let cfg = GuardConfig::default();
    let g = Guards::load(store.clone(), Arc::new(clock.clone()), cfg.clone())
        .await
        .unwrap();
    let w = Integration::WhatsApp;
    let f = server_error();
    for _ in 0..5 {
        g.record(
            org,
            w,
            Outcome::Failed {
                latency: Duration::from_millis(5),
                failure: &f,
            },
        )
        .await
        .unwrap();
    }
    g.pause(org, w, "368", "Cuenta bloqueada por políticas")
        .await
        .unwrap();
    store.close().await;

    let store = Store::open(&path).await.unwrap();
    let g = Guards::load(store.clone(), Arc::new(clock.clone()), cfg)
        .await
        .unwrap();
    // Panic mode and an open breaker, both from the rows.
    assert!(matches!(
        g.admission(org, w).await.unwrap(),
        Admission::None { .. }
    ));
    clock.advance(chrono::Duration::minutes(61));
    // After the panic timeout (60 min) and the breaker's 30 s: one probe.
    assert_eq!(g.admission(org, w).await.unwrap(), Admission::Probe);
    g.probe_started(org, w).await;
    assert!(matches!(
        g.admission(org, w).await.unwrap(),
        Admission::None { .. }
    ));
    g.record(
        org,
        w,
        Outcome::Sent {
            latency: Duration::from_millis(5),
        },
    )
    .await
    .unwrap();
    // Panic resolved by the probe; the breaker wants a second success.
    assert_eq!(g.admission(org, w).await.unwrap(), Admission::Probe);
    let _ = Health::Healthy;
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT event, actor FROM outbound_panic_history WHERE org_id = ? ORDER BY id",
    )
    .bind(org.to_string())
    .fetch_all(store.reader())
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("triggered".to_owned(), None),
            ("resolved".to_owned(), Some("auto".to_owned()))
        ]
    );
    let breaker: String = sqlx::query_scalar(
        "SELECT state FROM outbound_breakers WHERE org_id = ? AND integration = 'whatsapp'",
    )
    .bind(org.to_string())
    .fetch_one(store.reader())
    .await
    .unwrap();
    assert_eq!(breaker, "half_open");
    let _ = clock.now();
}
