//! E-mail end to end: a notice rendered to HTML + plain text with the shop's name and an
//! attachment, sent over STARTTLS + AUTH to a REAL SMTP server (scripts/test-smtp.sh) and read
//! back from its Maildir; the same through the SendGrid simulator; an invalid address refused at
//! entry.

mod channels_support;

use channels_support::*;
use mostrador_core::channels::email::{
    self, AttachmentRef, EmailError, EmailProvider, EmailRequest, EmailSettings, SENDGRID_API_KEY,
};
use mostrador_queue::JobId;
use mostrador_types::Secret;

async fn queue_email(
    env: &Env,
    to: Option<&str>,
    attachments: Vec<AttachmentRef>,
) -> Result<JobId, EmailError> {
    let mut tx = env.store.begin_immediate().await.unwrap();
    let r = email::enqueue_in(
        &mut tx,
        env.outbound().queue(),
        env.org,
        EmailRequest {
            customer_id: env.customer_id,
            to,
            subject: "Tu factura esta lista",
            body: "Adjuntamos tu factura de noviembre.\n\nGracias por tu compra.",
            attachments,
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
async fn smtp_delivers_html_text_and_attachment_to_a_real_server() {
    let Some(smtp) = smtp() else { return };
    let env = env().await;
    smtp.configure(&env).await;
    let to = unique_address();
    let content = binary_pdf(300_000);
    let sha = sha256_hex(&content);
    let pdf = env.dir.path().join(format!("{sha}.pdf"));
    std::fs::write(&pdf, &content).unwrap();
    let job = queue_email(
        &env,
        Some(&to),
        vec![AttachmentRef {
            filename: "Factura-B-00001-00000001.pdf".into(),
            content_type: "application/pdf".into(),
            path: pdf.to_str().unwrap().into(),
            sha256: Some(sha.clone()),
        }],
    )
    .await
    .unwrap();
    env.until(
        &format!("SELECT state FROM jobs WHERE id = {}", job.0),
        "completed".to_owned(),
    )
    .await;
    let got = smtp.wait_received(&to, 1).await;
    assert_eq!(got.len(), 1);
    let raw = &got[0];
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(raw.contains("text/plain") && raw.contains("text/html"));
    assert!(raw.contains("multipart/mixed"), "{raw}");
    // The stored message, parsed: one attachment, byte for byte the file that was queued.
    let files = attachments_of(raw);
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].filename, "Factura-B-00001-00000001.pdf");
    assert_eq!(files[0].content_type, "application/pdf");
    assert_eq!(files[0].bytes.len(), content.len());
    assert_eq!(sha256_hex(&files[0].bytes), sha);
    assert!(raw.contains("Te adjuntamos Factura-B-00001-00000001.pdf."));
    assert!(raw.contains("Kiosco Don Pepe"));
    assert!(raw.contains(&format!("<mostrador.{}@kiosco.example.com>", job.0)));
    let status: String = env
        .scalar(&format!(
            "SELECT status FROM messages WHERE job_id = {} AND channel = 'email'",
            job.0
        ))
        .await;
    assert_eq!(status, "sent");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sendgrid_simulator_takes_the_mail_and_names_it() {
    let env = env().await;
    let sim = mostrador_sandbox::sendgrid::SendGridSim::default();
    let base = sim.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    EmailSettings {
        provider: EmailProvider::Sendgrid,
        from_address: "avisos@kiosco.example.com".into(),
        from_name: None,
        smtp_host: None,
        smtp_port: None,
        smtp_security: None,
        smtp_username: None,
        smtp_ca_pem: None,
        sendgrid_base_url: Some(base),
    }
    .save(&env.store, env.org)
    .await
    .unwrap();
    env.secrets
        .set(
            env.org,
            SENDGRID_API_KEY,
            &Secret::new(sim.account().api_key),
        )
        .await
        .unwrap();
    let content = binary_pdf(50_000);
    let pdf = env.dir.path().join("f.pdf");
    std::fs::write(&pdf, &content).unwrap();
    let job = queue_email(
        &env,
        None,
        vec![AttachmentRef {
            filename: "Factura-C-00002-00000010.pdf".into(),
            content_type: "application/pdf".into(),
            path: pdf.to_str().unwrap().into(),
            sha256: None,
        }],
    )
    .await
    .unwrap();
    env.until(
        &format!("SELECT state FROM jobs WHERE id = {}", job.0),
        "completed".to_owned(),
    )
    .await;
    let mails = sim.mails();
    assert_eq!(mails.len(), 1);
    let b = &mails[0].body;
    assert_eq!(
        b["personalizations"][0]["to"][0]["email"],
        "ana@example.com"
    );
    assert_eq!(b["content"][1]["type"], "text/html");
    // The simulator decoded the base64 attachment it checked.
    assert_eq!(mails[0].attachments.len(), 1);
    assert_eq!(
        mails[0].attachments[0].filename,
        "Factura-C-00002-00000010.pdf"
    );
    assert_eq!(
        sha256_hex(&mails[0].attachments[0].bytes),
        sha256_hex(&content)
    );
    assert!(b["content"][0]["value"]
        .as_str()
        .unwrap()
        .starts_with("Hola Ana,"));
    let pid: String = env
        .scalar(&format!(
            "SELECT provider_id FROM messages WHERE job_id = {}",
            job.0
        ))
        .await;
    assert_eq!(pid, mails[0].message_id);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_address_is_refused_at_entry() {
    let env = env().await;
    let e = queue_email(&env, Some("ana@gmail"), vec![])
        .await
        .unwrap_err();
    assert!(matches!(e, EmailError::InvalidAddress(_)), "{e}");
    assert!(e.to_string().contains("no es un correo válido"), "{e}");
    let jobs: i64 = env.scalar("SELECT count(*) FROM jobs").await;
    assert_eq!(jobs, 0);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_over_the_limit_or_missing_are_refused_at_entry() {
    let env = env().await;
    let big = env.dir.path().join("grande.pdf");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(mostrador_email::MAX_ATTACHMENT_BYTES + 1)
        .unwrap();
    let attach = |path: &std::path::Path, name: &str| AttachmentRef {
        filename: name.into(),
        content_type: "application/pdf".into(),
        path: path.to_str().unwrap().into(),
        sha256: None,
    };
    let e = queue_email(&env, None, vec![attach(&big, "grande.pdf")])
        .await
        .unwrap_err();
    assert!(matches!(e, EmailError::Attachment(_)), "{e}");
    assert!(e.to_string().contains("«grande.pdf» pesa"), "{e}");
    let e = queue_email(
        &env,
        None,
        vec![attach(
            &env.dir.path().join("no-existe.pdf"),
            "no-existe.pdf",
        )],
    )
    .await
    .unwrap_err();
    assert!(matches!(e, EmailError::AttachmentMissing(_)), "{e}");
    let jobs: i64 = env.scalar("SELECT count(*) FROM jobs").await;
    assert_eq!(jobs, 0, "nothing queued");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_panel_keeps_a_checked_email() {
    use mostrador_core::customers;
    let env = env().await;
    let c = customers::set_email(
        &env.store,
        env.org,
        env.customer_id,
        Some(" ana.p@correo.com.ar "),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(c.email.as_deref(), Some("ana.p@correo.com.ar"));
    let e = customers::set_email(&env.store, env.org, env.customer_id, Some("ana@correo"))
        .await
        .unwrap_err();
    assert_eq!(e.code, mostrador_core::ErrorCode::InvalidRecipient);
    assert!(
        e.message.contains("no es un correo válido"),
        "{}",
        e.message
    );
    let kept = customers::get(env.store.reader(), env.org, env.customer_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.email.as_deref(),
        Some("ana.p@correo.com.ar"),
        "unchanged"
    );
    let cleared = customers::set_email(&env.store, env.org, env.customer_id, Some("  "))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.email, None);
    env.stop().await;
}
