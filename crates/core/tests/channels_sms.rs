//! SMS end to end: the `sms.send` job through the Twilio simulator, its signed status callbacks
//! through the relay to the processor (delivered shown on the message), an inbound BAJA that
//! opts the customer out, and forged / unsigned callbacks quarantined.

mod channels_support;

use channels_support::*;
use mostrador_core::channels::sms::{self, SmsError, SmsRequest};
use mostrador_queue::JobState;
use mostrador_sandbox::twilio::InboundSmsRequest;

async fn queue_sms(env: &Env, body: &str) -> Result<mostrador_queue::JobId, SmsError> {
    let o = env.outbound();
    let mut tx = env.store.begin_immediate().await.unwrap();
    let r = sms::enqueue_in(
        &mut tx,
        o.queue(),
        env.org,
        SmsRequest {
            customer_id: env.customer_id,
            body,
            unique_key: None,
            parent: None,
            fallback_note: None,
        },
    )
    .await;
    match r {
        Ok((id, wake, _, _)) => {
            tx.commit().await.unwrap();
            wake.after_commit();
            Ok(id)
        }
        Err(e) => Err(e),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_is_sent_delivered_and_baja_opts_out() {
    let env = env().await;
    let job = queue_sms(&env, "Hola Ana, tu pedido está listo.")
        .await
        .unwrap();

    // Accepted by the simulator, then sent + delivered callbacks come back signed via the relay.
    env.until(
        &format!("SELECT state FROM jobs WHERE id = {}", job.0),
        "completed".to_owned(),
    )
    .await;
    env.until(
        &format!(
            "SELECT status FROM messages WHERE job_id = {} AND channel = 'sms'",
            job.0
        ),
        "delivered".to_owned(),
    )
    .await;
    let sent = env.sandbox.twilio.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, format!("+{CUSTOMER_PHONE}"));
    assert_eq!(sent[0].from.as_deref(), Some(SHOP_SMS));
    let cbs = env.sandbox.twilio.callbacks();
    assert!(
        cbs.iter()
            .all(|c| c.url == format!("{}?job={}", env.twilio_ingress, job.0)),
        "{cbs:?}"
    );
    let sid: String = env
        .scalar(&format!(
            "SELECT provider_id FROM messages WHERE job_id = {}",
            job.0
        ))
        .await;
    assert_eq!(sid, sent[0].sid);
    let history: i64 = env
        .scalar(&format!(
            "SELECT count(*) FROM message_status_history WHERE provider_id = '{sid}'"
        ))
        .await;
    assert_eq!(history, 2, "sent + delivered");
    // Evidence for the job came from the callback too.
    let j = env.outbound().queue().get(job).await.unwrap().unwrap();
    assert_eq!(j.state, JobState::Completed);

    // The customer answers BAJA: stored in the same conversation as an SMS, and opted out.
    let (_, delivery) = env
        .sandbox
        .twilio
        .customer_sends(InboundSmsRequest {
            from: format!("+{CUSTOMER_PHONE}"),
            to: SHOP_SMS.into(),
            body: " Baja ".into(),
        })
        .await;
    assert_eq!(delivery, Some(200));
    env.until(
        &format!(
            "SELECT sms_opted_out FROM customers WHERE id = {}",
            env.customer_id
        ),
        1i64,
    )
    .await;
    let convs: i64 = env
        .scalar("SELECT count(DISTINCT conversation_id) FROM messages")
        .await;
    assert_eq!(convs, 1, "SMS live in the customer's one conversation");
    let inbound: i64 = env
        .scalar("SELECT count(*) FROM messages WHERE direction = 'in' AND channel = 'sms'")
        .await;
    assert_eq!(inbound, 1);
    // A later SMS is refused at entry.
    assert!(matches!(
        queue_sms(&env, "¿Seguís ahí?").await,
        Err(SmsError::OptedOut)
    ));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_unsigned_twilio_callbacks_are_quarantined() {
    let env = env().await;
    let http = reqwest::Client::new();
    let form = [
        ("MessageSid", "SM00000000000000000000000000000099"),
        ("AccountSid", "AC00000000000000000000000000000001"),
        ("From", "+5491122334455"),
        ("To", SHOP_SMS),
        ("Body", "hola"),
        ("SmsStatus", "received"),
    ];
    let params: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // Signed with another token (forged), then unsigned, then signed right but altered.
    let forged = mostrador_twilio::sign("not-the-token", &env.twilio_ingress, &params);
    let good = mostrador_twilio::sign(
        &env.sandbox.twilio.account().auth_token,
        &env.twilio_ingress,
        &params,
    );
    let mut altered = params.clone();
    altered[4].1 = "chau".into();
    for (sig, body) in [
        (Some(forged), &params),
        (None, &params),
        (Some(good), &altered),
    ] {
        let mut req = http.post(&env.twilio_ingress).form(body);
        if let Some(s) = sig {
            req = req.header("x-twilio-signature", s);
        }
        let r = req.send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    env.processed(3).await;
    let quarantined: i64 = env
        .scalar(
            "SELECT count(*) FROM inbox_raw WHERE provider = 'twilio' AND status = 'quarantined'",
        )
        .await;
    assert_eq!(quarantined, 3);
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT status_reason FROM inbox_raw WHERE provider = 'twilio' ORDER BY relay_seq",
    )
    .fetch_all(env.store.reader())
    .await
    .unwrap();
    assert!(reasons[1].contains("Sin firma"), "{reasons:?}");
    let messages: i64 = env.scalar("SELECT count(*) FROM messages").await;
    assert_eq!(messages, 0, "nothing applied");
    env.stop().await;
}

#[test]
fn segments_are_shown_for_the_real_encoding() {
    let m = sms::measure("Tu turno es mañana a las 10");
    assert_eq!((m.encoding.as_str(), m.segments), ("gsm7", 1));
    let m = sms::measure(&format!("Recordá {}", "x".repeat(70)));
    assert_eq!((m.encoding.as_str(), m.segments), ("ucs2", 2));
}
