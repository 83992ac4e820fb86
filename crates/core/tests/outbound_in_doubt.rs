//! In-doubt sends against the simulator: WhatsApp accepts and the connection drops (MaybeSent).
//! The job is never resent automatically; a signed status webhook naming the job resolves it,
//! and without evidence the owner is asked, with the risk stated.

mod outbound_support;

use std::time::Duration;

use mostrador_core::outbound::{CallbackEvidence, Resolution};
use mostrador_queue::JobState;
use mostrador_sandbox::whatsapp::{Fault, FaultKind};
use outbound_support::*;

/// The status webhooks the simulator emitted for `callback`: (wamid, status).
fn statuses_for(env: &Env, callback: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for w in env.sandbox.whatsapp.webhooks() {
        let body = mostrador_sandbox::whatsapp::to_meta_json(&w.body);
        let n = mostrador_whatsapp::webhook::parse(&body).unwrap();
        for s in n.statuses() {
            if s.status.callback_data.as_deref() == Some(callback) {
                out.push((
                    s.status.id.as_str().to_owned(),
                    format!("{:?}", s.status.status).to_lowercase(),
                ));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maybe_sent_is_in_doubt_until_a_status_webhook_names_the_job() {
    let env = env(true).await;
    env.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::DropConnection).on_path("/messages"));
    let mut cfg = fast_config();
    cfg.in_doubt_wait = Duration::ZERO;
    let o = start(&env, cfg).await;
    let id = enqueue(&o, text_job(env.org, CUSTOMER, "Tu pedido está listo")).await;
    let j = wait_state(&o, id, JobState::InDoubt).await;
    assert_eq!(j.errors[0].class, "maybe_sent");
    // Never resent by itself, whatever the backoff.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(job(&o, id).await.state, JobState::InDoubt);
    assert_eq!(accepted_callbacks(&env.sandbox), vec![id.to_string()]);

    // The owner would be asked (no evidence yet), with the risk stated.
    let ask = o.in_doubt_for_owner(env.org).await.unwrap();
    assert_eq!(ask.len(), 1);
    assert!(ask[0].risk_es.contains("dos veces"));

    // The "sent" status webhook carries the job id: resolved, without a resend.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let (wamid, status) = loop {
        if let Some(s) = statuses_for(&env, &id.to_string()).into_iter().next() {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline, "no status webhook");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let evidence = CallbackEvidence {
        provider_id: wamid,
        status,
    };
    assert_eq!(
        o.resolve_by_callback(env.org, id, &evidence).await.unwrap(),
        Resolution::Resolved
    );
    // Meta retries webhooks: the same evidence again changes nothing.
    assert_eq!(
        o.resolve_by_callback(env.org, id, &evidence).await.unwrap(),
        Resolution::AlreadyFinished
    );
    assert_eq!(job(&o, id).await.state, JobState::Completed);
    assert!(o.in_doubt_for_owner(env.org).await.unwrap().is_empty());
    assert_eq!(accepted_callbacks(&env.sandbox).len(), 1);
    o.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_evidence_the_owner_resends_or_discards() {
    let env = env(true).await;
    env.sandbox.whatsapp.inject(
        Fault::new(FaultKind::DropConnection)
            .times(2)
            .on_path("/messages"),
    );
    let mut cfg = fast_config();
    cfg.in_doubt_wait = Duration::ZERO;
    let o = start(&env, cfg).await;
    let a = enqueue(&o, text_job(env.org, CUSTOMER, "uno")).await;
    wait_state(&o, a, JobState::InDoubt).await;
    let b = enqueue(&o, text_job(env.org, CUSTOMER, "dos")).await;
    wait_state(&o, b, JobState::InDoubt).await;
    let ask = o.in_doubt_for_owner(env.org).await.unwrap();
    assert_eq!(ask.len(), 2);

    o.resend_in_doubt(a).await.unwrap();
    wait_state(&o, a, JobState::Completed).await;
    o.discard_in_doubt(b).await.unwrap();
    assert_eq!(job(&o, b).await.state, JobState::Cancelled);
    // Deciding twice is refused with a clear code.
    let err: mostrador_core::AppError = o.discard_in_doubt(b).await.unwrap_err().into();
    assert_eq!(err.code, mostrador_core::ErrorCode::JobStateConflict);
    // A webhook for a job of another organization is ignored.
    let other = mostrador_core::org::OrgId::new();
    let r = o
        .resolve_by_callback(
            other,
            a,
            &CallbackEvidence {
                provider_id: "wamid.x".into(),
                status: "sent".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(r, Resolution::UnknownJob);
    o.shutdown().await;
}
