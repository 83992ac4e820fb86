//! The desktop's view of the inbox: the unread total in the window title and in the tray icon
//! (tooltip, title, first menu line), kept from the conversation events themselves (each list row
//! carries its unread count), so nothing polls. The tray's menu: Abrir, Salir.

use std::collections::HashMap;
use std::sync::Mutex;

use mostrador_core::events::ConversationEvent;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager};

const TITLE: &str = "Mostrador";
const TRAY_ID: &str = "main";
const MENU_OPEN: &str = "tray-open";
const MENU_QUIT: &str = "tray-quit";

/// Unread count per conversation, as the last list-row event said.
#[derive(Default)]
pub struct Unread {
    counts: Mutex<Counts>,
    /// The tray menu's first line ("3 mensajes sin leer"), once the tray exists.
    count_item: Mutex<Option<MenuItem<tauri::Wry>>>,
}

/// The per-conversation counts and their running sum: a shop with tens of thousands of unread
/// conversations must not re-add them all on every row (seeding them that way took seconds).
#[derive(Default)]
struct Counts {
    per_conversation: HashMap<i64, i64>,
    total: i64,
}

impl Counts {
    fn set(&mut self, conversation_id: i64, unread: i64) -> bool {
        // A zero stays in the map: the start-up seed must not put back an older count for a
        // conversation an event has already reported as read.
        let before = self
            .per_conversation
            .insert(conversation_id, unread)
            .unwrap_or(0);
        self.total += unread - before;
        before != unread
    }
}

impl Unread {
    fn total(&self) -> i64 {
        self.counts.lock().unwrap().total
    }

    /// Records a row's count; returns the new total when it changed.
    fn set(&self, conversation_id: i64, unread: i64) -> Option<i64> {
        let mut c = self.counts.lock().unwrap();
        c.set(conversation_id, unread).then_some(c.total)
    }

    /// Records the start-up's seed (what the database said) for the conversations no event has
    /// reported yet: an event is at least as new as the seed's read, which runs beside them.
    /// Returns the new total when it changed.
    fn seed(&self, rows: impl IntoIterator<Item = (i64, i64)>) -> Option<i64> {
        let mut c = self.counts.lock().unwrap();
        let before = c.total;
        for (id, n) in rows {
            if n != 0 && !c.per_conversation.contains_key(&id) {
                c.set(id, n);
            }
        }
        (c.total != before).then_some(c.total)
    }
}

/// Seeds the counts from the database (what was unread before this start) and shows the total.
pub async fn seed(app: &AppHandle, store: &mostrador_core::store::Store) {
    match mostrador_core::conversations::unread_counts(store).await {
        Ok(rows) => {
            if let Some(total) = app.state::<Unread>().seed(rows) {
                show_total(app, total);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the unread counts for the title"),
    }
}

/// `Mostrador` or `(3) Mostrador`.
pub fn title(total: i64) -> String {
    if total > 0 {
        format!("({total}) {TITLE}")
    } else {
        TITLE.to_owned()
    }
}

/// Called for every conversation event before it goes to the window.
pub fn on_conversation_event(app: &AppHandle, event: &ConversationEvent) {
    if let ConversationEvent::ConversationUpdated { conversation, .. } = event {
        let unread = app.state::<Unread>();
        if let Some(total) = unread.set(conversation.id, conversation.unread_count) {
            show_total(app, total);
        }
    }
}

/// `3 mensajes sin leer`, `1 mensaje sin leer`, `Sin mensajes nuevos`.
pub fn unread_line(total: i64) -> String {
    match total {
        t if t <= 0 => "Sin mensajes nuevos".to_owned(),
        1 => "1 mensaje sin leer".to_owned(),
        t => format!("{t} mensajes sin leer"),
    }
}

/// The tray's tooltip: `Mostrador — 3 mensajes sin leer`.
pub fn tooltip(total: i64) -> String {
    format!("{TITLE} — {}", unread_line(total))
}

fn show_total(app: &AppHandle, total: i64) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&title(total));
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(tooltip(total)));
        // Next to the icon where the platform shows one (macOS, Linux app indicators).
        let _ = tray.set_title(Some(if total > 0 {
            total.to_string()
        } else {
            String::new()
        }));
    }
    if let Some(item) = app.state::<Unread>().count_item.lock().unwrap().as_ref() {
        let _ = item.set_text(unread_line(total));
    }
}

/// Whether the tray icon exists (the desktop may have no tray: then closing the window quits,
/// so it is never hidden without a way back).
pub fn exists(app: &AppHandle) -> bool {
    app.tray_by_id(TRAY_ID).is_some()
}

/// Brings the main window to the front (from the tray, a notification click).
pub fn show_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Puts the icon in the tray with the unread total; a click or "Abrir" shows the window,
/// "Salir" quits (also when closing only hides the window).
pub fn build(app: &AppHandle) {
    if exists(app) {
        return;
    }
    if !indicator_available() {
        tracing::warn!("no app indicator library: no tray icon, closing the window quits");
        return;
    }
    if let Err(e) = try_build(app) {
        tracing::warn!(error = %e, "no tray icon on this desktop");
    }
}

/// Linux: the tray needs libayatana-appindicator3 (or libappindicator3), loaded at run time by
/// `tray-icon`, which aborts when it is missing: look for it first (the .deb depends on it).
#[cfg(target_os = "linux")]
fn indicator_available() -> bool {
    const LIBS: [&str; 2] = ["libayatana-appindicator3.so.1", "libappindicator3.so.1"];
    const DIRS: [&str; 6] = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/lib/x86_64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/lib",
    ];
    DIRS.iter()
        .flat_map(|d| LIBS.iter().map(move |l| std::path::Path::new(d).join(l)))
        .any(|p| p.exists())
}

#[cfg(not(target_os = "linux"))]
fn indicator_available() -> bool {
    true
}

fn try_build(app: &AppHandle) -> tauri::Result<()> {
    let total = app.state::<Unread>().total();
    let count = MenuItem::with_id(app, "tray-count", unread_line(total), false, None::<&str>)?;
    let open = MenuItem::with_id(app, MENU_OPEN, "Abrir", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Salir", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&count, &PredefinedMenuItem::separator(app)?, &open, &quit],
    )?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(tooltip(total))
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            MENU_OPEN => show_window(app),
            MENU_QUIT => {
                tracing::info!("quit from the tray");
                app.exit(0);
            }
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    *app.state::<Unread>().count_item.lock().unwrap() = Some(count);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_follows_each_row_and_the_title_shows_it() {
        let u = Unread::default();
        assert_eq!(u.set(1, 2), Some(2));
        assert_eq!(u.set(2, 1), Some(3));
        assert_eq!(u.set(1, 2), None);
        assert_eq!(u.set(1, 0), Some(1));
        assert_eq!(title(1), "(1) Mostrador");
        assert_eq!(title(0), "Mostrador");
    }

    #[test]
    fn the_tray_says_how_many_are_unread() {
        assert_eq!(tooltip(3), "Mostrador — 3 mensajes sin leer");
        assert_eq!(unread_line(1), "1 mensaje sin leer");
        assert_eq!(unread_line(0), "Sin mensajes nuevos");
        let u = Unread::default();
        u.set(1, 2);
        u.set(2, 5);
        assert_eq!(u.total(), 7);
    }

    /// The start-up seed of a big inbox (the 1M-message benchmark has 37,499 unread
    /// conversations) is linear: it re-added every count per row before, about ten seconds in a
    /// debug build, which held back the outbound engine's start.
    #[test]
    fn seeding_keeps_a_running_total_and_never_overrides_an_event() {
        let u = Unread::default();
        // Events came in before the seed's rows: they are the newer counts and stay, a read
        // conversation (0) included.
        assert_eq!(u.set(3, 5), Some(5));
        assert_eq!(u.set(4, 1), Some(6));
        assert_eq!(u.set(4, 0), Some(5));
        let total = u.seed((1..=50_000).map(|id| (id, 2)));
        assert_eq!(total, Some(5 + 2 * (50_000 - 2)));
        assert_eq!(u.set(4, 0), None);
        // Then the events move the running total exactly.
        assert_eq!(u.set(7, 0), Some(99_999));
        assert_eq!(u.set(50_001, 3), Some(100_002));
        assert_eq!(u.set(50_001, 3), None);
        assert_eq!(u.seed([(1, 9), (2, 2)]), None);
        assert_eq!(u.total(), 100_002);
    }
}
