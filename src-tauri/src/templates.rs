//! Plantillas: thin commands over `mostrador_core::templates` (one core call each) and the sync
//! progress event.

use mostrador_core::org::OrgId;
use mostrador_core::secrets::SecretStore;
use mostrador_core::templates::{
    self, ContextField, NewTemplateInput, SendTemplate, SentTemplate, SuggestedResult, SyncOutcome,
    SyncProgress, TemplateView,
};
use mostrador_core::AppError;
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::boot::Boot;
use crate::intake::Intakes;
use crate::ipc::command;
use crate::outbound::Engine;

crate::event! {
    /// A template sync got one more page from Meta (and once more when stored: `done`).
    pub TEMPLATES_SYNC_PROGRESS: "templates-sync-progress" => TemplateSyncProgress
}

/// Sync progress of one business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TemplateSyncProgress {
    pub org_id: OrgId,
    pub progress: SyncProgress,
}

crate::event! {
    /// A business's templates changed (a review, category or quality webhook the processor
    /// applied, in the app or in the demo): reload the list. Sent by the bus forwarder
    /// ([`crate::conversations::start`]); the page reloads by itself after its own actions.
    pub TEMPLATES_CHANGED: "templates-changed" => OrgId
}

fn progress(app: &AppHandle, org_id: OrgId) -> impl Fn(SyncProgress) + '_ {
    move |progress| {
        let _ = TEMPLATES_SYNC_PROGRESS.emit(app, TemplateSyncProgress { org_id, progress });
    }
}

/// Every template of the business (as last synced and updated by webhooks).
#[command]
pub async fn templates_list(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<Vec<TemplateView>, AppError> {
    Ok(templates::list(&boot.store().await?, org_id).await?)
}

/// "Sincronizar": every page from Meta, with progress events.
#[command]
pub async fn templates_sync(
    app: AppHandle,
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<SyncOutcome, AppError> {
    let store = boot.store().await?;
    Ok(templates::sync(
        &store,
        &SecretStore::default(),
        org_id,
        progress(&app, org_id),
    )
    .await?)
}

/// "Crear": submits a template for review (Meta's limits checked first).
#[command]
pub async fn templates_create(
    boot: State<'_, Boot>,
    org_id: OrgId,
    input: NewTemplateInput,
) -> Result<TemplateView, AppError> {
    let store = boot.store().await?;
    Ok(templates::create(&store, &SecretStore::default(), org_id, input).await?)
}

/// "Crear plantillas sugeridas": submits the suggested ones the account does not have.
#[command]
pub async fn templates_create_suggested(
    app: AppHandle,
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<Vec<SuggestedResult>, AppError> {
    let store = boot.store().await?;
    Ok(templates::create_suggested(
        &store,
        &SecretStore::default(),
        org_id,
        progress(&app, org_id),
    )
    .await?)
}

/// "Eliminar": at Meta and here.
#[command]
pub async fn templates_delete(
    boot: State<'_, Boot>,
    org_id: OrgId,
    name: String,
    language: String,
) -> Result<(), AppError> {
    let store = boot.store().await?;
    Ok(templates::delete(&store, &SecretStore::default(), org_id, &name, &language).await?)
}

/// Maps one variable (`body.1`) to a context field, or unmaps it (`field: null`).
#[command]
pub async fn templates_set_mapping(
    boot: State<'_, Boot>,
    org_id: OrgId,
    name: String,
    language: String,
    key: String,
    field: Option<ContextField>,
) -> Result<TemplateView, AppError> {
    let store = boot.store().await?;
    Ok(templates::set_mapping(&store, org_id, &name, &language, &key, field).await?)
}

/// Sends a template to a customer (allowed with the 24 h window closed): the message and its
/// send job in one transaction; the same `idempotency_key` never sends twice.
#[command]
pub async fn templates_send(
    boot: State<'_, Boot>,
    engine: State<'_, Engine>,
    intakes: State<'_, Intakes>,
    org_id: OrgId,
    request: SendTemplate,
) -> Result<SentTemplate, AppError> {
    let store = boot.store().await?;
    let queue = engine.queue()?;
    Ok(templates::send_template(&store, &queue, &intakes.bus(), org_id, request).await?)
}
