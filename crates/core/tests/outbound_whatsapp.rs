//! The `whatsapp.send` handler and the engine against the WhatsApp simulator over real HTTP:
//! callback data and wamid, Retry-After, non-retryable codes, bad payloads, expiry, a missing
//! token, and a database that stops taking writes. Needs a keychain (see outbound_support).

mod outbound_support;

use std::time::Duration;

use mostrador_core::outbound::{DispatcherStatus, Integration};
use mostrador_queue::{JobState, NewJob};
use mostrador_sandbox::whatsapp::{Fault, FaultKind};
use outbound_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_with_the_job_id_as_callback_data_and_keeps_the_wamid() {
    let env = env(true).await;
    let o = start(&env, fast_config()).await;
    let id = enqueue(&o, text_job(env.org, CUSTOMER, "Tu pedido está listo")).await;
    let j = wait_state(&o, id, JobState::Completed).await;
    assert_eq!(j.attempts, 1);
    assert!(j.send_started_at.is_some());
    assert_eq!(accepted_callbacks(&env.sandbox), vec![id.to_string()]);
    let wamid: String =
        sqlx::query_scalar("SELECT provider_id FROM outbound_evidence WHERE job_id = ?")
            .bind(id.0)
            .fetch_one(env.store.reader())
            .await
            .unwrap();
    let log = env.sandbox.whatsapp.log_of("send_message");
    assert_eq!(log[0].response["messages"][0]["id"], wamid.as_str());
    let h = o.health(env.org).await.unwrap();
    let w = h
        .iter()
        .find(|h| h.integration == Integration::WhatsApp)
        .unwrap();
    assert!(w.last_success_at.is_some() && w.latency_p50_ms.is_some());
    o.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_limit_130429_honours_retry_after() {
    let env = env(true).await;
    env.sandbox.whatsapp.inject(
        Fault::new(FaultKind::GraphError {
            code: 130429,
            subcode: None,
            http_status: Some(400),
            details: None,
            retry_after: Some(2),
        })
        .on_path("/messages"),
    );
    let o = start(&env, fast_config()).await;
    // The 130429 arrives after this instant, and its error row is written later still (after
    // waiting for the writer), so the retry is measured from here: a lower bound of the answer.
    let before = chrono::Utc::now();
    let id = enqueue(&o, text_job(env.org, CUSTOMER, "Hola")).await;
    let limited = wait_job(&o, id, "the 130429 recorded", |j| !j.errors.is_empty()).await;
    let first = &limited.errors[0];
    assert_eq!(first.code.as_deref(), Some("130429"));
    assert_eq!(first.class, "rate_limited");
    // Not before Meta's Retry-After (2 s), never mind our 50 ms base backoff.
    assert!(
        limited.run_at - before >= chrono::Duration::seconds(2),
        "retry scheduled {:?} after the send started",
        limited.run_at - before
    );
    let done = wait_state(&o, id, JobState::Completed).await;
    assert!(done.finished_at.unwrap() - before >= chrono::Duration::seconds(2));
    assert_eq!(accepted_callbacks(&env.sandbox).len(), 1);
    o.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_closed_131047_is_not_retried() {
    let env = env(true).await;
    let late = "5491199990000";
    customer(&env.sandbox, late);
    env.sandbox
        .whatsapp
        .set_last_inbound_age(late, Duration::from_secs(25 * 3600));
    let o = start(&env, fast_config()).await;
    let id = enqueue(&o, text_job(env.org, late, "¿Seguís ahí?").max_attempts(5)).await;
    let j = wait_state(&o, id, JobState::Discarded).await;
    assert_eq!(j.attempts, 1, "131047 must not be retried");
    assert_eq!(j.errors.len(), 1);
    assert_eq!(j.errors[0].code.as_deref(), Some("131047"));
    assert!(
        j.errors[0].message.contains("plantilla"),
        "{}",
        j.errors[0].message
    );
    // Waiting longer than any backoff changes nothing.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(job(&o, id).await.attempts, 1);
    assert!(accepted_callbacks(&env.sandbox).is_empty());
    o.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_that_no_longer_parses_is_discarded_and_the_next_job_still_runs() {
    let env = env(true).await;
    let o = start(&env, fast_config()).await;
    let bad = NewJob::new(
        env.org.0,
        "whatsapp.send",
        &serde_json::json!({ "recipient": CUSTOMER, "texto": "formato viejo" }),
    )
    .unwrap();
    let bad = enqueue(&o, bad).await;
    let good = enqueue(&o, text_job(env.org, CUSTOMER, "Hola")).await;
    let j = wait_state(&o, bad, JobState::Discarded).await;
    assert_eq!(j.errors[0].code.as_deref(), Some("bad_payload"));
    assert!(j.errors[0].message.contains("no se puede leer"));
    assert!(j.send_started_at.is_none());
    wait_state(&o, good, JobState::Completed).await;
    assert_eq!(*o.status().borrow(), DispatcherStatus::Running);
    o.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_job_is_discarded_never_sent_late() {
    let env = env(true).await;
    let o = start(&env, fast_config()).await;
    // Due in a moment but already stale by then.
    let now = chrono::Utc::now();
    let id = enqueue(
        &o,
        text_job(env.org, CUSTOMER, "Oferta de hoy")
            .run_at(now + chrono::Duration::milliseconds(300))
            .expires_at(now + chrono::Duration::milliseconds(200)),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    o.maintain().await.unwrap();
    let j = job(&o, id).await;
    assert_eq!(j.state, JobState::Discarded);
    assert_eq!(j.errors.last().unwrap().class, "expired");
    assert!(accepted_callbacks(&env.sandbox).is_empty());
    o.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_token_pauses_whatsapp_without_burning_attempts() {
    let env = env(false).await;
    let o = start(&env, fast_config()).await;
    let id = enqueue(&o, text_job(env.org, CUSTOMER, "Hola")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let panic = loop {
        let h = o.health(env.org).await.unwrap();
        if let Some(p) = h
            .into_iter()
            .find(|h| h.integration == Integration::WhatsApp)
            .and_then(|h| h.panic)
        {
            break p;
        }
        assert!(tokio::time::Instant::now() < deadline, "never paused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        panic.reason_es,
        "Falta el token de WhatsApp: cargalo en Ajustes"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let j = job(&o, id).await;
    assert!(j.state.is_waiting(), "{:?}", j.state);
    assert_eq!(j.attempts, 0, "a missing token must not burn attempts");
    assert!(j.errors.is_empty());

    // The owner loads the token and resumes.
    configure_whatsapp(&env.store, &env.secrets, env.org, &env.sandbox, true).await;
    assert!(o.resume(env.org, Integration::WhatsApp).await.unwrap());
    let j = wait_state(&o, id, JobState::Completed).await;
    assert_eq!(j.attempts, 1);
    let history = o.panic_history(env.org, 10).await.unwrap();
    assert_eq!(history[0].event, "resolved");
    assert_eq!(history[0].actor.as_deref(), Some("owner"));
    assert_eq!(history[1].event, "triggered");
    assert_eq!(history[1].reason_code.as_deref(), Some("token_missing"));
    o.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_stops_the_dispatcher_visibly_and_loses_nothing() {
    use mostrador_core::activity::ActivityGate;
    use mostrador_core::outbound::{Outbound, Wiring};
    let env = env(true).await;
    let gate = ActivityGate::new();
    let o = Outbound::start(
        env.store.clone(),
        Wiring::new(env.secrets.clone(), gate.clone()),
        fast_config(),
    )
    .await
    .unwrap();
    // An update holds new sends back while we queue work and the disk "fills up".
    let hold = gate.hold_when_idle(|_| {}).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(enqueue(&o, text_job(env.org, CUSTOMER, &format!("n.º {i}"))).await);
    }
    sqlx::query("PRAGMA query_only = ON")
        .execute(env.store.writer())
        .await
        .unwrap();
    let mut status = o.status();
    drop(hold);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let error = loop {
        if let DispatcherStatus::Failed { error } = status.borrow_and_update().clone() {
            break error;
        }
        tokio::time::timeout_at(deadline, status.changed())
            .await
            .expect("the dispatcher did not stop")
            .unwrap();
    };
    assert_eq!(error.code, mostrador_core::ErrorCode::DatabaseReadOnly);
    assert!(error.message.contains("no se perdió"), "{}", error.message);
    assert!(accepted_callbacks(&env.sandbox).is_empty());
    // Nothing lost: every job still waits. One may have been put back as scheduled (the gate's
    // "not now") before the database turned read-only.
    for id in &ids {
        let state = job(&o, *id).await.state;
        assert!(
            matches!(state, JobState::Available | JobState::Scheduled),
            "{state:?}"
        );
    }
    o.shutdown().await;

    // Writable again: a restart sends everything, once.
    sqlx::query("PRAGMA query_only = OFF")
        .execute(env.store.writer())
        .await
        .unwrap();
    let o = start(&env, fast_config()).await;
    for id in &ids {
        wait_state(&o, *id, JobState::Completed).await;
    }
    assert_eq!(accepted_callbacks(&env.sandbox).len(), 3);
    o.shutdown().await;
}

/// Ajustes saved a new connection (here: another WhatsApp account): the engine must use it for
/// the very next send, not keep the cached client until its TTL ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_connection_is_used_at_once_after_credentials_changed() {
    let env = env(true).await;
    let o = start(&env, fast_config()).await;
    let first = enqueue(&o, text_job(env.org, CUSTOMER, "Hola")).await;
    wait_state(&o, first, JobState::Completed).await;

    let other = mostrador_sandbox::Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    customer(&other, CUSTOMER);
    configure_whatsapp(&env.store, &env.secrets, env.org, &other, true).await;
    o.credentials_changed(env.org);

    let second = enqueue(&o, text_job(env.org, CUSTOMER, "Hola otra vez")).await;
    wait_state(&o, second, JobState::Completed).await;
    assert_eq!(accepted_callbacks(&env.sandbox), vec![first.to_string()]);
    assert_eq!(accepted_callbacks(&other), vec![second.to_string()]);
    o.shutdown().await;
}
