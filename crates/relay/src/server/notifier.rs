//! Wakes long polls when a tenant gets new events: one `watch` channel per tenant whose value is
//! a change counter. A poller subscribes BEFORE querying, so a commit between its query and its
//! wait still wakes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Clone, Default)]
pub struct Notifier {
    channels: Arc<Mutex<HashMap<String, watch::Sender<u64>>>>,
}

impl Notifier {
    pub fn subscribe(&self, tenant_id: &str) -> watch::Receiver<u64> {
        let mut map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(tenant_id.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    pub fn notify(&self, tenant_id: &str) {
        let map = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = map.get(tenant_id) {
            tx.send_modify(|v| *v = v.wrapping_add(1));
        }
    }
}
