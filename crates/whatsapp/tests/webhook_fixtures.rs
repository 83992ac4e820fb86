//! Parses every fixture (written from Meta's documented webhook examples) and checks each field
//! the app relies on.

use mostrador_whatsapp::webhook::{self, Change, MessageKind, Notification, StatusKind};
use mostrador_whatsapp::ErrorClass;

fn fixture(name: &str) -> Notification {
    let path = format!("{}/fixtures/webhooks/{name}", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let n = webhook::parse(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
    n
}

fn only_message(name: &str) -> (Notification, MessageKind) {
    let n = fixture(name);
    assert!(n.unparsed.is_empty(), "{name}: {:?}", n.unparsed);
    let msgs: Vec<_> = n.messages().collect();
    assert_eq!(msgs.len(), 1, "{name}");
    let m = msgs[0];
    assert_eq!(m.phone_number_id, Some("106540352242922"));
    assert!(m.message.timestamp.is_some());
    let kind = m.message.kind.clone();
    (n, kind)
}

#[test]
fn text_with_contact_profile() {
    let (n, kind) = only_message("text.json");
    assert_eq!(
        kind,
        MessageKind::Text {
            body: "Hola, ¿tienen yerba?".into()
        }
    );
    let ev = n.messages().next().unwrap();
    assert_eq!(ev.message.from.as_ref().unwrap().as_str(), "5491112345678");
    assert_eq!(ev.message.timestamp, Some(1749416383));
    let c = ev.contact.unwrap();
    assert_eq!(c.profile.name.as_deref(), Some("Juan Pérez"));
    assert_eq!(c.wa_id.as_ref().unwrap().as_str(), "5491112345678");
    assert_eq!(n.entries[0].id.as_deref(), Some("102290129340398"));
}

#[test]
fn reply_context_referral_and_product() {
    let (n, _) = only_message("text_reply.json");
    let ctx = n
        .messages()
        .next()
        .unwrap()
        .message
        .context
        .clone()
        .unwrap();
    assert!(ctx.id.unwrap().as_str().starts_with("wamid."));
    let (n, _) = only_message("text_referral.json");
    let r = n
        .messages()
        .next()
        .unwrap()
        .message
        .referral
        .clone()
        .unwrap();
    assert_eq!(r.source_type.as_deref(), Some("ad"));
    assert!(r.ctwa_clid.is_some());
    let (n, _) = only_message("product_enquiry.json");
    let ctx = n
        .messages()
        .next()
        .unwrap()
        .message
        .context
        .clone()
        .unwrap();
    assert_eq!(
        ctx.referred_product.unwrap().product_retailer_id.as_deref(),
        Some("yerba-1kg")
    );
}

#[test]
fn media_types() {
    match only_message("image.json").1 {
        MessageKind::Image(m) => {
            assert_eq!(m.id.as_str(), "1479537139650973");
            assert_eq!(m.caption.as_deref(), Some("Así quedó"));
            assert_eq!(m.mime_type.as_deref(), Some("image/jpeg"));
        }
        k => panic!("{k:?}"),
    }
    assert!(matches!(
        only_message("video.json").1,
        MessageKind::Video(_)
    ));
    match only_message("audio_voice.json").1 {
        MessageKind::Audio(m) => assert_eq!(m.voice, Some(true)),
        k => panic!("{k:?}"),
    }
    match only_message("audio_file.json").1 {
        MessageKind::Audio(m) => assert_eq!(m.voice, Some(false)),
        k => panic!("{k:?}"),
    }
    match only_message("document.json").1 {
        MessageKind::Document(m) => assert_eq!(m.filename.as_deref(), Some("factura-0001.pdf")),
        k => panic!("{k:?}"),
    }
    match only_message("sticker.json").1 {
        MessageKind::Sticker(m) => assert_eq!(m.animated, Some(false)),
        k => panic!("{k:?}"),
    }
}

#[test]
fn location_contacts_order() {
    match only_message("location.json").1 {
        MessageKind::Location(l) => {
            assert!((l.latitude + 34.603722).abs() < 1e-9);
            assert_eq!(l.name.as_deref(), Some("Obelisco"));
        }
        k => panic!("{k:?}"),
    }
    match only_message("contacts.json").1 {
        MessageKind::Contacts(c) => {
            assert_eq!(c[0].name.formatted_name.as_deref(), Some("Ana Gómez"));
            assert_eq!(c[0].phones[0].wa_id.as_deref(), Some("5491123456789"));
            assert_eq!(
                c[0].org.as_ref().unwrap().company.as_deref(),
                Some("Almacén Ana")
            );
        }
        k => panic!("{k:?}"),
    }
    match only_message("order.json").1 {
        MessageKind::Order {
            catalog_id,
            product_items,
            ..
        } => {
            assert_eq!(catalog_id.as_deref(), Some("2165348540382734"));
            assert_eq!(product_items.len(), 2);
            assert_eq!(product_items[0].quantity, Some(2));
            assert_eq!(product_items[0].item_price.as_deref(), Some("4500.50"));
            assert_eq!(product_items[1].item_price.as_deref(), Some("1200"));
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn reactions_including_removal() {
    match only_message("reaction.json").1 {
        MessageKind::Reaction { emoji, .. } => assert_eq!(emoji.as_deref(), Some("👍")),
        k => panic!("{k:?}"),
    }
    match only_message("reaction_removed.json").1 {
        MessageKind::Reaction { emoji, message_id } => {
            assert_eq!(emoji, None);
            assert!(message_id.as_str().starts_with("wamid."));
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn interactive_and_template_buttons() {
    assert_eq!(
        only_message("button_reply.json").1,
        MessageKind::ButtonReply {
            id: "confirmar-123".into(),
            title: "Confirmar".into()
        }
    );
    assert_eq!(
        only_message("list_reply.json").1,
        MessageKind::ListReply {
            id: "envio-moto".into(),
            title: "Moto".into(),
            description: Some("Llega hoy".into())
        }
    );
    match only_message("nfm_reply.json").1 {
        MessageKind::FlowReply { response_json, .. } => {
            assert!(response_json.unwrap().contains("flow_token"))
        }
        k => panic!("{k:?}"),
    }
    assert_eq!(
        only_message("template_button.json").1,
        MessageKind::Button {
            payload: Some("CANCELAR_123".into()),
            text: Some("Cancelar".into())
        }
    );
}

#[test]
fn system_unsupported_unknown_welcome() {
    let n = fixture("system_changed_number.json");
    let ev = n.messages().next().unwrap();
    assert!(ev.contact.is_none(), "system messages carry no contacts");
    match &ev.message.kind {
        MessageKind::System {
            kind, new_wa_id, ..
        } => {
            assert_eq!(kind.as_deref(), Some("user_changed_number"));
            assert_eq!(new_wa_id.as_deref(), Some("5491187654321"));
        }
        k => panic!("{k:?}"),
    }
    let (n, kind) = only_message("unsupported.json");
    assert_eq!(kind, MessageKind::Unsupported);
    let errs = &n.messages().next().unwrap().message.errors;
    assert_eq!(errs[0].code, Some(131051));
    assert_eq!(errs[0].class(), ErrorClass::UnsupportedMessageType);
    assert_eq!(
        errs[0].details(),
        Some("Message type is currently not supported.")
    );
    match only_message("unknown_type.json").1 {
        MessageKind::Unknown { type_name, raw } => {
            assert_eq!(type_name, "hologram");
            assert_eq!(raw.to_value()["hologram"]["shape"], "cube");
        }
        k => panic!("{k:?}"),
    }
    assert_eq!(
        only_message("request_welcome.json").1,
        MessageKind::RequestWelcome
    );
}

#[test]
fn bsuid_only_contact() {
    let n = fixture("bsuid_only.json");
    let ev = n.messages().next().unwrap();
    assert!(ev.message.from.is_none());
    assert_eq!(
        ev.message.from_user_id.as_ref().unwrap().as_str(),
        "AR.13491208655302741918"
    );
    let c = ev.contact.unwrap();
    assert!(c.wa_id.is_none());
    assert_eq!(c.profile.username.as_deref(), Some("@cami.ar"));
    assert_eq!(c.user_id, ev.message.from_user_id);
}

#[test]
fn statuses() {
    for (file, kind, rank) in [
        ("status_sent.json", StatusKind::Sent, Some(2)),
        ("status_delivered.json", StatusKind::Delivered, Some(3)),
        ("status_read.json", StatusKind::Read, Some(4)),
        ("status_played.json", StatusKind::Played, Some(5)),
        ("status_failed.json", StatusKind::Failed, None),
    ] {
        let n = fixture(file);
        assert!(n.unparsed.is_empty());
        let s = n.statuses().next().unwrap().status.clone();
        assert_eq!(s.status, kind, "{file}");
        assert_eq!(s.status.rank(), rank);
        assert_eq!(s.callback_data.as_deref(), Some("outbox-42"));
        assert_eq!(s.recipient_id.as_ref().unwrap().as_str(), "5491112345678");
        assert_eq!(s.dedupe_key().1, kind.as_str());
    }
    let s = fixture("status_sent.json")
        .statuses()
        .next()
        .unwrap()
        .status
        .clone();
    let p = s.pricing.unwrap();
    assert_eq!(p.pricing_model.as_deref(), Some("PMP"));
    assert_eq!(p.billable, Some(true));
    assert_eq!(
        s.conversation.unwrap().origin.unwrap().kind.as_deref(),
        Some("utility")
    );
    let f = fixture("status_failed.json")
        .statuses()
        .next()
        .unwrap()
        .status
        .clone();
    assert_eq!(f.errors[0].class(), ErrorClass::WindowClosed);
    assert!(f.errors[0].details().unwrap().contains("24 hours"));
    let b = fixture("status_bsuid.json")
        .statuses()
        .next()
        .unwrap()
        .status
        .clone();
    assert!(b.recipient_id.is_none());
    assert_eq!(
        b.recipient_user_id.unwrap().as_str(),
        "AR.13491208655302741918"
    );
}

#[test]
fn system_level_errors() {
    let n = fixture("value_errors.json");
    match &n.entries[0].changes[0] {
        Change::Messages(v) => assert_eq!(v.errors[0].class(), ErrorClass::Throughput),
        c => panic!("{c:?}"),
    }
}

#[test]
fn template_updates_and_other_fields() {
    let n = fixture("template_status_update.json");
    assert_eq!(n.entries[0].time, Some(1749416000));
    match &n.entries[0].changes[0] {
        Change::TemplateStatus(t) => {
            assert_eq!(t.event, "APPROVED");
            assert_eq!(t.message_template_id.as_deref(), Some("1234567890123456"));
            assert_eq!(t.message_template_category.as_deref(), Some("UTILITY"));
        }
        c => panic!("{c:?}"),
    }
    match &fixture("template_rejected.json").entries[0].changes[0] {
        Change::TemplateStatus(t) => assert_eq!(t.reason.as_deref(), Some("INVALID_FORMAT")),
        c => panic!("{c:?}"),
    }
    match &fixture("template_category_update.json").entries[0].changes[0] {
        Change::TemplateCategory(t) => assert_eq!(t.new_category.as_deref(), Some("MARKETING")),
        c => panic!("{c:?}"),
    }
    match &fixture("template_quality_update.json").entries[0].changes[0] {
        Change::TemplateQuality(t) => assert_eq!(t.new_quality_score.as_deref(), Some("YELLOW")),
        c => panic!("{c:?}"),
    }
    match &fixture("account_update.json").entries[0].changes[0] {
        Change::Other { field, value } => {
            assert_eq!(field, "account_update");
            assert_eq!(value.to_value()["event"], "VERIFIED_ACCOUNT");
        }
        c => panic!("{c:?}"),
    }
}

#[test]
fn batched_payload_parses_completely() {
    let n = fixture("batch.json");
    assert_eq!(n.entries.len(), 2);
    let ids: Vec<_> = n
        .messages()
        .map(|m| m.message.id.as_str().to_owned())
        .collect();
    assert_eq!(
        ids,
        ["wamid.B1", "wamid.B2", "wamid.B3", "wamid.B5", "wamid.C1"]
    );
    // The malformed text keeps its id and becomes Unknown, raw, instead of failing the batch.
    let b3 = n
        .messages()
        .find(|m| m.message.id.as_str() == "wamid.B3")
        .unwrap();
    assert!(
        matches!(&b3.message.kind, MessageKind::Unknown { type_name, .. } if type_name == "text")
    );
    // Contacts are matched to their message even with several in one change.
    let b2 = n
        .messages()
        .find(|m| m.message.id.as_str() == "wamid.B2")
        .unwrap();
    assert_eq!(b2.contact.unwrap().profile.name.as_deref(), Some("Ana"));
    let c1 = n
        .messages()
        .find(|m| m.message.id.as_str() == "wamid.C1")
        .unwrap();
    assert_eq!(c1.phone_number_id, Some("106540352242923"));
    let statuses: Vec<_> = n
        .statuses()
        .map(|s| (s.status.id.as_str(), s.status.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("wamid.S1", "sent"),
            ("wamid.S1", "delivered"),
            ("wamid.S2", "read"),
            ("wamid.S3", "failed")
        ]
    );
    let kinds: Vec<_> = n.entries[1]
        .changes
        .iter()
        .map(|c| match c {
            Change::Messages(_) => "messages",
            Change::TemplateStatus(_) => "template",
            Change::Other { .. } => "other",
            _ => "?",
        })
        .collect();
    assert_eq!(kinds, ["messages", "template", "other"]);
    // The message without id and the non-object value are kept raw with their path.
    let paths: Vec<_> = n.unparsed.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "entry[0].changes[0].value.messages[3]",
            "entry[1].changes[3]"
        ]
    );
}

#[test]
fn not_an_envelope() {
    assert!(webhook::parse(b"").is_err());
    assert!(webhook::parse(b"[]").is_err());
    assert!(webhook::parse(br#"{"object":"page","entry":[]}"#).is_err());
    assert!(
        webhook::parse(br#"{"object":"whatsapp_business_account","entry":[]}"#)
            .unwrap()
            .entries
            .is_empty()
    );
}
