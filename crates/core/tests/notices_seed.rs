//! Every seed notice (issue 12) through the real chain, on real HTTP (Graph and Twilio simulators,
//! relay, inbox, processor), a real SQLite file, the keychain and the real SMTP server: turno
//! confirmado, trabajo agendado, factura disponible (the invoice PDF as its document header, sent
//! the way "Enviar al cliente" sends it), pago recibido, recordatorio de pago and bienvenida, with
//! the suggested templates approved in the simulator. Each goes out exactly once on exactly one
//! channel: WhatsApp with its template when the customer is on WhatsApp; one SMS when the Graph
//! simulator reports the number undeliverable (131026); one e-mail when the SMS fails too (30003).
//! A second send of the same notice adds nothing. Plus: a sync reads Meta's `previous_category`.

mod channels_support;

use std::collections::{BTreeMap, BTreeSet};

use channels_support::*;
use mostrador_core::conversations;
use mostrador_core::invoicing::send::send_to_customer;
use mostrador_core::notifications::{self, Channel, SeedNotice, SentNotice};
use mostrador_core::templates::{self, ContextField, TemplateContext};
use mostrador_sandbox::twilio::TwilioConfigPatch;
use mostrador_sandbox::whatsapp::NewCustomer;
use serde_json::Value;

/// One seed notice: how it is sent, what WhatsApp must carry, what the SMS / e-mail says.
struct Case {
    template: &'static str,
    /// The template's body parameters, in order, as the Graph simulator must receive them.
    whatsapp_body: Vec<&'static str>,
    /// The SMS text (and the e-mail's text).
    text: &'static str,
    /// The e-mail subject.
    subject: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            template: "turno_confirmado",
            whatsapp_body: vec!["Ana", "Kiosco Don Pepe", "lunes 7 de diciembre", "10:30"],
            text: "Hola Ana, tu turno en Kiosco Don Pepe quedó confirmado para el lunes 7 de diciembre a las 10:30. Si no podés venir, avisanos respondiendo este mensaje.",
            subject: "Turno confirmado",
        },
        Case {
            template: "trabajo_agendado",
            whatsapp_body: vec!["Ana", "la instalación del aire", "martes 8 de diciembre", "15:00"],
            text: "Hola Ana, agendamos la instalación del aire para el martes 8 de diciembre a las 15:00. Cualquier cambio te avisamos por acá.",
            subject: "Trabajo agendado",
        },
        Case {
            template: "factura_disponible",
            whatsapp_body: vec!["Ana", "C 00003-00000001", "$ 45.000,00"],
            text: "Tu factura C 00003-00000001 por $ 45.000,00 ya fue emitida.",
            subject: "Tu factura C 00003-00000001",
        },
        Case {
            template: "pago_recibido",
            whatsapp_body: vec!["Ana", "$ 12.500,00", "30/11/2026"],
            text: "Hola Ana, recibimos tu pago de $ 12.500,00 el 30/11/2026. ¡Muchas gracias!",
            subject: "Pago recibido",
        },
        Case {
            template: "recordatorio_de_pago",
            whatsapp_body: vec![
                "Ana",
                "$ 8.000,00",
                "10/12/2026",
                "https://mpago.la/2abc3de",
            ],
            text: "Hola Ana, te recordamos que tenés un saldo de $ 8.000,00 que vence el 10/12/2026. Podés pagarlo acá: https://mpago.la/2abc3de. Si ya lo pagaste, ignorá este mensaje.",
            subject: "Recordatorio de pago",
        },
        Case {
            // The WABA's own `bienvenida` (named variables, re-categorized to Marketing by Meta):
            // `first_name` is mapped by its name at sync, `descuento` is typed by the owner.
            template: "bienvenida",
            whatsapp_body: vec!["Ana", "10 %"],
            text: "¡Hola Ana! Gracias por escribirle a Kiosco Don Pepe. Por este número te vamos a mandar tus turnos, facturas y avisos de pago.",
            subject: "Bienvenida",
        },
    ]
}

/// The notice of a case as the app sends it: the invoice through "Enviar al cliente", the others
/// through the seed notice API with what their screen knows.
async fn send(env: &Env, invoice: i64, template: &str) -> SentNotice {
    if template == "factura_disponible" {
        return send_to_customer(
            &env.store,
            env.outbound().queue(),
            &env.events,
            env.dir.path(),
            env.org,
            invoice,
            None,
        )
        .await
        .unwrap();
    }
    let ctx = TemplateContext::default();
    let mut params = BTreeMap::new();
    let context = match template {
        "turno_confirmado" => ctx
            .with(ContextField::Date, "lunes 7 de diciembre")
            .with(ContextField::Time, "10:30"),
        "trabajo_agendado" => ctx
            .with(ContextField::Service, "la instalación del aire")
            .with(ContextField::Date, "martes 8 de diciembre")
            .with(ContextField::Time, "15:00"),
        "pago_recibido" => ctx
            .with(ContextField::Amount, "$ 12.500,00")
            .with(ContextField::Date, "30/11/2026"),
        "recordatorio_de_pago" => ctx
            .with(ContextField::Amount, "$ 8.000,00")
            .with(ContextField::DueDate, "10/12/2026")
            .with(ContextField::PaymentLink, "https://mpago.la/2abc3de"),
        "bienvenida" => {
            params.insert("body.descuento".to_owned(), "10 %".to_owned());
            ctx
        }
        other => panic!("no case {other}"),
    };
    notifications::send_seed_notice(
        &env.store,
        env.outbound().queue(),
        &env.events,
        env.org,
        &SeedNotice {
            customer_id: env.customer_id,
            template: template.into(),
            context,
            params,
            idempotency_key: format!("test:{}", env.customer_id),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Sends every case once; then every case again, which must answer the first notice.
async fn send_all_twice(env: &Env, invoice: i64) -> BTreeMap<&'static str, SentNotice> {
    let mut sent = BTreeMap::new();
    for c in cases() {
        let s = send(env, invoice, c.template).await;
        assert!(!s.already_sent, "{}", c.template);
        assert_eq!(
            s.channel,
            Channel::WhatsApp,
            "{}: WhatsApp first",
            c.template
        );
        sent.insert(c.template, s);
    }
    for c in cases() {
        let again = send(env, invoice, c.template).await;
        let first = sent[c.template];
        assert!(again.already_sent, "{}", c.template);
        assert_eq!(
            (again.notice_id, again.message_id),
            (first.notice_id, first.message_id),
            "{}",
            c.template
        );
    }
    sent
}

/// The channels a notice went through, in order.
async fn steps(env: &Env, notice_id: i64) -> String {
    env.scalar(&format!(
        "SELECT group_concat(channel, ',') FROM
           (SELECT channel FROM notice_sends WHERE notice_id = {notice_id} ORDER BY step)"
    ))
    .await
}

/// The Graph simulator's template sends, by template name.
fn whatsapp_sends(env: &Env) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in env.sandbox.whatsapp.log_of("send_message") {
        if let Some(name) = e.request["template"]["name"].as_str() {
            out.entry(name.to_owned()).or_default().push(e.request);
        }
    }
    out
}

fn component<'a>(request: &'a Value, kind: &str) -> Option<&'a Value> {
    request["template"]["components"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

fn body_texts(request: &Value) -> Vec<String> {
    component(request, "body")
        .and_then(|c| c["parameters"].as_array())
        .map(|ps| {
            ps.iter()
                .map(|p| p["text"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn counts(env: &Env) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM notices),
                (SELECT count(*) FROM jobs WHERE kind = 'whatsapp.send'),
                (SELECT count(*) FROM jobs WHERE kind = 'sms.send'),
                (SELECT count(*) FROM jobs WHERE kind = 'email.send')",
    )
    .fetch_one(env.store.reader())
    .await
    .unwrap()
}

async fn seed_env() -> (Env, i64) {
    let env = env_with(Options {
        fallback: true,
        afip: true,
        ..Default::default()
    })
    .await;
    approved_suggested_templates(&env).await;
    let invoice = authorized_invoice(&env).await;
    (env, invoice)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seed_notice_goes_once_by_whatsapp_with_its_template() {
    let (env, invoice) = seed_env().await;
    // The customer is on WhatsApp: every template is delivered.
    env.sandbox
        .whatsapp
        .add_customer(NewCustomer::new(CUSTOMER_PHONE));
    let sent = send_all_twice(&env, invoice).await;

    for c in cases() {
        let s = sent[c.template];
        env.until(
            &format!(
                "SELECT count(*) FROM messages WHERE id = {} AND status IN ('delivered', 'read')",
                s.message_id
            ),
            1i64,
        )
        .await;
        assert_eq!(steps(&env, s.notice_id).await, "whatsapp", "{}", c.template);
        // The thread shows it: a template message with its filled text, on WhatsApp, no note.
        let thread = conversations::thread_page(&env.store, env.org, s.conversation_id, None, 200)
            .await
            .unwrap();
        let m = thread
            .messages
            .iter()
            .find(|m| m.id == s.message_id)
            .unwrap_or_else(|| panic!("{} is not in the thread", c.template));
        assert_eq!(m.kind, "template", "{}", c.template);
        assert_eq!(m.data.as_ref().unwrap()["template"]["name"], c.template);
        let shown = m.text.as_deref().unwrap_or_default();
        for v in &c.whatsapp_body {
            assert!(shown.contains(v), "{}: {shown:?} lacks {v:?}", c.template);
        }
        let (channel, note) = notifications::message_channel(&env.store, env.org, s.message_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (channel.as_str(), note),
            ("whatsapp", None),
            "{}",
            c.template
        );
    }
    let invoice_msg = &sent["factura_disponible"];
    let filename: Option<String> = env
        .scalar(&format!(
            "SELECT filename FROM messages WHERE id = {}",
            invoice_msg.message_id
        ))
        .await;
    assert_eq!(filename.as_deref(), Some("Factura-C-00003-00000001.pdf"));

    // Exactly one send per template, with the right parameters.
    let wa = whatsapp_sends(&env);
    for c in cases() {
        let reqs = wa.get(c.template).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(reqs.len(), 1, "{}: {reqs:?}", c.template);
        assert_eq!(body_texts(&reqs[0]), c.whatsapp_body, "{}", c.template);
        assert_eq!(reqs[0]["template"]["language"]["code"], "es_AR");
    }
    let factura = &wa["factura_disponible"][0];
    let header = component(factura, "header").expect("the PDF header");
    assert_eq!(
        header["parameters"][0]["document"]["filename"],
        "Factura-C-00003-00000001.pdf"
    );
    assert!(header["parameters"][0]["document"]["id"].is_string());
    let bienvenida = &wa["bienvenida"][0];
    let names: Vec<&str> = component(bienvenida, "body").unwrap()["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["parameter_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["first_name", "descuento"]);
    assert_eq!(
        component(bienvenida, "header").unwrap()["parameters"][0]["text"],
        "Ana"
    );

    // Nothing went by any other channel, and the second round added nothing.
    env.outbound().maintain().await.unwrap();
    assert_eq!(counts(&env).await, (6, 6, 0, 0));
    assert!(env.sandbox.twilio.messages().is_empty());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seed_notice_goes_once_by_sms_when_whatsapp_cannot_deliver() {
    // The customer's number is not on WhatsApp in the Graph simulator (131026).
    let (env, invoice) = seed_env().await;
    let sent = send_all_twice(&env, invoice).await;
    for c in cases() {
        let s = sent[c.template];
        env.until(
            &format!(
                "SELECT m.status FROM messages m JOIN notice_sends n ON n.job_id = m.job_id
                 WHERE n.notice_id = {} AND n.channel = 'sms'",
                s.notice_id
            ),
            "delivered".to_owned(),
        )
        .await;
        assert_eq!(
            steps(&env, s.notice_id).await,
            "whatsapp,sms",
            "{}",
            c.template
        );
        let wa_status: String = env
            .scalar(&format!(
                "SELECT status FROM messages WHERE id = {}",
                s.message_id
            ))
            .await;
        assert_eq!(wa_status, "failed", "{}", c.template);
        let note: String = env
            .scalar(&format!(
                "SELECT m.fallback_note FROM messages m JOIN notice_sends n ON n.job_id = m.job_id
                 WHERE n.notice_id = {} AND n.channel = 'sms'",
                s.notice_id
            ))
            .await;
        assert!(
            note.starts_with("enviado por SMS porque WhatsApp falló: "),
            "{}: {note}",
            c.template
        );
    }
    env.outbound().maintain().await.unwrap();
    let sms = env.sandbox.twilio.messages();
    let bodies: BTreeSet<&str> = sms.iter().map(|m| m.body.as_str()).collect();
    let want: BTreeSet<&str> = cases().iter().map(|c| c.text).collect();
    assert_eq!(sms.len(), 6, "exactly one SMS per notice");
    assert_eq!(bodies, want);
    assert!(sms.iter().all(|m| m.to == format!("+{CUSTOMER_PHONE}")));
    let (notices, _, sms_jobs, email_jobs) = counts(&env).await;
    assert_eq!((notices, sms_jobs, email_jobs), (6, 6, 0));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seed_notice_goes_once_by_email_when_sms_fails_too() {
    let Some(smtp) = smtp() else { return };
    let (env, invoice) = seed_env().await;
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
    let sent = send_all_twice(&env, invoice).await;
    let mails = smtp.wait_received(&to, 6).await;
    for c in cases() {
        let s = sent[c.template];
        env.until(
            &format!(
                "SELECT j.state FROM jobs j JOIN notice_sends n ON n.job_id = j.id
                 WHERE n.notice_id = {} AND n.channel = 'email'",
                s.notice_id
            ),
            "completed".to_owned(),
        )
        .await;
        assert_eq!(
            steps(&env, s.notice_id).await,
            "whatsapp,sms,email",
            "{}",
            c.template
        );
        let note: String = env
            .scalar(&format!(
                "SELECT m.fallback_note FROM messages m JOIN notice_sends n ON n.job_id = m.job_id
                 WHERE n.notice_id = {} AND n.channel = 'email'",
                s.notice_id
            ))
            .await;
        assert!(
            note.starts_with("enviado por correo porque SMS falló: "),
            "{}: {note}",
            c.template
        );
    }
    // One e-mail per notice (their subjects are plain ASCII, so the header reads as is); the
    // invoice's carries its PDF.
    env.outbound().maintain().await.unwrap();
    let mails_now = smtp.received_for(&to);
    assert_eq!(mails_now.len(), 6, "exactly one e-mail per notice");
    let subject = |raw: &str| {
        raw.lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let subjects: BTreeSet<String> = mails.iter().map(|m| subject(m)).collect();
    let want: BTreeSet<String> = cases().iter().map(|c| c.subject.to_owned()).collect();
    assert_eq!(subjects, want);
    let invoice_mail = mails
        .iter()
        .find(|m| subject(m) == "Tu factura C 00003-00000001")
        .unwrap();
    let files = attachments_of(invoice_mail);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename, "Factura-C-00003-00000001.pdf");
    assert!(mails
        .iter()
        .filter(|m| subject(m) != "Tu factura C 00003-00000001")
        .all(|m| attachments_of(m).is_empty()));
    assert_eq!(
        env.sandbox.twilio.messages().len(),
        6,
        "one failed SMS each"
    );
    let (notices, _, sms_jobs, email_jobs) = counts(&env).await;
    assert_eq!((notices, sms_jobs, email_jobs), (6, 6, 6));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_reads_why_meta_moved_a_template_to_marketing() {
    let env = env().await;
    templates::sync(&env.store, &env.secrets, env.org, |_| {})
        .await
        .unwrap();
    // The simulator's seed: bienvenida was submitted as Utility and Meta moved it to Marketing.
    let moved = templates::get(&env.store, env.org, "bienvenida", "es_AR")
        .await
        .unwrap();
    assert_eq!(moved.category.as_deref(), Some("MARKETING"));
    assert_eq!(moved.previous_category.as_deref(), Some("UTILITY"));
    let stored: Option<String> = env
        .scalar("SELECT previous_category FROM templates WHERE name = 'bienvenida'")
        .await;
    assert_eq!(stored.as_deref(), Some("UTILITY"));
    let never = templates::get(&env.store, env.org, "hola", "es_AR")
        .await
        .unwrap();
    assert_eq!(
        (never.category.as_deref(), never.previous_category),
        (Some("UTILITY"), None)
    );
    // A second sync changes nothing about it.
    templates::sync(&env.store, &env.secrets, env.org, |_| {})
        .await
        .unwrap();
    let again = templates::get(&env.store, env.org, "bienvenida", "es_AR")
        .await
        .unwrap();
    assert_eq!(again.previous_category.as_deref(), Some("UTILITY"));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_link_sent_outside_the_window_reaches_the_customer_once_by_sms() {
    // "Enviar" on a ready MercadoPago link, to a customer without an open conversation: the
    // recordatorio_de_pago notice, whose WhatsApp template is undeliverable (131026) ⇒ one SMS.
    let env = env_with(Options {
        fallback: true,
        ..Default::default()
    })
    .await;
    approved_suggested_templates(&env).await;
    let now = "2026-11-30T03:00:00.000Z";
    let link: i64 = sqlx::query_scalar(
        "INSERT INTO payment_links (org_id, kind, reference, customer_id, title, amount_cents,
                                    currency, idempotency_key, state, url, created_at, updated_at)
         VALUES (?1, 'link', 'ref-1', ?2, 'Service de heladera', 800000, 'ARS', 'link-key-1',
                 'ready', 'https://mpago.la/2abc3de', ?3, ?3) RETURNING id",
    )
    .bind(env.org.to_string())
    .bind(env.customer_id)
    .bind(now)
    .fetch_one(env.store.writer())
    .await
    .unwrap();
    let send = || {
        mostrador_core::payments::send_link(
            &env.store,
            env.outbound().queue(),
            &env.events,
            env.org,
            link,
        )
    };
    let first = send().await.unwrap();
    assert_eq!(send().await.unwrap(), first, "a second click sends nothing");
    env.until(
        "SELECT status FROM messages WHERE channel = 'sms' AND direction = 'out'",
        "delivered".to_owned(),
    )
    .await;
    env.outbound().maintain().await.unwrap();
    let sms = env.sandbox.twilio.messages();
    assert_eq!(sms.len(), 1, "exactly one SMS");
    assert!(
        sms[0]
            .body
            .starts_with("Hola Ana, te recordamos que tenés un saldo de $ 8.000,00 que vence el ")
            && sms[0].body.contains("https://mpago.la/2abc3de"),
        "{}",
        sms[0].body
    );
    let wa = whatsapp_sends(&env);
    assert_eq!(wa["recordatorio_de_pago"].len(), 1);
    let (notices, wa_jobs, sms_jobs, email_jobs) = counts(&env).await;
    assert_eq!((notices, wa_jobs, sms_jobs, email_jobs), (1, 1, 1, 0));
    env.stop().await;
}
