//! Every error class against the simulator over real HTTP: the ones its rules produce naturally,
//! every code of the reference table through fault injection, and transport failures.

mod support;

use std::time::Duration;

use bytes::Bytes;
use mostrador_sandbox::whatsapp::{
    Fault, FaultKind, NewCustomer, RateLimits, TemplateStatusChange,
};
use mostrador_types::Secret;
use mostrador_whatsapp::ids::{PhoneNumberId, WabaId};
use mostrador_whatsapp::send::*;
use mostrador_whatsapp::{Client, Config, Error, ErrorClass, RetryScope};
use serde_json::json;
use support::*;

fn text(s: &str) -> Content {
    Content::Text(Text::new(s).unwrap())
}

fn open_window(h: &Harness) {
    h.sandbox.whatsapp.add_customer(NewCustomer::new(CUSTOMER));
    h.sandbox
        .whatsapp
        .customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
        .unwrap();
}

async fn send_err(h: &Harness, content: Content) -> Error {
    h.client
        .send(&OutgoingMessage::new(wa(CUSTOMER), content))
        .await
        .unwrap_err()
}

fn client_with(h: &Harness, token: &str, phone: &str, timeout: Duration) -> Client {
    let a = h.sandbox.whatsapp.account();
    Client::new(
        Config::new(
            PhoneNumberId::new(phone).unwrap(),
            WabaId::new(a.waba_id).unwrap(),
            Secret::new(token),
        )
        .with_base_url(&h.sandbox.graph_url())
        .unwrap()
        .with_timeout(timeout),
    )
    .unwrap()
}

#[tokio::test]
async fn bad_or_expired_token_is_190_and_pauses() {
    let h = start().await;
    let a = h.sandbox.whatsapp.account();
    let bad = client_with(&h, "EAAG-wrong", &a.phone_number_id, Duration::from_secs(5));
    let e = bad.phone_number_info().await.unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::AccessToken));
    assert!(e.pauses_integration() && !e.retryable());
    assert!(e.to_string().contains("reconnect"), "{e}");
    assert!(
        !e.to_string().contains("EAAG-wrong"),
        "the token never shows"
    );
    h.sandbox.whatsapp.expire_token(true);
    let e = h.client.phone_number_info().await.unwrap_err();
    assert_eq!(e.graph().unwrap().subcode, Some(463));
    assert_eq!(e.graph().unwrap().http_status, 401);
    assert!(e.fbtrace_id().is_some());
}

#[tokio::test]
async fn unknown_phone_number_id_is_100() {
    let h = start().await;
    let a = h.sandbox.whatsapp.account();
    let other = client_with(&h, &a.access_token, "999999", Duration::from_secs(5));
    let e = other
        .send(&OutgoingMessage::new(wa(CUSTOMER), text("x")))
        .await
        .unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::InvalidParameter));
    assert_eq!(e.graph().unwrap().subcode, Some(33));
    assert!(!e.retryable() && !e.may_have_been_sent());
}

#[tokio::test]
async fn closed_window_is_131047_but_templates_pass() {
    let h = start().await;
    h.sandbox.whatsapp.add_customer(NewCustomer::new(CUSTOMER));
    // Never wrote.
    let e = send_err(&h, text("Hola")).await;
    assert_eq!(e.class(), Some(ErrorClass::WindowClosed));
    assert!(ErrorClass::WindowClosed.suggests_fallback());
    // Wrote 25 h ago.
    h.sandbox
        .whatsapp
        .customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
        .unwrap();
    h.client
        .send(&OutgoingMessage::new(wa(CUSTOMER), text("ok")))
        .await
        .unwrap();
    h.sandbox
        .whatsapp
        .set_last_inbound_age(CUSTOMER, Duration::from_secs(25 * 3600));
    let e = send_err(&h, text("tarde")).await;
    assert_eq!(e.class(), Some(ErrorClass::WindowClosed));
    assert!(e.to_string().contains("24 h"), "{e}");
    h.client
        .send(&OutgoingMessage::new(
            wa(CUSTOMER),
            Content::Template(Template::new("hola", "es_AR").body_text("Juan")),
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn template_rules_132xxx() {
    let h = start().await;
    h.sandbox.whatsapp.add_customer(NewCustomer::new(CUSTOMER));
    let t = |t: Template| Content::Template(t);
    let e = send_err(&h, t(Template::new("no_existe", "es_AR"))).await;
    assert_eq!(e.class(), Some(ErrorClass::TemplateNotFound));
    let e = send_err(&h, t(Template::new("hola", "en_US").body_text("x"))).await;
    assert_eq!(
        e.class(),
        Some(ErrorClass::TemplateNotFound),
        "wrong language"
    );
    let e = send_err(&h, t(Template::new("hola", "es_AR"))).await;
    assert_eq!(e.class(), Some(ErrorClass::TemplateParamCount));
    let e = send_err(
        &h,
        t(Template::new("hola", "es_AR").body_text("a").body_text("b")),
    )
    .await;
    assert_eq!(e.class(), Some(ErrorClass::TemplateParamCount));
    // Header expects IMAGE; a text header parameter is a format mismatch (Chatwoot #15622).
    let wrong_header = Template::new("pedido_listo", "es_AR")
        .header(HeaderParameter::Text(TextParameter::positional("x")))
        .body_text("Juan")
        .body_text("$1")
        .body_text("hoy")
        .button(ButtonParameter::Url {
            index: 0,
            text: "A".into(),
        });
    let e = send_err(&h, t(wrong_header)).await;
    assert_eq!(e.class(), Some(ErrorClass::TemplateParamFormat));
    // Missing dynamic URL parameter.
    let (img, _) = h
        .client
        .upload_media(Bytes::from_static(b"x"), "image/png", "a.png")
        .await
        .unwrap();
    let no_url = Template::new("pedido_listo", "es_AR")
        .header(HeaderParameter::Image(MediaSource::Id(img)))
        .body_text("Juan")
        .body_text("$1")
        .body_text("hoy");
    let e = send_err(&h, t(no_url)).await;
    assert_eq!(e.class(), Some(ErrorClass::TemplateParamCount));
    // Positional parameters on a NAMED template.
    let e = send_err(
        &h,
        t(Template::new("bienvenida", "es_AR")
            .body_text("a")
            .body_text("b")),
    )
    .await;
    assert!(!e.retryable());
    let e = send_err(&h, t(Template::new("promo_pausada", "es_AR"))).await;
    assert_eq!(e.class(), Some(ErrorClass::TemplatePaused));
    assert!(h
        .sandbox
        .whatsapp
        .set_template_status(TemplateStatusChange {
            name: "hola".into(),
            language: "es_AR".into(),
            status: "DISABLED".into(),
            reason: None,
        }));
    let e = send_err(&h, t(Template::new("hola", "es_AR").body_text("x"))).await;
    assert_eq!(e.class(), Some(ErrorClass::TemplateDisabled));
    assert!(h.sandbox.whatsapp.log_of("send_message").is_empty());
}

#[tokio::test]
async fn pair_rate_and_throughput() {
    let h = start().await;
    open_window(&h);
    h.sandbox.whatsapp.set_rate_limits(RateLimits {
        throughput_per_sec: 1000.0,
        pair_burst: 2.0,
        pair_refill_secs: 600.0,
    });
    for _ in 0..2 {
        h.client
            .send(&OutgoingMessage::new(wa(CUSTOMER), text("hola")))
            .await
            .unwrap();
    }
    let e = send_err(&h, text("otra")).await;
    assert_eq!(e.class(), Some(ErrorClass::PairRateLimit));
    assert!(e.retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(6)));
    assert_eq!(ErrorClass::PairRateLimit.scope(), RetryScope::Recipient);

    h.sandbox.whatsapp.set_rate_limits(RateLimits {
        throughput_per_sec: 1.0,
        pair_burst: 100.0,
        pair_refill_secs: 0.1,
    });
    let mut throttled = None;
    for _ in 0..5 {
        if let Err(e) = h
            .client
            .send(&OutgoingMessage::new(wa(CUSTOMER), text("rápido")))
            .await
        {
            throttled = Some(e);
            break;
        }
    }
    let e = throttled.expect("throughput limit reached");
    assert_eq!(e.class(), Some(ErrorClass::Throughput));
    assert!(e.retryable() && e.retry_after().is_some());
}

#[tokio::test]
async fn media_type_mismatch_and_sender_as_recipient() {
    let h = start().await;
    open_window(&h);
    let (pdf, _) = h
        .client
        .upload_media(Bytes::from_static(b"%PDF"), "application/pdf", "a.pdf")
        .await
        .unwrap();
    let e = send_err(&h, Content::Media(MediaMessage::image(pdf, None).unwrap())).await;
    assert_eq!(e.class(), Some(ErrorClass::MediaUpload));
    let e = h
        .client
        .send(&OutgoingMessage::new(wa("5491150000000"), text("yo")))
        .await
        .unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::RecipientIsSender));
}

#[tokio::test]
async fn every_table_code_is_classified_over_http() {
    let h = start().await;
    let table: &[(i64, ErrorClass)] = &[
        (130429, ErrorClass::Throughput),
        (131056, ErrorClass::PairRateLimit),
        (131048, ErrorClass::SpamRateLimit),
        (131049, ErrorClass::MarketingCap),
        (131047, ErrorClass::WindowClosed),
        (131026, ErrorClass::Undeliverable),
        (131050, ErrorClass::MarketingOptOut),
        (131051, ErrorClass::UnsupportedMessageType),
        (131052, ErrorClass::MediaDownload),
        (131053, ErrorClass::MediaUpload),
        (131000, ErrorClass::Generic),
        (131016, ErrorClass::ServiceUnavailable),
        (131057, ErrorClass::Maintenance),
        (131008, ErrorClass::InvalidParameter),
        (131009, ErrorClass::InvalidParameter),
        (100, ErrorClass::InvalidParameter),
        (132000, ErrorClass::TemplateParamCount),
        (132001, ErrorClass::TemplateNotFound),
        (132005, ErrorClass::TemplateTextTooLong),
        (132007, ErrorClass::TemplatePolicy),
        (132008, ErrorClass::TemplateParamValue),
        (132012, ErrorClass::TemplateParamFormat),
        (132015, ErrorClass::TemplatePaused),
        (132016, ErrorClass::TemplateDisabled),
        (132068, ErrorClass::TemplateOther),
        (190, ErrorClass::AccessToken),
        (0, ErrorClass::Permission),
        (3, ErrorClass::Permission),
        (10, ErrorClass::Permission),
        (200, ErrorClass::Permission),
        (4, ErrorClass::ApiRateLimit),
        (80007, ErrorClass::ApiRateLimit),
        (368, ErrorClass::PolicyBlocked),
        (131031, ErrorClass::AccountLocked),
        (130497, ErrorClass::CountryRestricted),
        (131042, ErrorClass::Payment),
        (131030, ErrorClass::NotInAllowedList),
        (131064, ErrorClass::TemplateClassificationLimit),
        (131021, ErrorClass::RecipientIsSender),
        (131062, ErrorClass::BsuidUnsupported),
        (137000, ErrorClass::IdentityKeyMismatch),
        (424242, ErrorClass::Unknown),
    ];
    for &(code, class) in table {
        h.sandbox.whatsapp.inject(Fault::new(FaultKind::GraphError {
            code,
            subcode: None,
            http_status: None,
            details: Some(format!("details for {code}")),
            retry_after: None,
        }));
        let e = h.client.phone_number_info().await.unwrap_err();
        let g = e.graph().unwrap_or_else(|| panic!("{code}: {e}"));
        assert_eq!(g.code, code);
        assert_eq!(e.class(), Some(class), "code {code}");
        assert_eq!(
            g.details.as_deref(),
            Some(format!("details for {code}").as_str())
        );
        assert_eq!(e.pauses_integration(), class.pauses_integration());
        assert!(!e.may_have_been_sent());
    }
    // The fault is used up: the next call succeeds.
    h.client.phone_number_info().await.unwrap();
}

#[tokio::test]
async fn retry_after_header_wins_over_the_class_hint() {
    let h = start().await;
    h.sandbox.whatsapp.inject(Fault::new(FaultKind::GraphError {
        code: 80007,
        subcode: None,
        http_status: Some(429),
        details: None,
        retry_after: Some(120),
    }));
    let e = h.client.phone_number_info().await.unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::ApiRateLimit));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn bare_5xx_on_a_read_is_transient() {
    let h = start().await;
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::HttpStatus { status: 502 }));
    let e = h.client.phone_number_info().await.unwrap_err();
    assert!(matches!(e, Error::Http { status: 502, .. }), "{e}");
    assert!(e.retryable() && !e.may_have_been_sent());
    // A Graph error with an unknown code and a 5xx on a read stays transient too.
    h.sandbox.whatsapp.inject(Fault::new(FaultKind::GraphError {
        code: 2,
        subcode: None,
        http_status: Some(503),
        details: None,
        retry_after: None,
    }));
    let e = h.client.phone_number_info().await.unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::Unknown));
    assert!(e.retryable() && !e.may_have_been_sent());
    h.client.phone_number_info().await.unwrap();
}

/// Meta has no idempotency key for messages: a 5xx on a send may come from a gateway that gave
/// up after Meta accepted the message, so it is "in doubt", never "retry".
#[tokio::test]
async fn a_5xx_on_a_send_is_maybe_sent() {
    let (h, mut rx) = start_with_receiver().await;
    open_window(&h);
    let _inbound_webhook = rx.next().await;
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::AcceptThenHttpStatus { status: 504 }).on_path("/messages"));
    let msg = OutgoingMessage::new(wa(CUSTOMER), text("¿llegó?"))
        .with_callback_data(CallbackData::new("outbox-504").unwrap());
    let e = h.client.send(&msg).await.unwrap_err();
    assert!(e.may_have_been_sent(), "{e}");
    assert!(!e.retryable(), "{e}");
    assert!(e.to_string().contains("504"), "{e}");
    // It was indeed sent: the status webhook proves it.
    let secret = h.sandbox.whatsapp.account().app_secret;
    let n = rx.next().await.verified(&secret);
    let s = n.statuses().next().unwrap().status.clone();
    assert_eq!(s.callback_data.as_deref(), Some("outbox-504"));

    // A bare 5xx without an error object, and a Graph error with an unknown code and a 5xx.
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::HttpStatus { status: 502 }).on_path("/messages"));
    let e = send_err(&h, text("hola")).await;
    assert!(e.may_have_been_sent() && !e.retryable(), "{e}");
    assert_eq!(e.fbtrace_id(), Some("SandboxTrace"));
    for code in [1, 2, 424242] {
        h.sandbox.whatsapp.inject(
            Fault::new(FaultKind::GraphError {
                code,
                subcode: None,
                http_status: Some(500),
                details: None,
                retry_after: None,
            })
            .on_path("/messages"),
        );
        let e = send_err(&h, text("hola")).await;
        assert!(e.may_have_been_sent() && !e.retryable(), "{code}: {e}");
        assert!(e.to_string().contains(&code.to_string()), "{e}");
    }

    // Throttling is a definite "not now": 429 and the known throttle codes stay retryable.
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::HttpStatus { status: 429 }).on_path("/messages"));
    let e = send_err(&h, text("hola")).await;
    assert!(e.retryable() && !e.may_have_been_sent(), "{e}");
    for (code, status) in [
        (130429, 429),
        (131056, 429),
        (4, 429),
        (80007, 429),
        (4, 500),
    ] {
        h.sandbox.whatsapp.inject(
            Fault::new(FaultKind::GraphError {
                code,
                subcode: None,
                http_status: Some(status),
                details: None,
                retry_after: None,
            })
            .on_path("/messages"),
        );
        let e = send_err(&h, text("hola")).await;
        assert!(
            e.retryable() && !e.may_have_been_sent(),
            "{code}/{status}: {e}"
        );
        assert!(e.graph().is_some());
    }
    // A 4xx with an unknown code is a definite refusal: neither sent nor retryable.
    h.sandbox.whatsapp.inject(
        Fault::new(FaultKind::GraphError {
            code: 424242,
            subcode: None,
            http_status: Some(400),
            details: None,
            retry_after: None,
        })
        .on_path("/messages"),
    );
    let e = send_err(&h, text("hola")).await;
    assert!(!e.retryable() && !e.may_have_been_sent(), "{e}");
}

#[tokio::test]
async fn send_timeout_after_accept_is_maybe_sent_and_the_status_proves_it() {
    let (h, mut rx) = start_with_receiver().await;
    open_window(&h);
    let _inbound_webhook = rx.next().await;
    let quick = client_for(&h.sandbox, Duration::from_millis(1000));
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::Timeout { accept: true }).on_path("/messages"));
    let msg = OutgoingMessage::new(wa(CUSTOMER), text("¿llegó?"))
        .with_callback_data(CallbackData::new("outbox-77").unwrap());
    let e = quick.send(&msg).await.unwrap_err();
    assert!(e.may_have_been_sent(), "{e}");
    assert!(!e.retryable(), "in doubt is resolved, not retried");
    assert!(e.to_string().contains("MAY HAVE BEEN SENT"));
    // It was sent: the status webhook carries our callback data.
    let secret = h.sandbox.whatsapp.account().app_secret;
    let n = rx.next().await.verified(&secret);
    let s = n.statuses().next().unwrap().status.clone();
    assert_eq!(s.callback_data.as_deref(), Some("outbox-77"));
    assert_eq!(h.sandbox.whatsapp.log_of("send_message").len(), 1);
}

#[tokio::test]
async fn send_timeout_without_accept_is_also_maybe_sent() {
    let h = start().await;
    open_window(&h);
    let quick = client_for(&h.sandbox, Duration::from_millis(1000));
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::Timeout { accept: false }).on_path("/messages"));
    let e = quick
        .send(&OutgoingMessage::new(wa(CUSTOMER), text("x")))
        .await
        .unwrap_err();
    assert!(e.may_have_been_sent());
    assert!(h.sandbox.whatsapp.log_of("send_message").is_empty());
}

#[tokio::test]
async fn dropped_connection_after_accept_is_maybe_sent() {
    let h = start().await;
    open_window(&h);
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::DropConnection).on_path("/messages"));
    let e = send_err(&h, text("hola")).await;
    assert!(e.may_have_been_sent(), "{e}");
    assert_eq!(h.sandbox.whatsapp.log_of("send_message").len(), 1);
}

#[tokio::test]
async fn read_timeouts_and_drops_are_plain_transient_errors() {
    let h = start().await;
    let quick = client_for(&h.sandbox, Duration::from_millis(1000));
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::Timeout { accept: false }));
    let e = quick.phone_number_info().await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e}");
    assert!(e.retryable() && !e.may_have_been_sent());
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::DropConnection));
    let e = h.client.phone_number_info().await.unwrap_err();
    assert!(matches!(e, Error::Network { .. }), "{e}");
    assert!(e.retryable());
    // Latency under the timeout is fine.
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::Latency { ms: 20 }));
    quick.phone_number_info().await.unwrap();
}

#[tokio::test]
async fn unreachable_server_is_a_network_error_and_nothing_was_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let cfg = Config::new(
        PhoneNumberId::new("1").unwrap(),
        WabaId::new("2").unwrap(),
        Secret::new("t"),
    )
    .with_base_url(&format!("http://127.0.0.1:{port}/graph"))
    .unwrap();
    let c = Client::new(cfg).unwrap();
    let e = c
        .send(&OutgoingMessage::new(wa(CUSTOMER), text("x")))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Network { .. }), "{e}");
    assert!(e.retryable() && !e.may_have_been_sent());
}
