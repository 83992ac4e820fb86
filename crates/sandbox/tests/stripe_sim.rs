//! The Stripe simulator's wire contract over raw HTTP, through the sandbox's own mount: auth,
//! the idempotency layer, Stripe's error bodies, the checkout page and the control API.

use mostrador_sandbox::Sandbox;
use serde_json::Value;

const KEY: &str = "sk_test_sandbox_stripe_key";

fn session_form(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mode", "payment".into()),
        ("line_items[0][price_data][currency]", "usd".into()),
        ("line_items[0][price_data][unit_amount]", "1250".into()),
        ("line_items[0][price_data][product_data][name]", name.into()),
        ("line_items[0][quantity]", "2".into()),
        ("success_url", "https://shop.example/ok".into()),
        ("metadata[mostrador_ref]", "inv-1".into()),
        (
            "payment_intent_data[metadata][mostrador_ref]",
            "inv-1".into(),
        ),
    ]
}

#[tokio::test]
async fn idempotency_auth_errors_and_page() {
    let sb = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("{}/stripe", sb.base_url());
    let http = reqwest::Client::new();
    let create = |key: &'static str, form: Vec<(&'static str, String)>| {
        http.post(format!("{base}/v1/checkout/sessions"))
            .bearer_auth(KEY)
            .header("idempotency-key", key)
            .form(&form)
            .send()
    };

    let first = create("k1", session_form("Mate")).await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("request-id").is_some());
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["amount_total"], 2500);
    assert_eq!(first["status"], "open");

    // Same key, same parameters: the same session, marked as replayed.
    let replay = create("k1", session_form("Mate")).await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first["id"]);

    // Same key, other parameters: Stripe's 400 idempotency_error.
    let other = create("k1", session_form("Bombilla")).await.unwrap();
    assert_eq!(other.status(), 400);
    let other: Value = other.json().await.unwrap();
    assert_eq!(other["error"]["type"], "idempotency_error");

    // Same key on another endpoint: refused as well.
    let r = http
        .post(format!("{base}/v1/refunds"))
        .bearer_auth(KEY)
        .header("idempotency-key", "k1")
        .form(&[("payment_intent", "pi_x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "idempotency_error");

    // Unknown and missing parameters, as Stripe names them.
    let mut bad = session_form("Mate");
    bad.push(("colour", "red".into()));
    let v: Value = create("k2", bad).await.unwrap().json().await.unwrap();
    assert_eq!(v["error"]["code"], "parameter_unknown");
    assert_eq!(v["error"]["param"], "colour");
    let v: Value = create("k3", session_form("Mate")[..5].to_vec())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["error"]["code"], "parameter_missing");
    assert_eq!(v["error"]["param"], "success_url");

    // A wrong key: 401 with only the key's last characters echoed.
    let r = http
        .get(format!(
            "{base}/v1/checkout/sessions/{}",
            first["id"].as_str().unwrap()
        ))
        .bearer_auth("sk_test_wrong_secret_abcd")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let text = r.text().await.unwrap();
    assert!(text.contains("****abcd") && !text.contains("wrong_secret"));

    // The page, then a decline through the page's own form, then the control API's view.
    let url = first["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{base}/c/pay/cs_test_")));
    let page = http.get(url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("25.00 USD") && page.contains("id=\"pay\""));
    let declined = http.post(format!("{url}/fail")).send().await.unwrap();
    assert_eq!(declined.status(), 200);
    let events: Value = http
        .get(format!("{base}/_sandbox/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(events[0]["type"], "payment_intent.payment_failed");
    let pi = events[0]["data"]["object"]["id"].as_str().unwrap();
    let v: Value = http
        .get(format!("{base}/v1/payment_intents/{pi}"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "requires_payment_method");
    assert_eq!(v["metadata"]["mostrador_ref"], "inv-1");
    // Nothing to refund on a declined payment.
    let r = http
        .post(format!("{base}/v1/refunds"))
        .bearer_auth(KEY)
        .form(&[("payment_intent", pi)])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "charge_not_refundable");
}
