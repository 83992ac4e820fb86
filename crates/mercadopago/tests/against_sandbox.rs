//! The client against the sandbox's MercadoPago simulator, over real HTTP on 127.0.0.1.

use std::time::{Duration, SystemTime};

use mostrador_mercadopago::notification;
use mostrador_mercadopago::signature::{self, Signed};
use mostrador_mercadopago::{
    Client, Config, Error, ErrorClass, IdempotencyKey, NewPreference, PaymentId, PaymentStatus,
    QrOrder,
};
use mostrador_sandbox::mercadopago::{
    ChargebackRequest, MercadoPagoSim, MpFault, MpFaultKind, PayRequest, RunningMp,
};
use mostrador_types::{Money, Secret};

async fn start() -> (RunningMp, Client) {
    let mp = MercadoPagoSim::default()
        .serve(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let token = mp.sim.account().access_token;
    let cfg = Config::new(Secret::new(token))
        .with_base_url(&mp.base_url())
        .unwrap()
        .with_timeout(Duration::from_millis(700));
    (mp, Client::new(cfg).unwrap())
}

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

fn pref(reference: &str, cents: i64) -> NewPreference {
    let mut p = NewPreference::single("Factura 0001", Money::from_cents(cents), "ARS", reference);
    // Nobody listens there: the webhooks are only recorded.
    p.notification_url = Some("http://127.0.0.1:9/in/t/mercadopago?source_news=webhooks".into());
    p
}

#[tokio::test]
async fn preference_is_idempotent_even_after_a_timeout() {
    let (mp, client) = start().await;
    let p1 = client
        .create_preference(&pref("inv-1", 150050), &key("pref-inv-1-1"))
        .await
        .unwrap();
    let again = client
        .create_preference(&pref("inv-1", 150050), &key("pref-inv-1-1"))
        .await
        .unwrap();
    assert_eq!(p1.id, again.id);
    assert_eq!(p1.link(), again.link());
    assert!(p1
        .link()
        .unwrap()
        .contains("/mp/checkout/v1/redirect?pref_id="));
    assert_eq!(p1.external_reference.as_deref(), Some("inv-1"));

    // The simulator creates the preference, then never answers: the client times out...
    mp.sim
        .add_fault(MpFault::new(MpFaultKind::Timeout { accept: true }));
    let e = client
        .create_preference(&pref("inv-2", 1000), &key("pref-inv-2-1"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(e.retryable());
    // ...and the retry with the same key gets that same preference, not a second one.
    let p2 = client
        .create_preference(&pref("inv-2", 1000), &key("pref-inv-2-1"))
        .await
        .unwrap();
    let created: Vec<_> = mp
        .sim
        .preferences()
        .into_iter()
        .filter(|p| p.external_reference.as_deref() == Some("inv-2"))
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].id, p2.id);
    let body = &created[0].body;
    assert_eq!(created[0].amount_cents, 1000);
    assert_eq!(
        body["notification_url"],
        "http://127.0.0.1:9/in/t/mercadopago?source_news=webhooks"
    );
}

#[tokio::test]
async fn payments_refunds_chargebacks_and_signed_notifications() {
    let (mp, client) = start().await;
    let p = client
        .create_preference(&pref("inv-9", 200000), &key("pref-inv-9-1"))
        .await
        .unwrap();
    let id = mp
        .sim
        .pay(PayRequest {
            preference_id: p.id.clone(),
            outcome: "approve".into(),
            amount_cents: None,
            installments: Some(3),
        })
        .await
        .unwrap();
    let pay = client.get_payment(PaymentId(id)).await.unwrap();
    assert_eq!(pay.status, PaymentStatus::Approved);
    assert_eq!(pay.transaction_amount, Money::from_cents(200000));
    assert_eq!(pay.external_reference.as_deref(), Some("inv-9"));
    assert_eq!(pay.installments, Some(3));
    assert_eq!(pay.fees(), Some(Money::from_cents(11980)));
    assert_eq!(pay.net(), Some(Money::from_cents(188020)));

    // The webhook the simulator built verifies with the crate's check, and parses to "fetch id".
    let hook = mp
        .sim
        .webhooks()
        .into_iter()
        .find(|w| w.resource_id == id.to_string())
        .unwrap();
    let h = |n: &str| {
        hook.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let n = notification::parse(&hook.url, hook.body.as_bytes()).unwrap();
    assert_eq!(n.resource_id, id.to_string());
    assert_eq!(n.action.as_deref(), Some("payment.created"));
    let secret = mp.sim.account().webhook_secret;
    let signed = Signed {
        signature: h("x-signature"),
        request_id: h("x-request-id"),
        data_id: n.query_data_id.as_deref(),
    };
    signature::verify(
        &secret,
        signed,
        SystemTime::now(),
        Some(Duration::from_secs(300)),
    )
    .unwrap();
    assert_eq!(
        signature::verify("wrong", signed, SystemTime::now(), None).unwrap_err(),
        signature::SignatureError::Mismatch
    );

    // Partial refund, then more than what is left is refused, then the rest.
    let r1 = client
        .refund(
            PaymentId(id),
            Some(Money::from_cents(50000)),
            &key("refund-1"),
        )
        .await
        .unwrap();
    assert_eq!(r1.amount, Money::from_cents(50000));
    let same = client
        .refund(
            PaymentId(id),
            Some(Money::from_cents(50000)),
            &key("refund-1"),
        )
        .await
        .unwrap();
    assert_eq!(same.id, r1.id, "same key, same refund");
    let too_much = client
        .refund(
            PaymentId(id),
            Some(Money::from_cents(150001)),
            &key("refund-2"),
        )
        .await
        .unwrap_err();
    assert_eq!(too_much.class(), Some(ErrorClass::BadRequest));
    assert!(!too_much.retryable());
    client
        .refund(PaymentId(id), None, &key("refund-3"))
        .await
        .unwrap();
    let pay = client.get_payment(PaymentId(id)).await.unwrap();
    assert_eq!(pay.status, PaymentStatus::Refunded);
    assert_eq!(pay.refunded(), Money::from_cents(200000));
    assert_eq!(client.list_refunds(PaymentId(id)).await.unwrap().len(), 2);

    // A chargeback on another payment.
    let id2 = mp
        .sim
        .pay(PayRequest {
            preference_id: p.id.clone(),
            outcome: "approve".into(),
            amount_cents: None,
            installments: None,
        })
        .await
        .unwrap();
    let cb = mp
        .sim
        .chargeback(id2, ChargebackRequest::default())
        .await
        .unwrap();
    let c = client.get_chargeback(&cb).await.unwrap();
    assert_eq!(c.payments, vec![id2]);
    assert_eq!(c.resolved(), None);
    assert_eq!(
        client.get_payment(PaymentId(id2)).await.unwrap().status,
        PaymentStatus::ChargedBack
    );
    let found = client.search_payments("inv-9").await.unwrap();
    assert_eq!(found.len(), 2);
    let missing = client.get_payment(PaymentId(1)).await.unwrap_err();
    assert_eq!(missing.class(), Some(ErrorClass::NotFound));
}

#[tokio::test]
async fn installments_qr_account_and_faults() {
    let (mp, client) = start().await;
    let opts = client
        .installments(Money::from_cents(120000), Some("visa"))
        .await
        .unwrap();
    let costs = &opts[0].payer_costs;
    assert_eq!(
        costs.iter().map(|c| c.installments).collect::<Vec<_>>(),
        [1, 3, 6, 12]
    );
    assert!(costs[1].interest_free() && !costs[3].interest_free());
    assert_eq!(costs[1].installment_amount, Some(Money::from_cents(40000)));

    let me = client.me().await.unwrap();
    let qr = client
        .create_dynamic_qr(
            me.id,
            "CAJA1",
            &QrOrder::single("inv-5", "Factura 5", Money::from_cents(5000)),
            &key("qr-inv-5-1"),
        )
        .await
        .unwrap();
    assert!(qr.qr_data.starts_with("000201"));

    mp.sim.add_fault(MpFault::new(MpFaultKind::ApiError {
        status: 429,
        error: None,
        message: None,
        retry_after: Some(3),
    }));
    let e = client.me().await.unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::RateLimit));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    mp.sim
        .add_fault(MpFault::new(MpFaultKind::HttpStatus { status: 503 }));
    let e = client.me().await.unwrap_err();
    assert!(matches!(e, Error::Http { status: 503, .. }) && e.retryable());
    let bad = Client::new(
        Config::new(Secret::new("APP_USR-zz-not-the-token"))
            .with_base_url(&mp.base_url())
            .unwrap(),
    )
    .unwrap();
    let e = bad.me().await.unwrap_err();
    assert!(e.pauses_integration() && !e.retryable(), "{e}");
    assert!(
        !e.to_string().contains("zz-not-the-token"),
        "the token never appears in errors"
    );
}
