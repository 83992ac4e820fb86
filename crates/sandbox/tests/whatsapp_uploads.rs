//! The resumable upload API over raw HTTP: sessions, `OAuth` bytes at an offset, resuming, and
//! template creation that takes only a known handle of a fitting type as a media header example.
//! Also the template category / quality webhooks of the control API.

use mostrador_sandbox::whatsapp::{TemplateCategoryChange, TemplateQualityChange};
use mostrador_sandbox::Sandbox;
use serde_json::{json, Value};

struct Env {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
    app: String,
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
            app: a.app_id,
            waba: a.waba_id,
            sandbox,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v25.0/{path}", self.sandbox.graph_url())
    }

    async fn json(r: reqwest::RequestBuilder) -> (u16, Value) {
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn session(&self, len: usize, ty: &str) -> String {
        let (s, v) = Env::json(
            self.http
                .post(self.url(&format!("{}/uploads", self.app)))
                .query(&[
                    ("file_name", "muestra"),
                    ("file_length", &len.to_string()),
                    ("file_type", ty),
                    ("access_token", &self.token),
                ]),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("upload:") && id.contains("?sig="), "{id}");
        id
    }

    async fn put(&self, session: &str, offset: usize, bytes: &[u8], scheme: &str) -> (u16, Value) {
        Env::json(
            self.http
                .post(self.url(session))
                .header("authorization", format!("{scheme} {}", self.token))
                .header("file_offset", offset.to_string())
                .body(bytes.to_vec()),
        )
        .await
    }

    async fn offset(&self, session: &str) -> (u16, Value) {
        Env::json(
            self.http
                .get(self.url(session))
                .header("authorization", format!("OAuth {}", self.token)),
        )
        .await
    }

    async fn create_template(
        &self,
        name: &str,
        format: &str,
        handle: Option<&str>,
    ) -> (u16, Value) {
        let mut header = json!({"type": "HEADER", "format": format});
        if let Some(h) = handle {
            header["example"] = json!({"header_handle": [h]});
        }
        Env::json(
            self.http
                .post(self.url(&format!("{}/message_templates", self.waba)))
                .bearer_auth(&self.token)
                .json(
                    &json!({"name": name, "language": "es_AR", "category": "UTILITY",
                    "components": [header, {"type": "BODY", "text": "Tu comprobante"}]}),
                ),
        )
        .await
    }
}

#[tokio::test]
async fn upload_in_two_parts_then_a_template_with_the_handle() {
    let env = Env::start().await;
    let file: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let session = env.session(file.len(), "image/png").await;
    // Bearer is not the documented scheme for the session.
    let (s, v) = env.put(&session, 0, &file, "Bearer").await;
    assert_eq!((s, v["error"]["code"].as_i64()), (401, Some(190)), "{v}");
    // A wrong signature is an unknown object.
    let forged = format!("{}x", session);
    let (s, v) = env.put(&forged, 0, &file, "OAuth").await;
    assert_eq!(
        (s, v["error"]["error_subcode"].as_i64()),
        (400, Some(33)),
        "{v}"
    );
    // The first part, then the offset says where to resume.
    let (s, v) = env.put(&session, 0, &file[..1200], "OAuth").await;
    assert_eq!(s, 200, "{v}");
    assert!(v.get("h").is_none());
    let (s, v) = env.offset(&session).await;
    assert_eq!((s, v["file_offset"].as_u64()), (200, Some(1200)), "{v}");
    // An offset that does not match is refused; so are bytes past file_length.
    let (s, v) = env.put(&session, 0, &file[1200..], "OAuth").await;
    assert_eq!((s, v["error"]["code"].as_i64()), (400, Some(100)), "{v}");
    let mut too_long = file[1200..].to_vec();
    too_long.push(0);
    let (s, _) = env.put(&session, 1200, &too_long, "OAuth").await;
    assert_eq!(s, 400);
    let (s, v) = env.put(&session, 1200, &file[1200..], "OAuth").await;
    assert_eq!(s, 200, "{v}");
    let handle = v["h"].as_str().unwrap().to_owned();
    let stored = env.sandbox.whatsapp.uploaded_file(&handle).unwrap();
    assert_eq!(stored.bytes.as_ref(), file.as_slice());
    assert_eq!(stored.file_type, "image/png");
    let (_, v) = env.offset(&session).await;
    assert_eq!(v["file_offset"].as_u64(), Some(3000));

    let (s, v) = env
        .create_template("con_imagen", "IMAGE", Some(&handle))
        .await;
    assert_eq!(s, 200, "{v}");
    // A handle nobody issued, none at all, or a file of another kind: refused like Meta does.
    for (name, format, h) in [
        ("inventado", "IMAGE", Some("4::aW1hZ2UvcG5n:ARZnope")),
        ("sin_ejemplo", "IMAGE", None),
        ("link", "IMAGE", Some("https://example.com/a.png")),
        ("otro_tipo", "DOCUMENT", Some(handle.as_str())),
    ] {
        let (s, v) = env.create_template(name, format, h).await;
        assert_eq!(s, 400, "{name}: {v}");
        assert_eq!(v["error"]["code"], 100, "{name}: {v}");
        assert_eq!(v["error"]["error_subcode"], 2388273, "{name}: {v}");
    }
}

#[tokio::test]
async fn sessions_refuse_what_meta_refuses() {
    let env = Env::start().await;
    let create = |q: Vec<(&'static str, String)>| {
        env.http
            .post(env.url(&format!("{}/uploads", env.app)))
            .bearer_auth(&env.token)
            .query(&q)
    };
    let ok = |ty: &str| {
        vec![
            ("file_name", "a".to_owned()),
            ("file_length", "10".to_owned()),
            ("file_type", ty.to_owned()),
        ]
    };
    for ty in [
        "application/pdf",
        "image/jpeg",
        "image/jpg",
        "image/png",
        "video/mp4",
    ] {
        let (s, v) = Env::json(create(ok(ty))).await;
        assert_eq!(s, 200, "{ty}: {v}");
    }
    let (s, _) = Env::json(create(ok("image/gif"))).await;
    assert_eq!(s, 400);
    let mut zero = ok("image/png");
    zero[1].1 = "0".into();
    let (s, _) = Env::json(create(zero)).await;
    assert_eq!(s, 400);
    // Another app id.
    let (s, v) = Env::json(
        env.http
            .post(env.url("1/uploads"))
            .bearer_auth(&env.token)
            .query(&ok("image/png")),
    )
    .await;
    assert_eq!(
        (s, v["error"]["error_subcode"].as_i64()),
        (400, Some(33)),
        "{v}"
    );
    // No token at all.
    let (s, _) = Env::json(
        env.http
            .post(env.url(&format!("{}/uploads", env.app)))
            .query(&ok("image/png")),
    )
    .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn template_category_and_quality_changes_emit_webhooks() {
    let env = Env::start().await;
    let w = &env.sandbox.whatsapp;
    assert!(w.set_template_category(TemplateCategoryChange {
        name: "hola".into(),
        language: "es_AR".into(),
        category: "MARKETING".into(),
    }));
    assert!(!w.set_template_quality(TemplateQualityChange {
        name: "no_existe".into(),
        language: "es_AR".into(),
        quality_score: "RED".into(),
    }));
    // Over the control API too.
    let r = env
        .http
        .post(format!(
            "{}/_sandbox/templates/quality",
            env.sandbox.graph_url()
        ))
        .json(&json!({"name": "hola", "language": "es_AR", "quality_score": "YELLOW"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let changes: Vec<(String, Value)> = w
        .webhooks()
        .into_iter()
        .map(|r| {
            let c = &r.body["entry"][0]["changes"][0];
            (c["field"].as_str().unwrap().to_owned(), c["value"].clone())
        })
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0].0, "template_category_update");
    assert_eq!(changes[0].1["previous_category"], "UTILITY");
    assert_eq!(changes[0].1["new_category"], "MARKETING");
    assert!(changes[0].1["message_template_id"].is_u64());
    assert_eq!(changes[1].0, "message_template_quality_update");
    assert_eq!(changes[1].1["previous_quality_score"], "UNKNOWN");
    assert_eq!(changes[1].1["new_quality_score"], "YELLOW");
    assert_eq!(changes[1].1["message_template_name"], "hola");
    // The category sticks: the list shows it.
    let (_, v) = Env::json(
        env.http
            .get(env.url(&format!("{}/message_templates?name=hola", env.waba)))
            .bearer_auth(&env.token),
    )
    .await;
    assert_eq!(v["data"][0]["category"], "MARKETING", "{v}");
}
