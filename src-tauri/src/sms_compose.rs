//! The composer's SMS: a text the owner types for a customer, sent by Twilio through the queue
//! (the message and its `sms.send` job in one transaction, in the customer's SMS conversation).
//! The composer shows `measure_sms` (segments, encoding, cost) before this is called.

use mostrador_core::channels::sms::{self, SmsError, SmsRequest, SmsSettings};
use mostrador_core::org::OrgId;
use mostrador_core::store::StoreError;
use mostrador_core::{AppError, ErrorCode};
use tauri::State;

use crate::boot::Boot;
use crate::intake::Intakes;
use crate::ipc::command;
use crate::outbound::Engine;

fn app_error(e: SmsError) -> AppError {
    match e {
        SmsError::NoPhone | SmsError::InvalidPhone(_) | SmsError::OptedOut => {
            AppError::new(ErrorCode::InvalidRecipient, e.to_string())
        }
        SmsError::InvalidText(_) => AppError::new(ErrorCode::InvalidMessage, e.to_string()),
        SmsError::UnknownCustomer => AppError::new(ErrorCode::ConversationNotFound, e.to_string()),
        SmsError::Queue(q) => {
            tracing::warn!(error = %q, "sms not queued");
            AppError::new(
                ErrorCode::Internal,
                "No se pudo encolar el SMS: probá de nuevo.",
            )
        }
        SmsError::Sqlx(s) => StoreError::Sqlx(s).into(),
    }
}

/// Sends `text` by SMS to the customer. The same `client_key` never sends twice (a double click,
/// a retry after a lost answer). Refused, with nothing written, when SMS is not set up in Ajustes,
/// the customer has no usable number or answered STOP/BAJA, or the text is empty or too long.
#[command]
pub async fn conversation_send_sms(
    boot: State<'_, Boot>,
    engine: State<'_, Engine>,
    intakes: State<'_, Intakes>,
    org_id: OrgId,
    customer_id: i64,
    client_key: String,
    text: String,
) -> Result<(), AppError> {
    let store = boot.store().await?;
    if SmsSettings::load(&store, org_id).await?.is_none() {
        return Err(AppError::new(
            ErrorCode::ChannelNotConfigured,
            "El SMS no está configurado: cargalo en Ajustes → SMS.",
        ));
    }
    if client_key.trim().is_empty() {
        return Err(AppError::new(
            ErrorCode::Internal,
            "Falta la clave del mensaje.",
        ));
    }
    let queue = engine.queue()?;
    let mut tx = store.begin_immediate().await?;
    let (job, wake, message_id, events) = sms::enqueue_in(
        &mut tx,
        &queue,
        org_id,
        SmsRequest {
            customer_id,
            body: &text,
            unique_key: Some(format!("composer:{client_key}")),
            parent: None,
            fallback_note: None,
        },
    )
    .await
    .map_err(app_error)?;
    tx.commit().await.map_err(StoreError::Sqlx)?;
    wake.after_commit();
    tracing::info!(job_id = %job, ?message_id, "composer sms queued");
    let bus = intakes.bus();
    for e in events {
        bus.emit(e);
    }
    Ok(())
}
