//! The desktop's view of the inbox: the unread total in the window title, kept from the
//! conversation events themselves (each list row carries its unread count), so nothing polls.

use std::collections::HashMap;
use std::sync::Mutex;

use mostrador_core::events::ConversationEvent;
use tauri::{AppHandle, Manager};

const TITLE: &str = "Mostrador";

/// Unread count per conversation, as the last list-row event said.
#[derive(Default)]
pub struct Unread {
    per_conversation: Mutex<HashMap<i64, i64>>,
}

impl Unread {
    /// Records a row's count; returns the new total when it changed.
    fn set(&self, conversation_id: i64, unread: i64) -> Option<i64> {
        let mut m = self.per_conversation.lock().unwrap();
        let before = m.get(&conversation_id).copied().unwrap_or(0);
        if before == unread {
            return None;
        }
        if unread == 0 {
            m.remove(&conversation_id);
        } else {
            m.insert(conversation_id, unread);
        }
        Some(m.values().sum())
    }
}

/// Seeds the counts from the database (what was unread before this start) and shows the total.
pub async fn seed(app: &AppHandle, store: &mostrador_core::store::Store) {
    match mostrador_core::conversations::unread_counts(store).await {
        Ok(rows) => {
            let unread = app.state::<Unread>();
            let mut total = None;
            for (id, n) in rows {
                total = unread.set(id, n).or(total);
            }
            if let (Some(total), Some(w)) = (total, app.get_webview_window("main")) {
                let _ = w.set_title(&title(total));
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
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.set_title(&title(total));
            }
        }
    }
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
}
