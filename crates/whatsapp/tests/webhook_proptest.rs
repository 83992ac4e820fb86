//! Arbitrary input never panics the webhook parser.

use mostrador_whatsapp::webhook::{self, Change, Notification};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "text",
            "image",
            "audio",
            "reaction",
            "interactive",
            "button_reply",
            "messages",
            "statuses",
            "sent",
            "failed",
            "wamid.X",
            "5491112345678",
            "AR.123",
            "",
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        let keys = prop::sample::select(vec![
            "object",
            "entry",
            "changes",
            "field",
            "value",
            "messages",
            "statuses",
            "contacts",
            "id",
            "from",
            "type",
            "text",
            "body",
            "timestamp",
            "image",
            "interactive",
            "button_reply",
            "reaction",
            "emoji",
            "errors",
            "code",
            "metadata",
            "wa_id",
            "user_id",
            "status",
            "pricing",
            "conversation",
            "context",
            "order",
            "system",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

/// Every input item is accounted for: each change is parsed or kept raw as a whole, and inside a
/// parsed `messages` change every contact, message, status and error is parsed or kept raw at its
/// own path. Nothing is silently dropped.
/// The exact text the item had in the body (floats do not round-trip through `Value`).
fn text(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

fn assert_conserved(changes: &[Value], n: &Notification) -> Result<(), TestCaseError> {
    prop_assert_eq!(n.entries.len(), 1);
    let unparsed_at = |path: &str| n.unparsed.iter().filter(|u| u.path == path).count();
    let mut parsed = n.entries[0].changes.iter();
    for (j, input) in changes.iter().enumerate() {
        let path = format!("entry[0].changes[{j}]");
        let whole = unparsed_at(&path);
        prop_assert!(whole <= 1, "{} kept raw twice", path);
        if whole == 1 {
            // Kept raw as a whole: everything inside it is in its raw text.
            let raw = n
                .unparsed
                .iter()
                .find(|u| u.path == path)
                .unwrap()
                .raw
                .get();
            prop_assert_eq!(raw, text(&input["value"]));
            continue;
        }
        let change = parsed.next();
        prop_assert!(change.is_some(), "{} neither parsed nor kept raw", path);
        let change = change.unwrap();
        let field = input["field"].as_str().unwrap();
        match (field, change) {
            ("messages", Change::Messages(v)) => {
                let counts = [
                    ("contacts", v.contacts.len()),
                    ("messages", v.messages.len()),
                    ("statuses", v.statuses.len()),
                    ("errors", v.errors.len()),
                ];
                for (key, got) in counts {
                    let sent = input["value"][key].as_array().map_or(0, Vec::len);
                    let prefix = format!("{path}.value.{key}[");
                    let raw = n
                        .unparsed
                        .iter()
                        .filter(|u| u.path.starts_with(&prefix))
                        .count();
                    prop_assert_eq!(got + raw, sent, "{}: {} parsed + {} raw", key, got, raw);
                }
            }
            ("messages", other) => prop_assert!(false, "messages parsed as {:?}", other),
            ("message_template_status_update", Change::TemplateStatus(_))
            | ("template_category_update", Change::TemplateCategory(_))
            | ("message_template_quality_update", Change::TemplateQuality(_)) => {}
            (_, Change::Other { field: f, value }) => {
                prop_assert_eq!(f.as_str(), field);
                prop_assert_eq!(value.get(), text(&input["value"]));
            }
            (f, other) => prop_assert!(false, "{} parsed as {:?}", f, other),
        }
    }
    prop_assert!(parsed.next().is_none(), "more changes than were sent");
    // Nothing else was kept raw than what is accounted for above.
    for u in &n.unparsed {
        prop_assert!(
            u.path.starts_with("entry[0].changes["),
            "unexpected {:?}",
            u
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let bytes = serde_json::to_vec(&v).unwrap();
        let _ = webhook::parse(&bytes);
    }

    #[test]
    fn arbitrary_values_inside_an_envelope_never_panic(
        message in arb_json(), status in arb_json(), contact in arb_json(), value in arb_json(),
        field in prop::sample::select(vec!["messages", "message_template_status_update",
            "template_category_update", "message_template_quality_update", "other"]),
    ) {
        let changes = vec![
            json!({"field": "messages", "value": {"metadata": {"phone_number_id": "1"},
                "contacts": [contact], "messages": [message], "statuses": [status]}}),
            json!({"field": field, "value": value}),
        ];
        let body = json!({"object": "whatsapp_business_account", "entry": [
            {"id": "1", "changes": changes.clone()}]});
        let bytes = serde_json::to_vec(&body).unwrap();
        let n = webhook::parse(&bytes).unwrap();
        assert_conserved(&changes, &n)?;
        // Iteration and formatting never panic.
        let _ = n.messages().count() + n.statuses().count() + n.changes().count();
        let _ = format!("{n:?}");
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = webhook::parse(&bytes);
    }
}
