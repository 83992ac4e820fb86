//! The simulator's webhooks, received by a tiny local server, verified with our signature check
//! and parsed with our model: status sequences (normal, duplicated, out of order, delivered
//! skipped, failed), every inbound type from a fake customer, and manual statuses.

mod support;

use std::collections::HashSet;

use mostrador_sandbox::whatsapp::{ManualStatus, NewCustomer, StatusPlan};
use mostrador_whatsapp::ids::MessageId;
use mostrador_whatsapp::send::*;
use mostrador_whatsapp::webhook::{MessageKind, Notification, StatusKind};
use mostrador_whatsapp::ErrorClass;
use serde_json::json;
use support::*;

fn secret(h: &Harness) -> String {
    h.sandbox.whatsapp.account().app_secret
}

async fn open_window(h: &Harness, rx: &mut Receiver) -> MessageId {
    h.sandbox.whatsapp.add_customer(NewCustomer {
        name: Some("Juan Pérez".into()),
        ..NewCustomer::new(CUSTOMER)
    });
    let id = h
        .sandbox
        .whatsapp
        .customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "Hola"}}))
        .unwrap();
    let _ = rx.next().await;
    MessageId::new(id).unwrap()
}

async fn statuses(
    h: &Harness,
    rx: &mut Receiver,
    n: usize,
) -> Vec<(String, StatusKind, Option<String>)> {
    let s = secret(h);
    rx.take(n)
        .await
        .iter()
        .map(|d| {
            let n: Notification = d.verified(&s);
            let ev = n.statuses().next().unwrap();
            // Every status names its recipient's current ids, as Meta's do.
            let c = ev.contact.expect("a contact beside the status");
            assert_eq!(c.wa_id.as_ref().map(|w| w.as_str()), Some(CUSTOMER));
            assert!(c.user_id.is_some());
            let st = ev.status.clone();
            (st.id.as_str().to_owned(), st.status, st.callback_data)
        })
        .collect()
}

async fn send_text(h: &Harness, cb: &str) -> String {
    h.client
        .send(
            &OutgoingMessage::new(wa(CUSTOMER), Content::Text(Text::new("Hola").unwrap()))
                .with_callback_data(CallbackData::new(cb).unwrap()),
        )
        .await
        .unwrap()
        .message_id
        .as_str()
        .to_owned()
}

#[tokio::test]
async fn sent_delivered_read_signed_with_pricing_and_callback() {
    let (h, mut rx) = start_with_receiver().await;
    open_window(&h, &mut rx).await;
    let id = send_text(&h, "outbox-1").await;
    let got = statuses(&h, &mut rx, 3).await;
    let kinds: Vec<_> = got.iter().map(|s| s.1.clone()).collect();
    assert_eq!(
        kinds,
        [StatusKind::Sent, StatusKind::Delivered, StatusKind::Read]
    );
    assert!(got
        .iter()
        .all(|s| s.0 == id && s.2.as_deref() == Some("outbox-1")));
    let w = h.sandbox.whatsapp.webhooks();
    // A message's statuses go out one after the other, so `delivered` is recorded as delivered
    // before `read` is posted (the last record may still be in flight).
    let delivered = &w[w.len() - 2];
    assert!(delivered.signature.starts_with("sha256="));
    assert_eq!(
        delivered.body["entry"][0]["changes"][0]["value"]["statuses"][0]["status"],
        "delivered"
    );
    assert_eq!(delivered.delivery, Some(Ok(200)));
}

#[tokio::test]
async fn duplicated_out_of_order_and_skipped_delivered() {
    let (h, mut rx) = start_with_receiver().await;
    open_window(&h, &mut rx).await;
    h.sandbox.whatsapp.set_status_plan(StatusPlan {
        sent_ms: 1,
        delivered_ms: Some(2),
        read_ms: Some(3),
        duplicate: true,
        out_of_order: true,
        skip_delivered: false,
    });
    send_text(&h, "dup").await;
    let got = statuses(&h, &mut rx, 6).await;
    let kinds: Vec<_> = got.iter().map(|s| s.1.as_str().to_owned()).collect();
    assert_eq!(
        kinds,
        ["read", "read", "delivered", "delivered", "sent", "sent"]
    );
    // Dedupe by (wamid, status) leaves three.
    let unique: HashSet<_> = got.iter().map(|s| (s.0.clone(), s.1.clone())).collect();
    assert_eq!(unique.len(), 3);

    h.sandbox.whatsapp.set_status_plan(StatusPlan {
        sent_ms: 1,
        delivered_ms: Some(2),
        read_ms: Some(3),
        skip_delivered: true,
        ..StatusPlan::default()
    });
    send_text(&h, "skip").await;
    let got = statuses(&h, &mut rx, 2).await;
    assert_eq!(got[0].1, StatusKind::Sent);
    assert_eq!(got[1].1, StatusKind::Read);
}

#[tokio::test]
async fn unknown_number_fails_asynchronously_with_131026() {
    let (h, mut rx) = start_with_receiver().await;
    let out = h
        .client
        .send(
            &OutgoingMessage::new(
                wa("5491199999999"),
                Content::Template(Template::new("hola", "es_AR").body_text("x")),
            )
            .with_callback_data(CallbackData::new("outbox-sms").unwrap()),
        )
        .await
        .unwrap();
    let n = rx.next().await.verified(&secret(&h));
    let s = n.statuses().next().unwrap().status.clone();
    assert_eq!(s.id, out.message_id);
    assert_eq!(s.status, StatusKind::Failed);
    assert_eq!(s.errors[0].class(), ErrorClass::Undeliverable);
    assert!(s.errors[0].class().suggests_fallback());
}

#[tokio::test]
async fn manual_status_with_error_code() {
    let (h, mut rx) = start_with_receiver().await;
    open_window(&h, &mut rx).await;
    h.sandbox.whatsapp.set_status_plan(StatusPlan {
        sent_ms: 1,
        delivered_ms: None,
        read_ms: None,
        ..StatusPlan::default()
    });
    let id = send_text(&h, "m").await;
    let _sent = rx.next().await;
    assert!(h.sandbox.whatsapp.emit_status(ManualStatus {
        message_id: id.clone(),
        status: "failed".into(),
        error_code: Some(131049),
    }));
    let n = rx.next().await.verified(&secret(&h));
    let s = n.statuses().next().unwrap().status.clone();
    assert_eq!(s.status, StatusKind::Failed);
    assert_eq!(s.errors[0].class(), ErrorClass::MarketingCap);
}

#[tokio::test]
async fn bsuid_in_to_is_accepted_then_silently_dropped() {
    let (h, mut rx) = start_with_receiver().await;
    let c = h.sandbox.whatsapp.add_customer(NewCustomer::new(CUSTOMER));
    // Our client cannot do this (a BSUID is not a WaId): send the raw payload Meta would drop.
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/v25.0/{}/messages",
            h.sandbox.graph_url(),
            h.sandbox.whatsapp.account().phone_number_id
        ))
        .bearer_auth(h.sandbox.whatsapp.account().access_token)
        .json(
            &json!({"messaging_product": "whatsapp", "to": c.bsuid, "type": "template",
            "template": {"name": "hola", "language": {"code": "es_AR"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}]}]}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(h.sandbox.whatsapp.log_of("dropped_message").len(), 1);
    assert!(h.sandbox.whatsapp.log_of("send_message").is_empty());
    // A later message proves nothing was emitted for the dropped one.
    h.sandbox
        .whatsapp
        .customer_sends(CUSTOMER, json!({"type": "text", "text": {"body": "hola"}}))
        .unwrap();
    let n = rx.next().await.verified(&secret(&h));
    assert_eq!(n.messages().count(), 1);
    assert_eq!(n.statuses().count(), 0);
}

#[tokio::test]
async fn every_inbound_type_from_a_fake_customer() {
    use base64::Engine as _;
    let (h, mut rx) = start_with_receiver().await;
    let first = open_window(&h, &mut rx).await;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let inputs = vec![
        json!({"type": "text", "text": {"body": "¿Tienen yerba?"}, "context": {"from": "5491150000000", "id": first.as_str()}}),
        json!({"type": "image", "image": {"caption": "Esta"}, "media": {"mime_type": "image/jpeg", "data_base64": b64(b"jpg")}}),
        json!({"type": "video", "media": {"mime_type": "video/mp4", "data_base64": b64(b"mp4")}}),
        json!({"type": "audio", "audio": {"voice": true}, "media": {"mime_type": "audio/ogg; codecs=opus", "data_base64": b64(b"ogg")}}),
        json!({"type": "document", "document": {"filename": "lista.pdf"}, "media": {"mime_type": "application/pdf", "data_base64": b64(b"%PDF")}}),
        json!({"type": "sticker", "sticker": {"animated": false}, "media": {"mime_type": "image/webp", "data_base64": b64(b"webp")}}),
        json!({"type": "location", "location": {"latitude": -34.6, "longitude": -58.4, "name": "Casa"}}),
        json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Ana"}, "phones": [{"phone": "+5491123456789", "wa_id": "5491123456789"}]}]}),
        json!({"type": "reaction", "reaction": {"message_id": first.as_str(), "emoji": "👍"}}),
        json!({"type": "reaction", "reaction": {"message_id": first.as_str(), "emoji": ""}}),
        json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "si", "title": "Sí"}}}),
        json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "moto", "title": "Moto", "description": "Hoy"}}}),
        json!({"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{}"}}}),
        json!({"type": "button", "button": {"payload": "CANCELAR", "text": "Cancelar"}}),
        json!({"type": "order", "order": {"catalog_id": "1", "product_items": [{"product_retailer_id": "yerba", "quantity": 2, "item_price": 4500.5, "currency": "ARS"}]}}),
        json!({"type": "system", "system": {"body": "cambió de número", "wa_id": "5491187654321", "type": "user_changed_number"}}),
        json!({"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown"}]}),
        json!({"type": "text", "text": {"body": "con anuncio"}, "referral": {"source_type": "ad", "source_id": "1", "ctwa_clid": "abc"}}),
    ];
    let s = secret(&h);
    let mut kinds = Vec::new();
    for m in inputs {
        // One at a time: deliveries of separate webhooks may arrive in any order.
        h.sandbox.whatsapp.customer_sends(CUSTOMER, m).unwrap();
        let n = rx.next().await.verified(&s);
        assert!(n.unparsed.is_empty());
        let ev = n.messages().next().unwrap();
        assert_eq!(ev.message.from.as_ref().unwrap().as_str(), CUSTOMER);
        assert!(ev.message.from_user_id.is_some());
        let kind = ev.message.kind.clone();
        if let Some(media) = kind.media() {
            let got = h.client.download_media(&media.id).await.unwrap();
            assert!(!got.bytes.is_empty());
        }
        match &kind {
            MessageKind::System { .. } => assert!(ev.contact.is_none()),
            _ => assert_eq!(
                ev.contact.unwrap().profile.name.as_deref(),
                Some("Juan Pérez")
            ),
        }
        kinds.push(kind);
    }
    assert!(matches!(&kinds[0], MessageKind::Text { body } if body == "¿Tienen yerba?"));
    assert!(matches!(&kinds[3], MessageKind::Audio(m) if m.voice == Some(true)));
    assert!(
        matches!(&kinds[4], MessageKind::Document(m) if m.filename.as_deref() == Some("lista.pdf"))
    );
    assert!(matches!(&kinds[8], MessageKind::Reaction { emoji: Some(e), .. } if e == "👍"));
    assert!(matches!(
        &kinds[9],
        MessageKind::Reaction { emoji: None, .. }
    ));
    assert!(matches!(&kinds[10], MessageKind::ButtonReply { id, .. } if id == "si"));
    assert!(matches!(&kinds[11], MessageKind::ListReply { .. }));
    assert!(matches!(&kinds[12], MessageKind::FlowReply { .. }));
    assert!(matches!(&kinds[13], MessageKind::Button { .. }));
    assert!(
        matches!(&kinds[14], MessageKind::Order { product_items, .. } if product_items[0].item_price.as_deref() == Some("4500.5"))
    );
    assert!(
        matches!(&kinds[15], MessageKind::System { new_wa_id: Some(w), .. } if w == "5491187654321")
    );
    assert!(matches!(&kinds[16], MessageKind::Unsupported));
    assert!(matches!(&kinds[6], MessageKind::Location(_)));
    assert!(matches!(&kinds[7], MessageKind::Contacts(_)));
    // The window is open: a reply works, and mark-as-read accepts the inbound ids.
    h.client.mark_read_id(&first).await.unwrap();
}

#[tokio::test]
async fn tampered_or_reserialized_webhook_fails_verification() {
    let (h, mut rx) = start_with_receiver().await;
    h.sandbox.whatsapp.add_customer(NewCustomer {
        name: Some("José Ñandú".into()),
        ..NewCustomer::new(CUSTOMER)
    });
    h.sandbox
        .whatsapp
        .customer_sends(
            CUSTOMER,
            json!({"type": "text", "text": {"body": "¿Cuánto sale?"}}),
        )
        .unwrap();
    let d = rx.next().await;
    let secret = mostrador_types::Secret::new(secret(&h));
    use mostrador_whatsapp::signature::{verify, SignatureError};
    verify(&secret, &d.body, d.signature.as_deref()).unwrap();
    // Meta escapes non-ASCII: re-serialising the same JSON changes the bytes.
    let v: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
    let reser = serde_json::to_vec(&v).unwrap();
    assert_ne!(reser, d.body.to_vec());
    assert_eq!(
        verify(&secret, &reser, d.signature.as_deref()),
        Err(SignatureError::Mismatch)
    );
    let mut tampered = d.body.to_vec();
    let i = tampered.len() / 2;
    tampered[i] ^= 1;
    assert_eq!(
        verify(&secret, &tampered, d.signature.as_deref()),
        Err(SignatureError::Mismatch)
    );
}
