//! The window comes first. Work the first screen does not need (the outbound engine, relay
//! intake, the tray's unread total, desktop notifications, the update check) waits until the
//! window says its first screen is painted, or [`AT_MOST`] after the store opened if it never
//! says so (a hidden window, a page that failed). On a two-core shop PC the webview's own
//! start-up, which is most of the time to first paint, would otherwise share the CPU with it.

use std::time::Duration;

use tauri::State;
use tokio::sync::watch;

use crate::ipc::command;

/// How long background work waits for the window at most.
pub const AT_MOST: Duration = Duration::from_secs(3);

pub struct FirstScreen {
    painted: watch::Sender<bool>,
}

impl Default for FirstScreen {
    fn default() -> Self {
        FirstScreen {
            painted: watch::Sender::new(false),
        }
    }
}

impl FirstScreen {
    pub fn mark_painted(&self) {
        if !self.painted.send_replace(true) {
            tracing::debug!("start-up: first screen painted");
        }
    }

    /// Returns once the first screen is painted, or after `at_most`.
    pub async fn painted_or(&self, at_most: Duration) {
        let mut rx = self.painted.subscribe();
        if tokio::time::timeout(at_most, rx.wait_for(|p| *p))
            .await
            .is_err()
        {
            tracing::debug!(
                waited_ms = at_most.as_millis() as u64,
                "start-up: the window did not report its first screen; background work starts anyway"
            );
        }
    }
}

/// The window painted its first screen (the conversation list, or the first-run screen):
/// background start-up work may begin.
#[command]
pub fn first_screen_painted(first: State<'_, FirstScreen>) {
    first.mark_painted();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_the_window_then_returns_at_once() {
        let first = std::sync::Arc::new(FirstScreen::default());
        let waiter = {
            let first = first.clone();
            tokio::spawn(async move { first.painted_or(Duration::from_secs(60)).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        first.mark_painted();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("released by the window")
            .unwrap();
        // Later waiters do not wait at all.
        tokio::time::timeout(
            Duration::from_secs(5),
            first.painted_or(Duration::from_secs(60)),
        )
        .await
        .expect("already painted");
    }

    #[tokio::test]
    async fn never_waits_longer_than_at_most() {
        let first = FirstScreen::default();
        let at_most = Duration::from_millis(50);
        let started = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(5), first.painted_or(at_most))
            .await
            .expect("gave up waiting");
        assert!(started.elapsed() >= at_most);
    }
}
