//! Secrets and message bodies never reach the log file, even at TRACE level: not through the
//! keychain, and not through FAILING calls of the relay, WhatsApp and AFIP clients over real
//! HTTP (local servers on 127.0.0.1 that answer with the errors those services send), whose
//! errors are logged the way callers log them. The servers check that the token really went over
//! the wire, so an absent token in the log means "not logged", not "never used".

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use mostrador_core::logging;
use mostrador_core::org::OrgId;
use mostrador_core::secrets::SecretStore;
use mostrador_types::{Cuit, Secret};

const KEYCHAIN_SECRET: &str = "EAAG-do-not-log-7d1c2b9f0e";
const RELAY_TOKEN: &str = "mdt_relay-token-do-not-log-41ac93";
const GRAPH_TOKEN: &str = "EAAGgraph-token-do-not-log-55e0d1";
const MESSAGE_BODY: &str = "Hola Marta, tu pedido 4471 está listo; el código de retiro es 9931";
const AFIP_TOKEN: &str = "PD94bWwgdmVyc2lvbj0iMS4wIiBhZmlwLXRva2VuLWRvLW5vdC1sb2c";
const AFIP_SIGN: &str = "c2lnbi1kby1ub3QtbG9nLWFmaXAtOGYzMg";

/// What the local servers received, to prove the secrets were sent.
#[derive(Default)]
struct Seen {
    auth_headers: Vec<String>,
    bodies: Vec<String>,
}

async fn start_servers(seen: Arc<Mutex<Seen>>) -> String {
    let record = move |headers: HeaderMap, body: Bytes, seen: &Arc<Mutex<Seen>>| {
        let mut s = seen.lock().unwrap();
        if let Some(a) = headers.get("authorization") {
            s.auth_headers
                .push(a.to_str().unwrap_or_default().to_owned());
        }
        s.bodies.push(String::from_utf8_lossy(&body).into_owned());
    };
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let app = Router::new()
        // The relay, overloaded.
        .route(
            "/relay/v1/events",
            get(move |headers: HeaderMap, body: Bytes| async move {
                record(headers, body, &s1);
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("content-type", "application/json")],
                    r#"{"error":"overloaded","message":"try again later"}"#,
                )
                    .into_response()
            }),
        )
        // Graph: an unknown error with a 500, as Meta sends it.
        .route(
            "/graph/v25.0/106540352242922/messages",
            post(move |headers: HeaderMap, body: Bytes| async move {
                record(headers, body, &s2);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [("content-type", "application/json")],
                    r#"{"error":{"message":"An unknown error has occurred.","type":"OAuthException","code":1,"error_subcode":99,"fbtrace_id":"AbCdEf123"}}"#,
                )
                    .into_response()
            }),
        )
        // WSFEv1: a SOAP fault with a 500, as IIS sends it.
        .route(
            "/wsfev1/service.asmx",
            post(move |headers: HeaderMap, body: Bytes| async move {
                record(headers, body, &s3);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [("content-type", "text/xml; charset=utf-8")],
                    r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. ---&gt; Object reference not set to an instance of an object.</faultstring><detail /></soap:Fault></soap:Body></soap:Envelope>"#,
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn failing_relay_call(base: &str) {
    let client = mostrador_relay::client::RelayClient::new(
        &format!("{base}/relay"),
        Secret::new(RELAY_TOKEN),
    )
    .unwrap();
    let err = client
        .events(0, None, 100, Duration::from_secs(0))
        .await
        .expect_err("the relay answered 503");
    tracing::warn!(error = %e_display(&err), debug = ?err, "relay poll failed");
}

async fn failing_whatsapp_send(base: &str) {
    use mostrador_whatsapp::ids::{PhoneNumberId, WaId, WabaId};
    use mostrador_whatsapp::send::{Content, OutgoingMessage, Text};
    let cfg = mostrador_whatsapp::Config::new(
        PhoneNumberId::new("106540352242922").unwrap(),
        WabaId::new("102290129340398").unwrap(),
        Secret::new(GRAPH_TOKEN),
    )
    .with_base_url(&format!("{base}/graph"))
    .unwrap();
    let client = mostrador_whatsapp::Client::new(cfg).unwrap();
    let message = OutgoingMessage::new(
        WaId::new("5491123456789").unwrap(),
        Content::Text(Text::new(MESSAGE_BODY).unwrap()),
    );
    let err = client.send(&message).await.expect_err("Graph answered 500");
    tracing::warn!(error = %e_display(&err), debug = ?err, "whatsapp send failed");
}

async fn failing_afip_call(base: &str) {
    use mostrador_afip::transport::HttpClient;
    use mostrador_afip::wsaa::AccessTicket;
    use mostrador_afip::wsfe::{Auth, WsfeClient};
    let ticket = AccessTicket::parse(
        "wsfe",
        &format!(
            "<loginTicketResponse version=\"1.0\"><header><source>CN=wsaahomo</source>\
             <destination>SERIALNUMBER=CUIT 20123456786</destination><uniqueId>4052521</uniqueId>\
             <generationTime>2026-11-29T10:00:00-03:00</generationTime>\
             <expirationTime>2026-11-29T22:00:00-03:00</expirationTime></header>\
             <credentials><token>{AFIP_TOKEN}</token><sign>{AFIP_SIGN}</sign></credentials>\
             </loginTicketResponse>"
        ),
    )
    .unwrap();
    let client = WsfeClient::new(
        HttpClient::default(),
        url::Url::parse(&format!("{base}/wsfev1/service.asmx")).unwrap(),
    );
    let auth = Auth {
        ticket: &ticket,
        cuit: Cuit::parse("20-12345678-6").unwrap(),
    };
    let err = client
        .last_authorized(&auth, 3, 11)
        .await
        .expect_err("WSFE answered a SOAP fault");
    tracing::warn!(error = %e_display(&err), "afip call failed");
}

fn e_display(e: &dyn std::fmt::Display) -> String {
    e.to_string()
}

#[tokio::test]
async fn secrets_and_bodies_never_appear_in_the_log_file() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("RUST_LOG", "trace");
    let guard = logging::init(dir.path()).unwrap();

    // The keychain.
    let org = OrgId::new();
    let store = SecretStore::new("ar.mostrador.test");
    store
        .set(org, "whatsapp_token", &Secret::new(KEYCHAIN_SECRET))
        .await
        .unwrap();
    let back = store.get(org, "whatsapp_token").await.unwrap().unwrap();
    tracing::info!(token = ?back, "read back a token");
    store.delete(org, "whatsapp_token").await.unwrap();

    // Failing provider calls over real HTTP.
    let seen = Arc::new(Mutex::new(Seen::default()));
    let base = start_servers(seen.clone()).await;
    failing_relay_call(&base).await;
    failing_whatsapp_send(&base).await;
    failing_afip_call(&base).await;
    drop(guard); // flushes the non-blocking writer

    // The secrets did go over the wire.
    {
        let seen = seen.lock().unwrap();
        let headers = seen.auth_headers.join("\n");
        assert!(headers.contains(RELAY_TOKEN), "relay token not sent");
        assert!(headers.contains(GRAPH_TOKEN), "Graph token not sent");
        let bodies = seen.bodies.join("\n");
        assert!(bodies.contains(MESSAGE_BODY), "message body not sent");
        assert!(bodies.contains(AFIP_TOKEN) && bodies.contains(AFIP_SIGN));
    }

    let mut logged = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        logged.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    // The log does record the operations and their failures, at TRACE...
    assert!(logged.contains(" TRACE "), "nothing logged at TRACE");
    assert!(logged.contains(&org.to_string()), "log: {logged}");
    assert!(logged.contains("secret stored"), "log: {logged}");
    assert!(logged.contains("whatsapp_token"));
    assert!(logged.contains("relay poll failed"), "log: {logged}");
    assert!(logged.contains("whatsapp send failed"), "log: {logged}");
    assert!(logged.contains("afip call failed"), "log: {logged}");
    assert!(logged.contains("FECompUltimoAutorizado"), "log: {logged}");
    // ...but never a secret or a message body (nor a recognizable piece of one).
    for (what, secret) in [
        ("keychain secret", KEYCHAIN_SECRET),
        ("relay token", RELAY_TOKEN),
        ("Graph token", GRAPH_TOKEN),
        ("message body", MESSAGE_BODY),
        ("AFIP token", AFIP_TOKEN),
        ("AFIP sign", AFIP_SIGN),
    ] {
        assert!(!logged.contains(secret), "the {what} leaked into the log");
    }
    for piece in ["do-not-log", "código de retiro"] {
        assert!(!logged.contains(piece), "{piece:?} leaked into the log");
    }
}
