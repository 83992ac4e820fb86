//! The automatic trickle: now and then a random customer writes, so the demo shop looks alive.

use std::time::Duration;

use rand::Rng as _;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Driver;

pub(super) struct Trickle {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Trickle {
    pub fn spawn(driver: Driver, every: (Duration, Duration)) -> Trickle {
        let (stop, mut stopped) = oneshot::channel();
        let (min, max) = (every.0, every.1.max(every.0));
        let task = tokio::spawn(async move {
            loop {
                let pause = rand::rng().random_range(min..=max);
                // A pause between customers is the point here, not a wait for an event.
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tokio::time::sleep(pause) => {}
                }
                if let Err(e) = driver.send(None) {
                    tracing::warn!(error = %e, "demo trickle could not send");
                }
            }
        });
        Trickle { stop, task }
    }

    pub fn stop(self) {
        let _ = self.stop.send(());
        // Nothing it does needs finishing: a message half-sent is simply not sent.
        self.task.abort();
    }
}
