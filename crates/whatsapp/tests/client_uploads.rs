//! The resumable upload API against the simulator over real HTTP: a file handle for a template's
//! media header, an upload interrupted half-way and resumed, handles Meta would refuse, and the
//! template category / quality webhooks parsed by the client.

mod support;

use bytes::Bytes;
use mostrador_sandbox::whatsapp::{
    Fault, FaultKind, TemplateCategoryChange, TemplateQualityChange,
};
use mostrador_whatsapp::ids::AppId;
use mostrador_whatsapp::templates::{BodyExamples, NewHeader, NewTemplate, TemplateCategory};
use mostrador_whatsapp::webhook::Change;
use mostrador_whatsapp::{Error, ErrorClass};
use support::*;

fn app(h: &Harness) -> AppId {
    AppId::new(h.sandbox.whatsapp.account().app_id).unwrap()
}

fn png(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i % 253) as u8).collect::<Vec<u8>>())
}

fn with_image(name: &str, handle: &str) -> NewTemplate {
    NewTemplate {
        name: name.into(),
        language: "es_AR".into(),
        category: TemplateCategory::Utility,
        header: Some(NewHeader::Image {
            example_handle: handle.into(),
        }),
        body: "Tu pedido {{1}} está listo.".into(),
        body_examples: BodyExamples::Positional(vec!["A-1".into()]),
        footer: None,
        buttons: vec![],
    }
}

#[tokio::test]
async fn a_handle_from_the_upload_api_is_a_media_header_example() {
    let h = start().await;
    let file = png(5000);
    let session = h
        .client
        .start_upload(&app(&h), "pedido.png", file.len() as u64, "image/png")
        .await
        .unwrap();
    let handle = h.client.upload(&session, file.clone()).await.unwrap();
    let stored = h.sandbox.whatsapp.uploaded_file(handle.as_str()).unwrap();
    assert_eq!(stored.bytes, file);
    assert_eq!(stored.file_type, "image/png");
    assert_eq!(h.client.upload_offset(&session).await.unwrap(), 5000);
    let created = h
        .client
        .create_template(&with_image("pedido_con_foto", handle.as_str()))
        .await
        .unwrap();
    assert!(!created.id.as_str().is_empty());
}

#[tokio::test]
async fn an_interrupted_upload_resumes_where_the_bytes_stopped() {
    let h = start().await;
    let file = png(8000);
    let session = h
        .client
        .start_upload(&app(&h), "grande.png", file.len() as u64, "image/png")
        .await
        .unwrap();
    h.sandbox
        .whatsapp
        .inject(Fault::new(FaultKind::TruncateBody { bytes: 3000 }).on_path("upload:"));
    let e = h.client.upload(&session, file.clone()).await.unwrap_err();
    assert!(e.retryable() && !e.may_have_been_sent(), "{e}");
    assert_eq!(h.client.upload_offset(&session).await.unwrap(), 3000);
    let handle = h
        .client
        .resume_upload(&session, file.clone())
        .await
        .unwrap();
    let stored = h.sandbox.whatsapp.uploaded_file(handle.as_str()).unwrap();
    assert_eq!(stored.bytes, file, "the resumed file is whole and in order");
    // Resuming a finished session gives the same handle.
    let again = h.client.resume_upload(&session, file).await.unwrap();
    assert_eq!(again, handle);
}

#[tokio::test]
async fn handles_meta_would_refuse() {
    let h = start().await;
    // Not a handle at all (a media id, a URL, a made-up string).
    let e = h
        .client
        .create_template(&with_image("inventada", "4::aW1hZ2UvcG5n:ARZnope"))
        .await
        .unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::InvalidParameter), "{e}");
    assert_eq!(e.graph().unwrap().subcode, Some(2388273));
    // A PDF's handle is no image example.
    let pdf = Bytes::from_static(b"%PDF-1.4 factura");
    let s = h
        .client
        .start_upload(&app(&h), "f.pdf", pdf.len() as u64, "application/pdf")
        .await
        .unwrap();
    let handle = h.client.upload(&s, pdf).await.unwrap();
    let e = h
        .client
        .create_template(&with_image("pdf_como_imagen", handle.as_str()))
        .await
        .unwrap_err();
    assert_eq!(e.graph().unwrap().subcode, Some(2388273), "{e}");
    // Types and lengths Meta refuses never reach the wire; neither does a file of another length.
    let e = h
        .client
        .start_upload(&app(&h), "a.gif", 10, "image/gif")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Invalid(_)), "{e}");
    let e = h.client.upload(&s, png(3)).await.unwrap_err();
    assert!(matches!(e, Error::Invalid(_)), "{e}");
    assert_eq!(h.sandbox.whatsapp.log_of("create_upload_session").len(), 1);
}

#[tokio::test]
async fn template_category_and_quality_webhooks_reach_the_client() {
    let (h, mut rx) = start_with_receiver().await;
    let secret = h.sandbox.whatsapp.account().app_secret;
    assert!(h
        .sandbox
        .whatsapp
        .set_template_category(TemplateCategoryChange {
            name: "hola".into(),
            language: "es_AR".into(),
            category: "MARKETING".into(),
        }));
    let n = rx.next().await.verified(&secret);
    match n.changes().next().unwrap().1 {
        Change::TemplateCategory(c) => {
            assert_eq!(c.message_template_name.as_deref(), Some("hola"));
            assert_eq!(c.previous_category.as_deref(), Some("UTILITY"));
            assert_eq!(c.new_category.as_deref(), Some("MARKETING"));
            assert!(c.message_template_id.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(h
        .sandbox
        .whatsapp
        .set_template_quality(TemplateQualityChange {
            name: "hola".into(),
            language: "es_AR".into(),
            quality_score: "RED".into(),
        }));
    let n = rx.next().await.verified(&secret);
    match n.changes().next().unwrap().1 {
        Change::TemplateQuality(q) => {
            assert_eq!(q.new_quality_score.as_deref(), Some("RED"));
            assert_eq!(q.previous_quality_score.as_deref(), Some("UNKNOWN"));
        }
        other => panic!("{other:?}"),
    };
}
