//! The client against the sandbox's Stripe simulator, over real HTTP on 127.0.0.1. Webhooks go to
//! a small receiver that checks `Stripe-Signature` on the raw body with the crate's own verifier
//! and answers 400 to anything it refuses.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use mostrador_sandbox::stripe::{OpenDispute, StripeFault, StripeFaultKind, StripeSim};
use mostrador_stripe::ids::PaymentIntentId;
use mostrador_stripe::{
    Client, Config, Currency, Event, EventKind, FetchTarget, IdempotencyKey, MinorUnits,
    NewCheckoutSession, NewRefund, PaymentIntentStatus, RetryClass, SessionPaymentStatus,
    SessionStatus, Verifier,
};
use mostrador_types::Secret;
use tokio::sync::mpsc;

const KEY: &str = "sk_test_sandbox_stripe_key";
const SECRET: &str = "whsec_endpoint_secret_for_tests";

/// What the receiver got: a verified event, or a refusal.
#[derive(Debug)]
enum Received {
    Verified(Box<Event>),
    Refused(String),
}

struct Harness {
    sim: StripeSim,
    base: String,
    client: Client,
    rx: mpsc::UnboundedReceiver<Received>,
    http: reqwest::Client,
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn start() -> Harness {
    // The simulator mounted as the sandbox mounts it.
    let sim = StripeSim::default();
    let base = serve(Router::new().nest("/stripe", sim.router())).await;

    let (tx, rx) = mpsc::unbounded_channel();
    async fn receive(
        State(tx): State<mpsc::UnboundedSender<Received>>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let header = headers
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok());
        let verdict = Verifier::new(Secret::new(SECRET))
            .verify(&body, header)
            .map_err(|e| e.to_string())
            .and_then(|_| Event::parse(&body).map_err(|e| e.to_string()));
        let (status, msg) = match verdict {
            Ok(ev) => (StatusCode::OK, Received::Verified(Box::new(ev))),
            Err(e) => (StatusCode::BAD_REQUEST, Received::Refused(e)),
        };
        let _ = tx.send(msg);
        status
    }
    let receiver = serve(Router::new().route("/hook", post(receive)).with_state(tx)).await;

    // Configure through the control API, as a test of the app would.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{base}/stripe/_sandbox/config"))
        .json(&serde_json::json!({
            "webhook_url": format!("{receiver}/hook"),
            // A secret being rolled: two v1 per delivery, only the second is ours.
            "webhook_secrets": ["whsec_previous_secret", SECRET],
            "delivery_delay_ms": 1,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let client = Client::new(
        Config::new(Secret::new(KEY))
            .with_base_url(&format!("{base}/stripe"))
            .unwrap()
            .with_timeout(Duration::from_millis(800)),
    )
    .unwrap();
    Harness {
        sim,
        base,
        client,
        rx,
        http,
    }
}

impl Harness {
    /// The next delivery, verified.
    async fn next_event(&mut self) -> Event {
        let got = tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("a webhook within 10 s")
            .expect("receiver alive");
        match got {
            Received::Verified(e) => *e,
            Received::Refused(why) => panic!("the receiver refused a delivery: {why}"),
        }
    }

    /// Deliveries until one of `kind_name`.
    async fn event_of(&mut self, kind_name: &str) -> Event {
        loop {
            let e = self.next_event().await;
            if e.kind_name == kind_name {
                return e;
            }
        }
    }
}

fn session(reference: &str) -> NewCheckoutSession {
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600;
    NewCheckoutSession::new(
        Currency::usd(),
        reference,
        "https://shop.example/pagado?s={CHECKOUT_SESSION_ID}",
        "https://shop.example/cancelado",
    )
    .item("Mate de calabaza <grande>", MinorUnits(2_500), 2)
    .item("Yerba 1 kg", MinorUnits(990), 1)
    .expires_at(in_an_hour)
}

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::new(s).unwrap()
}

/// Creates and pays a session on the simulator's page; returns the verified
/// `payment_intent.succeeded` event's PaymentIntent id.
async fn create_and_pay(h: &mut Harness, reference: &str) -> PaymentIntentId {
    let s = h
        .client
        .create_checkout_session(
            &session(reference),
            &key(&format!("checkout-{reference}-0")),
        )
        .await
        .unwrap();
    let url = s.url.expect("an open session has a page");
    let r = h.http.post(format!("{url}/pay")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let e = h.event_of("payment_intent.succeeded").await;
    match e.fetch_target() {
        Some(FetchTarget::PaymentIntent(pi)) => pi,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn session_paid_on_the_page_then_webhook_verified_then_payment_intent_succeeded() {
    let mut h = start().await;
    let s = h
        .client
        .create_checkout_session(&session("inv-42"), &key("checkout-inv-42-0"))
        .await
        .unwrap();
    assert_eq!(s.status, Some(SessionStatus::Open));
    assert_eq!(s.payment_status, SessionPaymentStatus::Unpaid);
    assert_eq!(s.amount_total, Some(5_990));
    assert_eq!(s.external_reference(), Some("inv-42"));
    let url = s.url.clone().unwrap();
    assert!(url.starts_with(&format!("{}/stripe/c/pay/cs_test_", h.base)));

    // The page a tester (or WebDriver) sees: both buttons, the total, names escaped.
    let page = h.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"pay\"") && page.contains("id=\"fail\""));
    assert!(page.contains("59.90 USD"));
    assert!(page.contains("&lt;grande&gt;") && !page.contains("<grande>"));

    // A declined card first: payment_failed, the session stays open.
    let r = h.http.post(format!("{url}/fail")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("declined"));
    let failed = h.event_of("payment_intent.payment_failed").await;
    let EventKind::PaymentFailed(pi) = &failed.kind else {
        panic!("{failed:?}")
    };
    assert_eq!(
        pi.last_payment_error.as_ref().unwrap().code.as_deref(),
        Some("card_declined")
    );

    // Then the customer pays: redirected to the success URL with the session id.
    let r = h.http.post(format!("{url}/pay")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("https://shop.example/pagado?s={}", s.id)
    );
    let succeeded = h.event_of("payment_intent.succeeded").await;
    assert_eq!(succeeded.external_reference(), Some("inv-42"));
    let completed = h.event_of("checkout.session.completed").await;
    let EventKind::CheckoutCompleted(cs) = &completed.kind else {
        panic!("{completed:?}")
    };
    assert_eq!(cs.id, s.id);

    // Never trust the body: fetch what the event names.
    let Some(FetchTarget::PaymentIntent(pi_id)) = succeeded.fetch_target() else {
        panic!("{succeeded:?}")
    };
    let pi = h.client.retrieve_payment_intent(&pi_id).await.unwrap();
    assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
    assert_eq!(pi.amount_received, 5_990);
    assert_eq!(pi.external_reference(), Some("inv-42"));
    let again = h.client.retrieve_checkout_session(&s.id).await.unwrap();
    assert_eq!(again.status, Some(SessionStatus::Complete));
    assert_eq!(again.payment_status, SessionPaymentStatus::Paid);
    assert_eq!(again.payment_intent.as_ref(), Some(&pi_id));
    assert!(again.url.is_none());
    // The event can also be fetched by id.
    let fetched = h.client.retrieve_event(&succeeded.id).await.unwrap();
    assert_eq!(fetched.kind_name, "payment_intent.succeeded");

    // Every delivery carried two v1 signatures, and the receiver accepted each one.
    let deliveries = h.sim.deliveries();
    assert!(deliveries.len() >= 4);
    for d in &deliveries {
        assert_eq!(d.signature.matches("v1=").count(), 2, "{}", d.signature);
    }
}

#[tokio::test]
async fn timeout_then_retry_with_the_same_key_gives_one_session() {
    let h = start().await;
    let k = key("checkout-inv-7-0");
    // Built once and stored with the job: a retry must send the same parameters (a fresh
    // `expires_at` a second later would be a different request, refused with idempotency_error).
    let new = session("inv-7");
    // Stripe creates the session, the answer never comes.
    h.sim
        .add_fault(StripeFault::new(StripeFaultKind::Timeout { accept: true }));
    let err = h
        .client
        .create_checkout_session(&new, &k)
        .await
        .unwrap_err();
    assert_eq!(err.class(), RetryClass::Transient, "{err}");
    assert_eq!(err.code(), "timeout");
    assert_eq!(h.sim.sessions().len(), 1);

    // The queue retries with the same key: the same session, not a second one.
    let s = h.client.create_checkout_session(&new, &k).await.unwrap();
    let sessions = h.sim.sessions();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], s.id.as_str());

    // The same key for something else is Stripe's 400 idempotency_error: a bug, never retried.
    let other = new.clone().item("Otra cosa", MinorUnits(100), 1);
    let err = h
        .client
        .create_checkout_session(&other, &k)
        .await
        .unwrap_err();
    assert!(err.is_idempotency_mismatch(), "{err}");
    assert_eq!(err.class(), RetryClass::Permanent);
    assert_eq!(h.sim.sessions().len(), 1);
}

#[tokio::test]
async fn faults_map_to_the_queue_classes() {
    let h = start().await;
    let new = session("inv-f");
    let cases = [
        (
            StripeFaultKind::RateLimited {
                retry_after: Some(3),
            },
            RetryClass::RateLimited,
            "rate_limit",
        ),
        (
            StripeFaultKind::Unauthorized,
            RetryClass::Paused,
            "api_key_expired",
        ),
        (
            StripeFaultKind::HttpStatus { status: 503 },
            RetryClass::Transient,
            "http_503",
        ),
        (
            StripeFaultKind::AcceptThenHttpStatus { status: 500 },
            RetryClass::MaybeSent,
            "http_500",
        ),
    ];
    for (i, (fault, class, code)) in cases.into_iter().enumerate() {
        h.sim.add_fault(StripeFault::new(fault.clone()));
        let err = h
            .client
            .create_checkout_session(&new, &key(&format!("checkout-f-{i}")))
            .await
            .unwrap_err();
        assert_eq!(err.class(), class, "{fault:?}: {err}");
        assert_eq!(err.code(), code, "{fault:?}");
        assert_eq!(err.class().as_str(), class.as_str());
        if class == RetryClass::RateLimited {
            assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
        }
    }
    // The 500 was cached under its key: the same key replays it (why it is "maybe sent").
    let err = h
        .client
        .create_checkout_session(&new, &key("checkout-f-3"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), RetryClass::MaybeSent);
    // A wrong key, without any fault, pauses the integration.
    let bad = Client::new(
        Config::new(Secret::new("sk_test_wrong"))
            .with_base_url(&format!("{}/stripe", h.base))
            .unwrap(),
    )
    .unwrap();
    let err = bad
        .retrieve_checkout_session(&"cs_test_x".to_owned().try_into().unwrap())
        .await
        .unwrap_err();
    assert!(err.pauses_integration(), "{err}");
    assert!(!err.to_string().contains("sk_test_wrong"));
}

#[tokio::test]
async fn refunds_are_idempotent_and_never_above_what_was_paid() {
    let mut h = start().await;
    let pi = create_and_pay(&mut h, "inv-r").await;
    let partial = NewRefund::partial(pi.clone(), MinorUnits(1_000));
    let r1 = h
        .client
        .create_refund(&partial, &key("refund-inv-r-1"))
        .await
        .unwrap();
    assert_eq!(r1.amount, 1_000);
    // A retry of the same refund returns the same refund, not a second one.
    let again = h
        .client
        .create_refund(&partial, &key("refund-inv-r-1"))
        .await
        .unwrap();
    assert_eq!(again.id, r1.id);
    let refunded = h.event_of("charge.refunded").await;
    let EventKind::ChargeRefunded(ch) = &refunded.kind else {
        panic!("{refunded:?}")
    };
    assert_eq!((ch.amount_refunded, ch.refunded), (1_000, false));

    // 4 990 are left: 5 000 is refused.
    let err = h
        .client
        .create_refund(
            &NewRefund::partial(pi.clone(), MinorUnits(5_000)),
            &key("refund-inv-r-2"),
        )
        .await
        .unwrap_err();
    assert!(err.is_refund_too_large(), "{err}");
    assert_eq!(err.class(), RetryClass::Permanent);
    // The rest, as a total refund.
    let rest = h
        .client
        .create_refund(&NewRefund::total(pi.clone()), &key("refund-inv-r-3"))
        .await
        .unwrap();
    assert_eq!(rest.amount, 4_990);
    let fetched = h.client.retrieve_refund(&rest.id).await.unwrap();
    assert_eq!(fetched.amount, 4_990);
    let err = h
        .client
        .create_refund(&NewRefund::total(pi), &key("refund-inv-r-4"))
        .await
        .unwrap_err();
    assert!(err.is_refund_too_large(), "{err}");
}

#[tokio::test]
async fn a_dispute_arrives_as_a_verified_event() {
    let mut h = start().await;
    let pi = create_and_pay(&mut h, "inv-d").await;
    let dispute = h
        .sim
        .open_dispute(OpenDispute {
            payment_intent: pi.to_string(),
            reason: Some("product_not_received".into()),
        })
        .unwrap();
    let e = h.event_of("charge.dispute.created").await;
    let EventKind::DisputeCreated(d) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(d.id.as_str(), dispute["id"]);
    assert_eq!(d.reason, "product_not_received");
    assert_eq!(d.amount, 5_990);
    assert_eq!(e.fetch_target(), Some(FetchTarget::PaymentIntent(pi)));
}

#[tokio::test]
async fn duplicate_and_out_of_order_deliveries_dedupe_on_the_event_id() {
    let mut h = start().await;
    h.sim
        .configure(mostrador_sandbox::stripe::StripeConfigPatch {
            duplicate_deliveries: Some(2),
            out_of_order: Some(true),
            ..Default::default()
        });
    let s = h
        .client
        .create_checkout_session(&session("inv-dup"), &key("checkout-inv-dup-0"))
        .await
        .unwrap();
    h.sim.pay(s.id.as_str()).unwrap();
    let mut got = Vec::new();
    for _ in 0..9 {
        got.push(h.next_event().await);
    }
    // Last event first.
    assert_eq!(got[0].kind_name, "checkout.session.completed");
    let mut ids: Vec<&str> = got.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three events, each delivered three times");
}

#[tokio::test]
async fn deliveries_signed_with_another_secret_are_refused() {
    let mut h = start().await;
    h.sim
        .configure(mostrador_sandbox::stripe::StripeConfigPatch {
            webhook_secrets: Some(vec!["whsec_not_ours".into()]),
            ..Default::default()
        });
    let s = h
        .client
        .create_checkout_session(&session("inv-x"), &key("checkout-inv-x-0"))
        .await
        .unwrap();
    h.sim.decline(s.id.as_str()).unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(got, Received::Refused(ref why) if why.contains("no v1 signature matches")),
        "{got:?}"
    );
}

#[tokio::test]
async fn an_expired_session_cannot_be_paid_and_its_event_is_kept_raw() {
    let mut h = start().await;
    let s = h
        .client
        .create_checkout_session(&session("inv-e"), &key("checkout-inv-e-0"))
        .await
        .unwrap();
    let url = s.url.clone().unwrap();
    assert!(h.sim.expire(s.id.as_str()).unwrap());
    let e = h.event_of("checkout.session.expired").await;
    let EventKind::Other { kind, object } = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(kind, "checkout.session.expired");
    assert_eq!(object["id"], s.id.as_str());
    assert_eq!(e.fetch_target(), None);
    let again = h.client.retrieve_checkout_session(&s.id).await.unwrap();
    assert_eq!(again.status, Some(SessionStatus::Expired));
    assert!(again.url.is_none());
    // The old link shows the session closed and cannot be paid.
    let r = h.http.post(format!("{url}/pay")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("expired"));
    assert!(h.sim.pay(s.id.as_str()).is_err());
}
