//! Plantillas over the whole pipeline on real HTTP: the Graph simulator (templates, review
//! webhooks, resumable uploads) → relay → inbox → processor, a real SQLite file, the token in the
//! real keychain (run under `dbus-run-session`), and the real outbound engine for sends.

mod conversations_support;
mod outbound_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mostrador_core::conversations::MessageStatus;
use mostrador_core::templates::{
    self, ContextField, SendTemplate, SuggestedOutcome, TemplateContext, TemplateError,
    TemplateView, APP_ID,
};
use mostrador_core::{settings, AppError, ErrorCode};
use mostrador_queue::JobState;
use mostrador_sandbox::whatsapp::{
    ConfigPatch, NewSimTemplate, TemplateQualityChange, TemplateReview, TemplateStatusChange,
};
use serde_json::json;

use conversations_support::Pipeline;
use outbound_support::{fast_config, start_on, wait_state, CUSTOMER};

async fn world() -> Pipeline {
    let p = conversations_support::pipeline().await;
    outbound_support::configure_whatsapp(&p.store, &p.secrets, p.org, &p.sandbox, true).await;
    settings::set(
        &p.store,
        Some(p.org),
        APP_ID,
        &p.sandbox.whatsapp.account().app_id,
    )
    .await
    .unwrap();
    p
}

/// Waits (bounded) until the stored template satisfies `f`: webhooks travel through the relay.
async fn wait_template(
    p: &Pipeline,
    name: &str,
    what: &str,
    f: impl Fn(&TemplateView) -> bool,
) -> TemplateView {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(t) = templates::get(&p.store, p.org, name, "es_AR").await {
            if f(&t) {
                return t;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "template {name} never got {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sync_reads_every_page_with_progress_and_webhooks_keep_it_live() {
    let p = world().await;
    for i in 0..230 {
        p.sandbox.whatsapp.add_template(NewSimTemplate {
            name: format!("aviso_{i:03}"),
            language: "es_AR".into(),
            status: "APPROVED".into(),
            category: "UTILITY".into(),
            parameter_format: "POSITIONAL".into(),
            components: vec![json!({"type": "BODY", "text": "Hola {{1}}, tu aviso.",
                "example": {"body_text": [["Ana"]]}})],
        });
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let out = templates::sync(&p.store, &p.secrets, p.org, move |pr| {
        s.lock().unwrap().push(pr)
    })
    .await
    .unwrap();
    // 230 added + the simulator's 5 seeded templates, in three pages of 100.
    assert_eq!(out.total, 235);
    assert_eq!(out.added, 235);
    let seen = seen.lock().unwrap().clone();
    let fetched: Vec<u32> = seen.iter().map(|x| x.fetched).collect();
    assert_eq!(fetched, [100, 200, 235, 235], "{seen:?}");
    assert!(seen.last().unwrap().done && !seen[2].done);
    let all = templates::list(&p.store, p.org).await.unwrap();
    assert_eq!(all.len(), 235);
    let named = all.iter().find(|t| t.name == "bienvenida").unwrap();
    assert_eq!(named.parameter_format.as_deref(), Some("NAMED"));
    assert_eq!(
        named.mapping.get("body.first_name"),
        Some(&ContextField::CustomerName),
        "named variables are mapped by their name"
    );
    let paused = all.iter().find(|t| t.name == "promo_pausada").unwrap();
    assert!(!paused.sendable);

    // Live: a rejection with its reason in Spanish, then a quality change.
    assert!(p
        .sandbox
        .whatsapp
        .set_template_status(TemplateStatusChange {
            name: "aviso_007".into(),
            language: "es_AR".into(),
            status: "REJECTED".into(),
            reason: Some("INVALID_FORMAT".into()),
        }));
    let t = wait_template(&p, "aviso_007", "REJECTED", |t| {
        t.status.as_deref() == Some("REJECTED")
    })
    .await;
    assert_eq!(t.reason.as_deref(), Some("INVALID_FORMAT"));
    assert!(t.reason_es.as_deref().unwrap().contains("formato"));
    assert!(!t.sendable);
    assert!(p
        .sandbox
        .whatsapp
        .set_template_quality(TemplateQualityChange {
            name: "aviso_008".into(),
            language: "es_AR".into(),
            quality_score: "YELLOW".into(),
        }));
    wait_template(&p, "aviso_008", "YELLOW", |t| {
        t.quality.as_deref() == Some("YELLOW")
    })
    .await;

    // A template deleted at Meta disappears at the next sync.
    let client = reqwest::Client::new();
    let a = p.sandbox.whatsapp.account();
    let r = client
        .delete(format!(
            "{}/{}/{}/message_templates?name=aviso_000",
            p.sandbox.graph_url(),
            mostrador_whatsapp::DEFAULT_GRAPH_VERSION,
            a.waba_id
        ))
        .bearer_auth(&a.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out = templates::sync(&p.store, &p.secrets, p.org, |_| {})
        .await
        .unwrap();
    assert_eq!((out.total, out.added, out.removed), (234, 0, 1));
    assert!(templates::get(&p.store, p.org, "aviso_000", "es_AR")
        .await
        .is_err());
    p.stop().await;
}

#[tokio::test]
async fn suggested_templates_are_created_once_with_the_invoice_pdf_header_and_get_approved() {
    let p = world().await;
    p.sandbox.whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 30 }),
        ..Default::default()
    });
    let results = templates::create_suggested(&p.store, &p.secrets, p.org, |_| {})
        .await
        .unwrap();
    let by_name: BTreeMap<_, _> = results
        .iter()
        .map(|r| (r.name.as_str(), r.outcome))
        .collect();
    // The simulator already has a `bienvenida` in es_AR: only the missing five are submitted.
    assert_eq!(by_name["bienvenida"], SuggestedOutcome::AlreadyThere);
    for n in [
        "turno_confirmado",
        "trabajo_agendado",
        "factura_disponible",
        "pago_recibido",
        "recordatorio_de_pago",
    ] {
        assert_eq!(by_name[n], SuggestedOutcome::Created, "{n}: {results:?}");
    }
    assert_eq!(p.sandbox.whatsapp.log_of("create_template").len(), 5);
    // The invoice template's header example is a handle from the resumable upload API.
    let created = p.sandbox.whatsapp.log_of("create_template");
    let factura = created
        .iter()
        .find(|e| e.request["name"] == "factura_disponible")
        .unwrap();
    let handle = factura.request["components"][0]["example"]["header_handle"][0]
        .as_str()
        .unwrap();
    let file = p.sandbox.whatsapp.uploaded_file(handle).unwrap();
    assert_eq!(file.file_type, "application/pdf");

    let t = wait_template(&p, "factura_disponible", "APPROVED", |t| t.sendable).await;
    assert_eq!(t.category.as_deref(), Some("UTILITY"));
    assert_eq!(
        t.shape.media_header(),
        Some(templates::HeaderFormat::Document)
    );
    assert_eq!(t.mapping.get("body.2"), Some(&ContextField::InvoiceNumber));
    // Again: nothing missing, nothing submitted.
    let again = templates::create_suggested(&p.store, &p.secrets, p.org, |_| {})
        .await
        .unwrap();
    assert!(again
        .iter()
        .all(|r| r.outcome == SuggestedOutcome::AlreadyThere));
    assert_eq!(p.sandbox.whatsapp.log_of("create_template").len(), 5);
    p.stop().await;
}

#[tokio::test]
async fn a_rejected_creation_names_the_field_and_a_local_limit_never_reaches_meta() {
    let p = world().await;
    // No review webhook racing the delete below.
    p.sandbox.whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Manual),
        ..Default::default()
    });
    let input = |name: &str, body: &str| templates::NewTemplateInput {
        name: name.into(),
        language: "es_AR".into(),
        category: "UTILITY".into(),
        header: None,
        body: body.into(),
        examples: vec![("1".into(), "Ana".into())],
        named: false,
        footer: None,
        buttons: vec![],
        mapping: BTreeMap::new(),
    };
    let e = templates::create(
        &p.store,
        &p.secrets,
        p.org,
        input("pie_largo", "Hola {{1}}, gracias."),
    )
    .await;
    assert!(e.is_ok());
    // Same name and language again: Meta refuses; the error names the field.
    let e = templates::create(
        &p.store,
        &p.secrets,
        p.org,
        input("pie_largo", "Hola {{1}}, gracias."),
    )
    .await
    .unwrap_err();
    let app: AppError = e.into();
    assert_eq!(app.code, ErrorCode::TemplateRejected);
    assert_eq!(app.details.unwrap()["field"], "name");
    let e = templates::create(
        &p.store,
        &p.secrets,
        p.org,
        input("empieza_con_variable", "{{1}} es tu turno."),
    )
    .await
    .unwrap_err();
    assert!(matches!(&e, TemplateError::Invalid { field, .. } if field == "components.BODY.text"));
    // Meta accepted one; it logs no refused creation, and the local refusal never reached it.
    assert_eq!(p.sandbox.whatsapp.log_of("create_template").len(), 1);

    // Delete: gone at Meta and here.
    templates::delete(&p.store, &p.secrets, p.org, "pie_largo", "es_AR")
        .await
        .unwrap();
    assert!(templates::get(&p.store, p.org, "pie_largo", "es_AR")
        .await
        .is_err());
    assert_eq!(p.sandbox.whatsapp.log_of("delete_template").len(), 1);
    p.stop().await;
}

fn send_req(customer_id: i64, key: &str, params: &[(&str, &str)]) -> SendTemplate {
    SendTemplate {
        customer_id,
        name: "turno_confirmado".into(),
        language: "es_AR".into(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        context: TemplateContext::default()
            .with(ContextField::CustomerName, "Ana")
            .with(ContextField::BusinessName, "Peluquería Sol"),
        header_media_id: None,
        header_file: None,
        header_filename: None,
        idempotency_key: key.into(),
    }
}

#[tokio::test]
async fn send_template_outside_the_window_reaches_delivered_once_per_key() {
    let mut p = world().await;
    p.sandbox.whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 5 }),
        ..Default::default()
    });
    p.customer(CUSTOMER, "Ana");
    p.customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
        .await;
    let conversation = p.only_conversation().await;
    let customer_id: i64 = p
        .count("SELECT customer_id FROM conversations LIMIT 1")
        .await;
    // The customer wrote two days ago: only templates may go out.
    p.sandbox
        .whatsapp
        .set_last_inbound_age(CUSTOMER, Duration::from_secs(48 * 3600));
    templates::create_suggested(&p.store, &p.secrets, p.org, |_| {})
        .await
        .unwrap();
    wait_template(&p, "turno_confirmado", "APPROVED", |t| t.sendable).await;

    let engine = start_on(&p.store, &p.secrets, fast_config()).await;
    let mut events = p.events.subscribe();

    // Refused before queueing, naming the field: an empty date and a date with a new line.
    let e = templates::send_template(
        &p.store,
        engine.queue(),
        &p.events,
        p.org,
        send_req(customer_id, "k0", &[("body.4", "10:30")]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TemplateError::Invalid { field, .. } if field == "body.3"),
        "{e}"
    );
    let e = templates::send_template(
        &p.store,
        engine.queue(),
        &p.events,
        p.org,
        send_req(
            customer_id,
            "k0",
            &[("body.3", "lunes\n3 de marzo"), ("body.4", "10:30")],
        ),
    )
    .await
    .unwrap_err();
    let app: AppError = e.into();
    assert_eq!(app.code, ErrorCode::TemplateInvalid);
    assert_eq!(app.details.unwrap()["field"], "body.3");
    assert!(app.message.contains("Fecha"), "{}", app.message);

    let req = send_req(
        customer_id,
        "k1",
        &[("body.3", "lunes 3 de marzo"), ("body.4", "10:30")],
    );
    let sent = templates::send_template(&p.store, engine.queue(), &p.events, p.org, req.clone())
        .await
        .unwrap();
    assert!(!sent.already_sent);
    assert_eq!(sent.conversation_id, conversation);
    // A double click: the same message, no second job.
    let twice = templates::send_template(&p.store, engine.queue(), &p.events, p.org, req)
        .await
        .unwrap();
    assert!(twice.already_sent);
    assert_eq!(twice.message_id, sent.message_id);
    assert_eq!(twice.job_id, sent.job_id);

    wait_state(
        &engine,
        mostrador_queue::JobId(sent.job_id),
        JobState::Completed,
    )
    .await;
    let sends = p.sandbox.whatsapp.log_of("send_message");
    assert_eq!(sends.len(), 1, "one send for one key");
    let tpl = &sends[0].request["template"];
    assert_eq!(tpl["name"], "turno_confirmado");
    assert_eq!(
        tpl["components"][0]["parameters"][0]["text"], "Ana",
        "the mapped customer name filled {{1}}"
    );
    assert_eq!(
        tpl["components"][0]["parameters"][1]["text"],
        "Peluquería Sol"
    );

    // The status webhooks find the message by its wamid: delivered (then read) shows in the
    // thread. Woken by the processor's events; the store is the truth (a status that arrived
    // before the wamid was attached is applied without an event).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status: String = sqlx::query_scalar("SELECT status FROM messages WHERE id = ?")
            .bind(sent.message_id)
            .fetch_one(p.store.reader())
            .await
            .unwrap();
        let status = MessageStatus::parse(&status).unwrap();
        if status.rank() >= MessageStatus::Delivered.rank() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivered status within 20 s (still {status:?})"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), events.recv()).await;
    }
    let thread = p.thread(conversation).await;
    let m = thread.iter().find(|m| m.id == sent.message_id).unwrap();
    assert_eq!(m.kind, "template");
    assert_eq!(
        m.text.as_deref(),
        Some("Hola Ana, tu turno en Peluquería Sol quedó confirmado para el lunes 3 de marzo a las 10:30. Si no podés venir, avisanos respondiendo este mensaje.")
    );
    assert!(m.status.rank() >= MessageStatus::Delivered.rank());
    engine.shutdown().await;
    p.stop().await;
}

#[tokio::test]
async fn marketing_is_refused_to_a_customer_who_opted_out() {
    let mut p = world().await;
    p.customer(CUSTOMER, "Ana");
    p.customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
        .await;
    let customer_id: i64 = p.count("SELECT id FROM customers LIMIT 1").await;
    sqlx::query("UPDATE customers SET opted_out_marketing = 1 WHERE id = ?")
        .bind(customer_id)
        .execute(p.store.writer())
        .await
        .unwrap();
    templates::sync(&p.store, &p.secrets, p.org, |_| {})
        .await
        .unwrap();
    let engine = start_on(&p.store, &p.secrets, fast_config()).await;
    // The simulator's seeded `bienvenida` is a NAMED marketing template.
    let req = SendTemplate {
        customer_id,
        name: "bienvenida".into(),
        language: "es_AR".into(),
        params: [("body.descuento".to_owned(), "10 %".to_owned())].into(),
        context: TemplateContext::default().with(ContextField::CustomerName, "Ana"),
        header_media_id: None,
        header_file: None,
        header_filename: None,
        idempotency_key: "m1".into(),
    };
    let e = templates::send_template(&p.store, engine.queue(), &p.events, p.org, req)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            TemplateError::OptedOut {
                marketing_only: true
            }
        ),
        "{e}"
    );
    assert_eq!(
        p.count("SELECT count(*) FROM jobs").await,
        0,
        "nothing was queued"
    );
    engine.shutdown().await;
    p.stop().await;
}

/// "Factura disponible" with the invoice PDF from this computer as its document header: the file
/// is checked before anything is written (a photo for a document header is refused, naming the
/// header), then the job uploads it and sends the template with the uploaded id and the file name.
#[tokio::test]
async fn a_header_file_is_checked_then_uploaded_by_the_job_and_sent_as_the_document() {
    let mut p = world().await;
    p.sandbox.whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 5 }),
        ..Default::default()
    });
    p.customer(CUSTOMER, "Ana");
    p.customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
        .await;
    let customer_id: i64 = p
        .count("SELECT customer_id FROM conversations LIMIT 1")
        .await;
    templates::create_suggested(&p.store, &p.secrets, p.org, |_| {})
        .await
        .unwrap();
    wait_template(&p, "factura_disponible", "APPROVED", |t| t.sendable).await;
    let engine = start_on(&p.store, &p.secrets, fast_config()).await;

    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("B-0001-00000042.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% factura\n").unwrap();
    let photo = dir.path().join("foto.jpg");
    std::fs::write(&photo, [0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
    let req = |key: &str, path: &std::path::Path, mime: &str| SendTemplate {
        customer_id,
        name: "factura_disponible".into(),
        language: "es_AR".into(),
        params: BTreeMap::new(),
        context: TemplateContext::default()
            .with(ContextField::CustomerName, "Ana")
            .with(ContextField::InvoiceNumber, "B 0001-00000042")
            .with(ContextField::InvoiceTotal, "$ 3.025,00"),
        header_media_id: None,
        header_file: Some(templates::HeaderFile {
            path: path.to_string_lossy().into_owned(),
            mime_type: mime.into(),
        }),
        header_filename: None,
        idempotency_key: key.into(),
    };

    let before: i64 = p.count("SELECT COUNT(*) FROM messages").await;
    let e = templates::send_template(
        &p.store,
        engine.queue(),
        &p.events,
        p.org,
        req("f0", &photo, "image/jpeg"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TemplateError::Invalid { field, .. } if field == "header"),
        "{e}"
    );
    let e = templates::send_template(
        &p.store,
        engine.queue(),
        &p.events,
        p.org,
        req("f0", &dir.path().join("no-existe.pdf"), "application/pdf"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TemplateError::Invalid { field, .. } if field == "header"),
        "{e}"
    );
    assert_eq!(
        p.count("SELECT COUNT(*) FROM messages").await,
        before,
        "a refused header writes nothing"
    );

    let sent = templates::send_template(
        &p.store,
        engine.queue(),
        &p.events,
        p.org,
        req("f1", &pdf, "application/pdf"),
    )
    .await
    .unwrap();
    wait_state(
        &engine,
        mostrador_queue::JobId(sent.job_id),
        JobState::Completed,
    )
    .await;
    let uploads = p.sandbox.whatsapp.log_of("upload_media");
    assert_eq!(uploads.len(), 1, "the PDF was uploaded once");
    let media_id = uploads[0].response["id"].as_str().unwrap().to_owned();
    let sends = p.sandbox.whatsapp.log_of("send_message");
    assert_eq!(sends.len(), 1);
    let tpl = &sends[0].request["template"];
    assert_eq!(tpl["name"], "factura_disponible");
    let header = tpl["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "header")
        .expect("a header component");
    assert_eq!(header["parameters"][0]["type"], "document");
    assert_eq!(header["parameters"][0]["document"]["id"], media_id.as_str());
    assert_eq!(
        header["parameters"][0]["document"]["filename"],
        "B-0001-00000042.pdf"
    );
    engine.shutdown().await;
    p.stop().await;
}
