//! Every inbound type, through simulator → relay → poller → processor; media downloaded from the
//! simulator's media endpoint with its sha256 checked; search; the list and the 24 h window.
//! Needs the keychain: run under `dbus-run-session` with an unlocked gnome-keyring.

mod conversations_support;

use base64::Engine as _;
use conversations_support::*;
use mostrador_core::conversations::{self, ListFilter, MessageStatus};
use mostrador_core::events::ConversationEvent;
use mostrador_core::intake;
use serde_json::json;
use sha2::Digest as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_inbound_type_is_stored_and_none_dropped() {
    let mut p = pipeline().await;
    let mut events = p.events.subscribe();
    p.customer("5491112345678", "Juana");
    let w = "5491112345678";

    let hola = p
        .customer_sends(
            w,
            json!({"type":"text","text":{"body":"Hola, ¿tienen yerba Playadito?"}}),
        )
        .await;
    let png = b"\x89PNG\r\n\x1a\nfake image bytes".to_vec();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let image = p
        .customer_sends(
            w,
            json!({"type":"image","image":{"caption":"esta marca"},
        "media":{"mime_type":"image/png","data_base64": b64(&png)}}),
        )
        .await;
    p.customer_sends(w, json!({"type":"video","video":{},"media":{"mime_type":"video/mp4","data_base64": b64(b"mp4")}})).await;
    p.customer_sends(w, json!({"type":"audio","audio":{"voice":true},"media":{"mime_type":"audio/ogg","data_base64": b64(b"opus")}})).await;
    p.customer_sends(w, json!({"type":"audio","audio":{"voice":false},"media":{"mime_type":"audio/mpeg","data_base64": b64(b"mp3")}})).await;
    let pdf = b"%PDF-1.4 presupuesto".to_vec();
    let doc = p.customer_sends(w, json!({"type":"document","document":{"filename":"../../.bashrc","caption":"presupuesto"},
        "media":{"mime_type":"application/pdf","data_base64": b64(&pdf)}})).await;
    p.customer_sends(w, json!({"type":"sticker","sticker":{"animated":false},"media":{"mime_type":"image/webp","data_base64": b64(b"webp")}})).await;
    p.customer_sends(w, json!({"type":"location","location":{"latitude":-34.6037,"longitude":-58.3816,"name":"Obelisco","address":"Av. 9 de Julio"}})).await;
    p.customer_sends(w, json!({"type":"contacts","contacts":[{"name":{"formatted_name":"Pedro Pérez"},"phones":[{"phone":"+54 9 11 5555-0000","wa_id":"5491155550000","type":"CELL"}]}]})).await;
    p.customer_sends(w, json!({"type":"text","text":{"body":"¿y esta?"},"context":{"from":"5491150000000","id": image}})).await;
    p.customer_sends(w, json!({"type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"si","title":"Sí"}}})).await;
    p.customer_sends(w, json!({"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"env","title":"Envío","description":"a domicilio"}}})).await;
    p.customer_sends(
        w,
        json!({"type":"button","button":{"payload":"CANCELAR_123","text":"Cancelar turno"}}),
    )
    .await;
    p.customer_sends(w, json!({"type":"order","order":{"catalog_id":"cat1","text":"lo de siempre","product_items":[{"product_retailer_id":"yerba-1kg","quantity":2,"item_price":"3500.50","currency":"ARS"}]}})).await;
    p.customer_sends(
        w,
        json!({"type":"poll","poll":{"question":"¿abren el domingo?"}}),
    )
    .await;
    p.customer_sends(
        w,
        json!({"type":"unsupported","errors":[{"code":131051,"title":"Message type unknown"}]}),
    )
    .await;
    // A reaction on the first message, then its removal (empty emoji).
    p.customer_sends(
        w,
        json!({"type":"reaction","reaction":{"message_id": hola, "emoji":"👍"}}),
    )
    .await;

    let conv = p.only_conversation().await;
    let thread = p.thread(conv).await;
    let kinds: Vec<&str> = thread.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "text",
            "image",
            "video",
            "voice",
            "audio",
            "document",
            "sticker",
            "location",
            "contacts",
            "text",
            "button_reply",
            "list_reply",
            "template_button",
            "order",
            "unsupported",
            "unsupported"
        ]
    );
    assert!(thread
        .iter()
        .all(|m| m.direction == "in" && m.status == MessageStatus::Received));
    let by = |id: &str| {
        thread
            .iter()
            .find(|m| m.provider_id.as_deref() == Some(id))
            .unwrap()
    };
    assert_eq!(by(&hola).reactions.len(), 1);
    assert_eq!(by(&hola).reactions[0].emoji, "👍");
    assert_eq!(
        thread[9].reply_to_provider_id.as_deref(),
        Some(image.as_str())
    );
    assert_eq!(by(&image).text.as_deref(), Some("esta marca"));
    let d = by(&doc);
    assert_eq!(d.filename.as_deref(), Some("../../.bashrc"));
    assert_eq!(d.media.as_ref().unwrap().state, "pending");
    assert_eq!(thread[7].data.as_ref().unwrap()["name"], "Obelisco");
    assert!(thread[7].data.as_ref().unwrap()["map_url"]
        .as_str()
        .unwrap()
        .contains("-34.6037,-58.3816"));
    assert_eq!(
        thread[8].data.as_ref().unwrap()["contacts"][0]["phones"][0]["wa_id"],
        "5491155550000"
    );
    assert_eq!(thread[10].data.as_ref().unwrap()["id"], "si");
    assert_eq!(thread[12].data.as_ref().unwrap()["payload"], "CANCELAR_123");
    assert_eq!(
        thread[13].data.as_ref().unwrap()["items"][0]["item_price"],
        "3500.50"
    );
    assert_eq!(thread[14].data.as_ref().unwrap()["type"], "poll");
    let raw: String = sqlx::query_scalar(
        "SELECT raw FROM messages WHERE type = 'unsupported' AND raw IS NOT NULL",
    )
    .fetch_one(p.store.reader())
    .await
    .unwrap();
    assert!(
        raw.contains("abren el domingo") || raw.contains("\\u00bfabren"),
        "{raw}"
    );

    p.customer_sends(
        w,
        json!({"type":"reaction","reaction":{"message_id": hola, "emoji":""}}),
    )
    .await;
    let thread = p.thread(conv).await;
    assert!(by_id(&thread, &hola).reactions.is_empty());

    // The list row: unread counts every message except reactions; the window is open.
    let c = conversations::get(&p.store, p.org, conv)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.unread_count, 16);
    assert_eq!(c.customer_name, "Juana");
    assert_eq!(
        c.customer_phone_display.as_deref(),
        Some("+54 9 11 1234-5678")
    );
    assert!(c.window_open_until.is_some());
    assert_eq!(c.status, "abierta");

    // Events were emitted for what was applied.
    let mut new_messages = 0;
    let mut reactions = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            ConversationEvent::NewMessage { .. } => new_messages += 1,
            ConversationEvent::ReactionChanged { .. } => reactions += 1,
            _ => {}
        }
    }
    assert_eq!(new_messages, 16);
    assert_eq!(reactions, 2);

    // Media: downloaded from the simulator, content-addressed, sha256 verified.
    let account = p.sandbox.whatsapp.account();
    let cfg = mostrador_whatsapp::Config::new(
        mostrador_whatsapp::ids::PhoneNumberId::new(account.phone_number_id.clone()).unwrap(),
        mostrador_whatsapp::ids::WabaId::new(account.waba_id.clone()).unwrap(),
        mostrador_types::Secret::new(account.access_token.clone()),
    )
    .with_base_url(&p.sandbox.graph_url())
    .unwrap();
    let client = mostrador_whatsapp::Client::new(cfg).unwrap();
    let media_id = d.data.as_ref().unwrap()["media_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let data_dir = p.dir.path().join("data");
    let stored = intake::download_media(&p.store, &data_dir, &client, p.org, &media_id)
        .await
        .unwrap();
    let want = hex::encode(sha2::Sha256::digest(&pdf));
    assert_eq!(stored.sha256, want);
    assert_eq!(stored.path, format!("media/{}/{}", &want[..2], want));
    assert_eq!(std::fs::read(data_dir.join(&stored.path)).unwrap(), pdf);
    assert!(!stored.path.contains("bashrc"));
    assert!(!p.dir.path().join(".bashrc").exists() && !data_dir.join(".bashrc").exists());
    let pending = intake::media::pending(&p.store, p.org, 100).await.unwrap();
    assert!(
        !pending.contains(&media_id) && pending.len() == 5,
        "{pending:?}"
    );
    let thread = p.thread(conv).await;
    assert_eq!(
        by_id(&thread, &doc).media.as_ref().unwrap().state,
        "downloaded"
    );

    // Search: text (accents folded), caption, filename, customer name and number.
    let hits = conversations::search(&p.store, p.org, "playadito", 20)
        .await
        .unwrap();
    assert_eq!(hits.iter().filter(|h| h.message_id.is_some()).count(), 1);
    assert!(hits[0].snippet.as_deref().unwrap().contains("[Playadito]"));
    assert!(!conversations::search(&p.store, p.org, "presupuesto", 20)
        .await
        .unwrap()
        .is_empty());
    assert!(!conversations::search(&p.store, p.org, "bashrc", 20)
        .await
        .unwrap()
        .is_empty());
    let by_name = conversations::search(&p.store, p.org, "Juan", 20)
        .await
        .unwrap();
    assert!(by_name
        .iter()
        .any(|h| h.message_id.is_none() && h.conversation_id == conv));
    let by_number = conversations::search(&p.store, p.org, "12345678", 20)
        .await
        .unwrap();
    assert!(by_number.iter().any(|h| h.message_id.is_none()));
    // As people type it, with spaces and a dash.
    let typed = conversations::search(&p.store, p.org, "1234-5678", 20)
        .await
        .unwrap();
    assert!(typed
        .iter()
        .any(|h| h.message_id.is_none() && h.conversation_id == conv));
    assert!(conversations::search(&p.store, p.org, "\"*)(", 20)
        .await
        .unwrap()
        .is_empty());

    // Mark read: unread to zero, "no leídas" filter empty.
    conversations::mark_read(&p.store, &p.events, p.org, conv)
        .await
        .unwrap();
    let unread = conversations::list_page(&p.store, p.org, &ListFilter::Unread, None, 10)
        .await
        .unwrap();
    assert!(unread.conversations.is_empty());

    assert!(p.raw_statuses().await.iter().all(|(s, _)| s == "processed"));
    p.stop().await;
}

fn by_id<'a>(
    t: &'a [mostrador_core::conversations::MessageView],
    id: &str,
) -> &'a mostrador_core::conversations::MessageView {
    t.iter()
        .find(|m| m.provider_id.as_deref() == Some(id))
        .unwrap()
}
