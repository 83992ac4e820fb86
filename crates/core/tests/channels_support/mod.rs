//! The pipeline of the channel tests, on real HTTP and real files: the sandbox (Graph and Twilio
//! simulators) → an in-process relay whose public URL is its own address (so Twilio's URL-based
//! signature verifies exactly as in production) → the inbox poller → the processor, and the
//! outbound engine sending to the simulators, with secrets in the real keychain (run under
//! `dbus-run-session`, like `scripts/test` does).
#![allow(dead_code)]

#[path = "../pipeline_support/mod.rs"]
pub mod pipeline;
pub use pipeline::Pipeline;

use std::sync::Arc;
use std::time::Duration;

use mostrador_core::activity::ActivityGate;
use mostrador_core::channels::sms::{self, SmsSettings};
use mostrador_core::channels::whatsapp::{WhatsAppSettings, ACCESS_TOKEN};
use mostrador_core::events::EventBus;
use mostrador_core::inbox::{self, InboxHandle, PollerOptions};
use mostrador_core::intake::{
    JobEvidence, Processor, ProcessorHandle, ProcessorOptions, APP_SECRET,
};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::outbound::{Fallback, FallbackEvidence, Outbound, Wiring};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_relay::server;
use mostrador_sandbox::twilio::TwilioConfigPatch;
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};

/// The shop's Twilio number in the simulator.
pub const SHOP_SMS: &str = "+15005550006";
pub const CUSTOMER_PHONE: &str = "5491122334455";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub relay_dir: tempfile::TempDir,
    pub store: Store,
    pub org: OrgId,
    pub secrets: SecretStore,
    pub sandbox: Sandbox,
    pub relay: Option<server::Running>,
    pub twilio_ingress: String,
    pub whatsapp_ingress: String,
    pub events: EventBus,
    pub outbound: Option<Arc<Outbound>>,
    pub inbox: Option<InboxHandle>,
    pub proc: Option<ProcessorHandle>,
    pub customer_id: i64,
    pub fallback: Option<Arc<Fallback>>,
    pub afip: Option<mostrador_core::invoicing::AfipRuntime>,
}

pub use pipeline::fast_config;

/// What a test needs besides the defaults.
#[derive(Default)]
pub struct Options {
    /// Wire the fallback chain (hook + evidence).
    pub fallback: bool,
    pub clock: Option<Arc<dyn mostrador_queue::Clock>>,
    /// Set up AFIP (a certificate from a test CA the simulator trusts, "Probar", point of sale 3,
    /// the issuer's data) and run the `afip.submit` handler in the engine: invoices get authorized.
    pub afip: bool,
}

pub const POINT_OF_SALE: u32 = 3;

/// AFIP as Ajustes → AFIP leaves it, against the sandbox's simulator.
async fn setup_afip(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    sandbox: &Sandbox,
) -> mostrador_core::invoicing::AfipRuntime {
    use mostrador_core::invoicing::certificate::{AfipSetup, IssuerProfile};
    let ca = mostrador_sandbox::afip::test_ca::TestCa::generate("Computadores Test").unwrap();
    sandbox.afip.trust_ca(ca.certificate().clone());
    sandbox
        .afip
        .set_points_of_sale(Some([POINT_OF_SALE].into_iter().collect()));
    let setup = AfipSetup::new(store.clone(), secrets.clone());
    let request = setup.generate_request(org, "caja1").await.unwrap();
    let now = chrono::Utc::now();
    let cert = ca
        .sign_csr(
            request.pem.as_bytes(),
            now - chrono::Duration::days(1),
            now + chrono::Duration::days(365),
        )
        .unwrap()
        .to_pem()
        .unwrap();
    setup.import_certificate(org, &cert, now).await.unwrap();
    setup
        .set_issuer(
            org,
            &IssuerProfile {
                legal_name: None,
                trade_name: None,
                address: "Av. Corrientes 1234, CABA".into(),
                iibb: "Exento".into(),
                activity_start: chrono::NaiveDate::from_ymd_opt(2015, 3, 1),
                logo_path: None,
            },
        )
        .await
        .unwrap();
    let base = sandbox.afip_url();
    setup
        .probe(
            org,
            &mostrador_afip::Endpoints::under(&base).unwrap(),
            &mostrador_afip::transport::HttpClient::default(),
            now,
        )
        .await
        .unwrap();
    setup.set_point_of_sale(org, POINT_OF_SALE).await.unwrap();
    let rt = mostrador_core::invoicing::AfipRuntime::new(
        store.clone(),
        secrets.clone(),
        Some(base),
        Arc::new(mostrador_queue::SystemClock),
    );
    assert!(rt.refresh(org).await.unwrap(), "AFIP is set up");
    rt
}

pub async fn env() -> Env {
    env_with(Options::default()).await
}

pub async fn env_with(opts: Options) -> Env {
    let relay = pipeline::Relay::start().await;
    let twilio_ingress = relay.ingress("twilio");
    let whatsapp_ingress = relay.ingress("whatsapp");
    let client = relay.client();
    let pipeline::Relay {
        dir: relay_dir,
        running: relay,
        ..
    } = relay;

    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    sandbox.twilio.configure(TwilioConfigPatch {
        inbound_url: Some(twilio_ingress.clone()),
        ..Default::default()
    });
    sandbox
        .whatsapp
        .set_webhook_url(Some(whatsapp_ingress.clone()));

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco Don Pepe".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    let secrets = SecretStore::new(&format!(
        "ar.mostrador.test.channels.{}",
        uuid::Uuid::new_v4()
    ));
    let tw = sandbox.twilio.account();
    SmsSettings {
        account_sid: tw.account_sid.clone(),
        from: Some(SHOP_SMS.into()),
        messaging_service_sid: None,
        base_url: Some(sandbox.twilio_url()),
        status_callback_url: Some(twilio_ingress.clone()),
    }
    .save(&store, org)
    .await
    .unwrap();
    secrets
        .set(org, sms::AUTH_TOKEN, &Secret::new(tw.auth_token))
        .await
        .unwrap();
    let wa = sandbox.whatsapp.account();
    WhatsAppSettings {
        phone_number_id: wa.phone_number_id.clone(),
        waba_id: wa.waba_id.clone(),
        base_url: Some(sandbox.graph_url()),
        graph_version: None,
    }
    .save(&store, org)
    .await
    .unwrap();
    secrets
        .set(org, ACCESS_TOKEN, &Secret::new(wa.access_token))
        .await
        .unwrap();
    secrets
        .set(org, APP_SECRET, &Secret::new(wa.app_secret))
        .await
        .unwrap();

    let now = "2026-11-29T12:00:00.000Z";
    let customer_id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (org_id, wa_id, phone, name, email, first_contact_at, created_at, updated_at)
         VALUES (?1, ?2, ?2, 'Ana', 'ana@example.com', ?3, ?3, ?3) RETURNING id",
    )
    .bind(org.to_string())
    .bind(CUSTOMER_PHONE)
    .bind(now)
    .fetch_one(store.writer())
    .await
    .unwrap();

    let mut env = Env {
        dir,
        relay_dir,
        store,
        org,
        secrets,
        sandbox,
        relay: Some(relay),
        twilio_ingress,
        whatsapp_ingress,
        events: EventBus::default(),
        outbound: None,
        inbox: None,
        proc: None,
        customer_id,
        fallback: None,
        afip: None,
    };
    let gate = ActivityGate::new();
    let mut wiring = Wiring::new(env.secrets.clone(), gate.clone());
    if opts.afip {
        let rt = setup_afip(&env.store, &env.secrets, org, &env.sandbox).await;
        wiring.handlers = mostrador_core::outbound::Handlers::new()
            .with(mostrador_core::invoicing::KIND, rt.handler(gate));
        env.afip = Some(rt);
    }
    if let Some(c) = opts.clock {
        wiring.clock = c;
    }
    let fallback = opts.fallback.then(|| {
        Fallback::with_events(
            env.store.clone(),
            env.events.clone(),
            Duration::from_secs(600),
        )
    });
    if let Some(f) = &fallback {
        wiring.fallback = Some(f.clone());
    }
    env.start_outbound(wiring).await;
    let evidence: Arc<dyn JobEvidence> = match &fallback {
        Some(f) => {
            f.bind(env.outbound().queue().clone());
            Arc::new(FallbackEvidence {
                outbound: env.outbound.clone().unwrap(),
                fallback: f.clone(),
            })
        }
        None => env.outbound.clone().unwrap(),
    };
    env.fallback = fallback;
    let inbox = inbox::spawn(
        env.store.clone(),
        org,
        client,
        PollerOptions {
            wait: Duration::from_secs(5),
            limit: 500,
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(300),
        },
    );
    let processor = Processor::new(
        env.store.clone(),
        Arc::new(env.secrets.clone()),
        env.events.clone(),
    )
    .with_evidence(evidence)
    .with_options(ProcessorOptions {
        batch: 100,
        idle: Duration::from_millis(200),
    });
    env.proc = Some(processor.spawn(org, inbox.committed()));
    env.inbox = Some(inbox);
    env
}

impl pipeline::Pipeline for Env {
    fn db(&self) -> &Store {
        &self.store
    }

    fn processor(&self) -> &ProcessorHandle {
        self.proc.as_ref().unwrap()
    }
}

impl Env {
    pub async fn start_outbound(&mut self, wiring: Wiring) {
        let o = Outbound::start(self.store.clone(), wiring, fast_config())
            .await
            .unwrap();
        self.outbound = Some(Arc::new(o));
    }

    pub fn outbound(&self) -> &Outbound {
        self.outbound.as_ref().unwrap()
    }

    pub async fn stop(mut self) {
        pipeline::stop(
            self.proc.take(),
            self.inbox.take(),
            self.outbound.take(),
            self.relay.take(),
        )
        .await;
        for k in [
            sms::AUTH_TOKEN,
            ACCESS_TOKEN,
            APP_SECRET,
            mostrador_core::channels::email::SMTP_PASSWORD,
            mostrador_core::channels::email::SENDGRID_API_KEY,
        ] {
            let _ = self.secrets.delete(self.org, k).await;
        }
    }
}

/// The real SMTP server of `scripts/test-smtp.sh` (STARTTLS + AUTH), or `None` with a clear
/// message in a developer run without it. In CI its absence fails the test.
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub ca_pem: String,
    pub maildir: std::path::PathBuf,
}

pub fn smtp() -> Option<Smtp> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let Some(host) = var("MOSTRADOR_TEST_SMTP_HOST") else {
        if var("CI").is_some() {
            panic!("MOSTRADOR_TEST_SMTP_HOST is not set: scripts/test starts the SMTP server (scripts/test-smtp.sh); CI must run the e-mail tests");
        }
        eprintln!("SKIPPED: no test SMTP server (MOSTRADOR_TEST_SMTP_HOST unset). Run `. scripts/test-smtp.sh` first, or use scripts/test.");
        return None;
    };
    Some(Smtp {
        host,
        port: var("MOSTRADOR_TEST_SMTP_PORT").unwrap().parse().unwrap(),
        user: var("MOSTRADOR_TEST_SMTP_USER").unwrap(),
        password: var("MOSTRADOR_TEST_SMTP_PASSWORD").unwrap(),
        ca_pem: std::fs::read_to_string(var("MOSTRADOR_TEST_SMTP_CA").unwrap()).unwrap(),
        maildir: var("MOSTRADOR_TEST_SMTP_MAILDIR").unwrap().into(),
    })
}

impl Smtp {
    /// Points the org's e-mail at this server and stores the password in the keychain.
    pub async fn configure(&self, env: &Env) {
        use mostrador_core::channels::email::{EmailProvider, EmailSettings, SMTP_PASSWORD};
        EmailSettings {
            provider: EmailProvider::Smtp,
            from_address: "avisos@kiosco.example.com".into(),
            from_name: None,
            smtp_host: Some(self.host.clone()),
            smtp_port: Some(self.port),
            smtp_security: Some("starttls".into()),
            smtp_username: Some(self.user.clone()),
            smtp_ca_pem: Some(self.ca_pem.clone()),
            sendgrid_base_url: None,
        }
        .save(&env.store, env.org)
        .await
        .unwrap();
        env.secrets
            .set(env.org, SMTP_PASSWORD, &Secret::new(self.password.clone()))
            .await
            .unwrap();
    }

    /// The raw messages the server stored for `to` (a unique address per test).
    pub fn received_for(&self, to: &str) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(rd) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for e in rd.flatten() {
                let raw = std::fs::read_to_string(e.path()).unwrap_or_default();
                if raw
                    .lines()
                    .any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(to))
                {
                    out.push(raw);
                }
            }
        }
        out
    }

    /// Waits (bounded) until the server holds `n` messages for `to`.
    pub async fn wait_received(&self, to: &str, n: usize) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.received_for(to);
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{to}: {} of {n} e-mails",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A unique address per test, so tests sharing the server do not see each other's mail.
pub fn unique_address() -> String {
    format!("ana.{}@example.com", uuid::Uuid::new_v4().simple())
}

/// One attachment of a received message: its file name and decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The attachments of a raw RFC 5322 message, found by walking its MIME tree (multipart parts by
/// boundary, `Content-Disposition: attachment`, base64 or 7bit/8bit bodies). Small on purpose:
/// it reads what lettre writes, and fails loudly on anything else.
pub fn attachments_of(raw: &str) -> Vec<Received> {
    let mut out = Vec::new();
    walk(raw, &mut out);
    out
}

fn split_head(part: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = part
        .split_once("\r\n\r\n")
        .or_else(|| part.split_once("\n\n"))
        .unwrap_or((part, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            // A folded header continues the previous one.
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn walk(part: &str, out: &mut Vec<Received>) {
    use base64::Engine as _;
    let (headers, body) = split_head(part);
    let ct = header(&headers, "content-type").unwrap_or("text/plain");
    if ct.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = param(ct, "boundary").expect("a multipart has a boundary");
        let delim = format!("--{boundary}");
        let mut pieces = body.split(delim.as_str());
        pieces.next(); // the preamble
        for p in pieces {
            if p.starts_with("--") {
                break; // the closing delimiter
            }
            walk(p.trim_start_matches(['\r', '\n']), out);
        }
        return;
    }
    let disposition = header(&headers, "content-disposition").unwrap_or("");
    if !disposition.to_ascii_lowercase().starts_with("attachment") {
        return;
    }
    let filename = param(disposition, "filename").expect("an attachment has a file name");
    let encoding = header(&headers, "content-transfer-encoding")
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => {
            let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(clean)
                .expect("the attachment is valid base64")
        }
        "7bit" | "8bit" => body.as_bytes().to_vec(),
        other => panic!("unexpected transfer encoding {other}"),
    };
    out.push(Received {
        filename,
        content_type: ct.split(';').next().unwrap_or("").trim().to_owned(),
        bytes,
    });
}

/// Bytes that exercise the encoding: every byte value, in a PDF's clothes.
pub fn binary_pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    v.extend((0..len).map(|i| (i * 7 + i / 256) as u8));
    v
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The suggested templates, created and approved by the Graph simulator, then synced: every one
/// of them sendable (the simulator's own `bienvenida` stands for the suggested one).
pub async fn approved_suggested_templates(env: &Env) {
    use mostrador_core::templates;
    use mostrador_sandbox::whatsapp::{ConfigPatch, TemplateReview};
    env.sandbox.whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 5 }),
        ..Default::default()
    });
    // The document header's example is uploaded with the app's id (resumable upload).
    mostrador_core::settings::set(
        &env.store,
        Some(env.org),
        templates::APP_ID,
        &env.sandbox.whatsapp.account().app_id,
    )
    .await
    .unwrap();
    templates::create_suggested(&env.store, &env.secrets, env.org, |_| {})
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        templates::sync(&env.store, &env.secrets, env.org, |_| {})
            .await
            .unwrap();
        let all = templates::list(&env.store, env.org).await.unwrap();
        let pending: Vec<&str> = templates::suggested()
            .into_iter()
            .map(|s| s.name)
            .filter(|n| {
                !all.iter()
                    .any(|t| t.name == *n && t.language == "es_AR" && t.sendable)
            })
            .collect();
        if pending.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never approved: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Factura C (the shop is monotributista) for the test's customer, authorized by AFIP.
pub async fn authorized_invoice(env: &Env) -> i64 {
    use mostrador_core::invoicing::model::{ItemInput, NewInvoice};
    let rt = env.afip.as_ref().unwrap();
    let mut sale = NewInvoice::consumidor_final(vec![ItemInput {
        description: "Service de heladera".into(),
        quantity: "1".into(),
        unit_price: "45000.00".into(),
        discount: None,
        iva: None,
    }]);
    sale.customer_id = Some(env.customer_id.to_string());
    let id = rt
        .invoicing(env.outbound().queue().clone())
        .create(env.org, sale)
        .await
        .unwrap();
    env.until(
        &format!("SELECT state FROM invoices WHERE id = {id}"),
        "authorized".to_owned(),
    )
    .await;
    id
}
