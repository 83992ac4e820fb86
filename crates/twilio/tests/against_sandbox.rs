//! The client against the sandbox's Twilio simulator, over real HTTP on 127.0.0.1. Callbacks go
//! to a small receiver that checks them with the client's own signature verifier.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use mostrador_sandbox::twilio::{
    InboundSmsRequest, TwilioConfigPatch, TwilioFault, TwilioFaultKind,
};
use mostrador_sandbox::Sandbox;
use mostrador_twilio::callback::parse_form;
use mostrador_twilio::ids::{AccountSid, PhoneNumber};
use mostrador_twilio::{
    verify, Client, Config, Credentials, Error, ErrorClass, InboundSms, MessageStatus, NewSms,
    Sender, StatusCallback,
};
use mostrador_types::Secret;
use tokio::sync::mpsc;

/// One POST the receiver got: the URL it was sent to, the signature, the decoded form.
struct Received {
    url: String,
    signature: Option<String>,
    form: Vec<(String, String)>,
}

struct Harness {
    sandbox: Sandbox,
    receiver: String,
    rx: mpsc::UnboundedReceiver<Received>,
}

async fn start() -> Harness {
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver = format!("http://{}", listener.local_addr().unwrap());
    let base = receiver.clone();
    async fn handle(
        State((tx, base)): State<(mpsc::UnboundedSender<Received>, String)>,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let _ = tx.send(Received {
            url: format!("{base}{uri}"),
            signature: headers
                .get("x-twilio-signature")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            form: parse_form(&body),
        });
        StatusCode::NO_CONTENT
    }
    let app = Router::new()
        .route("/sms/status", post(handle))
        .route("/sms/inbound", post(handle))
        .with_state((tx, base));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Harness {
        sandbox,
        receiver,
        rx,
    }
}

impl Harness {
    fn client_with(&self, token: &str, timeout: Duration) -> Client {
        let account = AccountSid::new(self.sandbox.twilio.account().account_sid).unwrap();
        let cfg = Config::new(account, Credentials::AuthToken(Secret::new(token)))
            .with_base_url(&self.sandbox.twilio_url())
            .unwrap()
            .with_timeout(timeout);
        Client::new(cfg).unwrap()
    }

    fn client(&self) -> Client {
        self.client_with(&self.token(), Duration::from_secs(5))
    }

    fn token(&self) -> String {
        self.sandbox.twilio.account().auth_token
    }

    fn sms(&self, to: &str) -> NewSms {
        NewSms::new(
            PhoneNumber::new(to).unwrap(),
            Sender::From(PhoneNumber::new("+15005550006").unwrap()),
            "Hola, tu turno es mañana a las 10",
        )
        .unwrap()
        .with_status_callback(&format!("{}/sms/status?shop=1", self.receiver))
        .unwrap()
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("a callback within 5 s")
            .expect("receiver alive")
    }

    /// The next callback, checked with the client's verifier, parsed.
    async fn next_status(&mut self) -> StatusCallback {
        let r = self.next().await;
        verify(&self.token(), &r.url, &r.form, r.signature.as_deref())
            .expect("the simulator's signature verifies");
        StatusCallback::from_form(&r.form).unwrap()
    }
}

#[tokio::test]
async fn send_ok_then_signed_callbacks_then_fetch() {
    let mut h = start().await;
    let client = h.client();
    let msg = client.send(&h.sms("+5491112345678")).await.unwrap();
    assert_eq!(msg.status, MessageStatus::Queued);
    assert_eq!(msg.to, "+5491112345678");
    assert_eq!(msg.num_segments, Some(1));

    let sent = h.next_status().await;
    assert_eq!(
        (sent.message_sid.clone(), sent.status),
        (msg.sid.clone(), MessageStatus::Sent)
    );
    let delivered = h.next_status().await;
    assert_eq!(delivered.status, MessageStatus::Delivered);
    assert_eq!(delivered.error_code, None);

    let fetched = client.fetch(&msg.sid).await.unwrap();
    assert_eq!(fetched.status, MessageStatus::Delivered);
    assert_eq!(fetched.body(), Some("Hola, tu turno es mañana a las 10"));
}

#[tokio::test]
async fn a_tampered_callback_does_not_verify() {
    let mut h = start().await;
    h.client().send(&h.sms("+5491112345678")).await.unwrap();
    let r = h.next().await;
    let mut form = r.form.clone();
    for (k, v) in &mut form {
        if k == "MessageStatus" {
            *v = "delivered".into();
        }
    }
    assert!(verify(&h.token(), &r.url, &form, r.signature.as_deref()).is_err());
    // The relay-internal URL is not the one Twilio signed.
    let internal = r.url.replace("?shop=1", "");
    assert!(verify(&h.token(), &internal, &r.form, r.signature.as_deref()).is_err());
    assert!(verify("another-token", &r.url, &r.form, r.signature.as_deref()).is_err());
}

#[tokio::test]
async fn undeliverable_number_gets_undelivered_30003() {
    let mut h = start().await;
    h.sandbox.twilio.configure(TwilioConfigPatch {
        undeliverable: Some(["+5491199999999".to_owned()].into()),
        ..Default::default()
    });
    let msg = h.client().send(&h.sms("+5491199999999")).await.unwrap();
    assert_eq!(h.next_status().await.status, MessageStatus::Sent);
    let last = h.next_status().await;
    assert_eq!(last.status, MessageStatus::Undelivered);
    assert_eq!(last.error_code, Some(30003));
    assert_eq!(last.error_class(), Some(ErrorClass::Unreachable));
    let fetched = h.client().fetch(&msg.sid).await.unwrap();
    assert_eq!(fetched.error_code, Some(30003));
}

#[tokio::test]
async fn invalid_number_is_21211() {
    let h = start().await;
    // Twilio's magic "invalid number" (valid E.164, so the client lets it through).
    let err = h.client().send(&h.sms("+15005550001")).await.unwrap_err();
    let t = err.twilio().expect("a Twilio error object");
    assert_eq!((t.code, t.http_status), (21211, 400));
    assert_eq!(err.class(), Some(ErrorClass::InvalidNumber));
    assert!(t.more_info.as_deref().unwrap().ends_with("/21211"));
    assert!(!err.retryable() && !err.may_have_been_sent() && !err.pauses_integration());
    let unsub = h.client().send(&h.sms("+15005550004")).await.unwrap_err();
    assert_eq!(unsub.class(), Some(ErrorClass::Unsubscribed));
}

#[tokio::test]
async fn wrong_token_is_20003_and_pauses() {
    let h = start().await;
    let err = h
        .client_with("not-the-token", Duration::from_secs(5))
        .send(&h.sms("+5491112345678"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), Some(ErrorClass::Auth));
    assert_eq!(err.twilio().unwrap().http_status, 401);
    assert!(err.pauses_integration() && !err.retryable());
    assert!(!err.to_string().contains("not-the-token"));
    assert!(h.sandbox.twilio.messages().is_empty());
}

#[tokio::test]
async fn rate_limit_429_carries_retry_after() {
    let h = start().await;
    h.sandbox
        .twilio
        .add_fault(TwilioFault::new(TwilioFaultKind::TwilioError {
            code: 20429,
            http_status: None,
            message: None,
            retry_after: Some(7),
        }));
    let err = h.client().send(&h.sms("+5491112345678")).await.unwrap_err();
    assert_eq!(err.class(), Some(ErrorClass::RateLimit));
    assert_eq!(err.twilio().unwrap().http_status, 429);
    assert!(err.retryable() && !err.may_have_been_sent());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    // The fault was used up: the next call goes through.
    h.client().send(&h.sms("+5491112345678")).await.unwrap();
}

#[tokio::test]
async fn a_5xx_or_a_timeout_on_send_is_maybe_sent() {
    let h = start().await;
    h.sandbox
        .twilio
        .add_fault(TwilioFault::new(TwilioFaultKind::AcceptThenHttpStatus {
            status: 502,
        }));
    let err = h.client().send(&h.sms("+5491112345678")).await.unwrap_err();
    assert!(matches!(err, Error::MaybeSent { .. }), "{err:?}");
    assert!(err.may_have_been_sent() && !err.retryable());
    // It really was sent: the simulator holds the message.
    assert_eq!(h.sandbox.twilio.messages().len(), 1);

    h.sandbox
        .twilio
        .add_fault(TwilioFault::new(TwilioFaultKind::HttpStatus {
            status: 500,
        }));
    let err = h.client().send(&h.sms("+5491112345678")).await.unwrap_err();
    assert!(err.may_have_been_sent(), "{err:?}");

    h.sandbox
        .twilio
        .add_fault(TwilioFault::new(TwilioFaultKind::Timeout { accept: true }));
    let err = h
        .client_with(&h.token(), Duration::from_millis(300))
        .send(&h.sms("+5491112345678"))
        .await
        .unwrap_err();
    assert!(err.may_have_been_sent(), "{err:?}");
}

#[tokio::test]
async fn fetch_timeout_and_5xx_are_retryable_not_in_doubt() {
    let h = start().await;
    let msg = h.client().send(&h.sms("+5491112345678")).await.unwrap();
    h.sandbox
        .twilio
        .add_fault(TwilioFault::new(TwilioFaultKind::HttpStatus {
            status: 503,
        }));
    let err = h.client().fetch(&msg.sid).await.unwrap_err();
    assert!(matches!(err, Error::Http { status: 503, .. }) && err.retryable());
    h.sandbox
        .twilio
        .add_fault(TwilioFault::new(TwilioFaultKind::Timeout { accept: false }));
    let err = h
        .client_with(&h.token(), Duration::from_millis(300))
        .fetch(&msg.sid)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout { .. }) && err.retryable(),
        "{err:?}"
    );
    let unknown =
        mostrador_twilio::ids::MessageSid::new("SM0123456789abcdef0123456789abcdef").unwrap();
    let err = h.client().fetch(&unknown).await.unwrap_err();
    assert_eq!(err.twilio().unwrap().code, 20404);
}

#[tokio::test]
async fn inbound_sms_arrives_signed() {
    let mut h = start().await;
    let url = format!("{}/sms/inbound", h.receiver);
    h.sandbox.twilio.configure(TwilioConfigPatch {
        inbound_url: Some(url),
        ..Default::default()
    });
    let (sid, delivery) = h
        .sandbox
        .twilio
        .customer_sends(InboundSmsRequest {
            from: "+5491112345678".into(),
            to: "+15005550006".into(),
            body: "BAJA".into(),
        })
        .await;
    assert_eq!(delivery, Some(204));
    let r = h.next().await;
    verify(&h.token(), &r.url, &r.form, r.signature.as_deref()).unwrap();
    let m = InboundSms::from_form(&r.form).unwrap();
    assert_eq!(m.message_sid.as_str(), sid);
    assert_eq!(
        (m.from.as_str(), m.body.as_str()),
        ("+5491112345678", "BAJA")
    );
    assert!(m.is_opt_out());
}

#[tokio::test]
async fn api_key_credentials_work() {
    let h = start().await;
    let a = h.sandbox.twilio.account();
    let key = |secret: &str| {
        let cfg = Config::new(
            AccountSid::new(a.account_sid.clone()).unwrap(),
            Credentials::ApiKey {
                sid: mostrador_twilio::ids::ApiKeySid::new(a.api_key_sid.clone()).unwrap(),
                secret: Secret::new(secret),
            },
        )
        .with_base_url(&h.sandbox.twilio_url())
        .unwrap();
        Client::new(cfg).unwrap()
    };
    key(&a.api_key_secret)
        .send(&h.sms("+5491112345678"))
        .await
        .unwrap();
    let err = key("wrong")
        .send(&h.sms("+5491112345678"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), Some(ErrorClass::Auth));
}
