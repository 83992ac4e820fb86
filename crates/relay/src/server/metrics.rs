//! Counters exported on `/metrics` in the Prometheus text format.

use crate::protocol::Provider;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    UnknownIngress,
    UnknownProvider,
    BodyTooLarge,
    RateLimited,
    BadDeviceToken,
    BadVerifyToken,
    StorageError,
}

impl Rejection {
    const ALL: [Rejection; 7] = [
        Rejection::UnknownIngress,
        Rejection::UnknownProvider,
        Rejection::BodyTooLarge,
        Rejection::RateLimited,
        Rejection::BadDeviceToken,
        Rejection::BadVerifyToken,
        Rejection::StorageError,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Rejection::UnknownIngress => "unknown_ingress",
            Rejection::UnknownProvider => "unknown_provider",
            Rejection::BodyTooLarge => "body_too_large",
            Rejection::RateLimited => "rate_limited",
            Rejection::BadDeviceToken => "bad_device_token",
            Rejection::BadVerifyToken => "bad_verify_token",
            Rejection::StorageError => "storage_error",
        }
    }
}

#[derive(Default)]
pub struct Metrics {
    received: [AtomicU64; 4],
    delivered: AtomicU64,
    acked: AtomicU64,
    dropped: AtomicU64,
    pruned: AtomicU64,
    rejections: [AtomicU64; 7],
    commit_batches: AtomicU64,
    handshakes: AtomicU64,
    polls_waiting: AtomicI64,
}

fn provider_index(p: Provider) -> usize {
    match p {
        Provider::Whatsapp => 0,
        Provider::Twilio => 1,
        Provider::Mercadopago => 2,
        Provider::Stripe => 3,
    }
}

impl Metrics {
    pub fn received(&self, p: Provider) {
        self.received[provider_index(p)].fetch_add(1, Ordering::Relaxed);
    }
    pub fn delivered(&self, n: u64) {
        self.delivered.fetch_add(n, Ordering::Relaxed);
    }
    pub fn acked(&self, n: u64) {
        self.acked.fetch_add(n, Ordering::Relaxed);
    }
    pub fn dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }
    pub fn pruned(&self, n: u64) {
        self.pruned.fetch_add(n, Ordering::Relaxed);
    }
    pub fn rejected(&self, r: Rejection) {
        let i = Rejection::ALL.iter().position(|x| *x == r).unwrap_or(0);
        self.rejections[i].fetch_add(1, Ordering::Relaxed);
    }
    pub fn commit_batch(&self) {
        self.commit_batches.fetch_add(1, Ordering::Relaxed);
    }
    pub fn poll_waiting(&self, delta: i64) {
        self.polls_waiting.fetch_add(delta, Ordering::Relaxed);
    }
    pub fn handshake(&self) {
        self.handshakes.fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus text exposition. `backlog` is read from storage by the caller.
    pub fn render(&self, backlog: Option<i64>) -> String {
        let mut s = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        s.push_str("# HELP relay_events_received_total Webhook requests durably stored.\n");
        s.push_str("# TYPE relay_events_received_total counter\n");
        for p in Provider::ALL {
            let _ = writeln!(
                s,
                "relay_events_received_total{{provider=\"{p}\"}} {}",
                get(&self.received[provider_index(p)])
            );
        }
        let simple = [
            (
                "relay_events_delivered_total",
                "Events returned to desktops by /v1/events (repeats included).",
                "counter",
                get(&self.delivered),
            ),
            (
                "relay_events_acked_total",
                "Events newly acknowledged by desktops.",
                "counter",
                get(&self.acked),
            ),
            (
                "relay_events_dropped_total",
                "Unacknowledged events dropped (tenant cap or retention).",
                "counter",
                get(&self.dropped),
            ),
            (
                "relay_events_pruned_total",
                "Acknowledged events pruned after retention.",
                "counter",
                get(&self.pruned),
            ),
            (
                "relay_commit_batches_total",
                "Group commits of ingested events.",
                "counter",
                get(&self.commit_batches),
            ),
            (
                "relay_handshakes_total",
                "Successful Meta verification handshakes.",
                "counter",
                get(&self.handshakes),
            ),
        ];
        for (name, help, kind, v) in simple {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        }
        s.push_str("# HELP relay_rejections_total Requests refused, by reason.\n");
        s.push_str("# TYPE relay_rejections_total counter\n");
        for (i, r) in Rejection::ALL.iter().enumerate() {
            let _ = writeln!(
                s,
                "relay_rejections_total{{reason=\"{}\"}} {}",
                r.as_str(),
                get(&self.rejections[i])
            );
        }
        let _ = writeln!(
            s,
            "# HELP relay_long_polls_waiting Desktop long polls currently waiting for events.\n# TYPE relay_long_polls_waiting gauge\nrelay_long_polls_waiting {}",
            self.polls_waiting.load(Ordering::Relaxed)
        );
        if let Some(b) = backlog {
            let _ = writeln!(
                s,
                "# HELP relay_backlog_events Stored events not yet acknowledged, all tenants.\n# TYPE relay_backlog_events gauge\nrelay_backlog_events {b}"
            );
        }
        s
    }
}
