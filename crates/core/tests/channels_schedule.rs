//! Recordatorios survive restarts: a notice scheduled before the app closed fires exactly once
//! after it starts again (still valid), another one past its validity is marked "no enviado: la
//! app estaba cerrada" and never sent.

mod channels_support;

use std::sync::Arc;
use std::time::Duration;

use channels_support::*;
use mostrador_core::notifications::{self, schedule, Channel, NewScheduled, Scheduler, When};
use mostrador_queue::ManualClock;

async fn one_pass(s: &Scheduler, after: u64) {
    let mut rx = s.passes();
    tokio::time::timeout(Duration::from_secs(20), rx.wait_for(|n| *n > after))
        .await
        .expect("a scheduler pass")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_notice_fires_once_after_a_restart() {
    let clock = ManualClock::new(chrono::Utc::now());
    let env = env_with(Options {
        fallback: false,
        clock: Some(Arc::new(clock.clone())),
        ..Default::default()
    })
    .await;
    notifications::set_chain(&env.store, env.org, "recordatorio", &[Channel::Sms])
        .await
        .unwrap();
    let t0 = env.outbound().queue().now();
    let new = |valid_for: u32| NewScheduled {
        customer_id: env.customer_id,
        kind: "recordatorio".into(),
        subject: "Recordatorio".into(),
        body: "Te recordamos tu turno de hoy a las 18.".into(),
        when: When::At {
            at: t0 + chrono::Duration::minutes(30),
        },
        valid_for_secs: Some(valid_for),
    };
    let fresh = schedule::schedule(&env.store, env.org, &new(3 * 3600), t0)
        .await
        .unwrap();
    let stale = schedule::schedule(&env.store, env.org, &new(10 * 60), t0)
        .await
        .unwrap();

    // The app runs a while: nothing is due yet.
    let first = Scheduler::start(
        env.store.clone(),
        env.outbound().queue().clone(),
        None,
        Duration::from_secs(3600),
    );
    one_pass(&first, 0).await;
    first.shutdown().await;
    let jobs: i64 = env.scalar("SELECT count(*) FROM jobs").await;
    assert_eq!(jobs, 0);

    // Closed for an hour: the fresh one is still valid, the stale one is not.
    clock.advance(chrono::Duration::hours(1));
    let second = Scheduler::start(
        env.store.clone(),
        env.outbound().queue().clone(),
        None,
        Duration::from_secs(3600),
    );
    one_pass(&second, 0).await;
    let list = schedule::list(&env.store, env.org).await.unwrap();
    let by_id = |id| list.iter().find(|s| s.id == id).unwrap();
    assert_eq!(by_id(fresh).state, notifications::ScheduledState::Sent);
    assert_eq!(
        by_id(fresh).state_reason.as_deref(),
        Some("enviado por SMS")
    );
    assert_eq!(by_id(stale).state, notifications::ScheduledState::Missed);
    assert_eq!(
        by_id(stale).state_reason.as_deref(),
        Some("no enviado: la app estaba cerrada")
    );
    env.until(
        "SELECT count(*) FROM jobs WHERE kind = 'sms.send' AND state = 'completed'",
        1i64,
    )
    .await;

    // Another pass (and another restart) sends nothing more.
    second.changed();
    one_pass(&second, 1).await;
    second.shutdown().await;
    let third = Scheduler::start(
        env.store.clone(),
        env.outbound().queue().clone(),
        None,
        Duration::from_secs(3600),
    );
    one_pass(&third, 0).await;
    third.shutdown().await;
    let jobs: i64 = env.scalar("SELECT count(*) FROM jobs").await;
    assert_eq!(jobs, 1, "fired exactly once");
    assert_eq!(env.sandbox.twilio.messages().len(), 1);

    // Edit and cancel only while scheduled.
    assert!(matches!(
        schedule::cancel(&env.store, env.org, fresh).await,
        Err(notifications::ScheduleError::NotEditable)
    ));
    env.stop().await;
}
