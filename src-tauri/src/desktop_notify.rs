//! The desktop around the inbox: an OS notification for a new customer message while the window
//! is not focused (a click brings the window up on that conversation), closing the window into
//! the tray when the owner asked for it, and those preferences (Ajustes → Escritorio).
//!
//! The notification's body is the only place the message text goes: it is never logged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

use mostrador_core::conversations::MessageView;
use mostrador_core::events::ConversationEvent;
use mostrador_core::org::OrgId;
use mostrador_core::settings;
use mostrador_core::store::Store;
use mostrador_core::AppError;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State, WindowEvent};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::broadcast::error::RecvError;

use crate::boot::Boot;
use crate::intake::Intakes;
use crate::ipc::command;

/// Global settings (`true`/`false`); absent ⇒ the [`DesktopPrefs::default`] value.
const NOTIFICATIONS: &str = "desktop.notifications";
const SOUND: &str = "desktop.notification_sound";
const CLOSE_TO_TRAY: &str = "desktop.close_to_tray";

/// Characters of the message shown in the notification (the rest is in the thread).
const PREVIEW_CHARS: usize = 80;

/// The platform's sound for a new message: the freedesktop theme's name, a Windows toast sound,
/// macOS's default.
#[cfg(not(any(windows, target_os = "macos")))]
const SOUND_NAME: &str = "message-new-instant";
#[cfg(windows)]
const SOUND_NAME: &str = "IM";
#[cfg(target_os = "macos")]
const SOUND_NAME: &str = "default";

/// One notification per conversation in this window of time: a customer who sends ten lines in
/// a row (or a burst of 200 messages) is one notification, not a flood.
const QUIET_FOR: std::time::Duration = std::time::Duration::from_secs(20);

/// Ajustes → Escritorio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DesktopPrefs {
    /// An OS notification for a new customer message while the window is not focused.
    pub notifications: bool,
    /// …with a sound (off by default: a shop counter is noisy enough).
    pub sound: bool,
    /// "Al cerrar, seguir en la bandeja": closing the window hides it, Mostrador keeps running
    /// so reminders go out on time.
    pub close_to_tray: bool,
}

impl Default for DesktopPrefs {
    fn default() -> Self {
        DesktopPrefs {
            notifications: true,
            sound: false,
            close_to_tray: false,
        }
    }
}

impl DesktopPrefs {
    async fn load(store: &Store) -> Result<DesktopPrefs, AppError> {
        let d = DesktopPrefs::default();
        let flag = |key: &'static str, default: bool| async move {
            Ok::<_, AppError>(match settings::get(store, None, key).await?.as_deref() {
                Some("true") => true,
                Some("false") => false,
                _ => default,
            })
        };
        Ok(DesktopPrefs {
            notifications: flag(NOTIFICATIONS, d.notifications).await?,
            sound: flag(SOUND, d.sound).await?,
            close_to_tray: flag(CLOSE_TO_TRAY, d.close_to_tray).await?,
        })
    }

    async fn save(&self, store: &Store) -> Result<(), AppError> {
        for (key, on) in [
            (NOTIFICATIONS, self.notifications),
            (SOUND, self.sound),
            (CLOSE_TO_TRAY, self.close_to_tray),
        ] {
            settings::set(store, None, key, if on { "true" } else { "false" }).await?;
        }
        Ok(())
    }
}

/// Which conversation the window should show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct OpenConversation {
    pub org_id: OrgId,
    #[ts(type = "number")]
    pub conversation_id: i64,
}

crate::event! {
    /// The owner clicked a message notification: show this conversation (switching business and
    /// page if needed).
    pub OPEN_CONVERSATION: "open-conversation" => OpenConversation
}

#[derive(Default)]
pub struct Desktop {
    prefs: Mutex<DesktopPrefs>,
    next_id: AtomicI32,
    /// Shown notifications by id: the conversation a click opens.
    shown: Mutex<HashMap<i32, OpenConversation>>,
    /// When each conversation last got a notification.
    last: Mutex<HashMap<i64, std::time::Instant>>,
}

impl Desktop {
    pub fn prefs(&self) -> DesktopPrefs {
        *self.prefs.lock().unwrap()
    }

    fn remember(&self, open: OpenConversation) -> i32 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut shown = self.shown.lock().unwrap();
        // A day of messages is at most a few hundred: keep the map from growing without end.
        if shown.len() >= 500 {
            shown.clear();
        }
        shown.insert(id, open);
        id
    }

    /// Whether conversation `id` may get a notification at `now` (then it is quiet for
    /// [`QUIET_FOR`]).
    fn due(&self, conversation_id: i64, now: std::time::Instant) -> bool {
        let mut last = self.last.lock().unwrap();
        if last
            .get(&conversation_id)
            .is_some_and(|t| now.saturating_duration_since(*t) < QUIET_FOR)
        {
            return false;
        }
        last.retain(|_, t| now.saturating_duration_since(*t) < QUIET_FOR);
        last.insert(conversation_id, now);
        true
    }

    fn clicked(&self, id: i32) -> Option<OpenConversation> {
        self.shown.lock().unwrap().get(&id).copied()
    }
}

/// Whether a conversation event deserves a notification: a customer's new message (not a
/// reaction, not our own send), notifications on, and the window not in front of the owner.
fn should_notify(prefs: &DesktopPrefs, window_focused: bool, event: &ConversationEvent) -> bool {
    match event {
        ConversationEvent::NewMessage { message, .. } => {
            prefs.notifications
                && !window_focused
                && message.direction == "in"
                && message.kind != "reaction"
        }
        _ => false,
    }
}

/// The notification's body: the text (cut at a word near [`PREVIEW_CHARS`]) or what was sent.
fn preview(m: &MessageView) -> String {
    let text = m.text.as_deref().map(str::trim).unwrap_or_default();
    let label = match m.kind.as_str() {
        "image" => Some("📷 Foto"),
        "video" => Some("🎥 Video"),
        "audio" => Some("🎵 Audio"),
        "voice" => Some("🎤 Mensaje de voz"),
        "document" => Some("📄 Documento"),
        "sticker" => Some("🏷️ Sticker"),
        "location" => Some("📍 Ubicación"),
        "contacts" => Some("👤 Contacto"),
        _ => None,
    };
    let short = shorten(text);
    match (label, short.is_empty()) {
        (Some(l), true) => l.to_owned(),
        (Some(l), false) => format!("{l}: {short}"),
        (None, false) => short,
        (None, true) => "Mensaje nuevo".to_owned(),
    }
}

fn shorten(text: &str) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    if flat.chars().count() <= PREVIEW_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(PREVIEW_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > PREVIEW_CHARS / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{cut}…")
}

/// Loads the preferences, hooks the main window (close into the tray, the tray itself) and
/// shows a notification for each new customer message while the window is not focused.
pub async fn start(app: &AppHandle, store: &Store) {
    match DesktopPrefs::load(store).await {
        Ok(p) => *app.state::<Desktop>().prefs.lock().unwrap() = p,
        Err(e) => tracing::warn!(error = %e, "desktop preferences unreadable; defaults used"),
    }
    crate::tray::build(app);
    if let Some(window) = app.get_webview_window("main") {
        let handle = app.clone();
        window.on_window_event(move |event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if handle.state::<Desktop>().prefs().close_to_tray && crate::tray::exists(&handle) {
                    api.prevent_close();
                    if let Some(w) = handle.get_webview_window("main") {
                        let _ = w.hide();
                    }
                    tracing::info!("window closed into the tray");
                }
            }
        });
    }
    let handle = app.clone();
    let _ = app.notification().on_action(move |action| {
        if action.action_id() != "tap" {
            return;
        }
        let Some(open) = action
            .notification()
            .and_then(|n| handle.state::<Desktop>().clicked(n.id()))
        else {
            return;
        };
        crate::tray::show_window(&handle);
        let _ = OPEN_CONVERSATION.emit(&handle, open);
    });

    let mut rx = app.state::<Intakes>().bus().subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(event) => notify(&app, &event).await,
                // Missed a burst: those customers show up in the list and the unread total.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
}

async fn notify(app: &AppHandle, event: &ConversationEvent) {
    let prefs = app.state::<Desktop>().prefs();
    let focused = app
        .get_webview_window("main")
        .map(|w| w.is_visible().unwrap_or(false) && w.is_focused().unwrap_or(false))
        .unwrap_or(false);
    if !should_notify(&prefs, focused, event) {
        return;
    }
    let ConversationEvent::NewMessage { org_id, message } = event else {
        return;
    };
    if !app
        .state::<Desktop>()
        .due(message.conversation_id, std::time::Instant::now())
    {
        return;
    }
    let Ok(store) = app.state::<Boot>().store().await else {
        return;
    };
    let name =
        match mostrador_core::conversations::get(&store, *org_id, message.conversation_id).await {
            Ok(Some(c)) => c.customer_name,
            _ => "Cliente".to_owned(),
        };
    let open = OpenConversation {
        org_id: *org_id,
        conversation_id: message.conversation_id,
    };
    let id = app.state::<Desktop>().remember(open);
    let mut n = app
        .notification()
        .builder()
        .id(id)
        .title(name)
        .body(preview(message));
    if prefs.sound {
        n = n.sound(SOUND_NAME);
    }
    match n.show() {
        Ok(()) => tracing::debug!(
            conversation_id = message.conversation_id,
            "message notification shown"
        ),
        Err(e) => tracing::warn!(error = %e, "message notification not shown"),
    }
}

/// Ajustes → Escritorio as stored.
#[command]
pub fn desktop_prefs(desktop: State<'_, Desktop>) -> DesktopPrefs {
    desktop.prefs()
}

/// Saves Ajustes → Escritorio; it applies at once.
#[command]
pub async fn set_desktop_prefs(
    boot: State<'_, Boot>,
    desktop: State<'_, Desktop>,
    prefs: DesktopPrefs,
) -> Result<(), AppError> {
    prefs.save(&boot.store().await?).await?;
    *desktop.prefs.lock().unwrap() = prefs;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mostrador_core::conversations::MessageStatus;

    fn message(direction: &str, kind: &str, text: Option<&str>) -> MessageView {
        MessageView {
            id: 1,
            conversation_id: 7,
            provider_id: None,
            direction: direction.into(),
            kind: kind.into(),
            text: text.map(Into::into),
            filename: None,
            media: None,
            reply_to_provider_id: None,
            data: None,
            status: MessageStatus::Received,
            error_code: None,
            error_reason: None,
            at: "2026-11-29T10:00:00Z".into(),
            reactions: vec![],
        }
    }

    fn new_message(direction: &str, kind: &str) -> ConversationEvent {
        ConversationEvent::NewMessage {
            org_id: OrgId::new(),
            message: message(direction, kind, Some("hola")),
        }
    }

    #[test]
    fn only_a_customer_message_while_unfocused_and_switched_on() {
        let on = DesktopPrefs::default();
        assert!(should_notify(&on, false, &new_message("in", "text")));
        assert!(should_notify(&on, false, &new_message("in", "image")));
        assert!(!should_notify(&on, true, &new_message("in", "text")));
        assert!(!should_notify(&on, false, &new_message("out", "text")));
        assert!(!should_notify(&on, false, &new_message("in", "reaction")));
        let off = DesktopPrefs {
            notifications: false,
            ..on
        };
        assert!(!should_notify(&off, false, &new_message("in", "text")));
    }

    #[test]
    fn the_preview_is_short_and_names_media() {
        assert_eq!(
            preview(&message("in", "text", Some("  hola\n\nche "))),
            "hola che"
        );
        let long = "palabra ".repeat(40);
        let p = preview(&message("in", "text", Some(&long)));
        assert!(p.ends_with('…'), "{p}");
        assert!(p.chars().count() <= PREVIEW_CHARS + 1, "{p}");
        assert!(!p.contains("palab…"), "cut at a word: {p}");
        assert_eq!(preview(&message("in", "image", None)), "📷 Foto");
        assert_eq!(
            preview(&message("in", "document", Some("factura"))),
            "📄 Documento: factura"
        );
        assert_eq!(
            preview(&message("in", "unsupported", None)),
            "Mensaje nuevo"
        );
    }

    #[test]
    fn a_burst_from_one_customer_is_one_notification() {
        let d = Desktop::default();
        let t0 = std::time::Instant::now();
        assert!(d.due(1, t0));
        assert!(!d.due(1, t0 + std::time::Duration::from_secs(1)));
        assert!(
            d.due(2, t0 + std::time::Duration::from_secs(1)),
            "another customer"
        );
        assert!(d.due(1, t0 + QUIET_FOR));
    }

    #[tokio::test]
    async fn preferences_default_then_persist_in_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("m.db")).await.unwrap();
        let d = DesktopPrefs::load(&store).await.unwrap();
        assert!(d.notifications && !d.sound && !d.close_to_tray, "{d:?}");
        let changed = DesktopPrefs {
            notifications: false,
            sound: true,
            close_to_tray: true,
        };
        changed.save(&store).await.unwrap();
        store.close().await;
        let again = Store::open(&dir.path().join("m.db")).await.unwrap();
        assert_eq!(DesktopPrefs::load(&again).await.unwrap(), changed);
    }
}
