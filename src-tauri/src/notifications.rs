//! SMS, e-mail and Recordatorios in the app: Ajustes → SMS / E-mail (settings + keychain secrets,
//! "Probar"), the SMS segment measure, and the reminders page; the scheduler and the fallback
//! sweep run once the outbound engine is up. Each command is one core call.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use mostrador_core::channels::email::{self, EmailSettings};
use mostrador_core::channels::sms::{self, SmsMeasure, SmsSettings};
use mostrador_core::intake::JobEvidence;
use mostrador_core::notifications::{self, schedule, NewScheduled, ScheduledNotice, Scheduler};
use mostrador_core::org::OrgId;
use mostrador_core::outbound::{Fallback, FallbackEvidence, Outbound};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_core::AppError;
use mostrador_types::Secret;
use serde::Serialize;
use tauri::{AppHandle, Manager, RunEvent, State};

use crate::boot::Boot;
use crate::ipc::command;

/// How often the scheduler looks at least once (it also wakes at the next due time).
const SCHEDULER_TICK: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct Notifications {
    scheduler: OnceLock<Scheduler>,
    engine: OnceLock<Arc<Outbound>>,
    fallback: OnceLock<Arc<Fallback>>,
}

impl Notifications {
    /// The fallback chain for the engine's wiring (one per app).
    pub fn fallback(&self, store: &Store) -> Arc<Fallback> {
        self.fallback
            .get_or_init(|| Fallback::new(store.clone()))
            .clone()
    }

    /// The processor's evidence hook: the engine's, plus the fallback chain's.
    pub fn evidence(&self, engine: Arc<Outbound>) -> Arc<dyn JobEvidence> {
        match self.fallback.get() {
            Some(f) => Arc::new(FallbackEvidence {
                outbound: engine,
                fallback: f.clone(),
            }),
            None => engine,
        }
    }
}

/// Binds the fallback chain to the running engine and starts the reminders scheduler (it sends
/// what came due while the app was closed and marks the rest "no enviado").
pub fn start(app: &AppHandle, store: Store, engine: Arc<Outbound>) {
    let n = app.state::<Notifications>();
    let fallback = n.fallback.get().cloned();
    if let Some(f) = &fallback {
        f.bind(engine.queue().clone());
    }
    let s = Scheduler::start(store, engine.queue().clone(), fallback, SCHEDULER_TICK);
    let _ = n.scheduler.set(s);
    let _ = n.engine.set(engine);
}

pub fn on_run_event(app: &AppHandle, event: &RunEvent) {
    if let RunEvent::Exit = event {
        if let Some(s) = app.state::<Notifications>().scheduler.get() {
            tauri::async_runtime::block_on(s.shutdown());
        }
    }
}

/// A reminder's number, as the window sends it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(transparent)]
pub struct ReminderId(#[ts(type = "number")] pub i64);

/// What Ajustes → SMS shows: the settings and whether a token is stored (never the token).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SmsSettingsView {
    pub settings: Option<SmsSettings>,
    pub has_token: bool,
}

#[command]
pub async fn sms_settings(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<SmsSettingsView, AppError> {
    let store = boot.store().await?;
    Ok(SmsSettingsView {
        settings: SmsSettings::load(&store, org_id).await?,
        has_token: SecretStore::default()
            .get(org_id, sms::AUTH_TOKEN)
            .await?
            .is_some(),
    })
}

/// Saves Ajustes → SMS; `auth_token` replaces the stored one when given.
#[command]
pub async fn save_sms_settings(
    boot: State<'_, Boot>,
    engine: State<'_, crate::outbound::Engine>,
    org_id: OrgId,
    settings: SmsSettings,
    auth_token: Option<String>,
) -> Result<(), AppError> {
    let store = boot.store().await?;
    settings.save(&store, org_id).await?;
    if let Some(t) = auth_token.filter(|t| !t.trim().is_empty()) {
        SecretStore::default()
            .set(org_id, sms::AUTH_TOKEN, &Secret::new(t.trim()))
            .await?;
    }
    engine.credentials_changed(org_id);
    Ok(())
}

/// "Probar": sends one SMS now to `to` (as typed) and answers Twilio's message sid.
#[command]
pub async fn send_test_sms(
    boot: State<'_, Boot>,
    org_id: OrgId,
    to: String,
) -> Result<String, AppError> {
    sms::send_test(&boot.store().await?, &SecretStore::default(), org_id, &to).await
}

/// Encoding, segments and cost class of an SMS text (shown while typing).
#[command]
pub fn measure_sms(text: String) -> SmsMeasure {
    sms::measure(&text)
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EmailSettingsView {
    pub settings: Option<EmailSettings>,
    pub has_secret: bool,
}

#[command]
pub async fn email_settings(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<EmailSettingsView, AppError> {
    let store = boot.store().await?;
    let settings = EmailSettings::load(&store, org_id).await?;
    let name = match settings.as_ref().map(|s| s.provider) {
        Some(email::EmailProvider::Sendgrid) => email::SENDGRID_API_KEY,
        _ => email::SMTP_PASSWORD,
    };
    Ok(EmailSettingsView {
        has_secret: SecretStore::default().get(org_id, name).await?.is_some(),
        settings,
    })
}

/// Saves Ajustes → E-mail; `secret` (SMTP password or SendGrid key) replaces the stored one.
#[command]
pub async fn save_email_settings(
    boot: State<'_, Boot>,
    org_id: OrgId,
    settings: EmailSettings,
    secret: Option<String>,
) -> Result<(), AppError> {
    let store = boot.store().await?;
    settings.save(&store, org_id).await?;
    if let Some(s) = secret.filter(|s| !s.is_empty()) {
        let name = match settings.provider {
            email::EmailProvider::Sendgrid => email::SENDGRID_API_KEY,
            email::EmailProvider::Smtp => email::SMTP_PASSWORD,
        };
        SecretStore::default()
            .set(org_id, name, &Secret::new(s))
            .await?;
    }
    Ok(())
}

/// "Enviar correo de prueba" to `to`.
#[command]
pub async fn send_test_email(
    boot: State<'_, Boot>,
    org_id: OrgId,
    to: String,
) -> Result<(), AppError> {
    email::send_test(&boot.store().await?, &SecretStore::default(), org_id, &to).await
}

fn now(n: &Notifications) -> chrono::DateTime<chrono::Utc> {
    n.engine
        .get()
        .map(|e| e.queue().now())
        .unwrap_or_else(chrono::Utc::now)
}

/// The Recordatorios page: every scheduled notice, soonest first.
#[command]
pub async fn reminders(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<Vec<ScheduledNotice>, AppError> {
    Ok(schedule::list(&boot.store().await?, org_id).await?)
}

#[command]
pub async fn schedule_reminder(
    boot: State<'_, Boot>,
    n: State<'_, Notifications>,
    org_id: OrgId,
    reminder: NewScheduled,
) -> Result<ReminderId, AppError> {
    let id = schedule::schedule(&boot.store().await?, org_id, &reminder, now(&n)).await?;
    if let Some(s) = n.scheduler.get() {
        s.changed();
    }
    Ok(ReminderId(id))
}

#[command]
pub async fn edit_reminder(
    boot: State<'_, Boot>,
    n: State<'_, Notifications>,
    org_id: OrgId,
    id: ReminderId,
    reminder: NewScheduled,
) -> Result<(), AppError> {
    schedule::edit(&boot.store().await?, org_id, id.0, &reminder, now(&n)).await?;
    if let Some(s) = n.scheduler.get() {
        s.changed();
    }
    Ok(())
}

#[command]
pub async fn cancel_reminder(
    boot: State<'_, Boot>,
    n: State<'_, Notifications>,
    org_id: OrgId,
    id: ReminderId,
) -> Result<(), AppError> {
    schedule::cancel(&boot.store().await?, org_id, id.0).await?;
    if let Some(s) = n.scheduler.get() {
        s.changed();
    }
    Ok(())
}

/// The channels a notification type goes through, in order.
#[command]
pub async fn notification_chain(
    boot: State<'_, Boot>,
    org_id: OrgId,
    kind: String,
) -> Result<Vec<notifications::Channel>, AppError> {
    let store = boot.store().await?;
    let mut conn = store
        .reader()
        .acquire()
        .await
        .map_err(mostrador_core::store::StoreError::Sqlx)?;
    Ok(notifications::chain_for(&mut conn, org_id, &kind)
        .await
        .map_err(mostrador_core::store::StoreError::Sqlx)?)
}

/// Whether Mostrador opens when the user logs in (so reminders go out on time).
#[command]
pub async fn autostart_enabled(app: AppHandle) -> Result<bool, AppError> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(autostart_error)
}

/// "Abrir Mostrador al iniciar sesión".
#[command]
pub async fn set_autostart(app: AppHandle, enabled: bool) -> Result<(), AppError> {
    use tauri_plugin_autostart::ManagerExt;
    let a = app.autolaunch();
    if enabled { a.enable() } else { a.disable() }.map_err(autostart_error)
}

fn autostart_error(e: tauri_plugin_autostart::Error) -> AppError {
    tracing::warn!(error = %e, "autostart");
    AppError::new(
        mostrador_core::ErrorCode::InvalidSetting,
        "No se pudo cambiar el inicio automático de Mostrador en este sistema.",
    )
}
