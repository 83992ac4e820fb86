//! What the parser keeps when items are malformed: never the content in a reason or a `Debug`,
//! invalid sender ids kept raw, and a batch's single contact attached only where it can belong.

use mostrador_whatsapp::webhook::{self, ParseError};
use serde_json::{json, Value};

const SECRET: &str = "CONFIDENCIAL-tarjeta-4509";

fn envelope(value: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [{"field": "messages", "value": value}]}]}))
    .unwrap()
}

#[test]
fn parse_error_reasons_and_debug_carry_no_message_text() {
    let body = envelope(json!({
        "metadata": {"phone_number_id": "1"},
        // A string where an object belongs: serde quotes the value in its error.
        "contacts": [{"wa_id": "5491112345678", "profile": SECRET}],
        "messages": [{"from": "5491112345678", "type": "text", "text": SECRET}],
        "statuses": [{"status": SECRET}],
        "errors": [{"code": SECRET, "title": {"x": SECRET}}],
    }));
    let n = webhook::parse(&body).unwrap();
    assert_eq!(n.unparsed.len(), 4, "{:?}", n.unparsed);
    for u in &n.unparsed {
        let reason = u.reason.to_string();
        assert!(!reason.contains(SECRET), "reason leaks content: {reason}");
        assert!(
            reason.contains("line 1 column"),
            "reason keeps the position: {reason}"
        );
        let debug = format!("{u:?}");
        assert!(!debug.contains(SECRET), "Debug leaks content: {debug}");
        assert!(debug.contains(&u.path), "{debug}");
        // The raw item is still there for whoever needs to look inside.
        assert!(u.raw.get().contains(SECRET));
    }
    assert!(!format!("{:?}", n.unparsed).contains(SECRET));

    // The envelope itself: the error quotes nothing either.
    let bad = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": SECRET}))
        .unwrap();
    let e = webhook::parse(&bad).unwrap_err();
    assert!(matches!(e, ParseError::NotAnEnvelope(_)));
    assert!(!e.to_string().contains(SECRET), "{e}");
    assert!(!format!("{e:?}").contains(SECRET), "{e:?}");
    // A typed change (template update) with a quoted value.
    let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [{"field": "message_template_status_update",
            "value": {"event": {"x": 1}, "reason": 5, "message_template_name": [SECRET]}}]}]}))
    .unwrap();
    let n = webhook::parse(&body).unwrap();
    assert_eq!(n.unparsed.len(), 1);
    assert!(!format!("{:?}", n.unparsed).contains(SECRET));
    assert!(!n.unparsed[0].reason.to_string().contains(SECRET));
}

#[test]
fn the_single_contact_goes_only_to_messages_without_ids() {
    let body = envelope(json!({
        "metadata": {"phone_number_id": "1"},
        "contacts": [{"wa_id": "5491111111111", "profile": {"name": "Ana"}}],
        "messages": [
            {"id": "wamid.A", "from": "5491111111111", "type": "text", "text": {"body": "a"}},
            {"id": "wamid.B", "from": "5492222222222", "type": "text", "text": {"body": "b"}},
            {"id": "wamid.C", "from_user_id": "AR.999", "type": "text", "text": {"body": "c"}},
            {"id": "wamid.D", "type": "text", "text": {"body": "d"}},
        ],
    }));
    let n = webhook::parse(&body).unwrap();
    let by_id = |id: &str| {
        n.messages()
            .find(|m| m.message.id.as_str() == id)
            .unwrap()
            .contact
            .and_then(|c| c.profile.name.clone())
    };
    assert_eq!(by_id("wamid.A").as_deref(), Some("Ana"));
    assert_eq!(by_id("wamid.B"), None, "another number is not Ana");
    assert_eq!(by_id("wamid.C"), None, "another BSUID is not Ana");
    assert_eq!(
        by_id("wamid.D").as_deref(),
        Some("Ana"),
        "no ids: the only contact"
    );
}

#[test]
fn invalid_sender_ids_are_kept_raw_beside_the_typed_value() {
    let body = envelope(json!({
        "metadata": {"phone_number_id": "1"},
        "contacts": [
            {"wa_id": "+54 9 11 1234-5678", "user_id": "AR/1", "profile": {"name": "Raro"}},
            {"wa_id": 5491112345678u64, "user_id": "AR.42", "profile": {"name": "Bien"}},
        ],
        "messages": [
            {"id": "wamid.X", "from": "+54 9 11 1234-5678", "from_user_id": "AR/1",
             "type": "text", "text": {"body": "x"}},
            {"id": "wamid.Y", "from": "5491112345678", "from_user_id": "AR.42",
             "type": "text", "text": {"body": "y"}},
        ],
    }));
    let n = webhook::parse(&body).unwrap();
    assert!(n.unparsed.is_empty(), "{:?}", n.unparsed);
    let x = n
        .messages()
        .find(|m| m.message.id.as_str() == "wamid.X")
        .unwrap();
    assert_eq!(x.message.from, None, "not a valid wa_id");
    assert_eq!(x.message.from_raw.as_deref(), Some("+54 9 11 1234-5678"));
    assert_eq!(x.message.from_user_id, None);
    assert_eq!(x.message.from_user_id_raw.as_deref(), Some("AR/1"));
    // The contact is still found by the raw ids.
    let c = x.contact.expect("matched by the raw ids");
    assert_eq!(c.profile.name.as_deref(), Some("Raro"));
    assert_eq!(c.wa_id, None);
    assert_eq!(c.wa_id_raw.as_deref(), Some("+54 9 11 1234-5678"));
    assert_eq!(c.user_id_raw.as_deref(), Some("AR/1"));

    let y = n
        .messages()
        .find(|m| m.message.id.as_str() == "wamid.Y")
        .unwrap();
    assert_eq!(y.message.from.as_ref().unwrap().as_str(), "5491112345678");
    assert_eq!(y.message.from_raw.as_deref(), Some("5491112345678"));
    assert_eq!(y.message.from_user_id.as_ref().unwrap().as_str(), "AR.42");
    let c = y.contact.unwrap();
    assert_eq!(c.profile.name.as_deref(), Some("Bien"));
    assert_eq!(
        c.wa_id_raw.as_deref(),
        Some("5491112345678"),
        "a number as digits"
    );

    // The item-by-item path keeps them too (a malformed sibling forces it).
    let body = envelope(json!({
        "metadata": {"phone_number_id": "1"},
        "messages": [
            {"id": "wamid.Z", "from": "nope!", "type": "text", "text": "not an object"},
            {"from": "x"},
        ],
    }));
    let n = webhook::parse(&body).unwrap();
    let z = n.messages().next().unwrap().message;
    assert_eq!(z.from, None);
    assert_eq!(z.from_raw.as_deref(), Some("nope!"));
}

#[test]
fn an_array_is_never_read_as_an_item_by_position() {
    // serde alone reads `["wamid.X", "549…"]` as a message (fields by position).
    let body = envelope(json!({
        "metadata": {"phone_number_id": "1"},
        "contacts": [["5491111111111"]],
        "messages": [["wamid.X", "5491111111111", null, null, null, "text"]],
        "statuses": [["wamid.Y", "sent"]],
    }));
    let n = webhook::parse(&body).unwrap();
    assert_eq!(n.messages().count(), 0);
    assert_eq!(n.statuses().count(), 0);
    let paths: Vec<&str> = n.unparsed.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "entry[0].changes[0].value.contacts[0]",
            "entry[0].changes[0].value.messages[0]",
            "entry[0].changes[0].value.statuses[0]",
        ]
    );
    // A change value that is an array is kept raw as a whole.
    let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [{"field": "messages", "value": [{}, [{"id": "wamid.Z"}]]}]}]}))
    .unwrap();
    let n = webhook::parse(&body).unwrap();
    assert_eq!(n.unparsed.len(), 1);
    assert_eq!(n.unparsed[0].path, "entry[0].changes[0]");
}

#[test]
fn statuses_carry_the_recipients_contact() {
    let body = envelope(json!({
        "metadata": {"phone_number_id": "1"},
        "contacts": [{"wa_id": "5491111111111", "user_id": "AR.7"}],
        "statuses": [
            {"id": "wamid.A", "status": "delivered", "recipient_id": "5491111111111"},
            {"id": "wamid.B", "status": "delivered", "recipient_id": "5492222222222"},
        ],
    }));
    let n = webhook::parse(&body).unwrap();
    let by_id = |id: &str| {
        n.statuses()
            .find(|s| s.status.id.as_str() == id)
            .unwrap()
            .contact
            .and_then(|c| c.user_id.as_ref().map(|u| u.as_str().to_owned()))
    };
    assert_eq!(by_id("wamid.A").as_deref(), Some("AR.7"));
    assert_eq!(by_id("wamid.B"), None);
}
