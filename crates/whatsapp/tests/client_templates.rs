//! Template creation against the simulator over real HTTP: Meta's limits are checked before
//! submitting (nothing reaches the server, the field is named), the simulator enforces the same
//! rules when they are bypassed, and its refusal is read back as a [`CreateRejection`] naming the
//! field. A document header with a handle from the resumable upload API passes.

mod support;

use bytes::Bytes;
use mostrador_whatsapp::ids::AppId;
use mostrador_whatsapp::templates::{
    BodyExamples, CreateRejection, NewButton, NewHeader, NewTemplate, TemplateCategory,
};
use mostrador_whatsapp::{Error, DEFAULT_GRAPH_VERSION};
use serde_json::{json, Value};
use support::*;

fn base(name: &str) -> NewTemplate {
    NewTemplate {
        name: name.into(),
        language: "es_AR".into(),
        category: TemplateCategory::Utility,
        header: None,
        body: "Hola {{1}}, tu factura {{2}} está disponible.".into(),
        body_examples: BodyExamples::Positional(vec!["Ana".into(), "0001-00000042".into()]),
        footer: Some("Gracias por tu compra".into()),
        buttons: vec![],
    }
}

fn field_of(e: Error) -> String {
    match e {
        Error::Invalid(v) => v.field,
        other => panic!("expected a local refusal, got {other}"),
    }
}

/// Posts a creation body as-is, bypassing the client's checks.
async fn post_raw(h: &Harness, body: &Value) -> (u16, Value) {
    let a = h.sandbox.whatsapp.account();
    let url = format!(
        "{}/{DEFAULT_GRAPH_VERSION}/{}/message_templates",
        h.sandbox.graph_url(),
        a.waba_id
    );
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(a.access_token)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn limits_are_checked_locally_naming_the_field_and_nothing_is_sent() {
    let h = start().await;
    let cases: Vec<(NewTemplate, &str)> = vec![
        (
            NewTemplate {
                header: Some(NewHeader::Text {
                    text: "x".repeat(61),
                    example: None,
                }),
                ..base("a")
            },
            "components.HEADER.text",
        ),
        (
            NewTemplate {
                footer: Some("y".repeat(61)),
                ..base("b")
            },
            "components.FOOTER.text",
        ),
        (
            NewTemplate {
                body: "{{1}} es tu número de factura {{2}}".into(),
                ..base("c")
            },
            "components.BODY.text",
        ),
        (
            NewTemplate {
                body: "Hola {{1}}, tu factura {{3}} está lista.".into(),
                ..base("d")
            },
            "components.BODY.text",
        ),
        (
            NewTemplate {
                body_examples: BodyExamples::Positional(vec!["Ana".into(), " ".into()]),
                ..base("e")
            },
            "components.BODY.example.2",
        ),
        (
            NewTemplate {
                buttons: vec![NewButton::QuickReply {
                    text: "Quiero cambiar el turno por otro".into(),
                }],
                ..base("f")
            },
            "components.BUTTONS[0].text",
        ),
        (
            NewTemplate {
                buttons: vec![NewButton::Url {
                    text: "Pagar".into(),
                    url: "https://pago.example/{{1}}/ok".into(),
                    example: Some("https://pago.example/abc/ok".into()),
                }],
                ..base("g")
            },
            "components.BUTTONS[0].url",
        ),
        (
            NewTemplate {
                buttons: vec![NewButton::CopyCode {
                    example: "CODIGO-DEMASIADO-LARGO".into(),
                }],
                ..base("h")
            },
            "components.BUTTONS[0].example",
        ),
        (
            NewTemplate {
                buttons: vec![
                    NewButton::PhoneNumber {
                        text: "Llamar".into(),
                        phone_number: "+5491112345678".into(),
                    },
                    NewButton::PhoneNumber {
                        text: "Llamar 2".into(),
                        phone_number: "+5491112345679".into(),
                    },
                ],
                ..base("i")
            },
            "components.BUTTONS",
        ),
        (
            NewTemplate {
                name: "Con Mayúsculas".into(),
                ..base("j")
            },
            "name",
        ),
    ];
    for (t, field) in cases {
        let e = h.client.create_template(&t).await.unwrap_err();
        assert_eq!(field_of(e), field, "{t:?}");
    }
    assert!(
        h.sandbox.whatsapp.log_of("create_template").is_empty(),
        "a refused template never reaches Meta"
    );
}

#[tokio::test]
async fn the_simulator_refuses_the_same_and_the_rejection_names_the_field() {
    let h = start().await;
    let mut start_var = base("inicio").to_json();
    start_var["components"][0]["text"] = json!("{{1}} es tu factura {{2}}");
    let mut long_footer = base("pie").to_json();
    long_footer["components"][1]["text"] = json!("z".repeat(61));
    let mut long_button = base("botones").to_json();
    long_button["components"].as_array_mut().unwrap().push(
        json!({"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "w".repeat(26)}]}),
    );
    let cases = [
        (start_var, "components.BODY.text"),
        (long_footer, "components"),
        (long_button, "components.BUTTONS"),
    ];
    for (body, field) in cases {
        let (status, answer) = post_raw(&h, &body).await;
        assert_eq!(status, 400, "{answer}");
        let g = mostrador_whatsapp::GraphError::from_body(status, answer.to_string().as_bytes())
            .unwrap();
        let e = Error::Graph(Box::new(g));
        let r = CreateRejection::from_error(&e).expect("a content refusal");
        assert_eq!(r.field, field, "{answer}");
        assert!(!r.meta.is_empty());
    }
    // A duplicate (same name and language) is refused by Meta, mapped to the name.
    h.client.create_template(&base("duplicada")).await.unwrap();
    let e = h
        .client
        .create_template(&base("duplicada"))
        .await
        .unwrap_err();
    assert_eq!(CreateRejection::from_error(&e).unwrap().field, "name");
}

#[tokio::test]
async fn a_document_header_with_an_upload_handle_and_every_button_kind_passes() {
    let h = start().await;
    let pdf = Bytes::from_static(b"%PDF-1.4 factura de ejemplo %%EOF");
    let app = AppId::new(h.sandbox.whatsapp.account().app_id).unwrap();
    let session = h
        .client
        .start_upload(&app, "factura.pdf", pdf.len() as u64, "application/pdf")
        .await
        .unwrap();
    let handle = h.client.upload(&session, pdf).await.unwrap();
    let t = NewTemplate {
        header: Some(NewHeader::Document {
            example_handle: handle.into_string(),
        }),
        buttons: vec![
            NewButton::Url {
                text: "Ver factura".into(),
                url: "https://facturas.example/f/{{1}}".into(),
                example: Some("https://facturas.example/f/42".into()),
            },
            NewButton::PhoneNumber {
                text: "Llamar".into(),
                phone_number: "+5491112345678".into(),
            },
            NewButton::CopyCode {
                example: "CAE123".into(),
            },
            NewButton::QuickReply {
                text: "Gracias".into(),
            },
        ],
        ..base("factura_disponible")
    };
    let created = h.client.create_template(&t).await.unwrap();
    assert!(!created.id.as_str().is_empty());
    let listed = h.client.list_templates().await.unwrap();
    let got = listed
        .iter()
        .find(|x| x.name == "factura_disponible")
        .unwrap();
    assert_eq!(got.components.len(), 4, "header, body, footer, buttons");
    // The same template with a made-up handle is Meta's refusal, named as the header example.
    let bad = NewTemplate {
        name: "factura_inventada".into(),
        header: Some(NewHeader::Document {
            example_handle: "4::bm9wZQ==:ARZfake".into(),
        }),
        ..t
    };
    let e = h.client.create_template(&bad).await.unwrap_err();
    assert_eq!(
        CreateRejection::from_error(&e).unwrap().field,
        "components.HEADER.example"
    );
}
