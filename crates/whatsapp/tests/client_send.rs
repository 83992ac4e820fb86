//! Every send operation against the simulator over real HTTP.

mod support;

use bytes::Bytes;
use mostrador_sandbox::whatsapp::NewCustomer;
use mostrador_whatsapp::ids::{Bsuid, MessageId, Recipient};
use mostrador_whatsapp::send::*;
use serde_json::json;
use support::*;

/// A customer who wrote a minute ago (window open). Returns the inbound message id.
fn customer_wrote(h: &Harness) -> MessageId {
    h.sandbox.whatsapp.add_customer(NewCustomer::new(CUSTOMER));
    let id = h
        .sandbox
        .whatsapp
        .customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
        .unwrap();
    MessageId::new(id).unwrap()
}

fn last_sent(h: &Harness) -> serde_json::Value {
    h.sandbox
        .whatsapp
        .log_of("send_message")
        .last()
        .unwrap()
        .request
        .clone()
}

#[tokio::test]
async fn text_with_preview_reply_and_callback_data() {
    let h = start().await;
    let inbound = customer_wrote(&h);
    let msg = OutgoingMessage::new(
        wa(CUSTOMER),
        Content::Text(
            Text::new("Sí, tenemos: https://example.com/yerba")
                .unwrap()
                .with_preview(),
        ),
    )
    .replying_to(inbound.clone())
    .with_callback_data(CallbackData::new("outbox-1").unwrap());
    let out = h.client.send(&msg).await.unwrap();
    assert!(out.message_id.as_str().starts_with("wamid."));
    assert_eq!(out.status, AcceptStatus::Accepted);
    assert_eq!(out.contacts[0].wa_id.as_ref().unwrap().as_str(), CUSTOMER);
    let req = last_sent(&h);
    assert_eq!(req["to"], CUSTOMER);
    assert_eq!(req["text"]["preview_url"], true);
    assert_eq!(req["context"]["message_id"], inbound.as_str());
    assert_eq!(req["biz_opaque_callback_data"], "outbox-1");
}

#[tokio::test]
async fn media_by_uploaded_id_with_captions_where_allowed() {
    let h = start().await;
    customer_wrote(&h);
    let up = |mime: &'static str, name: &'static str| {
        let c = h.client.clone();
        async move {
            c.upload_media(Bytes::from_static(b"fake-bytes"), mime, name)
                .await
                .unwrap()
                .0
        }
    };
    let image = up("image/jpeg", "foto.jpg").await;
    let video = up("video/mp4", "video.mp4").await;
    let voice = up("audio/ogg; codecs=opus", "nota.ogg").await;
    let doc = up("application/pdf", "factura.pdf").await;
    let sticker = up("image/webp", "sticker.webp").await;
    let contents = [
        Content::Media(MediaMessage::image(image, Some("Así quedó".into())).unwrap()),
        Content::Media(MediaMessage::video(video, Some("Mirá".into())).unwrap()),
        Content::Media(MediaMessage::audio(voice)),
        Content::Media(
            MediaMessage::document(doc, "factura-0001.pdf", Some("Tu factura".into())).unwrap(),
        ),
        Content::Media(MediaMessage::sticker(sticker)),
    ];
    for c in contents {
        let kind = c.type_name();
        h.client
            .send(&OutgoingMessage::new(wa(CUSTOMER), c))
            .await
            .unwrap();
        let req = last_sent(&h);
        assert_eq!(req["type"], kind);
        assert!(req[kind]["id"].is_string());
    }
    let req = last_sent(&h);
    assert!(req["sticker"].get("caption").is_none());
    let doc_req = &h.sandbox.whatsapp.log_of("send_message")[3].request;
    assert_eq!(doc_req["document"]["filename"], "factura-0001.pdf");
}

#[tokio::test]
async fn location_contacts_reaction_and_removal() {
    let h = start().await;
    let inbound = customer_wrote(&h);
    let loc = Location::new(-34.6037, -58.3816)
        .unwrap()
        .named("Local", "Av. Corrientes 1234");
    h.client
        .send(&OutgoingMessage::new(wa(CUSTOMER), Content::Location(loc)))
        .await
        .unwrap();
    assert_eq!(last_sent(&h)["location"]["name"], "Local");
    let card = ContactCard::new("Mostrador Ventas").phone("+5491150000000", Some("WORK"));
    h.client
        .send(&OutgoingMessage::new(
            wa(CUSTOMER),
            Content::Contacts(vec![card]),
        ))
        .await
        .unwrap();
    assert_eq!(
        last_sent(&h)["contacts"][0]["name"]["formatted_name"],
        "Mostrador Ventas"
    );
    let r = Reaction::new(inbound.clone(), "👍").unwrap();
    h.client
        .send(&OutgoingMessage::new(wa(CUSTOMER), Content::Reaction(r)))
        .await
        .unwrap();
    assert_eq!(last_sent(&h)["reaction"]["emoji"], "👍");
    h.client
        .send(&OutgoingMessage::new(
            wa(CUSTOMER),
            Content::Reaction(Reaction::remove(inbound)),
        ))
        .await
        .unwrap();
    assert_eq!(last_sent(&h)["reaction"]["emoji"], "");
}

#[tokio::test]
async fn interactive_buttons_and_list() {
    let h = start().await;
    customer_wrote(&h);
    let mut buttons = ReplyButtons::new(
        "¿Confirmás el pedido?",
        vec![
            ReplyButton::new("si-123", "Sí"),
            ReplyButton::new("no-123", "No"),
        ],
    )
    .unwrap();
    buttons.header = Some(InteractiveHeader::Text("Pedido #123".into()));
    buttons.footer = Some("Mostrador".into());
    h.client
        .send(&OutgoingMessage::new(
            wa(CUSTOMER),
            Content::ReplyButtons(buttons),
        ))
        .await
        .unwrap();
    assert_eq!(
        last_sent(&h)["interactive"]["action"]["buttons"][1]["reply"]["id"],
        "no-123"
    );
    let list = ListMessage::new(
        "¿Cómo querés recibirlo?",
        "Ver opciones",
        vec![
            ListSection {
                title: Some("Envío".into()),
                rows: vec![ListRow::new("moto", "Moto").described("Llega hoy")],
            },
            ListSection {
                title: Some("Retiro".into()),
                rows: vec![ListRow::new("local", "En el local")],
            },
        ],
    )
    .unwrap();
    h.client
        .send(&OutgoingMessage::new(wa(CUSTOMER), Content::List(list)))
        .await
        .unwrap();
    assert_eq!(
        last_sent(&h)["interactive"]["action"]["sections"][0]["rows"][0]["description"],
        "Llega hoy"
    );
}

#[tokio::test]
async fn templates_with_every_parameter_kind() {
    let h = start().await;
    // No inbound message: templates need no open window.
    h.sandbox.whatsapp.add_customer(NewCustomer::new(CUSTOMER));
    let (image, _) = h
        .client
        .upload_media(Bytes::from_static(b"png"), "image/png", "pedido.png")
        .await
        .unwrap();
    let t = Template::new("pedido_listo", "es_AR")
        .header(HeaderParameter::Image(MediaSource::Id(image)))
        .body_text("Juan")
        .body_param(BodyParameter::Currency {
            fallback_value: "$1.500".into(),
            code: "ARS".into(),
            amount_1000: 1_500_000,
        })
        .body_param(BodyParameter::DateTime {
            fallback_value: "25 de marzo".into(),
        })
        .button(ButtonParameter::Url {
            index: 0,
            text: "ABC123".into(),
        })
        .button(ButtonParameter::QuickReply {
            index: 1,
            payload: "CANCELAR_123".into(),
        })
        .button(ButtonParameter::CopyCode {
            index: 2,
            coupon_code: "DESC10".into(),
        });
    let out = h
        .client
        .send(&OutgoingMessage::new(wa(CUSTOMER), Content::Template(t)))
        .await
        .unwrap();
    assert_eq!(out.status, AcceptStatus::Accepted);
    assert_eq!(
        last_sent(&h)["template"]["language"]["policy"],
        "deterministic"
    );

    // Named parameters, text header.
    let named = Template::new("bienvenida", "es_AR")
        .header(HeaderParameter::Text(TextParameter::named(
            "first_name",
            "Ana",
        )))
        .body_param(BodyParameter::Text(TextParameter::named(
            "first_name",
            "Ana",
        )))
        .body_param(BodyParameter::Text(TextParameter::named(
            "descuento",
            "10%",
        )));
    h.client
        .send(&OutgoingMessage::new(
            wa(CUSTOMER),
            Content::Template(named),
        ))
        .await
        .unwrap();

    // Document header.
    let (pdf, _) = h
        .client
        .upload_media(Bytes::from_static(b"%PDF"), "application/pdf", "f.pdf")
        .await
        .unwrap();
    let doc = Template::new("factura", "es_AR")
        .header(HeaderParameter::Document {
            source: MediaSource::Id(pdf),
            filename: Some("factura.pdf".into()),
        })
        .body_text("0001-00000042");
    h.client
        .send(&OutgoingMessage::new(wa(CUSTOMER), Content::Template(doc)))
        .await
        .unwrap();

    // Location header on a template created for it.
    h.sandbox
        .whatsapp
        .add_template(mostrador_sandbox::whatsapp::NewSimTemplate {
            name: "donde_estamos".into(),
            language: "es_AR".into(),
            status: "APPROVED".into(),
            category: "UTILITY".into(),
            parameter_format: "POSITIONAL".into(),
            components: vec![
                json!({"type": "HEADER", "format": "LOCATION"}),
                json!({"type": "BODY", "text": "Te esperamos"}),
            ],
        });
    let loc = Template::new("donde_estamos", "es_AR").header(HeaderParameter::Location(
        Location::new(-34.6, -58.4)
            .unwrap()
            .named("Local", "Corrientes 1234"),
    ));
    h.client
        .send(&OutgoingMessage::new(wa(CUSTOMER), Content::Template(loc)))
        .await
        .unwrap();
    assert_eq!(h.sandbox.whatsapp.log_of("send_message").len(), 4);
}

#[tokio::test]
async fn bsuid_recipient_goes_in_recipient_field() {
    let h = start().await;
    let c = h.sandbox.whatsapp.add_customer(NewCustomer::new(CUSTOMER));
    h.sandbox
        .whatsapp
        .customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
        .unwrap();
    let bsuid = Bsuid::new(c.bsuid.clone()).unwrap();
    let out = h
        .client
        .send(&OutgoingMessage::new(
            Recipient::Bsuid(bsuid),
            Content::Text(Text::new("Hola").unwrap()),
        ))
        .await
        .unwrap();
    let req = last_sent(&h);
    assert_eq!(req["recipient"], c.bsuid);
    assert!(req.get("to").is_none());
    assert!(h.sandbox.whatsapp.log_of("dropped_message").is_empty());
    assert!(out.message_id.as_str().starts_with("wamid."));
}

#[tokio::test]
async fn mark_read_with_typing_indicator() {
    let h = start().await;
    let inbound = customer_wrote(&h);
    h.client
        .mark_read(&MarkRead::new(inbound.clone()).with_typing())
        .await
        .unwrap();
    h.client.mark_read_id(&inbound).await.unwrap();
    let log = h.sandbox.whatsapp.log_of("mark_read");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].request["typing_indicator"]["type"], "text");
    assert!(log[1].request.get("typing_indicator").is_none());
    // Unknown message id: Meta-shaped 100.
    let e = h
        .client
        .mark_read_id(&MessageId::new("wamid.NOPE").unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.graph().unwrap().code, 100);
}

#[tokio::test]
async fn client_side_validation_never_reaches_the_wire() {
    let h = start().await;
    customer_wrote(&h);
    let mut b = ReplyButtons::new("x", vec![ReplyButton::new("a", "A")]).unwrap();
    b.buttons = (0..4)
        .map(|i| ReplyButton::new(i.to_string(), format!("B{i}")))
        .collect();
    let e = h
        .client
        .send(&OutgoingMessage::new(
            wa(CUSTOMER),
            Content::ReplyButtons(b),
        ))
        .await
        .unwrap_err();
    assert!(matches!(e, mostrador_whatsapp::Error::Invalid(_)), "{e}");
    assert!(e.to_string().contains("1 to 3 buttons"));
    assert!(h.sandbox.whatsapp.log_of("send_message").is_empty());
}
