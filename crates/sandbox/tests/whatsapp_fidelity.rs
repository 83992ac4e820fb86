//! The Graph simulator answers like Meta where independent clients and recorded traffic showed it
//! did not: contacts in status webhooks, case-insensitive component types, `summary` on the
//! template list, seeded templates with examples, plain error texts, the real method in "unknown
//! object", and `file_size` as a string.

use mostrador_sandbox::whatsapp::{ManualStatus, NewCustomer};
use mostrador_sandbox::Sandbox;
use serde_json::{json, Value};

const CUSTOMER: &str = "5491112345678";

struct Env {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
    phone: String,
    waba: String,
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
            waba: a.waba_id,
            sandbox,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v25.0{path}", self.sandbox.graph_url())
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn send(&self, body: Value) -> (u16, Value) {
        let path = format!("/{}/messages", self.phone);
        self.call(reqwest::Method::POST, &path, Some(body)).await
    }

    fn customer_who_wrote(&self) -> String {
        let c = self.sandbox.whatsapp.add_customer(NewCustomer {
            name: Some("Juan".into()),
            ..NewCustomer::new(CUSTOMER)
        });
        self.sandbox
            .whatsapp
            .customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
            .unwrap();
        c.bsuid
    }
}

fn error_text(v: &Value) -> String {
    format!(
        "{} {}",
        v["error"]["message"].as_str().unwrap_or_default(),
        v["error"]["error_data"]["details"]
            .as_str()
            .unwrap_or_default()
    )
}

#[tokio::test]
async fn status_webhooks_carry_the_recipients_contact() {
    let env = Env::start().await;
    let bsuid = env.customer_who_wrote();
    let (s, v) = env
        .send(
            json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text",
            "text": {"body": "hola"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let wamid = v["messages"][0]["id"].as_str().unwrap().to_owned();
    assert!(env.sandbox.whatsapp.emit_status(ManualStatus {
        message_id: wamid.clone(),
        status: "delivered".into(),
        error_code: None,
    }));
    let statuses: Vec<Value> = env
        .sandbox
        .whatsapp
        .webhooks()
        .into_iter()
        .map(|w| w.body["entry"][0]["changes"][0]["value"].clone())
        .filter(|v| v.get("statuses").is_some())
        .collect();
    assert!(!statuses.is_empty());
    for v in statuses {
        assert_eq!(v["statuses"][0]["id"], wamid.as_str());
        let contacts = v["contacts"].as_array().unwrap_or_else(|| panic!("{v}"));
        assert_eq!(contacts.len(), 1, "{v}");
        assert_eq!(contacts[0]["wa_id"], CUSTOMER, "{v}");
        assert_eq!(contacts[0]["user_id"], bsuid.as_str(), "{v}");
    }
}

#[tokio::test]
async fn component_types_and_sub_types_are_case_insensitive() {
    let env = Env::start().await;
    env.customer_who_wrote();
    let template = |header: &str, body: &str, button: &str, sub: &str| {
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
            "template": {"name": "pedido_listo", "language": {"code": "es_AR"}, "components": [
                {"type": header, "parameters": [{"type": "image",
                    "image": {"link": "https://example.com/p.jpg"}}]},
                {"type": body, "parameters": [{"type": "text", "text": "Ana"},
                    {"type": "text", "text": "$100"}, {"type": "text", "text": "lunes"}]},
                {"type": button, "sub_type": sub, "index": "0",
                    "parameters": [{"type": "text", "text": "A1"}]}]}})
    };
    for (h, b, btn, sub) in [
        ("header", "body", "button", "url"),
        ("HEADER", "BODY", "BUTTON", "URL"),
        ("Header", "Body", "Button", "Url"),
    ] {
        let (s, v) = env.send(template(h, b, btn, sub)).await;
        assert_eq!(s, 200, "{h}/{b}/{btn}/{sub}: {v}");
    }
    // Creation too: a lower-case body is a body.
    let (s, v) = env
        .call(
            reqwest::Method::POST,
            &format!("/{}/message_templates", env.waba),
            Some(
                json!({"name": "minusculas", "language": "es_AR", "category": "UTILITY",
                "components": [{"type": "body", "text": "Hola {{1}}, gracias.",
                    "example": {"body_text": [["Ana"]]}}]}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn error_texts_carry_no_rust_debug_text() {
    let env = Env::start().await;
    env.customer_who_wrote();
    let with = |components: Value| {
        json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
            "template": {"name": "hola", "language": {"code": "es_AR"}, "components": components}})
    };
    let cases = [
        json!([{"type": "FOOTER", "parameters": []}]),
        json!([{"parameters": []}]),
        json!([{"type": "body", "parameters": [{"type": "image", "image": {"link": "https://x.y/z"}}]}]),
        json!([{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
            {"type": "button", "sub_type": "flow", "index": 0, "parameters": []}]),
    ];
    for c in cases {
        let (s, v) = env.send(with(c.clone())).await;
        assert!(s >= 400, "{c}: {v}");
        let text = error_text(&v);
        for debug in ["Some(", "None", "\\\"", "\""] {
            assert!(!text.contains(debug), "{c}: debug text {debug:?} in {text}");
        }
    }
    let (s, v) = env
        .send(with(json!([{"type": "FOOTER", "parameters": []}])))
        .await;
    assert_eq!(s, 400);
    assert!(error_text(&v).contains("FOOTER"), "{v}");
}

#[tokio::test]
async fn the_template_list_honours_summary() {
    let env = Env::start().await;
    let path = format!(
        "/{}/message_templates?limit=2&summary=total_count",
        env.waba
    );
    let (s, v) = env.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"]["total_count"], 5, "{v}");
    let path = format!(
        "/{}/message_templates?status=APPROVED&summary=true",
        env.waba
    );
    let (_, v) = env.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(v["summary"]["total_count"], 4, "{v}");
    assert!(v["summary"]["message_template_limit"].as_u64().unwrap() > 0);
    // Without `summary`, no summary.
    let path = format!("/{}/message_templates", env.waba);
    let (_, v) = env.call(reqwest::Method::GET, &path, None).await;
    assert!(v.get("summary").is_none(), "{v}");
}

fn variables(text: &str) -> usize {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else { break };
        if !names.contains(&&after[..j]) {
            names.push(&after[..j]);
        }
        rest = &after[j + 2..];
    }
    names.len()
}

#[tokio::test]
async fn seeded_templates_carry_examples_like_meta_requires() {
    let env = Env::start().await;
    let path = format!("/{}/message_templates?limit=100", env.waba);
    let (_, v) = env.call(reqwest::Method::GET, &path, None).await;
    let templates = v["data"].as_array().unwrap();
    assert_eq!(templates.len(), 5);
    let mut checked = 0;
    for t in templates {
        let named = t["parameter_format"] == "NAMED";
        for c in t["components"].as_array().unwrap() {
            let name = &t["name"];
            match (c["type"].as_str().unwrap(), c["format"].as_str()) {
                ("BODY", _) => {
                    let n = variables(c["text"].as_str().unwrap());
                    if n == 0 {
                        continue;
                    }
                    let given = if named {
                        c["example"]["body_text_named_params"].as_array()
                    } else {
                        c["example"]["body_text"][0].as_array()
                    };
                    assert_eq!(given.map(Vec::len), Some(n), "{name}: {c}");
                    checked += 1;
                }
                ("HEADER", Some("TEXT")) => {
                    let n = variables(c["text"].as_str().unwrap());
                    let given = if named {
                        c["example"]["header_text_named_params"].as_array()
                    } else {
                        c["example"]["header_text"].as_array()
                    };
                    assert_eq!(given.map(Vec::len), Some(n), "{name}: {c}");
                    checked += 1;
                }
                ("HEADER", Some(_)) => {
                    let h = c["example"]["header_handle"][0].as_str();
                    assert!(h.is_some_and(|h| !h.is_empty()), "{name}: {c}");
                    checked += 1;
                }
                ("BUTTONS", _) => {
                    for b in c["buttons"].as_array().unwrap() {
                        if b["type"] == "URL" && b["url"].as_str().unwrap().contains("{{") {
                            assert!(b["example"][0].as_str().is_some(), "{name}: {b}");
                            checked += 1;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    assert!(checked >= 7, "{checked}");
}

#[tokio::test]
async fn unknown_object_names_the_real_method() {
    let env = Env::start().await;
    for (method, word) in [
        (reqwest::Method::GET, "get"),
        (reqwest::Method::POST, "post"),
        (reqwest::Method::DELETE, "delete"),
    ] {
        let body = (method == reqwest::Method::POST).then(|| json!({}));
        let (s, v) = env
            .call(method.clone(), "/999999/message_templates?name=x", body)
            .await;
        assert_eq!(s, 400, "{v}");
        assert_eq!(v["error"]["code"], 100);
        assert_eq!(v["error"]["error_subcode"], 33);
        let m = v["error"]["message"].as_str().unwrap();
        assert!(
            m.contains(&format!("Unsupported {word} request")),
            "{method}: {m}"
        );
    }
    let (_, v) = env.call(reqwest::Method::GET, "/999999", None).await;
    let m = v["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("Unsupported get request") && m.contains("'999999'"),
        "{m}"
    );
}

#[tokio::test]
async fn media_file_size_is_a_string_as_meta_specifies() {
    let env = Env::start().await;
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", "application/pdf")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 hola".to_vec())
                .file_name("a.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = env
        .http
        .post(env.url(&format!("/{}/media", env.phone)))
        .bearer_auth(&env.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = env
        .call(reqwest::Method::GET, &format!("/{id}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["file_size"], json!("13"), "{v}");
}
