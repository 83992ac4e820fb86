//! Stripe webhooks through the real relay (SQLite): the simulator POSTs to
//! `/in/{token}/stripe`, the desktop's polling client gets the events back, and
//! `Stripe-Signature` still verifies over the returned bytes (pretty-printed JSON, not
//! re-serialised). Duplicates arrive as distinct relay events with the same Stripe event id.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::Router;
use mostrador_relay::{Provider, RelayClient};
use mostrador_sandbox::stripe::{StripeConfigPatch, StripeSim};
use mostrador_stripe::{
    Client, Config, Currency, Event, IdempotencyKey, MinorUnits, NewCheckoutSession, Verifier,
};
use mostrador_testkit as kit;
use mostrador_types::Secret;

const SECRET: &str = "whsec_relay_test_secret";

#[tokio::test]
async fn signed_events_survive_the_relay_byte_for_byte() {
    let backend = kit::Backend::sqlite();
    let tenant = kit::create_tenant(backend.url(), "shop").await;
    let relay = kit::start(&kit::test_config(backend.url())).await;
    assert!(tenant.url("stripe").ends_with("/stripe"));

    let sim = StripeSim::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/stripe", listener.local_addr().unwrap());
    let app = Router::new().nest("/stripe", sim.router());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    sim.configure(StripeConfigPatch {
        webhook_url: Some(tenant.local(relay.addr, "stripe")),
        webhook_secrets: Some(vec![SECRET.into()]),
        duplicate_deliveries: Some(1),
        delivery_delay_ms: Some(1),
        ..Default::default()
    });

    let client = Client::new(
        Config::new(Secret::new(sim.account().secret_key))
            .with_base_url(&base)
            .unwrap(),
    )
    .unwrap();
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600;
    let s = client
        .create_checkout_session(
            &NewCheckoutSession::new(Currency::usd(), "inv-relay", "https://s/ok", "https://s/no")
                .item("Alfajores x12", MinorUnits(1_800), 1)
                .expires_at(expires),
            &IdempotencyKey::new("checkout-inv-relay-0").unwrap(),
        )
        .await
        .unwrap();
    sim.pay(s.id.as_str()).unwrap();

    // Three events, each delivered twice: six relay events.
    let desktop = RelayClient::new(
        &format!("http://{}", relay.addr),
        tenant.device_token.clone().into(),
    )
    .unwrap();
    let mut got = Vec::new();
    let mut after = 0;
    while got.len() < 6 {
        let page = tokio::time::timeout(
            Duration::from_secs(10),
            desktop.events(after, None, 100, Duration::from_secs(2)),
        )
        .await
        .expect("the relay answers")
        .unwrap();
        after = page.next_cursor;
        got.extend(page.events);
    }
    assert_eq!(got.len(), 6);
    let verifier = Verifier::new(Secret::new(SECRET));
    let mut ids = BTreeSet::new();
    for ev in &got {
        assert_eq!(ev.provider, Provider::Stripe);
        let body = ev.body().unwrap();
        verifier
            .verify(&body, ev.header("stripe-signature"))
            .expect("the signature verifies over the relayed bytes");
        // A tampered copy does not (the check is real).
        let mut tampered = body.clone();
        tampered.push(b' ');
        assert!(verifier
            .verify(&tampered, ev.header("stripe-signature"))
            .is_err());
        ids.insert(Event::parse(&body).unwrap().id);
    }
    assert_eq!(ids.len(), 3, "duplicates share the Stripe event id");
    drop(relay);
}
