//! The fallback chain end to end: a notice to a number the Graph simulator reports undeliverable
//! (131026) goes out as exactly one SMS, delivered, and the thread says why; when the SMS fails
//! too (30003), exactly one e-mail reaches the real SMTP server. A chat message is never a notice
//! and never falls back.

mod channels_support;

use std::collections::BTreeSet;

use channels_support::*;
use mostrador_core::channels::whatsapp::WhatsAppSend;
use mostrador_core::notifications::{self, NewNotice};
use mostrador_sandbox::twilio::TwilioConfigPatch;

fn notice(env: &Env) -> NewNotice {
    NewNotice {
        customer_id: env.customer_id,
        kind: "turno".into(),
        subject: "Tu turno de manana".into(),
        body: "Te esperamos manana a las 10.".into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeliverable_on_whatsapp_goes_once_by_sms_and_is_delivered() {
    // The customer is not on WhatsApp in the simulator: the send is accepted, then fails 131026.
    let env = env_with(Options {
        fallback: true,
        ..Default::default()
    })
    .await;
    let (notice_id, wa_job) =
        notifications::send_notice(&env.store, env.outbound().queue(), env.org, &notice(&env))
            .await
            .unwrap();
    env.until(
        &format!(
            "SELECT count(*) FROM notice_sends WHERE notice_id = {notice_id} AND channel = 'sms'"
        ),
        1i64,
    )
    .await;
    env.until(
        "SELECT status FROM messages WHERE channel = 'sms' AND direction = 'out'",
        "delivered".to_owned(),
    )
    .await;
    assert_eq!(env.sandbox.twilio.messages().len(), 1, "exactly one SMS");
    let wa_status: String = env
        .scalar(&format!(
            "SELECT status FROM messages WHERE job_id = {}",
            wa_job.0
        ))
        .await;
    assert_eq!(wa_status, "failed");
    let note: String = env
        .scalar("SELECT fallback_note FROM messages WHERE channel = 'sms'")
        .await;
    assert!(
        note.starts_with("enviado por SMS porque WhatsApp falló: "),
        "{note}"
    );
    let parent: i64 = env
        .scalar("SELECT parent_id FROM jobs WHERE kind = 'sms.send'")
        .await;
    assert_eq!(parent, wa_job.0, "the SMS is the WhatsApp job's child");
    // No e-mail step: SMS worked.
    let steps: i64 = env
        .scalar(&format!(
            "SELECT count(*) FROM notice_sends WHERE notice_id = {notice_id}"
        ))
        .await;
    assert_eq!(steps, 2);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_failing_too_sends_exactly_one_email() {
    let Some(smtp) = smtp() else { return };
    let env = env_with(Options {
        fallback: true,
        ..Default::default()
    })
    .await;
    smtp.configure(&env).await;
    let to = unique_address();
    sqlx::query("UPDATE customers SET email = ? WHERE id = ?")
        .bind(&to)
        .bind(env.customer_id)
        .execute(env.store.writer())
        .await
        .unwrap();
    env.sandbox.twilio.configure(TwilioConfigPatch {
        undeliverable: Some(BTreeSet::from([format!("+{CUSTOMER_PHONE}")])),
        ..Default::default()
    });
    let (notice_id, _) =
        notifications::send_notice(&env.store, env.outbound().queue(), env.org, &notice(&env))
            .await
            .unwrap();
    let mails = smtp.wait_received(&to, 1).await;
    assert!(mails[0].contains("Te esperamos"));
    env.until(
        &format!(
            "SELECT state FROM jobs j JOIN notice_sends n ON n.job_id = j.id
             WHERE n.notice_id = {notice_id} AND n.channel = 'email'"
        ),
        "completed".to_owned(),
    )
    .await;
    let note: String = env
        .scalar("SELECT fallback_note FROM messages WHERE channel = 'email'")
        .await;
    assert!(
        note.starts_with("enviado por correo porque SMS falló: "),
        "{note}"
    );
    // Redeliveries of the failed statuses change nothing: still one of each.
    env.outbound().maintain().await.unwrap();
    assert_eq!(smtp.received_for(&to).len(), 1, "exactly one e-mail");
    assert_eq!(env.sandbox.twilio.messages().len(), 1, "exactly one SMS");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_reply_never_falls_back() {
    let env = env_with(Options {
        fallback: true,
        ..Default::default()
    })
    .await;
    // The owner's chat message: a plain whatsapp.send job, no notice behind it.
    let job = env
        .outbound()
        .queue()
        .enqueue(
            &WhatsAppSend::text(CUSTOMER_PHONE, "Hola, ¿cómo estás?")
                .job(env.org, chrono::Utc::now())
                .unwrap(),
        )
        .await
        .unwrap()
        .id();
    env.until(
        &format!("SELECT state FROM jobs WHERE id = {}", job.0),
        "completed".to_owned(),
    )
    .await;
    // Its 131026 failure comes back as a status; wait until it is processed.
    env.until(
        "SELECT count(*) FROM inbox_raw WHERE provider = 'whatsapp' AND status = 'processed'",
        1i64,
    )
    .await;
    let others: i64 = env
        .scalar("SELECT count(*) FROM jobs WHERE kind <> 'whatsapp.send'")
        .await;
    assert_eq!(others, 0);
    assert!(env.sandbox.twilio.messages().is_empty());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_waiting_behind_panic_mode_moves_to_sms() {
    let env = env_with(Options {
        fallback: true,
        ..Default::default()
    })
    .await;
    // The token is revoked: the first send (a chat message) trips panic mode at once (190).
    env.sandbox.whatsapp.expire_token(true);
    env.outbound()
        .queue()
        .enqueue(
            &WhatsAppSend::text(CUSTOMER_PHONE, "Hola")
                .job(env.org, chrono::Utc::now())
                .unwrap(),
        )
        .await
        .unwrap();
    env.until(
        "SELECT count(*) FROM outbound_panic WHERE integration = 'whatsapp'",
        1i64,
    )
    .await;
    let (notice_id, wa_job) =
        notifications::send_notice(&env.store, env.outbound().queue(), env.org, &notice(&env))
            .await
            .unwrap();
    let fallback = env.fallback.clone().unwrap();
    assert_eq!(fallback.sweep().await.unwrap(), 1);
    assert_eq!(fallback.sweep().await.unwrap(), 0, "moved once");
    let state: String = env
        .scalar(&format!("SELECT state FROM jobs WHERE id = {}", wa_job.0))
        .await;
    assert_eq!(state, "cancelled");
    env.until(
        "SELECT status FROM messages WHERE channel = 'sms' AND direction = 'out'",
        "delivered".to_owned(),
    )
    .await;
    let reason: String = env
        .scalar(&format!(
            "SELECT reason FROM notice_sends WHERE notice_id = {notice_id} AND step = 0"
        ))
        .await;
    assert!(!reason.is_empty());
    assert_eq!(env.sandbox.twilio.messages().len(), 1);
    env.stop().await;
}
