//! The processor's guarantees, through a real relay: batches with several entries and changes,
//! duplicates, statuses out of order and failed, statuses before their message, job evidence,
//! BSUID-only contacts, number changes, templates, forged/missing signatures and foreign numbers
//! quarantined, one broken item not stopping the others. Needs the keychain (dbus-run-session).

mod conversations_support;

use conversations_support::*;
use mostrador_core::conversations::{self, MessageStatus, NewMessage};
use mostrador_core::customers;
use mostrador_core::intake::{evidence::EvidenceFuture, JobEvidence, JobStatusEvidence};
use mostrador_core::org::OrgId;
use serde_json::json;
use std::sync::{Arc, Mutex};

fn text(from: &str, id: &str, body: &str, ts: i64) -> serde_json::Value {
    json!({ "from": from, "id": id, "timestamp": ts.to_string(), "type": "text", "text": { "body": body } })
}

fn contact(wa_id: &str, name: &str) -> serde_json::Value {
    json!({ "profile": { "name": name }, "wa_id": wa_id })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_duplicates_and_a_broken_item() {
    let mut p = pipeline().await;
    // Two entries, three changes, two customers, plus one unreadable message and one whose
    // phone number id is another business's.
    let v1 = p.value(json!({ "contacts": [contact("5491111111111", "Ana")],
        "messages": [text("5491111111111", "wamid.A1", "uno", 1767225600), text("5491111111111", "wamid.A2", "dos", 1767225601),
                     { "type": "text", "text": { "body": "sin id" } }] }));
    let v2 = p.value(json!({ "contacts": [contact("5493511234567", "Beto")],
        "messages": [text("5493511234567", "wamid.B1", "hola desde Córdoba", 1767225602)] }));
    let mut foreign = p.value(json!({ "contacts": [contact("5491122222222", "Intruso")],
        "messages": [text("5491122222222", "wamid.X1", "no es de este negocio", 1767225603)] }));
    foreign["metadata"]["phone_number_id"] = json!("999999999");
    let v3 = p.value(json!({ "contacts": [contact("5491111111111", "Ana")],
        "messages": [text("5491111111111", "wamid.A3", "tres", 1767225604)] }));
    let body = envelope(vec![
        entry(vec![messages_change(v1), messages_change(v2)]),
        entry(vec![messages_change(foreign), messages_change(v3)]),
    ]);
    p.post_signed(&body).await;

    assert_eq!(p.count("SELECT count(*) FROM messages").await, 4);
    assert_eq!(p.count("SELECT count(*) FROM customers").await, 2);
    assert_eq!(
        p.count("SELECT count(*) FROM messages WHERE provider_id = 'wamid.X1'")
            .await,
        0
    );
    let (status, reason) = p.raw_statuses().await.pop().unwrap();
    assert_eq!(status, "processed");
    let reason = reason.unwrap();
    assert!(
        reason.contains("otro número") && reason.contains("messages[2]"),
        "{reason}"
    );
    let unread_before: i64 = p.count("SELECT sum(unread_count) FROM conversations").await;
    assert_eq!(unread_before, 4);

    // The same payload again (Meta's retry): nothing new, unread unchanged.
    p.post_signed(&body).await;
    assert_eq!(p.count("SELECT count(*) FROM messages").await, 4);
    assert_eq!(
        p.count("SELECT sum(unread_count) FROM conversations").await,
        unread_before
    );
    assert_eq!(p.raw_statuses().await.len(), 2);

    // Order within the thread is by time; the list shows the newest activity first.
    let page = conversations::list_page(&p.store, p.org, &Default::default(), None, 1)
        .await
        .unwrap();
    assert_eq!(page.conversations[0].customer_name, "Ana");
    assert_eq!(
        page.conversations[0].last_message_preview.as_deref(),
        Some("tres")
    );
    let next =
        conversations::list_page(&p.store, p.org, &Default::default(), page.next.as_ref(), 1)
            .await
            .unwrap();
    assert_eq!(next.conversations[0].customer_name, "Beto");
    assert!(next.next.is_none());
    p.stop().await;
}

#[derive(Default)]
struct Hook(Mutex<Vec<(OrgId, JobStatusEvidence)>>);

impl JobEvidence for Hook {
    fn job_status<'a>(&'a self, org: OrgId, evidence: JobStatusEvidence) -> EvidenceFuture<'a> {
        self.0.lock().unwrap().push((org, evidence));
        Box::pin(async { Ok(()) })
    }
}

fn status(id: &str, s: &str, ts: i64) -> serde_json::Value {
    json!({ "id": id, "status": s, "timestamp": ts.to_string(), "recipient_id": "5491111111111" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_out_of_order_failed_and_before_their_message() {
    let mut p = pipeline().await;
    let hook = Arc::new(Hook::default());
    // Restart the processor with the evidence hook.
    p.proc.take().unwrap().stop().await;
    p.processor = p.processor.clone().with_evidence(hook.clone());
    p.proc = Some(
        p.processor
            .spawn(p.org, p.inbox.as_ref().unwrap().committed()),
    );

    // A customer and two messages we sent (as the outbound engine records them).
    let v = p.value(json!({ "contacts": [contact("5491111111111", "Ana")], "messages": [text("5491111111111", "wamid.IN", "hola", 1767225600)] }));
    p.post_signed(&envelope(vec![entry(vec![messages_change(v)])]))
        .await;
    let customer = customers::list(p.store.reader(), p.org).await.unwrap()[0].id;
    let out = |pid: &'static str, job: i64| NewMessage {
        provider_id: Some(pid),
        kind: "text",
        text: Some("respuesta"),
        job_id: Some(job),
        status: Some(MessageStatus::Sent),
        at: "2026-01-01T00:01:00.000Z",
        ..Default::default()
    };
    let mut tx = p.store.begin_immediate().await.unwrap();
    let (m1, _) = conversations::record_outbound(&mut tx, p.org, customer, out("wamid.OUT1", 41))
        .await
        .unwrap();
    let (m2, _) = conversations::record_outbound(&mut tx, p.org, customer, out("wamid.OUT2", 42))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // read, delivered, sent — in that order, each its own webhook.
    for (s, ts) in [
        ("read", 1767225903),
        ("delivered", 1767225902),
        ("sent", 1767225901),
    ] {
        let mut st = status("wamid.OUT1", s, ts);
        st["biz_opaque_callback_data"] = json!("41");
        p.post_signed(&envelope(vec![entry(vec![messages_change(
            p.value(json!({ "statuses": [st] })),
        )])]))
        .await;
    }
    let history = conversations::status_history(&p.store, p.org, m1)
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
        ["read", "delivered", "sent"]
    );
    let thread = p.thread(p.only_conversation().await).await;
    let msg1 = thread.iter().find(|m| m.id == m1).unwrap();
    assert_eq!(msg1.status, MessageStatus::Read);
    // The same status again is a duplicate: no new history row.
    p.post_signed(&envelope(vec![entry(vec![messages_change(p.value(
        json!({ "statuses": [status("wamid.OUT1", "delivered", 1767225902)] }),
    ))])]))
    .await;
    assert_eq!(
        conversations::status_history(&p.store, p.org, m1)
            .await
            .unwrap()
            .len(),
        3
    );

    // Failed, with Meta's code explained in Spanish; a later `sent` does not undo it.
    let mut failed = status("wamid.OUT2", "failed", 1767225910);
    failed["errors"] = json!([{ "code": 131047, "title": "Re-engagement message", "error_data": { "details": "more than 24h" } }]);
    p.post_signed(&envelope(vec![entry(vec![messages_change(p.value(
        json!({ "statuses": [failed, status("wamid.OUT2", "sent", 1767225911)] }),
    ))])]))
    .await;
    let thread = p.thread(p.only_conversation().await).await;
    let msg2 = thread.iter().find(|m| m.id == m2).unwrap();
    assert_eq!(msg2.status, MessageStatus::Failed);
    assert_eq!(msg2.error_code, Some(131047));
    assert!(msg2.error_reason.as_deref().unwrap().contains("24 h"));
    // A later `delivered` proves it arrived after all.
    p.post_signed(&envelope(vec![entry(vec![messages_change(p.value(
        json!({ "statuses": [status("wamid.OUT2", "delivered", 1767225920)] }),
    ))])]))
    .await;
    let thread = p.thread(p.only_conversation().await).await;
    assert_eq!(
        thread.iter().find(|m| m.id == m2).unwrap().status,
        MessageStatus::Delivered
    );

    // Statuses before their message are kept, then applied when it is recorded.
    p.post_signed(&envelope(vec![entry(vec![messages_change(p.value(json!({ "statuses": [status("wamid.OUT3", "delivered", 1767225930), status("wamid.OUT3", "sent", 1767225929)] })))])])).await;
    assert_eq!(p.count("SELECT count(*) FROM pending_statuses").await, 2);
    let mut tx = p.store.begin_immediate().await.unwrap();
    let (m3, events) = conversations::record_outbound(
        &mut tx,
        p.org,
        customer,
        NewMessage {
            status: None,
            ..out("wamid.OUT3", 43)
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(events.iter().any(|e| matches!(
        e,
        mostrador_core::events::ConversationEvent::StatusChanged {
            status: MessageStatus::Delivered,
            ..
        }
    )));
    assert_eq!(p.count("SELECT count(*) FROM pending_statuses").await, 0);
    let thread = p.thread(p.only_conversation().await).await;
    assert_eq!(
        thread.iter().find(|m| m.id == m3).unwrap().status,
        MessageStatus::Delivered
    );

    // The job hook got the evidence of job 41, once per distinct status.
    let got = hook.0.lock().unwrap().clone();
    assert_eq!(
        got.iter()
            .filter(|(o, e)| *o == p.org && e.job_id == 41 && e.provider_id == "wamid.OUT1")
            .count(),
        3
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bsuid_only_contact_number_change_and_templates() {
    let mut p = pipeline().await;
    // A user with a username: no wa_id anywhere, only the BSUID.
    let v = p.value(json!({
        "contacts": [{ "profile": { "name": "Caro", "username": "caro.ok" }, "user_id": "AR.13491208655302741918" }],
        "messages": [{ "from_user_id": "AR.13491208655302741918", "id": "wamid.U1", "timestamp": "1767225600", "type": "text", "text": { "body": "hola sin número" } }] }));
    p.post_signed(&envelope(vec![entry(vec![messages_change(v)])]))
        .await;
    let cs = customers::list(p.store.reader(), p.org).await.unwrap();
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].wa_id, None);
    assert_eq!(cs[0].bsuid.as_deref(), Some("AR.13491208655302741918"));
    assert_eq!(cs[0].username.as_deref(), Some("caro.ok"));
    // Later she writes with her number too: same customer, number filled in.
    let v = p.value(json!({
        "contacts": [{ "profile": { "name": "Caro" }, "wa_id": "5492966123456", "user_id": "AR.13491208655302741918" }],
        "messages": [{ "from": "5492966123456", "from_user_id": "AR.13491208655302741918", "id": "wamid.U2", "timestamp": "1767225601", "type": "text", "text": { "body": "ahora con número" } }] }));
    p.post_signed(&envelope(vec![entry(vec![messages_change(v)])]))
        .await;
    let cs = customers::list(p.store.reader(), p.org).await.unwrap();
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].wa_id.as_deref(), Some("5492966123456"));
    assert_eq!(cs[0].username.as_deref(), Some("caro.ok"));

    // A number change through the simulator: the conversation continues under the new number.
    p.customer("5491133334444", "Dani");
    p.customer_sends(
        "5491133334444",
        json!({"type":"text","text":{"body":"antes"}}),
    )
    .await;
    p.customer_sends("5491133334444", json!({"type":"system","system":{"type":"user_changed_number","body":"Dani cambió de número","wa_id":"5491155556666"}})).await;
    p.customer("5491155556666", "Dani");
    p.customer_sends(
        "5491155556666",
        json!({"type":"text","text":{"body":"después"}}),
    )
    .await;
    let cs = customers::list(p.store.reader(), p.org).await.unwrap();
    assert_eq!(cs.len(), 2, "{cs:?}");
    let dani = cs
        .iter()
        .find(|c| c.name.as_deref() == Some("Dani"))
        .unwrap();
    assert_eq!(dani.wa_id.as_deref(), Some("5491155556666"));
    let convs: Vec<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE customer_id = ?")
        .bind(dani.id)
        .fetch_all(p.store.reader())
        .await
        .unwrap();
    assert_eq!(convs.len(), 1);
    let kinds: Vec<String> = p
        .thread(convs[0])
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["text", "system", "text"]);

    // Template status / quality / category updates.
    let t = |field: &str, value: serde_json::Value| json!({ "field": field, "value": value });
    p.post_signed(&envelope(vec![entry(vec![
        t("message_template_status_update", json!({ "event": "APPROVED", "message_template_id": 77, "message_template_name": "pedido_listo", "message_template_language": "es_AR", "message_template_category": "UTILITY", "reason": "NONE" })),
        t("message_template_quality_update", json!({ "message_template_id": 77, "message_template_name": "pedido_listo", "message_template_language": "es_AR", "previous_quality_score": "GREEN", "new_quality_score": "YELLOW" })),
        t("template_category_update", json!({ "message_template_id": 77, "message_template_name": "pedido_listo", "message_template_language": "es_AR", "previous_category": "UTILITY", "new_category": "MARKETING" })),
    ])])).await;
    let row: (String, String, String, Option<String>) = sqlx::query_as(
        "SELECT status, category, quality, reason FROM templates WHERE name = 'pedido_listo'",
    )
    .fetch_one(p.store.reader())
    .await
    .unwrap();
    assert_eq!(
        row,
        ("APPROVED".into(), "MARKETING".into(), "YELLOW".into(), None)
    );
    p.post_signed(&envelope(vec![entry(vec![t("message_template_status_update", json!({ "event": "REJECTED", "message_template_name": "pedido_listo", "message_template_language": "es_AR", "reason": "PROMOTIONAL" }))])])).await;
    let row: (String, Option<String>) =
        sqlx::query_as("SELECT status, reason FROM templates WHERE name = 'pedido_listo'")
            .fetch_one(p.store.reader())
            .await
            .unwrap();
    assert_eq!(row, ("REJECTED".into(), Some("PROMOTIONAL".into())));
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_missing_and_foreign_are_quarantined() {
    let mut p = pipeline().await;
    let v = p.value(json!({ "contacts": [contact("5491111111111", "Ana")], "messages": [text("5491111111111", "wamid.F1", "falso", 1767225600)] }));
    let body =
        mostrador_sandbox::whatsapp::to_meta_json(&envelope(vec![entry(vec![messages_change(v)])]));
    let forged = mostrador_sandbox::whatsapp::sign("not-the-app-secret", &body);
    p.post_raw(&body, Some(&forged)).await;
    p.post_raw(&body, None).await;
    p.post_raw(&body, Some("sha256=zz")).await;
    let mut foreign = p.value(json!({ "contacts": [contact("5491111111111", "Ana")], "messages": [text("5491111111111", "wamid.F2", "otro número", 1767225600)] }));
    foreign["metadata"]["phone_number_id"] = json!("31337");
    p.post_signed(&envelope(vec![entry(vec![messages_change(foreign)])]))
        .await;

    let raw = p.raw_statuses().await;
    assert_eq!(raw.len(), 4);
    assert!(raw.iter().all(|(s, _)| s == "quarantined"), "{raw:?}");
    assert!(raw[0].1.as_deref().unwrap().contains("no coincide"));
    assert!(raw[1].1.as_deref().unwrap().contains("Sin firma"));
    assert!(raw[2].1.as_deref().unwrap().contains("mal formada"));
    assert!(raw[3].1.as_deref().unwrap().contains("otro número"));
    assert_eq!(p.count("SELECT count(*) FROM messages").await, 0);
    assert_eq!(p.count("SELECT count(*) FROM customers").await, 0);
    assert_eq!(p.count("SELECT count(*) FROM conversations").await, 0);

    // The authentic one still goes through.
    p.post_signed(&envelope(vec![entry(vec![messages_change(p.value(json!({ "contacts": [contact("5491111111111", "Ana")], "messages": [text("5491111111111", "wamid.OK", "real", 1767225600)] })))])])).await;
    assert_eq!(p.count("SELECT count(*) FROM messages").await, 1);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_bug_leaves_the_row_failed_and_a_retry_after_the_fix_applies_it_once() {
    let mut p = pipeline().await;
    // Simulate a bug that breaks one kind of item.
    sqlx::query("CREATE TRIGGER boom BEFORE INSERT ON messages WHEN new.text = 'boom' BEGIN SELECT RAISE(ABORT, 'simulated bug'); END")
        .execute(p.store.writer())
        .await
        .unwrap();
    let v = p.value(json!({ "contacts": [contact("5491111111111", "Ana")],
        "messages": [text("5491111111111", "wamid.G1", "antes", 1767225600),
                     text("5491111111111", "wamid.G2", "boom", 1767225601),
                     text("5491111111111", "wamid.G3", "después", 1767225602)] }));
    p.post_signed(&envelope(vec![entry(vec![messages_change(v)])]))
        .await;
    let (status, reason) = p.raw_statuses().await.pop().unwrap();
    assert_eq!(status, "failed");
    let reason = reason.unwrap();
    assert!(
        reason.contains("messages[1]") && reason.contains("simulated bug"),
        "{reason}"
    );
    // The other items of the batch were applied.
    assert_eq!(p.count("SELECT count(*) FROM messages").await, 2);
    assert_eq!(p.count("SELECT unread_count FROM conversations").await, 2);

    // "The fix ships": the failed row goes back to new and only the missing item is applied.
    sqlx::query("DROP TRIGGER boom")
        .execute(p.store.writer())
        .await
        .unwrap();
    assert_eq!(p.processor.retry_failed(p.org).await.unwrap(), 1);
    p.processor.drain(p.org).await.unwrap();
    assert_eq!(p.raw_statuses().await.pop().unwrap().0, "processed");
    assert_eq!(p.count("SELECT count(*) FROM messages").await, 3);
    assert_eq!(p.count("SELECT unread_count FROM conversations").await, 3);
    let kinds: Vec<String> = p
        .thread(p.only_conversation().await)
        .await
        .into_iter()
        .map(|m| m.text.unwrap())
        .collect();
    assert_eq!(kinds, ["antes", "boom", "después"]);
    p.stop().await;
}
