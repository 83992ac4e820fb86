//! Shared test harness: a sandbox on 127.0.0.1, a client pointed at it, and a tiny webhook
//! receiver that forwards every delivery to a channel (tests await it; no sleeps).
#![allow(dead_code)]

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use mostrador_sandbox::Sandbox;
use mostrador_types::Secret;
use mostrador_whatsapp::ids::{PhoneNumberId, WaId, WabaId};
use mostrador_whatsapp::webhook::{self, Notification};
use mostrador_whatsapp::{signature, Client, Config};
use tokio::sync::mpsc;

pub const CUSTOMER: &str = "5491112345678";
pub const VERIFY_TOKEN: &str = "verify-me-123";

pub struct Harness {
    pub sandbox: Sandbox,
    pub client: Client,
}

pub async fn start() -> Harness {
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = client_for(&sandbox, Duration::from_secs(5));
    Harness { sandbox, client }
}

pub fn client_for(sandbox: &Sandbox, timeout: Duration) -> Client {
    let a = sandbox.whatsapp.account();
    let cfg = Config::new(
        PhoneNumberId::new(a.phone_number_id).unwrap(),
        WabaId::new(a.waba_id).unwrap(),
        Secret::new(a.access_token),
    )
    .with_base_url(&sandbox.graph_url())
    .unwrap()
    .with_timeout(timeout);
    Client::new(cfg).unwrap()
}

pub fn wa(s: &str) -> WaId {
    WaId::new(s).unwrap()
}

/// One webhook as received: raw body and signature header.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub body: Bytes,
    pub signature: Option<String>,
}

impl Delivery {
    /// Verifies the signature with `secret`, then parses.
    pub fn verified(&self, secret: &str) -> Notification {
        signature::verify(&Secret::new(secret), &self.body, self.signature.as_deref())
            .expect("the simulator signs like Meta");
        webhook::parse(&self.body).expect("a WhatsApp envelope")
    }
}

pub struct Receiver {
    pub url: String,
    pub rx: mpsc::UnboundedReceiver<Delivery>,
    _task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct RxState {
    tx: mpsc::UnboundedSender<Delivery>,
}

async fn receive(State(s): State<RxState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get(signature::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let _ = s.tx.send(Delivery { body, signature });
    StatusCode::OK
}

async fn handshake(RawQuery(q): RawQuery) -> (StatusCode, String) {
    match signature::verify_handshake(&q.unwrap_or_default(), &Secret::new(VERIFY_TOKEN)) {
        Ok(challenge) => (StatusCode::OK, challenge),
        Err(e) => (StatusCode::FORBIDDEN, e.to_string()),
    }
}

/// Starts a receiver on 127.0.0.1 (POST = webhook, GET = Meta's handshake).
pub async fn receiver() -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/hook", post(receive).get(handshake))
        .with_state(RxState { tx });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url,
        rx,
        _task: task,
    }
}

impl Receiver {
    /// The next delivery, or a panic after 5 s.
    pub async fn next(&mut self) -> Delivery {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("a webhook within 5 s")
            .expect("receiver open")
    }

    /// Collects `n` deliveries.
    pub async fn take(&mut self, n: usize) -> Vec<Delivery> {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.next().await);
        }
        v
    }
}

/// A harness whose simulator posts webhooks to a fresh receiver.
pub async fn start_with_receiver() -> (Harness, Receiver) {
    let h = start().await;
    let r = receiver().await;
    h.sandbox.whatsapp.set_webhook_url(Some(r.url.clone()));
    (h, r)
}
