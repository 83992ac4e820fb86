//! Recordatorios survive restarts: a notice scheduled before the app closed fires exactly once
//! after it starts again (still valid), another one past its validity is marked "no enviado: la
//! app estaba cerrada" and never sent. A scheduled turno goes out as its approved template on
//! WhatsApp even when the customer's 24 h window is closed (not as text Meta refuses, then SMS).

mod channels_support;

use std::sync::Arc;
use std::time::Duration;

use channels_support::*;
use mostrador_core::notifications::{
    self, schedule, Channel, NewScheduled, ScheduledSeed, Scheduler, When,
};
use mostrador_core::templates::{ContextField, TemplateContext};
use mostrador_queue::ManualClock;
use mostrador_sandbox::whatsapp::NewCustomer;

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
        seed: None,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_turno_reaches_a_closed_window_as_its_template_once() {
    let clock = ManualClock::new(chrono::Utc::now());
    let env = env_with(Options {
        fallback: true,
        clock: Some(Arc::new(clock.clone())),
        ..Default::default()
    })
    .await;
    approved_suggested_templates(&env).await;
    // On WhatsApp, but she has not written in the last 24 h: the simulator refuses free text
    // (131047) and delivers only templates.
    env.sandbox
        .whatsapp
        .add_customer(NewCustomer::new(CUSTOMER_PHONE));
    let t0 = env.outbound().queue().now();
    let turno = NewScheduled {
        customer_id: env.customer_id,
        kind: String::new(),
        subject: String::new(),
        body: String::new(),
        when: When::Before {
            event_at: t0 + chrono::Duration::hours(25),
            before_secs: 24 * 3600,
        },
        valid_for_secs: Some(3 * 3600),
        seed: Some(ScheduledSeed {
            template: "turno_confirmado".into(),
            context: TemplateContext::default()
                .with(ContextField::Date, "lunes 7 de diciembre")
                .with(ContextField::Time, "10:30"),
        }),
    };
    let id = schedule::schedule(&env.store, env.org, &turno, t0)
        .await
        .unwrap();
    // The list shows what it is and its text as it will go.
    let listed = schedule::list(&env.store, env.org).await.unwrap();
    assert_eq!(listed[0].kind, "turno");
    assert_eq!(listed[0].subject, "Turno confirmado");
    assert_eq!(
        listed[0].body,
        "Hola Ana, tu turno en Kiosco Don Pepe quedó confirmado para el lunes 7 de diciembre a las 10:30. Si no podés venir, avisanos respondiendo este mensaje."
    );
    assert_eq!(listed[0].seed, turno.seed);
    // A seed whose text lacks a field is refused when scheduled, not when due.
    let mut lacking = turno.clone();
    lacking.seed.as_mut().unwrap().context = TemplateContext::default();
    assert!(matches!(
        schedule::schedule(&env.store, env.org, &lacking, t0).await,
        Err(notifications::ScheduleError::Seed(
            notifications::NotifyError::MissingContext { .. }
        ))
    ));

    // Not due yet; then the app is closed past its send time and started again.
    let first = Scheduler::start(
        env.store.clone(),
        env.outbound().queue().clone(),
        None,
        Duration::from_secs(3600),
    );
    one_pass(&first, 0).await;
    first.shutdown().await;
    let sends: i64 = env
        .scalar("SELECT count(*) FROM jobs WHERE kind IN ('whatsapp.send', 'sms.send')")
        .await;
    assert_eq!(sends, 0);
    clock.advance(chrono::Duration::hours(1) + chrono::Duration::minutes(5));
    let second = Scheduler::start(
        env.store.clone(),
        env.outbound().queue().clone(),
        None,
        Duration::from_secs(3600),
    );
    one_pass(&second, 0).await;
    second.shutdown().await;
    let listed = schedule::list(&env.store, env.org).await.unwrap();
    let s = listed.iter().find(|s| s.id == id).unwrap();
    assert_eq!(s.state, notifications::ScheduledState::Sent);
    assert_eq!(s.state_reason.as_deref(), Some("enviado por WhatsApp"));
    let notice_id = s.notice_id.unwrap();
    env.until(
        &format!(
            "SELECT m.status IN ('delivered', 'read') FROM messages m
             JOIN notice_sends n ON n.job_id = m.job_id
             WHERE n.notice_id = {notice_id} AND n.channel = 'whatsapp'"
        ),
        1i64,
    )
    .await;

    // Another restart sends nothing more.
    let third = Scheduler::start(
        env.store.clone(),
        env.outbound().queue().clone(),
        None,
        Duration::from_secs(3600),
    );
    one_pass(&third, 0).await;
    third.shutdown().await;
    env.outbound().maintain().await.unwrap();

    // Exactly one WhatsApp send: the approved template, its variables filled; no SMS.
    let sends: Vec<serde_json::Value> = env
        .sandbox
        .whatsapp
        .log_of("send_message")
        .into_iter()
        .map(|e| e.request)
        .collect();
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(sends[0]["type"], "template");
    assert_eq!(sends[0]["template"]["name"], "turno_confirmado");
    assert_eq!(sends[0]["template"]["language"]["code"], "es_AR");
    let body: Vec<&str> = sends[0]["template"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "body")
        .unwrap()["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        body,
        ["Ana", "Kiosco Don Pepe", "lunes 7 de diciembre", "10:30"]
    );
    assert!(env.sandbox.twilio.messages().is_empty(), "no SMS");
    let steps: String = env
        .scalar(&format!(
            "SELECT group_concat(channel, ',') FROM notice_sends WHERE notice_id = {notice_id}"
        ))
        .await;
    assert_eq!(steps, "whatsapp");
    let jobs: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM jobs WHERE kind = 'whatsapp.send'),
                (SELECT count(*) FROM jobs WHERE kind = 'sms.send')",
    )
    .fetch_one(env.store.reader())
    .await
    .unwrap();
    assert_eq!(jobs, (1, 0), "fired exactly once, on WhatsApp");
    env.stop().await;
}
