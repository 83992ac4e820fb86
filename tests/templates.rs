//! Plantillas on the real app, against the WhatsApp simulator on 127.0.0.1: "Crear plantillas
//! sugeridas" submits the five missing es_AR templates (the invoice one with its PDF header
//! uploaded through the resumable upload API); Meta's review approves them; "Sincronizar" shows
//! them approved. The test seeds the app's database and keychain with core's own APIs.

mod support;

use anyhow::Result;
use mostrador_core::channels::whatsapp::{WhatsAppSettings, ACCESS_TOKEN};
use mostrador_core::org::{self, NewOrganization};
use mostrador_core::secrets::SecretStore;
use mostrador_core::settings;
use mostrador_core::store::{Store, DB_FILE_NAME};
use mostrador_core::templates::APP_ID;
use mostrador_sandbox::whatsapp::{ConfigPatch, TemplateReview};
use mostrador_sandbox::Sandbox;
use mostrador_types::{IvaCondition, Secret};
use support::{screenshot, wait_for, wait_for_text, Driver};

#[tokio::test(flavor = "multi_thread")]
async fn suggested_templates_are_created_and_show_approved() -> Result<()> {
    let data = tempfile::tempdir()?;
    let sandbox = Sandbox::start("127.0.0.1:0".parse()?).await?;
    sandbox.whatsapp.configure(ConfigPatch {
        template_review: Some(TemplateReview::Approve { delay_ms: 50 }),
        ..Default::default()
    });
    let store = Store::open(&data.path().join(DB_FILE_NAME)).await?;
    let org = org::create(
        &store,
        NewOrganization {
            name: "Peluquería Sol".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await?
    .id;
    let account = sandbox.whatsapp.account();
    WhatsAppSettings {
        phone_number_id: account.phone_number_id.clone(),
        waba_id: account.waba_id.clone(),
        base_url: Some(sandbox.graph_url()),
        graph_version: None,
    }
    .save(&store, org)
    .await?;
    settings::set(&store, Some(org), APP_ID, &account.app_id).await?;
    SecretStore::default()
        .set(org, ACCESS_TOKEN, &Secret::new(account.access_token))
        .await?;

    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    wait_for(&app, "#nav-templates").await?.click().await?;
    wait_for(&app, "#templates-suggested")
        .await?
        .click()
        .await?;
    let notice = wait_for_text(&app, "#templates-notice", "5 enviadas a revisión").await?;
    assert!(notice.contains("1 ya estaban"), "{notice}");
    assert_eq!(sandbox.whatsapp.log_of("create_template").len(), 5);

    // Meta approved them (the simulator's review webhook has no relay here): a sync reads it.
    wait_for(&app, "#templates-sync").await?.click().await?;
    wait_for_text(&app, "#templates-notice", "Listo").await?;
    let row = wait_for_text(&app, "tr[data-template='factura_disponible']", "Aprobada").await?;
    assert!(row.contains("Utilidad"), "{row}");
    wait_for_text(&app, "tr[data-template='turno_confirmado']", "Aprobada").await?;
    screenshot(&app, "plantillas-sugeridas").await?;
    app.close().await?;
    Ok(())
}
