//! The Graph API simulator over raw HTTP: its control API, and the rules it enforces on payloads
//! a careful client would never send (so a client bug fails here as it would at Meta).

use mostrador_sandbox::Sandbox;
use serde_json::{json, Value};

struct Env {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
    phone: String,
}

impl Env {
    async fn start() -> Env {
        let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let a = sandbox.whatsapp.account();
        Env {
            http: reqwest::Client::new(),
            token: a.access_token,
            phone: a.phone_number_id,
            sandbox,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.graph_url())
    }

    async fn control(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/_sandbox{path}")))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn send(&self, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(&format!("/v25.0/{}/messages", self.phone)))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn log(&self) -> Vec<Value> {
        let v: Value = self
            .http
            .get(self.url("/_sandbox/log"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array().unwrap().clone()
    }
}

fn code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {v}"))
}

const CUSTOMER: &str = "5491112345678";

async fn customer_who_wrote(env: &Env) -> String {
    let r = env
        .control("/customers", json!({"wa_id": CUSTOMER, "name": "Juan"}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = env
        .control(
            &format!("/customers/{CUSTOMER}/messages"),
            json!({"type": "text", "text": {"body": "Hola"}}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn control_api_customers_window_faults_and_log() {
    let env = Env::start().await;
    let account: Value = env
        .http
        .get(env.url("/_sandbox/account"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["phone_number_id"], env.phone);
    customer_who_wrote(&env).await;
    let text = json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "hola"}});
    let (s, v) = env.send(text.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["messages"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("wamid."));
    // Close the window over HTTP.
    let r = env
        .control(
            &format!("/customers/{CUSTOMER}/last_inbound"),
            json!({"age_secs": 90000}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 204);
    let (s, v) = env.send(text.clone()).await;
    assert_eq!((s, code(&v)), (400, 131047));
    // Inject an error for the next call only.
    env.control(
        "/faults",
        json!({"kind": "graph_error", "code": 368, "count": 1}),
    )
    .await;
    let (_, v) = env.send(text.clone()).await;
    assert_eq!(code(&v), 368);
    let (_, v) = env.send(text.clone()).await;
    assert_eq!(code(&v), 131047, "the fault was used up");
    // A 5xx for the next two calls, then cleared.
    env.control(
        "/faults",
        json!({"kind": "http_status", "status": 503, "count": 2}),
    )
    .await;
    let (s, _) = {
        let r = env
            .http
            .post(env.url(&format!("/v25.0/{}/messages", env.phone)))
            .bearer_auth(&env.token)
            .json(&text)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), ())
    };
    assert_eq!(s, 503);
    env.http
        .delete(env.url("/_sandbox/faults"))
        .send()
        .await
        .unwrap();
    let (_, v) = env.send(text).await;
    assert_eq!(code(&v), 131047);
    let log = env.log().await;
    assert_eq!(
        log.iter().filter(|e| e["kind"] == "send_message").count(),
        1
    );
    // Configuration over HTTP: a new token.
    env.control("/config", json!({"access_token": "otro"}))
        .await;
    let (s, v) = env
        .send(json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "x"}}))
        .await;
    assert_eq!((s, code(&v)), (401, 190));
}

#[tokio::test]
async fn refuses_malformed_payloads_like_meta() {
    let env = Env::start().await;
    let inbound = customer_who_wrote(&env).await;
    let cases = [
        (
            json!({"to": CUSTOMER, "type": "text", "text": {"body": "x"}}),
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}),
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text"}),
            131008,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": ""}}),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "x".repeat(4097)}}),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": 5}}),
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "hologram", "hologram": {}}),
            131051,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": "54-11-abc", "type": "text", "text": {"body": "x"}}),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "x"}, "biz_opaque_callback_data": "x".repeat(513)}),
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "image", "image": {"id": "404"}}),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "interactive", "interactive": {"type": "button", "body": {"text": "x"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "1", "title": "a"}}, {"type": "reply", "reply": {"id": "2", "title": "b"}},
            {"type": "reply", "reply": {"id": "3", "title": "c"}}, {"type": "reply", "reply": {"id": "4", "title": "d"}}]}}}),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "interactive", "interactive": {"type": "button", "body": {"text": "x"}, "action": {"buttons": [
            {"type": "reply", "reply": {"id": "1", "title": "Un título demasiado largo"}}]}}}),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "interactive", "interactive": {"type": "list", "body": {"text": "x"}, "action": {"button": "Ver", "sections": [
            {"title": "A", "rows": [{"id": "1", "title": "a"}]}, {"rows": [{"id": "2", "title": "b"}]}]}}}),
            131008,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "reaction", "reaction": {"message_id": "wamid.unknown", "emoji": "👍"}}),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "location", "location": {"latitude": 100, "longitude": 0}}),
            131009,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template", "template": {"name": "hola", "language": {"code": "es_AR"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": 42}]}]}}),
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template", "template": {"name": "hola", "language": {"code": "es_AR", "policy": "fallback"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}]}]}}),
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.unknown"}),
            100,
        ),
        (
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": inbound, "typing_indicator": {"type": "audio"}}),
            100,
        ),
    ];
    for (body, expected) in cases {
        let (s, v) = env.send(body.clone()).await;
        assert!(s >= 400, "{body} was accepted");
        assert_eq!(code(&v), expected, "{body} ⇒ {v}");
        assert!(v["error"]["fbtrace_id"].is_string());
    }
    assert!(env.log().await.iter().all(|e| e["kind"] != "send_message"));
    let (s, _) = env
        .send(json!({"messaging_product": "whatsapp", "status": "read", "message_id": inbound}))
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn media_upload_rules_and_captions() {
    let env = Env::start().await;
    customer_who_wrote(&env).await;
    let upload = |mime: &'static str, size: usize| {
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime)
            .part(
                "file",
                reqwest::multipart::Part::bytes(vec![1u8; size]).file_name("f"),
            );
        env.http
            .post(env.url(&format!("/v25.0/{}/media", env.phone)))
            .bearer_auth(&env.token)
            .multipart(form)
            .send()
    };
    // audio/opus fails with 131053 (Chatwoot #12713); declare OGG/Opus properly instead.
    let v: Value = upload("audio/opus", 10)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&v), 131053);
    assert!(v["error"]["error_data"]["details"]
        .as_str()
        .unwrap()
        .contains("codecs=opus"));
    let v: Value = upload("image/png", 5 * 1024 * 1024 + 1)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&v), 131053);
    let v: Value = upload("image/gif", 10).await.unwrap().json().await.unwrap();
    assert_eq!(code(&v), 131053);
    let ok: Value = upload("audio/ogg; codecs=opus", 10)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let audio = ok["id"].as_str().unwrap().to_owned();
    // No caption on audio.
    let (_, v) = env
        .send(json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "audio", "audio": {"id": audio, "caption": "no"}}))
        .await;
    assert_eq!(code(&v), 100);
    let (s, _) = env
        .send(json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "audio", "audio": {"id": audio}}))
        .await;
    assert_eq!(s, 200);
    // The download URL needs the token.
    let info: Value = env
        .http
        .get(env.url(&format!("/v25.0/{audio}")))
        .bearer_auth(&env.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = info["url"].as_str().unwrap();
    assert_eq!(
        env.http.get(url).send().await.unwrap().status().as_u16(),
        401
    );
    let r = env
        .http
        .get(url)
        .bearer_auth(&env.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), 10);
}

/// A local webhook receiver: every POST body goes to the channel.
async fn receiver() -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    use axum::routing::post;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(serde_json::from_slice::<Value>(&body).unwrap());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, rx)
}

#[tokio::test]
async fn async_failures_mode_reports_the_window_by_webhook() {
    let env = Env::start().await;
    let (url, mut rx) = receiver().await;
    env.control("/customers", json!({"wa_id": CUSTOMER})).await;
    env.control(
        "/config",
        json!({"async_failures": true, "webhook_url": url}),
    )
    .await;
    let (s, v) = env
        .send(json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "x"}}))
        .await;
    assert_eq!(s, 200, "{v}");
    let id = v["messages"][0]["id"].as_str().unwrap().to_owned();
    let hook = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
        .await
        .expect("a webhook within 5 s")
        .unwrap();
    let st = &hook["entry"][0]["changes"][0]["value"]["statuses"][0];
    assert_eq!(st["id"], id.as_str());
    assert_eq!(st["status"], "failed");
    assert_eq!(st["errors"][0]["code"], 131047);
}

#[tokio::test]
async fn unknown_paths_get_a_graph_error() {
    let env = Env::start().await;
    let r = env
        .http
        .get(env.url("/v25.0/a/b/c/d"))
        .bearer_auth(&env.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(code(&v), 2500);
}
