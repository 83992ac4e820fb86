//! "Enviar al cliente" end to end (issues 12 + 13), on real HTTP and a real SMTP server: an
//! invoice authorized by the AFIP simulator goes to its customer as a `factura` notice. WhatsApp
//! (the approved `factura_disponible` template with the PDF as its header) is accepted and then
//! reported undeliverable by the Graph simulator (131026), the SMS fails too (30003), and exactly
//! one e-mail reaches the SMTP server with the invoice PDF attached, byte for byte. A second click
//! sends nothing.

mod channels_support;

use std::collections::BTreeSet;

use channels_support::*;
use mostrador_core::invoicing::send::send_to_customer;
use mostrador_core::notifications::Channel;
use mostrador_sandbox::twilio::TwilioConfigPatch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_and_sms_failing_sends_one_email_with_the_pdf_even_when_clicked_twice() {
    let Some(smtp) = smtp() else { return };
    let env = env_with(Options {
        fallback: true,
        afip: true,
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
    // The customer's number is not on WhatsApp in the Graph simulator (accepted, then 131026),
    // and Twilio cannot deliver to it either (30003).
    env.sandbox.twilio.configure(TwilioConfigPatch {
        undeliverable: Some(BTreeSet::from([format!("+{CUSTOMER_PHONE}")])),
        ..Default::default()
    });
    approved_suggested_templates(&env).await;
    let invoice = authorized_invoice(&env).await;

    let send = || {
        send_to_customer(
            &env.store,
            env.outbound().queue(),
            &env.events,
            env.dir.path(),
            env.org,
            invoice,
            None,
        )
    };
    let sent = send().await.unwrap();
    assert!(!sent.already_sent);
    assert_eq!(sent.channel, Channel::WhatsApp, "WhatsApp is tried first");

    let mails = smtp.wait_received(&to, 1).await;
    env.until(
        &format!(
            "SELECT j.state FROM jobs j JOIN notice_sends n ON n.job_id = j.id
             WHERE n.notice_id = {} AND n.channel = 'email'",
            sent.notice_id
        ),
        "completed".to_owned(),
    )
    .await;

    // The e-mail carries the invoice PDF: the very file the app rendered and stored.
    let filename = "Factura-C-00003-00000001.pdf";
    let files = attachments_of(&mails[0]);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].filename, filename);
    assert_eq!(files[0].content_type, "application/pdf");
    assert!(files[0].bytes.starts_with(b"%PDF-"));
    let sha = sha256_hex(&files[0].bytes);
    let stored = env.dir.path().join("documents").join(format!("{sha}.pdf"));
    assert!(stored.is_file(), "the attachment is the stored PDF {sha}");
    assert!(
        mails[0].contains("Tu factura C 00003-00000001"),
        "{}",
        mails[0]
    );

    // WhatsApp got the template with the PDF as its document header, once.
    let wa: Vec<_> = env
        .sandbox
        .whatsapp
        .log_of("send_message")
        .into_iter()
        .filter(|e| e.request["template"]["name"] == "factura_disponible")
        .collect();
    assert_eq!(wa.len(), 1);
    let header = wa[0].request["template"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "header")
        .cloned()
        .expect("a header");
    assert_eq!(header["parameters"][0]["document"]["filename"], filename);

    // The thread shows every step, the e-mail saying why it went by e-mail.
    let wa_msg: (String, String) = sqlx::query_as(
        "SELECT type, status FROM messages WHERE channel = 'whatsapp' AND direction = 'out'",
    )
    .fetch_one(env.store.reader())
    .await
    .unwrap();
    assert_eq!(wa_msg, ("template".to_owned(), "failed".to_owned()));
    let note: String = env
        .scalar("SELECT fallback_note FROM messages WHERE channel = 'email'")
        .await;
    assert!(
        note.starts_with("enviado por correo porque SMS falló: "),
        "{note}"
    );
    let sms_note: String = env
        .scalar("SELECT fallback_note FROM messages WHERE channel = 'sms'")
        .await;
    assert!(
        sms_note.starts_with("enviado por SMS porque WhatsApp falló: "),
        "{sms_note}"
    );

    // A second click: the same notice, nothing new queued or sent.
    let again = send().await.unwrap();
    assert!(again.already_sent);
    assert_eq!(again.notice_id, sent.notice_id);
    assert_eq!(again.message_id, sent.message_id);
    env.outbound().maintain().await.unwrap();
    let (notices, email_jobs, sms_jobs): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM notices),
                (SELECT count(*) FROM jobs WHERE kind = 'email.send'),
                (SELECT count(*) FROM jobs WHERE kind = 'sms.send')",
    )
    .fetch_one(env.store.reader())
    .await
    .unwrap();
    assert_eq!((notices, email_jobs, sms_jobs), (1, 1, 1));
    assert_eq!(smtp.received_for(&to).len(), 1, "exactly one e-mail");
    assert_eq!(env.sandbox.twilio.messages().len(), 1, "exactly one SMS");
    env.stop().await;
}
