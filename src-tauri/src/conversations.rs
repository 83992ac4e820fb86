//! Conversaciones in the app: thin commands (one core call each) and every core
//! [`ConversationEvent`] forwarded to the window as it happens, so the inbox never polls. Sends go
//! through the outbound engine's queue; before it runs they are refused with
//! `OUTBOUND_NOT_RUNNING` (the owner's text stays in the composer).

use mostrador_core::conversations::{
    self, quick_replies, ConversationPage, ConversationSummary, ListCursor, ListFilter,
    MessageView, SearchHit, SendRequest, ThreadCursor, ThreadPage, ThreadWindow,
};
use mostrador_core::customers::{self, Customer};
use mostrador_core::events::ConversationEvent;
use mostrador_core::org::OrgId;
use mostrador_core::AppError;
use tauri::{AppHandle, Manager, State};
use tokio::sync::broadcast::error::RecvError;

use crate::boot::Boot;
use crate::intake::Intakes;
use crate::ipc::command;
use crate::outbound::Engine;

crate::event! {
    /// A conversation changed: a new message, a status (ticks), a reaction, or its list row.
    pub CONVERSATION_EVENT: "conversation-event" => ConversationEvent
}

crate::event! {
    /// The bus dropped events for the window (a burst it could not keep up with): reload what
    /// is shown.
    pub CONVERSATIONS_RELOAD: "conversations-reload" => ()
}

/// Forwards the core's conversation events to the window for as long as the app runs.
pub fn start(app: &AppHandle) {
    let mut rx = app.state::<Intakes>().bus().subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                // Template webhooks travel the same bus: the Plantillas page reloads on them.
                Ok(ConversationEvent::TemplateChanged { org_id, .. }) => {
                    let _ = crate::templates::TEMPLATES_CHANGED.emit(&app, org_id);
                }
                Ok(event) => {
                    crate::tray::on_conversation_event(&app, &event);
                    let _ = CONVERSATION_EVENT.emit(&app, event);
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "conversation events lagged; window reloads");
                    let _ = CONVERSATIONS_RELOAD.emit(&app, ());
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// A page of the conversation list, newest activity first (`after`: the previous page's `next`).
#[command]
pub async fn conversations_list(
    boot: State<'_, Boot>,
    org_id: OrgId,
    filter: ListFilter,
    after: Option<ListCursor>,
    limit: u32,
) -> Result<ConversationPage, AppError> {
    let store = boot.store().await?;
    Ok(conversations::list_page(&store, org_id, &filter, after.as_ref(), limit).await?)
}

/// One conversation's list row (window, opt-out, labels…).
#[command]
pub async fn conversation_get(
    boot: State<'_, Boot>,
    org_id: OrgId,
    conversation_id: i64,
) -> Result<Option<ConversationSummary>, AppError> {
    let store = boot.store().await?;
    Ok(conversations::get(&store, org_id, conversation_id).await?)
}

/// A page of a thread, oldest first (`before`: the previous page's `older`).
#[command]
pub async fn conversation_thread(
    boot: State<'_, Boot>,
    org_id: OrgId,
    conversation_id: i64,
    before: Option<ThreadCursor>,
    limit: u32,
) -> Result<ThreadPage, AppError> {
    let store = boot.store().await?;
    Ok(conversations::thread_page(&store, org_id, conversation_id, before.as_ref(), limit).await?)
}

/// The thread around one message (a search hit older than the loaded page): about half `limit`
/// before it, it, and the rest after; `null` when it is not a message of this conversation.
#[command]
pub async fn conversation_thread_around(
    boot: State<'_, Boot>,
    org_id: OrgId,
    conversation_id: i64,
    message_id: i64,
    limit: u32,
) -> Result<Option<ThreadWindow>, AppError> {
    let store = boot.store().await?;
    Ok(conversations::thread_around(&store, org_id, conversation_id, message_id, limit).await?)
}

/// The messages after `after` (a window's `newer`), oldest first, up to the newest.
#[command]
pub async fn conversation_thread_after(
    boot: State<'_, Boot>,
    org_id: OrgId,
    conversation_id: i64,
    after: ThreadCursor,
    limit: u32,
) -> Result<ThreadWindow, AppError> {
    let store = boot.store().await?;
    Ok(conversations::thread_after(&store, org_id, conversation_id, &after, limit).await?)
}

/// Messages and customers matching what was typed, newest first.
#[command]
pub async fn conversations_search(
    boot: State<'_, Boot>,
    org_id: OrgId,
    query: String,
    limit: u32,
) -> Result<Vec<SearchHit>, AppError> {
    let store = boot.store().await?;
    Ok(conversations::search(&store, org_id, &query, limit).await?)
}

/// Unread customer messages over all conversations.
#[command]
pub async fn conversations_unread_total(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<i64, AppError> {
    let store = boot.store().await?;
    Ok(conversations::unread_total(&store, org_id).await?)
}

/// Opening a conversation: read locally, and a read receipt to the customer if the setting is on.
/// Resolves with whether a receipt was queued.
#[command]
pub async fn conversation_open(
    boot: State<'_, Boot>,
    engine: State<'_, Engine>,
    app: AppHandle,
    org_id: OrgId,
    conversation_id: i64,
) -> Result<bool, AppError> {
    let store = boot.store().await?;
    let queue = engine.queue().ok();
    let bus = app.state::<Intakes>().bus();
    Ok(conversations::open(&store, queue.as_ref(), &bus, org_id, conversation_id).await?)
}

/// Sends a text, a file or a reaction. The same `client_key` always resolves with the same
/// message (a double click sends once). Refusals (`WINDOW_CLOSED`, `CUSTOMER_OPTED_OUT`,
/// `WHATSAPP_NOT_CONNECTED`, `INVALID_MESSAGE`) write nothing.
#[command]
pub async fn conversation_send(
    boot: State<'_, Boot>,
    engine: State<'_, Engine>,
    app: AppHandle,
    org_id: OrgId,
    request: SendRequest,
) -> Result<MessageView, AppError> {
    let store = boot.store().await?;
    let engine = engine.get()?;
    let bus = app.state::<Intakes>().bus();
    // The file is copied into the media store first, so the bubble previews it at once.
    let data = &boot.dirs().data;
    Ok(
        conversations::send_storing(&store, engine.queue(), &bus, org_id, Some(data), &request)
            .await?,
    )
}

/// "Reintentar" a failed message: sent again once (a second click changes nothing).
#[command]
pub async fn conversation_retry(
    boot: State<'_, Boot>,
    engine: State<'_, Engine>,
    app: AppHandle,
    org_id: OrgId,
    message_id: i64,
) -> Result<MessageView, AppError> {
    let store = boot.store().await?;
    let engine = engine.get()?;
    let bus = app.state::<Intakes>().bus();
    Ok(conversations::retry(&store, engine.queue(), &bus, org_id, message_id).await?)
}

/// An internal note in the thread (never sent).
#[command]
pub async fn conversation_add_note(
    boot: State<'_, Boot>,
    app: AppHandle,
    org_id: OrgId,
    conversation_id: i64,
    client_key: String,
    text: String,
) -> Result<MessageView, AppError> {
    let store = boot.store().await?;
    let bus = app.state::<Intakes>().bus();
    Ok(conversations::add_note(&store, &bus, org_id, conversation_id, &client_key, &text).await?)
}

/// Resolver / reabrir.
#[command]
pub async fn conversation_set_resolved(
    boot: State<'_, Boot>,
    app: AppHandle,
    org_id: OrgId,
    conversation_id: i64,
    resolved: bool,
) -> Result<(), AppError> {
    let store = boot.store().await?;
    let bus = app.state::<Intakes>().bus();
    Ok(conversations::set_resolved(&store, &bus, org_id, conversation_id, resolved).await?)
}

/// Replaces the conversation's labels.
#[command]
pub async fn conversation_set_labels(
    boot: State<'_, Boot>,
    app: AppHandle,
    org_id: OrgId,
    conversation_id: i64,
    labels: Vec<String>,
) -> Result<(), AppError> {
    let store = boot.store().await?;
    let bus = app.state::<Intakes>().bus();
    Ok(conversations::set_labels(&store, &bus, org_id, conversation_id, &labels).await?)
}

/// The customer panel.
#[command]
pub async fn customer_get(
    boot: State<'_, Boot>,
    org_id: OrgId,
    customer_id: i64,
) -> Result<Option<Customer>, AppError> {
    let store = boot.store().await?;
    customers::get(store.reader(), org_id, customer_id)
        .await
        .map_err(|e| mostrador_core::store::StoreError::Sqlx(e).into())
}

/// The owner's name for the customer (empty: back to their WhatsApp name) and notes.
#[command]
pub async fn customer_update(
    boot: State<'_, Boot>,
    app: AppHandle,
    org_id: OrgId,
    customer_id: i64,
    name: Option<String>,
    notes: String,
) -> Result<Option<Customer>, AppError> {
    let store = boot.store().await?;
    let bus = app.state::<Intakes>().bus();
    Ok(customers::update(&store, &bus, org_id, customer_id, name.as_deref(), &notes).await?)
}

/// The customer's e-mail (empty: removed); refused with a Spanish message when invalid.
#[command]
pub async fn customer_set_email(
    boot: State<'_, Boot>,
    org_id: OrgId,
    customer_id: i64,
    email: Option<String>,
) -> Result<Option<Customer>, AppError> {
    let store = boot.store().await?;
    customers::set_email(&store, org_id, customer_id, email.as_deref()).await
}

/// Respuestas rápidas, by shortcut.
#[command]
pub async fn quick_replies_list(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<Vec<quick_replies::QuickReply>, AppError> {
    let store = boot.store().await?;
    Ok(quick_replies::list(&store, org_id).await?)
}

/// Creates or replaces a quick reply; `null` when the shortcut or text is blank.
#[command]
pub async fn quick_reply_save(
    boot: State<'_, Boot>,
    org_id: OrgId,
    shortcut: String,
    body: String,
) -> Result<Option<quick_replies::QuickReply>, AppError> {
    let store = boot.store().await?;
    Ok(quick_replies::save(&store, org_id, &shortcut, &body).await?)
}

#[command]
pub async fn quick_reply_delete(
    boot: State<'_, Boot>,
    org_id: OrgId,
    id: i64,
) -> Result<bool, AppError> {
    let store = boot.store().await?;
    Ok(quick_replies::delete(&store, org_id, id).await?)
}
