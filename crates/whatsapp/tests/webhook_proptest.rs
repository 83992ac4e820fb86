//! Arbitrary input never panics the webhook parser.

use mostrador_whatsapp::webhook;
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
        let body = json!({"object": "whatsapp_business_account", "entry": [
            {"id": "1", "changes": [
                {"field": "messages", "value": {"metadata": {"phone_number_id": "1"},
                    "contacts": [contact], "messages": [message], "statuses": [status]}},
                {"field": field, "value": value},
            ]}]});
        let bytes = serde_json::to_vec(&body).unwrap();
        let n = webhook::parse(&bytes).unwrap();
        // Every item is either parsed or kept raw; iteration never panics.
        let _ = n.messages().count() + n.statuses().count() + n.changes().count();
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = webhook::parse(&bytes);
    }
}
