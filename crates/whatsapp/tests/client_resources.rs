//! Media, templates, phone number info and webhook subscriptions against the simulator.

mod support;

use bytes::Bytes;
use mostrador_sandbox::whatsapp::{ConfigPatch, NewSimTemplate, TemplateReview};
use mostrador_types::Secret;
use mostrador_whatsapp::ids::MediaId;
use mostrador_whatsapp::phone_number::{NameStatus, NumberStatus, QualityRating};
use mostrador_whatsapp::subscription::CallbackOverride;
use mostrador_whatsapp::templates::{
    BodyExamples, NewButton, NewHeader, NewTemplate, TemplateCategory, TemplateStatus,
};
use mostrador_whatsapp::webhook::Change;
use mostrador_whatsapp::{Error, ErrorClass};
use serde_json::json;
use sha2::{Digest, Sha256};
use support::*;

#[tokio::test]
async fn upload_info_download_delete() {
    let h = start().await;
    let data = Bytes::from(vec![7u8; 4096]);
    let (id, ty) = h
        .client
        .upload_media(data.clone(), "audio/ogg; codecs=opus", "nota.ogg")
        .await
        .unwrap();
    assert_eq!(ty.mime, "audio/ogg; codecs=opus");
    let up = &h.sandbox.whatsapp.log_of("upload_media")[0];
    assert_eq!(up.request["type"], "audio/ogg; codecs=opus");
    assert_eq!(up.request["filename"], "nota.ogg");
    let info = h.client.media_info(&id).await.unwrap();
    assert_eq!(info.file_size, Some(4096));
    assert_eq!(info.mime_type, "audio/ogg; codecs=opus");
    let got = h.client.download_media(&id).await.unwrap();
    assert_eq!(got.bytes, data);
    assert_eq!(got.sha256, hex::encode(Sha256::digest(&data)));
    h.client.delete_media(&id).await.unwrap();
    let e = h.client.media_info(&id).await.unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::InvalidParameter));
}

#[tokio::test]
async fn download_asks_again_when_the_url_expired() {
    let h = start().await;
    let (id, _) = h
        .client
        .upload_media(Bytes::from_static(b"jpeg"), "image/jpeg", "a.jpg")
        .await
        .unwrap();
    h.sandbox.whatsapp.configure(ConfigPatch {
        expire_next_media_urls: Some(1),
        ..Default::default()
    });
    let got = h.client.download_media(&id).await.unwrap();
    assert_eq!(&got.bytes[..], b"jpeg");
    assert_eq!(
        h.sandbox.whatsapp.log_of("get_media").len(),
        2,
        "asked twice"
    );
    assert_eq!(h.sandbox.whatsapp.log_of("download_media").len(), 1);
}

#[tokio::test]
async fn inbound_customer_media_downloads() {
    use base64::Engine as _;
    let (h, mut rx) = start_with_receiver().await;
    h.sandbox
        .whatsapp
        .add_customer(mostrador_sandbox::whatsapp::NewCustomer::new(CUSTOMER));
    let voice = b"OggS-fake-opus".to_vec();
    h.sandbox
        .whatsapp
        .customer_sends(
            CUSTOMER,
            json!({"type": "audio", "audio": {"voice": true}, "media": {
                "mime_type": "audio/ogg; codecs=opus",
                "data_base64": base64::engine::general_purpose::STANDARD.encode(&voice)}}),
        )
        .unwrap();
    let n = rx
        .next()
        .await
        .verified(&h.sandbox.whatsapp.account().app_secret);
    let m = n.messages().next().unwrap().message.clone();
    let media = m.kind.media().unwrap().clone();
    assert_eq!(media.voice, Some(true));
    let got = h.client.download_media(&media.id).await.unwrap();
    assert_eq!(got.bytes.to_vec(), voice);
    assert_eq!(got.mime_type, "audio/ogg; codecs=opus");
}

#[tokio::test]
async fn upload_limits_are_checked_before_sending() {
    let h = start().await;
    let e = h
        .client
        .upload_media(Bytes::from_static(b"x"), "audio/opus", "n.opus")
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Invalid(_)) && e.to_string().contains("codecs=opus"),
        "{e}"
    );
    let big = Bytes::from(vec![0u8; 5 * 1024 * 1024 + 1]);
    assert!(h
        .client
        .upload_media(big, "image/png", "big.png")
        .await
        .is_err());
    assert!(h.sandbox.whatsapp.log_of("upload_media").is_empty());
    let e = h
        .client
        .media_info(&MediaId::new("123").unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::InvalidParameter));
}

#[tokio::test]
async fn list_every_template_page() {
    let h = start().await;
    for i in 0..130 {
        h.sandbox.whatsapp.add_template(NewSimTemplate {
            name: format!("plantilla_{i:03}"),
            language: "es_AR".into(),
            status: "APPROVED".into(),
            category: "MARKETING".into(),
            parameter_format: "POSITIONAL".into(),
            components: vec![json!({"type": "BODY", "text": "Hola {{1}} y {{2}}"})],
        });
    }
    let all = h.client.list_templates().await.unwrap();
    assert_eq!(all.len(), 135, "5 seeded + 130");
    assert_eq!(
        h.sandbox.whatsapp.log_of("list_templates").len(),
        2,
        "two pages of 100"
    );
    let t = all.iter().find(|t| t.name == "plantilla_129").unwrap();
    assert_eq!(t.status, TemplateStatus::Approved);
    assert_eq!(t.category, Some(TemplateCategory::Marketing));
    assert_eq!(t.body_parameter_count(), 2);
    let paused = all.iter().find(|t| t.name == "promo_pausada").unwrap();
    assert_eq!(paused.status, TemplateStatus::Paused);
}

#[tokio::test]
async fn create_then_approved_by_webhook_then_delete() {
    let (h, mut rx) = start_with_receiver().await;
    let new = NewTemplate {
        name: "turno_confirmado".into(),
        language: "es_AR".into(),
        category: TemplateCategory::Utility,
        header: Some(NewHeader::Text {
            text: "Turno".into(),
            example: None,
        }),
        body: "Hola {{1}}, tu turno es el {{2}}.".into(),
        body_examples: BodyExamples::Positional(vec!["Ana".into(), "lunes".into()]),
        footer: Some("Mostrador".into()),
        buttons: vec![
            NewButton::QuickReply {
                text: "Cancelar".into(),
            },
            NewButton::Url {
                text: "Ver".into(),
                url: "https://example.com/t/{{1}}".into(),
                example: Some("https://example.com/t/1".into()),
            },
        ],
    };
    let created = h.client.create_template(&new).await.unwrap();
    assert_eq!(created.status, TemplateStatus::Pending);
    let n = rx
        .next()
        .await
        .verified(&h.sandbox.whatsapp.account().app_secret);
    match &n.entries[0].changes[0] {
        Change::TemplateStatus(u) => {
            assert_eq!(u.event, "APPROVED");
            assert_eq!(u.message_template_name.as_deref(), Some("turno_confirmado"));
            assert_eq!(u.message_template_id.as_deref(), Some(created.id.as_str()));
        }
        c => panic!("{c:?}"),
    }
    // Same name and language again: Meta refuses.
    let e = h.client.create_template(&new).await.unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::InvalidParameter));
    h.client
        .delete_template("turno_confirmado", Some(&created.id))
        .await
        .unwrap();
    let e = h
        .client
        .delete_template("turno_confirmado", None)
        .await
        .unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::InvalidParameter));
    assert!(!h
        .client
        .list_templates()
        .await
        .unwrap()
        .iter()
        .any(|t| t.name == "turno_confirmado"));
}

#[tokio::test]
async fn rejected_template_and_named_creation() {
    let (h, mut rx) = start_with_receiver().await;
    h.sandbox.whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Reject {
            delay_ms: 1,
            reason: "INVALID_FORMAT".into(),
        }),
        ..Default::default()
    });
    let new = NewTemplate {
        name: "saludo_nombre".into(),
        language: "es".into(),
        category: TemplateCategory::Marketing,
        header: None,
        body: "Hola {{first_name}}, gracias.".into(),
        body_examples: BodyExamples::Named(vec![("first_name".into(), "Ana".into())]),
        footer: None,
        buttons: vec![],
    };
    h.client.create_template(&new).await.unwrap();
    let n = rx
        .next()
        .await
        .verified(&h.sandbox.whatsapp.account().app_secret);
    match &n.entries[0].changes[0] {
        Change::TemplateStatus(u) => {
            assert_eq!(u.event, "REJECTED");
            assert_eq!(u.reason.as_deref(), Some("INVALID_FORMAT"));
        }
        c => panic!("{c:?}"),
    }
}

#[tokio::test]
async fn phone_number_info_for_test_connection() {
    let h = start().await;
    let info = h.client.phone_number_info().await.unwrap();
    let a = h.sandbox.whatsapp.account();
    assert_eq!(info.id.as_str(), a.phone_number_id);
    assert_eq!(info.display_phone_number, a.display_phone_number);
    assert_eq!(
        info.verified_name.as_deref(),
        Some(a.verified_name.as_str())
    );
    assert_eq!(info.quality_rating, Some(QualityRating::Green));
    assert_eq!(info.name_status, Some(NameStatus::Approved));
    assert_eq!(info.status, Some(NumberStatus::Connected));
}

#[tokio::test]
async fn subscribe_then_override_with_handshake() {
    let h = start().await;
    let r = receiver().await;
    assert!(h.client.subscribed_apps().await.unwrap().is_empty());
    let over = CallbackOverride {
        callback_uri: url::Url::parse(&r.url).unwrap(),
        verify_token: Secret::new(VERIFY_TOKEN),
    };
    // Meta refuses an override before the plain subscription (Chatwoot #12488).
    let e = h.client.subscribe_app(Some(&over)).await.unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::InvalidParameter));
    assert!(e.to_string().contains("must be subscribed"), "{e}");
    h.client.subscribe_app(None).await.unwrap();
    // A wrong verify token fails the handshake.
    let wrong = CallbackOverride {
        callback_uri: over.callback_uri.clone(),
        verify_token: Secret::new("nope"),
    };
    assert!(h.client.subscribe_app(Some(&wrong)).await.is_err());
    h.client.subscribe_app(Some(&over)).await.unwrap();
    let apps = h.client.subscribed_apps().await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(
        apps[0].override_callback_uri.as_deref(),
        Some(r.url.as_str())
    );
    assert_eq!(
        h.sandbox.whatsapp.account().webhook_url.as_deref(),
        Some(r.url.as_str())
    );
    // The verify token is never logged by the simulator.
    let logged = serde_json::to_string(&h.sandbox.whatsapp.log()).unwrap();
    assert!(!logged.contains(VERIFY_TOKEN));
}

#[tokio::test]
async fn large_document_round_trip() {
    let h = start().await;
    let data = Bytes::from(
        (0..6 * 1024 * 1024)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    let (id, _) = h
        .client
        .upload_media(data.clone(), "application/pdf", "catalogo.pdf")
        .await
        .unwrap();
    assert_eq!(h.client.download_media(&id).await.unwrap().bytes, data);
}

#[tokio::test]
async fn test_connection_checks_number_waba_and_subscription() {
    let h = start().await;
    let c = h.client.test_connection().await.unwrap();
    assert!(!c.app_subscribed);
    h.client.subscribe_app(None).await.unwrap();
    let c = h.client.test_connection().await.unwrap();
    assert!(c.app_subscribed && c.callback_override.is_none());
    assert_eq!(
        c.phone.id.as_str(),
        h.sandbox.whatsapp.account().phone_number_id
    );
    // A wrong WABA id fails on the second check.
    let a = h.sandbox.whatsapp.account();
    let wrong = mostrador_whatsapp::Client::new(
        mostrador_whatsapp::Config::new(
            mostrador_whatsapp::ids::PhoneNumberId::new(a.phone_number_id).unwrap(),
            mostrador_whatsapp::ids::WabaId::new("123").unwrap(),
            Secret::new(a.access_token),
        )
        .with_base_url(&h.sandbox.graph_url())
        .unwrap(),
    )
    .unwrap();
    let e = wrong.test_connection().await.unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::InvalidParameter));
}
