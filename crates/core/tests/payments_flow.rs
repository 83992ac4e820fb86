//! Payments end to end over real HTTP: "Cobrar" → preference in the MercadoPago simulator (one,
//! even after a timeout) → link in the conversation → the buyer pays on the simulator → signed
//! webhooks through the relay (three times each, out of order) → payment fetched → invoice paid →
//! exactly one "pago recibido". Plus: a body that lies, forged and unsigned notifications, a
//! payment we never asked for, partial payments, a chargeback, refunds.

mod payments_support;

use mostrador_core::payments::{self, PaymentAlert, PaymentEvent, PaymentsError, RefundRequest};
use mostrador_sandbox::mercadopago::{
    ChargebackRequest, FlushRequest, MpConfigPatch, MpFault, MpFaultKind, NotifyRequest,
    PayRequest, StatusChange,
};
use payments_support::*;

/// A MercadoPago link for the invoice ("Cobrar" without the keychain check), ready; returns
/// (link id, preference id).
async fn ready_link(env: &Env, invoice_id: i64) -> (i64, String) {
    let link = payments::charge(
        &env.store,
        env.outbound().queue(),
        &env.bus,
        env.org,
        link_for(invoice_id, None),
    )
    .await
    .unwrap();
    (link.id, env.until_ready(link.id).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_by_link_thanked_once_despite_triple_out_of_order_webhooks() {
    let env = env().await;
    let invoice = env.invoice(150050).await;
    let (link_id, pref) = ready_link(&env, invoice).await;

    // A double click gives the same link, and the simulator saw one preference.
    let again = payments::charge(
        &env.store,
        env.outbound().queue(),
        &env.bus,
        env.org,
        link_for(invoice, None),
    )
    .await
    .unwrap();
    assert_eq!(again.id, link_id);
    assert_eq!(env.mp.sim.preferences().len(), 1);
    let p = &env.mp.sim.preferences()[0];
    assert_eq!(p.id, pref);
    assert_eq!(p.amount_cents, 150050);
    assert!(p
        .notification_url
        .as_deref()
        .unwrap()
        .starts_with(&env.mp_ingress));
    assert!(p
        .notification_url
        .as_deref()
        .unwrap()
        .contains("source_news=webhooks"));
    // The link went to the conversation as a text (the window is open).
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

    // The buyer leaves it pending, then it is approved; MercadoPago's webhooks arrive late,
    // newest first, each three times.
    env.mp.sim.configure(MpConfigPatch {
        hold_webhooks: Some(true),
        ..Default::default()
    });
    let pay_id = env
        .mp
        .sim
        .pay(PayRequest {
            preference_id: pref.clone(),
            outcome: "pending".into(),
            amount_cents: None,
            installments: Some(3),
        })
        .await
        .unwrap();
    env.mp
        .sim
        .set_status(
            pay_id,
            StatusChange {
                status: "approved".into(),
                status_detail: None,
            },
        )
        .await
        .unwrap();
    let deliveries = env
        .mp
        .sim
        .flush(FlushRequest {
            reverse: true,
            copies: Some(3),
        })
        .await;
    assert_eq!(
        deliveries,
        vec![Some(200); 6],
        "the relay acknowledged every delivery"
    );
    env.processed(6).await;
    env.until(
        &format!("SELECT status FROM payments WHERE provider_payment_id = '{pay_id}'"),
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
        "SELECT count(*) FROM messages WHERE text LIKE '%recibimos tu pago%'",
        1i64,
    )
    .await;

    let deduped: i64 = env
        .scalar("SELECT count(*) FROM payment_notifications")
        .await;
    assert_eq!(deduped, 2, "six deliveries of two notifications");
    let fetches = env
        .mp
        .sim
        .calls()
        .iter()
        .filter(|c| c.ends_with(&format!("/v1/payments/{pay_id}")))
        .count();
    assert_eq!(fetches, 2, "one fetch per distinct notification");
    let view = payments::list_payments(&env.store, env.org, &Default::default())
        .await
        .unwrap();
    assert_eq!(view.len(), 1);
    let v = &view[0];
    assert_eq!(
        (v.invoice_id, v.customer_id, v.unsolicited),
        (Some(invoice), Some(env.customer_id), false)
    );
    assert_eq!(v.installments, Some(3));
    assert_eq!(v.fee_cents, Some(150050 * 599 / 10_000));
    assert_eq!(v.net_cents, Some(150050 - 150050 * 599 / 10_000));
    assert!(v.thanked);
    let history: Vec<String> = sqlx::query_scalar(
        "SELECT h.status FROM payment_history h JOIN payments p ON p.id = h.payment_id ORDER BY h.id",
    )
    .fetch_all(env.store.reader())
    .await
    .unwrap();
    assert_eq!(
        history,
        ["approved"],
        "both fetches saw the current state; no change the second time"
    );

    // Re-sent again much later (MercadoPago does that): still one thank-you.
    env.mp
        .sim
        .notify(NotifyRequest {
            payment_id: pay_id,
            ..Default::default()
        })
        .await
        .unwrap();
    env.processed(7).await;
    env.jobs_settled().await;
    assert_eq!(env.thanks().await, 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_wins_over_the_body_and_forgeries_are_quarantined() {
    let env = env().await;
    let invoice = env.invoice(50000).await;
    let (_, pref) = ready_link(&env, invoice).await;
    let pay_id = env
        .mp
        .sim
        .pay(PayRequest {
            preference_id: pref,
            outcome: "reject".into(),
            amount_cents: None,
            installments: None,
        })
        .await
        .unwrap();
    env.processed(1).await;
    // A notification whose body claims "approved": the API says rejected, and that is applied.
    env.mp
        .sim
        .notify(NotifyRequest {
            payment_id: pay_id,
            body_status: Some("approved".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    // Forged (other secret), unsigned: quarantined. Legacy IPN: unsigned but only "go fetch".
    env.mp
        .sim
        .notify(NotifyRequest {
            payment_id: pay_id,
            bad_signature: true,
            ..Default::default()
        })
        .await
        .unwrap();
    env.mp
        .sim
        .notify(NotifyRequest {
            payment_id: pay_id,
            no_signature: true,
            ..Default::default()
        })
        .await
        .unwrap();
    env.mp
        .sim
        .notify(NotifyRequest {
            payment_id: pay_id,
            legacy_ipn: true,
            ..Default::default()
        })
        .await
        .unwrap();
    env.processed(5).await;
    env.jobs_settled().await;
    let status: String = env
        .scalar(&format!(
            "SELECT status FROM payments WHERE provider_payment_id = '{pay_id}'"
        ))
        .await;
    assert_eq!(status, "rejected");
    let detail: String = env.scalar("SELECT status_detail FROM payments").await;
    assert!(
        detail.starts_with("cc_rejected"),
        "the owner sees why: {detail}"
    );
    let inv: Option<String> = sqlx::query_scalar(&format!(
        "SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"
    ))
    .fetch_optional(env.store.reader())
    .await
    .unwrap();
    assert_eq!(inv.as_deref(), Some("unpaid"));
    assert_eq!(env.thanks().await, 0);
    let reasons: Vec<String> = sqlx::query_scalar(
        "SELECT status_reason FROM inbox_raw WHERE provider = 'mercadopago' AND status = 'quarantined' ORDER BY relay_seq",
    )
    .fetch_all(env.store.reader())
    .await
    .unwrap();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("no coincide") && reasons[1].contains("Sin firma"),
        "{reasons:?}"
    );
    let processed: i64 = env
        .scalar("SELECT count(*) FROM inbox_raw WHERE provider = 'mercadopago' AND status = 'processed'")
        .await;
    assert_eq!(
        processed, 3,
        "the real one, the lying one (fetched), the IPN (fetched)"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preference_creation_timing_out_is_retried_into_one_preference() {
    let env = env().await;
    let invoice = env.invoice(20000).await;
    // The simulator creates the preference, then never answers: the job times out and retries
    // with the same idempotency key.
    env.mp
        .sim
        .add_fault(MpFault::new(MpFaultKind::Timeout { accept: true }).on("/checkout/preferences"));
    let (link_id, pref) = ready_link(&env, invoice).await;
    let posts = env
        .mp
        .sim
        .calls()
        .iter()
        .filter(|c| c.as_str() == "POST /checkout/preferences")
        .count();
    assert!(posts >= 2, "a retry happened: {posts}");
    let prefs = env.mp.sim.preferences();
    assert_eq!(prefs.len(), 1, "one preference for two calls");
    assert_eq!(prefs[0].id, pref);
    let errors: String = env
        .scalar(&format!("SELECT errors FROM jobs WHERE id = (SELECT job_id FROM payment_links WHERE id = {link_id})"))
        .await;
    assert!(errors.contains("timeout"), "{errors}");
    // A 429 and a 503 are retried the same way; a revoked token pauses instead.
    let other = env.invoice(30000).await;
    env.mp.sim.add_fault(
        MpFault::new(MpFaultKind::ApiError {
            status: 429,
            error: None,
            message: None,
            retry_after: Some(0),
        })
        .on("/checkout/preferences"),
    );
    env.mp.sim.add_fault(
        MpFault::new(MpFaultKind::HttpStatus { status: 503 }).on("/checkout/preferences"),
    );
    let (_, pref2) = ready_link(&env, other).await;
    assert_ne!(pref2, pref, "a link is never reused for another invoice");
    assert_eq!(env.mp.sim.preferences().len(), 2);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_unsolicited_chargeback_and_refunds() {
    let env = env().await;
    let mut bus = env.bus.subscribe();
    let invoice = env.invoice(100000).await;
    let (_, pref) = ready_link(&env, invoice).await;
    // A partial payment: the invoice is partial, not paid.
    let first = env
        .mp
        .sim
        .pay(PayRequest {
            preference_id: pref.clone(),
            outcome: "approve".into(),
            amount_cents: Some(40000),
            installments: None,
        })
        .await
        .unwrap();
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "partial".to_owned(),
    )
    .await;
    // The rest: partial payments add up.
    let second = env
        .mp
        .sim
        .pay(PayRequest {
            preference_id: pref.clone(),
            outcome: "approve".into(),
            amount_cents: Some(60000),
            installments: None,
        })
        .await
        .unwrap();
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "paid".to_owned(),
    )
    .await;
    env.jobs_settled().await;
    assert_eq!(env.thanks().await, 2, "one per payment");

    // A payment we never asked for (another system's reference): recorded, not attached.
    let mp = mostrador_mercadopago::Client::new(
        mostrador_mercadopago::Config::new(mostrador_types::Secret::new(
            env.mp.sim.account().access_token,
        ))
        .with_base_url(&env.mp.base_url())
        .unwrap(),
    )
    .unwrap();
    let mut foreign = mostrador_mercadopago::NewPreference::single(
        "Otra cosa",
        mostrador_types::Money::from_cents(100000),
        "ARS",
        format!("inv{invoice}-999-abcdef"),
    );
    foreign.notification_url = Some(env.mp_ingress.clone());
    let fp = mp
        .create_preference(
            &foreign,
            &mostrador_mercadopago::IdempotencyKey::new("foreign-1").unwrap(),
        )
        .await
        .unwrap();
    let stray = env
        .mp
        .sim
        .pay(PayRequest {
            preference_id: fp.id,
            outcome: "approve".into(),
            amount_cents: None,
            installments: None,
        })
        .await
        .unwrap();
    env.until(
        &format!("SELECT unsolicited FROM payments WHERE provider_payment_id = '{stray}'"),
        1i64,
    )
    .await;
    let attached: Option<i64> = env
        .scalar(&format!(
            "SELECT invoice_id FROM payments WHERE provider_payment_id = '{stray}'"
        ))
        .await;
    assert_eq!(attached, None);
    let unsolicited = payments::list_payments(
        &env.store,
        env.org,
        &payments::PaymentFilter {
            unsolicited_only: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(unsolicited.len(), 1);
    let paid: i64 = env
        .scalar(&format!(
            "SELECT paid_cents FROM invoice_payment_status WHERE invoice_id = {invoice}"
        ))
        .await;
    assert_eq!(paid, 100000, "not over-paid by a guess");

    // A chargeback on the first payment: invoice flagged, tracked until decided.
    env.mp
        .sim
        .chargeback(first, ChargebackRequest::default())
        .await
        .unwrap();
    env.until(
        &format!("SELECT flagged FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        1i64,
    )
    .await;
    env.until("SELECT state FROM payment_chargebacks", "open".to_owned())
        .await;
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "partial".to_owned(),
    )
    .await;
    env.mp
        .sim
        .chargeback(
            first,
            ChargebackRequest {
                status: None,
                resolve_for_seller: Some(true),
            },
        )
        .await
        .unwrap();
    env.until("SELECT state FROM payment_chargebacks", "won".to_owned())
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
    assert_eq!(
        env.thanks().await,
        2,
        "a chargeback won back is not thanked again"
    );

    // Refunds: more than what is left is refused; a partial one goes through.
    let row: i64 = env
        .scalar(&format!(
            "SELECT id FROM payments WHERE provider_payment_id = '{second}'"
        ))
        .await;
    let too_much = payments::request_refund(
        &env.store,
        env.outbound().queue(),
        env.org,
        RefundRequest {
            payment_id: row,
            amount_cents: Some(60001),
            idempotency_key: "r1".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            too_much,
            PaymentsError::RefundTooLarge {
                asked: 60001,
                left: 60000
            }
        ),
        "{too_much:?}"
    );
    let req = RefundRequest {
        payment_id: row,
        amount_cents: Some(10000),
        idempotency_key: "r2".into(),
    };
    let r = payments::request_refund(&env.store, env.outbound().queue(), env.org, req.clone())
        .await
        .unwrap();
    let same = payments::request_refund(&env.store, env.outbound().queue(), env.org, req)
        .await
        .unwrap();
    assert_eq!(r, same, "a double click refunds once");
    env.until(
        &format!("SELECT state FROM payment_refunds WHERE id = {r}"),
        "done".to_owned(),
    )
    .await;
    env.until(
        &format!("SELECT refunded_cents FROM payments WHERE id = {row}"),
        10000i64,
    )
    .await;
    env.until(
        &format!("SELECT state FROM invoice_payment_status WHERE invoice_id = {invoice}"),
        "partial".to_owned(),
    )
    .await;
    let sim_refunds = env
        .mp
        .sim
        .payments()
        .into_iter()
        .find(|p| p.id == second)
        .unwrap()
        .refunds;
    assert_eq!(sim_refunds.len(), 1);
    // The owner is told each thing once: the partial payment when it came, the refund as a
    // refund (not the same payment "partial" again).
    let mut alerts = Vec::new();
    while let Ok(e) = bus.try_recv() {
        if let PaymentEvent::Alert {
            alert: PaymentAlert::AmountMismatch,
            message,
            ..
        } = e
        {
            alerts.push(message);
        }
    }
    assert_eq!(
        alerts,
        vec![
            "Pago parcial de $ 400,00: la factura todavía no está paga del todo.".to_owned(),
            "Se devolvieron $ 100,00 de un pago de $ 600,00: la factura quedó con saldo pendiente."
                .to_owned(),
        ]
    );
    env.stop().await;
}
