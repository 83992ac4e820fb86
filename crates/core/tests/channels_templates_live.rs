//! Plantillas live (issue 12): Meta's template webhooks reach the app through the relay and the
//! processor, which stores the change and announces it on the event bus the window listens to
//! (the same in demo mode: the demo's intake publishes on the window's bus). A re-categorization
//! keeps the category it had and when it changed, so the page can say why a template is
//! Marketing now.

mod channels_support;

use std::time::Duration;

use channels_support::*;
use mostrador_core::events::ConversationEvent;
use mostrador_core::templates;
use mostrador_sandbox::whatsapp::{ConfigPatch, TemplateCategoryChange, TemplateReview};

/// Waits (bounded) for the bus to announce a change of template `name`.
async fn announced(
    rx: &mut tokio::sync::broadcast::Receiver<ConversationEvent>,
    org: mostrador_core::org::OrgId,
    name: &str,
) {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await.unwrap() {
                ConversationEvent::TemplateChanged {
                    org_id, name: n, ..
                } if org_id == org && n == name => return,
                _ => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no template_changed event for {name}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_and_a_recategorization_are_announced_and_the_reason_kept() {
    let env = env().await;
    env.sandbox.whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 5 }),
        ..Default::default()
    });
    let mut rx = env.events.subscribe();
    templates::create_suggested(&env.store, &env.secrets, env.org, |_| {})
        .await
        .unwrap();
    // Meta approves it a moment later: the status webhook is applied and announced.
    announced(&mut rx, env.org, "turno_confirmado").await;
    env.until(
        "SELECT status FROM templates WHERE name = 'turno_confirmado'",
        "APPROVED".to_owned(),
    )
    .await;
    let before = templates::get(&env.store, env.org, "turno_confirmado", "es_AR")
        .await
        .unwrap();
    assert_eq!(before.category.as_deref(), Some("UTILITY"));
    assert_eq!(before.previous_category, None, "never re-categorized yet");

    // Meta decides it is Marketing.
    assert!(env
        .sandbox
        .whatsapp
        .set_template_category(TemplateCategoryChange {
            name: "turno_confirmado".into(),
            language: "es_AR".into(),
            category: "MARKETING".into(),
        }));
    announced(&mut rx, env.org, "turno_confirmado").await;
    let after = templates::get(&env.store, env.org, "turno_confirmado", "es_AR")
        .await
        .unwrap();
    assert_eq!(after.category.as_deref(), Some("MARKETING"));
    assert_eq!(after.previous_category.as_deref(), Some("UTILITY"));
    assert!(after.category_changed_at.is_some());
    // The other templates were not touched by it.
    let pago = templates::get(&env.store, env.org, "pago_recibido", "es_AR")
        .await
        .unwrap();
    assert_eq!(pago.previous_category, None);
    env.stop().await;
}
