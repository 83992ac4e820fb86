//! Stripe end to end over real HTTP, through the same pipeline as MercadoPago: "Cobrar" with
//! Stripe → a Checkout Session in the Stripe simulator (one, even on a double click) → the buyer
//! pays on the simulator → signed events through the relay (each three times, newest first) →
//! `Stripe-Signature` checked with the keychain secret → the PaymentIntent fetched → invoice paid →
//! exactly one "pago recibido". Plus forged, stale and unsigned events, a body that lies, a
//! dispute tracked until won, refunds refused above what was paid, a dollar payment on a peso
//! invoice, and a provider that is not configured.

mod payments_support;

use std::time::Duration;

use axum::Router;
use mostrador_core::payments::{
    self, ConfiguredProviders, PaymentsError, ProviderName, RefundRequest, StripeSettings,
};
use mostrador_core::AppError;
use mostrador_sandbox::stripe::{CloseDispute, OpenDispute, StripeConfigPatch, StripeSim};
use mostrador_types::Secret;
use payments_support::*;

const SECRET: &str = "whsec_payments_stripe_test";

struct Stripe {
    env: Env,
    sim: StripeSim,
    base: String,
    ingress: String,
}

async fn stripe_env() -> Stripe {
    let env = env().await;
    let sim = StripeSim::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/stripe", listener.local_addr().unwrap());
    let app = Router::new().nest("/stripe", sim.router());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // The same relay tenant, Stripe's ingress.
    let ingress = env.mp_ingress.replace("/mercadopago", "/stripe");
    assert!(ingress.ends_with("/stripe"));
    sim.configure(StripeConfigPatch {
        webhook_url: Some(ingress.clone()),
        webhook_secrets: Some(vec![SECRET.into()]),
        delivery_delay_ms: Some(1),
        ..Default::default()
    });
    StripeSettings {
        base_url: Some(base.clone()),
        webhook_url: Some(ingress.clone()),
        return_url: None,
        timeout_ms: Some(1500),
    }
    .save(&env.store, env.org)
    .await
    .unwrap();
    env.secrets
        .set(
            env.org,
            payments::STRIPE_SECRET_KEY,
            &Secret::new(sim.account().secret_key),
        )
        .await
        .unwrap();
    env.secrets
        .set(
            env.org,
            payments::STRIPE_WEBHOOK_SECRET,
            &Secret::new(SECRET),
        )
        .await
        .unwrap();
    Stripe {
        env,
        sim,
        base,
        ingress,
    }
}

impl Stripe {
    async fn stop(self) {
        for k in [payments::STRIPE_SECRET_KEY, payments::STRIPE_WEBHOOK_SECRET] {
            let _ = self.env.secrets.delete(self.env.org, k).await;
        }
        self.env.stop().await;
    }

    /// A Stripe link for the invoice, ready; returns (link id, session id).
    async fn ready_link(&self, invoice_id: i64) -> (i64, String) {
        let link = self
            .env
            .charge(link_for(invoice_id, Some(ProviderName::Stripe)))
            .await
            .unwrap();
        (link.id, self.env.until_ready(link.id).await)
    }

    fn payment_intent(&self, session: &str) -> String {
        self.sim
            .sessions()
            .into_iter()
            .find(|s| s["id"] == session)
            .and_then(|s| s["payment_intent"].as_str().map(str::to_owned))
            .expect("the session has a PaymentIntent")
    }

    /// POSTs an event to the relay as Stripe would, with `signature` as `Stripe-Signature`.
    async fn post_event(&self, body: &str, signature: Option<String>) {
        let mut req = reqwest::Client::new()
            .post(&self.ingress)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_owned());
        if let Some(s) = signature {
            req = req.header("stripe-signature", s);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "the relay stores whatever arrives");
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_by_stripe_link_thanked_once_despite_tripled_reordered_events() {
    let s = stripe_env().await;
    let env = &s.env;
    let invoice = env.invoice(150050).await;
    let (link_id, session) = s.ready_link(invoice).await;
    assert!(session.starts_with("cs_"), "{session}");

    // A double click gives the same link and the simulator saw one session, for the invoice's
    // amount in its currency, carrying the link's reference.
    let again = s
        .env
        .charge(link_for(invoice, Some(ProviderName::Stripe)))
        .await
        .unwrap();
    assert_eq!(again.id, link_id);
    let sessions = s.sim.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["amount_total"], 150050);
    assert_eq!(sessions[0]["currency"], "ars");
    let reference: String = env
        .scalar(&format!(
            "SELECT reference FROM payment_links WHERE id = {link_id}"
        ))
        .await;
    assert_eq!(sessions[0]["metadata"]["mostrador_ref"], reference.as_str());
    // MercadoPago for the same invoice while the Stripe link is open: refused (both could be paid).
    let other = s
        .env
        .charge(link_for(invoice, Some(ProviderName::MercadoPago)))
        .await
        .unwrap_err();
    assert!(
        AppError::from(other).message.contains("Stripe abierto"),
        "the owner is told why"
    );
    // The link went to the conversation.
    let url: String = env
        .scalar(&format!(
            "SELECT url FROM payment_links WHERE id = {link_id}"
        ))
        .await;
    env.until(
        &format!(
            "SELECT count(*) FROM messages WHERE conversation_id = {} AND text LIKE '%{url}%'",
            env.conversation_id
        ),
        1i64,
    )
    .await;

    // Every event three times, newest first.
    s.sim.configure(StripeConfigPatch {
        duplicate_deliveries: Some(2),
        out_of_order: Some(true),
        ..Default::default()
    });
    s.sim.pay(&session).unwrap();
    let pi = s.payment_intent(&session);
    // charge.succeeded, payment_intent.succeeded, checkout.session.completed, × 3.
    env.processed(9).await;
    env.until(
        &format!("SELECT status FROM payments WHERE provider = 'stripe' AND provider_payment_id = '{pi}'"),
        "approved".to_owned(),
    )
    .await;
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "paid".to_owned(),
    )
    .await;
    env.jobs_settled().await;
    env.until(
        "SELECT count(*) FROM messages WHERE text LIKE '%recibimos tu pago de $ 1.500,50%'",
        1i64,
    )
    .await;
    assert_eq!(env.thanks().await, 1);
    let deduped: i64 = env
        .scalar("SELECT count(*) FROM payment_notifications WHERE provider = 'stripe'")
        .await;
    assert_eq!(deduped, 2, "nine deliveries of two events we act on");
    let ignored: i64 = env
        .scalar("SELECT count(*) FROM inbox_raw WHERE provider = 'stripe' AND status_reason LIKE '%charge.succeeded ignorado%'")
        .await;
    assert_eq!(ignored, 3);
    let v = &payments::list_payments(&env.store, env.org, &Default::default())
        .await
        .unwrap()[0];
    assert_eq!(
        (
            v.provider.as_str(),
            v.invoice_id,
            v.customer_id,
            v.unsolicited,
            v.thanked
        ),
        ("stripe", Some(invoice), Some(env.customer_id), false, true)
    );
    assert_eq!((v.amount_cents, v.currency.as_str()), (150050, "ARS"));

    // Stripe retries an event much later: still one thank-you.
    let ev = s
        .sim
        .events()
        .into_iter()
        .find(|e| e["type"] == "payment_intent.succeeded")
        .unwrap();
    reqwest::Client::new()
        .post(format!(
            "{}/_sandbox/events/{}/redeliver",
            s.base,
            ev["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    env.processed(10).await;
    env.jobs_settled().await;
    assert_eq!(env.thanks().await, 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_stale_and_unsigned_events_are_quarantined_and_the_api_wins() {
    let s = stripe_env().await;
    let env = &s.env;
    let invoice = env.invoice(50000).await;
    let (_, session) = s.ready_link(invoice).await;
    s.sim.decline(&session).unwrap();
    let pi = s.payment_intent(&session);
    env.processed(1).await;
    env.until(
        &format!("SELECT status FROM payments WHERE provider_payment_id = '{pi}'"),
        "rejected".to_owned(),
    )
    .await;
    let detail: String = env
        .scalar(&format!(
            "SELECT status_detail FROM payments WHERE provider_payment_id = '{pi}'"
        ))
        .await;
    assert!(
        detail.contains("generic_decline"),
        "the owner sees why: {detail}"
    );

    // An event whose body claims the PaymentIntent succeeded.
    let body = serde_json::json!({
        "id": "evt_lie_1", "object": "event", "api_version": "2024-06-20", "created": unix_now(),
        "livemode": false, "type": "payment_intent.succeeded",
        "data": { "object": {
            "id": pi, "object": "payment_intent", "amount": 50000, "amount_received": 50000,
            "currency": "ars", "status": "succeeded", "latest_charge": "ch_fake",
            "last_payment_error": null, "metadata": {}, "created": unix_now()
        }}
    })
    .to_string();
    let sign =
        |secret: &str, t: i64| mostrador_stripe::signature::header(secret, t, body.as_bytes());
    // Forged (another secret), stale (signed 10 minutes before it reached the relay), unsigned.
    s.post_event(&body, Some(sign("whsec_someone_else", unix_now())))
        .await;
    s.post_event(&body, Some(sign(SECRET, unix_now() - 600)))
        .await;
    s.post_event(&body, None).await;
    // Genuine signature (one of several v1, as during a secret roll) but a lying body: fetched.
    let t = unix_now();
    let rolled = format!(
        "t={t},v1={},v1={}",
        mostrador_stripe::signature::sign("whsec_old_secret", t, body.as_bytes()),
        mostrador_stripe::signature::sign(SECRET, t, body.as_bytes())
    );
    s.post_event(&body, Some(rolled)).await;
    env.processed(5).await;
    env.jobs_settled().await;
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT status_reason FROM inbox_raw WHERE provider = 'stripe' AND status = 'quarantined' ORDER BY relay_seq",
    )
    .fetch_all(env.store.reader())
    .await
    .unwrap();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("no coincide"), "{reasons:?}");
    assert!(reasons[1].contains("más de 5 minutos"), "{reasons:?}");
    assert!(reasons[2].contains("Sin firma"), "{reasons:?}");
    let status: String = env
        .scalar(&format!(
            "SELECT status FROM payments WHERE provider_payment_id = '{pi}'"
        ))
        .await;
    assert_eq!(status, "rejected", "the API's word, not the body's");
    let fetched: i64 = env
        .scalar("SELECT count(*) FROM payment_notifications WHERE provider = 'stripe'")
        .await;
    assert_eq!(fetched, 2, "the decline and the lying event were fetched");
    let inv: Option<String> = sqlx::query_scalar(&format!(
        "SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"
    ))
    .fetch_optional(env.store.reader())
    .await
    .unwrap();
    assert_eq!(inv.as_deref(), Some("unpaid"));
    assert_eq!(env.thanks().await, 0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispute_is_tracked_until_won_and_refunds_are_refused_above_what_was_paid() {
    let s = stripe_env().await;
    let env = &s.env;
    let invoice = env.invoice(100000).await;
    let (_, session) = s.ready_link(invoice).await;
    s.sim.pay(&session).unwrap();
    let pi = s.payment_intent(&session);
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "paid".to_owned(),
    )
    .await;
    env.jobs_settled().await;
    assert_eq!(env.thanks().await, 1);

    // The customer's bank opens a chargeback: the invoice is flagged and the money does not count.
    let mut alerts = env.bus.subscribe();
    let dispute = s
        .sim
        .open_dispute(OpenDispute {
            payment_intent: pi.clone(),
            reason: None,
        })
        .unwrap();
    let dp = dispute["id"].as_str().unwrap().to_owned();
    env.until(
        &format!("SELECT state FROM payment_chargebacks WHERE provider_chargeback_id = '{dp}' AND provider = 'stripe'"),
        "open".to_owned(),
    )
    .await;
    env.until(
        &format!("SELECT flagged FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        1i64,
    )
    .await;
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "unpaid".to_owned(),
    )
    .await;
    let alerted = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(payments::PaymentEvent::Alert { alert, .. }) = alerts.recv().await {
                if alert == payments::PaymentAlert::Chargeback {
                    return;
                }
            }
        }
    })
    .await;
    assert!(alerted.is_ok(), "the owner is alerted");
    let disputed = payments::list_payments(
        &env.store,
        env.org,
        &payments::PaymentFilter {
            disputed_only: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(disputed.len(), 1);

    // Won: the flag goes, the invoice is paid again, nobody is thanked twice.
    s.sim
        .close_dispute(
            &dp,
            CloseDispute {
                status: "won".into(),
            },
        )
        .unwrap();
    env.until(
        &format!("SELECT state FROM payment_chargebacks WHERE provider_chargeback_id = '{dp}'"),
        "won".to_owned(),
    )
    .await;
    env.until(
        &format!("SELECT flagged FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        0i64,
    )
    .await;
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "paid".to_owned(),
    )
    .await;
    env.jobs_settled().await;
    assert_eq!(env.thanks().await, 1);

    // Refunds: more than what was paid is refused before asking Stripe; a partial one goes through.
    let row: i64 = env
        .scalar(&format!(
            "SELECT id FROM payments WHERE provider_payment_id = '{pi}'"
        ))
        .await;
    let too_much = payments::request_refund(
        &env.store,
        env.outbound().queue(),
        env.org,
        RefundRequest {
            payment_id: row,
            amount_cents: Some(100001),
            idempotency_key: "s1".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            too_much,
            PaymentsError::RefundTooLarge {
                asked: 100001,
                left: 100000
            }
        ),
        "{too_much:?}"
    );
    let r = payments::request_refund(
        &env.store,
        env.outbound().queue(),
        env.org,
        RefundRequest {
            payment_id: row,
            amount_cents: Some(30000),
            idempotency_key: "s2".into(),
        },
    )
    .await
    .unwrap();
    env.until(
        &format!("SELECT state FROM payment_refunds WHERE id = {r}"),
        "done".to_owned(),
    )
    .await;
    env.until(
        &format!("SELECT refunded_cents FROM payments WHERE id = {row}"),
        30000i64,
    )
    .await;
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "partial".to_owned(),
    )
    .await;
    let kind: String = env
        .scalar(&format!(
            "SELECT kind FROM jobs WHERE id = (SELECT job_id FROM payment_refunds WHERE id = {r})"
        ))
        .await;
    assert_eq!(kind, payments::STRIPE_REFUND_KIND);
    let refunds = s
        .sim
        .events()
        .into_iter()
        .filter(|e| e["type"] == "refund.created")
        .count();
    assert_eq!(refunds, 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dollars_on_a_peso_invoice_are_a_mismatch_and_an_unconfigured_provider_is_refused() {
    let s = stripe_env().await;
    let env = &s.env;
    // Ajustes → Stripe: "Probar" reads the balance with the stored key (a test key says so); a
    // wrong key is refused in Spanish; the URL to paste is the relay's `/stripe` one.
    let probe = payments::stripe::probe(&env.store, &env.secrets, env.org, None)
        .await
        .unwrap();
    assert!(probe.test_mode);
    assert_eq!(probe.available, ["US$ 0,00"]);
    let wrong = payments::stripe::probe(
        &env.store,
        &env.secrets,
        env.org,
        Some(Secret::new("sk_test_not_this_one")),
    )
    .await
    .unwrap_err();
    let msg = AppError::from(wrong).message;
    assert!(msg.contains("clave secreta de Stripe es inválida"), "{msg}");
    let mut no_url = StripeSettings::load(&env.store, env.org).await.unwrap();
    no_url.webhook_url = None;
    assert_eq!(
        no_url
            .webhook_url_or_derived(&env.store, env.org)
            .await
            .as_deref(),
        Some(s.ingress.as_str()),
        "derived from MercadoPago's relay URL"
    );
    let mut bad = no_url.clone();
    bad.webhook_url = Some(env.mp_ingress.clone());
    assert!(
        bad.save(&env.store, env.org).await.is_err(),
        "a /mercadopago URL is not Stripe's"
    );

    let invoice = env.invoice(250000).await;
    // Both configured: pesos default to MercadoPago, dollars to Stripe.
    let both = ConfiguredProviders {
        mercadopago: true,
        stripe: true,
    };
    assert_eq!(both.choose(None, "ARS").unwrap(), ProviderName::MercadoPago);
    assert_eq!(both.choose(None, "USD").unwrap(), ProviderName::Stripe);
    // A peso invoice cannot be charged in dollars through "Cobrar".
    let mut usd = link_for(invoice, Some(ProviderName::Stripe));
    usd.currency = Some("USD".into());
    assert!(s.env.charge(usd).await.is_err());

    // A dollar payment carrying this invoice's link reference (e.g. a session created by hand in
    // Stripe's dashboard): attached by our reference, but shown as another currency, never paid.
    let (link_id, _) = s.ready_link(invoice).await;
    let reference: String = env
        .scalar(&format!(
            "SELECT reference FROM payment_links WHERE id = {link_id}"
        ))
        .await;
    let client = mostrador_stripe::Client::new(
        mostrador_stripe::Config::new(Secret::new(s.sim.account().secret_key))
            .with_base_url(&s.base)
            .unwrap(),
    )
    .unwrap();
    let by_hand = client
        .create_checkout_session(
            &mostrador_stripe::NewCheckoutSession::new(
                mostrador_stripe::Currency::usd(),
                reference,
                "https://shop.example/ok",
                "https://shop.example/no",
            )
            .item("Factura", mostrador_stripe::MinorUnits(250000), 1)
            .expires_at(unix_now() + 3600),
            &mostrador_stripe::IdempotencyKey::new("by-hand-1").unwrap(),
        )
        .await
        .unwrap();
    s.sim.pay(by_hand.id.as_str()).unwrap();
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "currency_mismatch".to_owned(),
    )
    .await;
    let currency: String = env
        .scalar("SELECT currency FROM payments WHERE provider = 'stripe'")
        .await;
    assert_eq!(currency, "USD");

    // Without Stripe's key, asking for Stripe is refused in Spanish.
    env.secrets
        .delete(env.org, payments::STRIPE_SECRET_KEY)
        .await
        .unwrap();
    let other = env.invoice(1000).await;
    let e = s
        .env
        .charge(link_for(other, Some(ProviderName::Stripe)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            PaymentsError::ProviderNotConfigured(ProviderName::Stripe)
        ),
        "{e:?}"
    );
    let msg = AppError::from(e).message;
    assert!(msg.contains("Stripe no está configurado"), "{msg}");
    // Without a choice, the one configured (MercadoPago) charges.
    let link = s.env.charge(link_for(other, None)).await.unwrap();
    let provider: String = env
        .scalar(&format!(
            "SELECT provider FROM payment_links WHERE id = {}",
            link.id
        ))
        .await;
    assert_eq!(provider, "mercadopago");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_is_marked_expired_and_cobrar_makes_a_new_one_naming_its_provider() {
    let s = stripe_env().await;
    let env = &s.env;
    let invoice = env.invoice(99900).await;
    let (first, session) = s.ready_link(invoice).await;
    // The stored expiry is the one the session was created with.
    let expires_at: String = env
        .scalar(&format!(
            "SELECT expires_at FROM payment_links WHERE id = {first}"
        ))
        .await;
    let sim_expiry = s
        .sim
        .sessions()
        .into_iter()
        .find(|x| x["id"] == session.as_str())
        .and_then(|x| x["expires_at"].as_i64())
        .unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&expires_at)
            .unwrap()
            .timestamp(),
        sim_expiry
    );
    // The link's text names Stripe, not Mercado Pago.
    env.until(
        &format!(
            "SELECT count(*) FROM messages WHERE conversation_id = {} AND text LIKE '%link de Stripe%'",
            env.conversation_id
        ),
        1i64,
    )
    .await;
    let mp_named: i64 = env
        .scalar("SELECT count(*) FROM messages WHERE text LIKE '%Mercado Pago%'")
        .await;
    assert_eq!(mp_named, 0);

    // Stripe's clock passes the session's expiry: `checkout.session.expired` → relay → the session
    // fetched → the link is expired (the provider's answer).
    assert!(s.sim.expire(&session).unwrap());
    env.until(
        &format!("SELECT expired_at IS NOT NULL FROM payment_links WHERE id = {first}"),
        1i64,
    )
    .await;
    let v = payments::get_link(&env.store, env.org, first)
        .await
        .unwrap();
    assert_eq!(v.state, "expired");

    // "Cobrar" again: a NEW link with a new idempotency key and a new session.
    let (second, session2) = s.ready_link(invoice).await;
    assert_ne!(second, first);
    assert_ne!(session2, session);
    let keys: i64 = env
        .scalar(&format!(
            "SELECT count(DISTINCT idempotency_key) FROM payment_links WHERE invoice_id = {invoice}"
        ))
        .await;
    assert_eq!(keys, 2);
    assert_eq!(s.sim.sessions().len(), 2);

    // The stored expiry, checked when "Cobrar" is pressed again: the second link's time passes
    // (no event this time), so the next "Cobrar" marks it expired and makes a third.
    sqlx::query("UPDATE payment_links SET expires_at = ? WHERE id = ?")
        .bind(mostrador_core::store::timestamp::to_text(
            chrono::Utc::now() - chrono::Duration::seconds(1),
        ))
        .bind(second)
        .execute(env.store.writer())
        .await
        .unwrap();
    let mut req = link_for(invoice, Some(ProviderName::Stripe));
    req.send_to_customer = false;
    let third = s.env.charge(req).await.unwrap();
    assert_ne!(third.id, second);
    assert_eq!(
        payments::get_link(&env.store, env.org, second)
            .await
            .unwrap()
            .state,
        "expired"
    );
    env.until_ready(third.id).await;
    // "Enviar por WhatsApp" on it: the text names Stripe too.
    let msg = payments::send_link(
        &env.store,
        env.outbound().queue(),
        &env.events,
        env.org,
        third.id,
    )
    .await
    .unwrap();
    let text: String = env
        .scalar(&format!("SELECT text FROM messages WHERE id = {msg}"))
        .await;
    assert!(text.contains("link de Stripe"), "{text}");
    assert!(!text.contains("Mercado Pago"), "{text}");

    // A MercadoPago link past its stored expiry: the same, with a new preference.
    let inv2 = env.invoice(5000).await;
    let mp1 = s
        .env
        .charge(link_for(inv2, Some(ProviderName::MercadoPago)))
        .await
        .unwrap();
    let pref1 = env.until_ready(mp1.id).await;
    let mp_exp: Option<String> = env
        .scalar(&format!(
            "SELECT expires_at FROM payment_links WHERE id = {}",
            mp1.id
        ))
        .await;
    assert!(mp_exp.is_some(), "the preference's expiry is stored");
    let again = s
        .env
        .charge(link_for(inv2, Some(ProviderName::MercadoPago)))
        .await
        .unwrap();
    assert_eq!(again.id, mp1.id, "not expired yet: the same link");
    sqlx::query("UPDATE payment_links SET expires_at = ? WHERE id = ?")
        .bind(mostrador_core::store::timestamp::to_text(
            chrono::Utc::now() - chrono::Duration::seconds(1),
        ))
        .bind(mp1.id)
        .execute(env.store.writer())
        .await
        .unwrap();
    let mp2 = s
        .env
        .charge(link_for(inv2, Some(ProviderName::MercadoPago)))
        .await
        .unwrap();
    assert_ne!(mp2.id, mp1.id);
    let pref2 = env.until_ready(mp2.id).await;
    assert_ne!(pref2, pref1);
    env.jobs_settled().await;
    s.stop().await;
}
