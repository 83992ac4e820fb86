//! Payment events for the UI: a payment changed (the Cobros list reloads its row), a link became
//! ready, or something the owner must see (a chargeback, a dispute, a rejection, a payment we never
//! asked for). Announced after the transaction committed.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::org::OrgId;

/// What the owner is alerted about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PaymentAlert {
    /// A chargeback was opened (or lost): the invoice is flagged.
    Chargeback,
    /// The buyer opened a dispute (`in_mediation`).
    Mediation,
    /// MercadoPago decided a chargeback for the shop.
    ChargebackWon,
    /// The payment was rejected (`status_detail` says why).
    Rejected,
    /// A payment whose reference is none of ours: recorded, not attached.
    Unsolicited,
    /// The amount or currency differs from the invoice (partial, over-paid, other currency).
    AmountMismatch,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentEvent {
    /// A payment row changed (new state, refund, fees).
    PaymentChanged {
        org_id: OrgId,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        payment_id: i64,
        status: String,
    },
    /// A "Cobrar" link or QR is ready (or failed).
    LinkChanged {
        org_id: OrgId,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        link_id: i64,
        state: String,
    },
    /// Something the owner must see.
    Alert {
        org_id: OrgId,
        alert: PaymentAlert,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        payment_id: i64,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        invoice_id: Option<i64>,
        /// For people (es-AR).
        message: String,
    },
}

/// The broadcast channel of [`PaymentEvent`]s (cheap to clone).
#[derive(Debug, Clone)]
pub struct PaymentBus {
    tx: broadcast::Sender<PaymentEvent>,
}

impl Default for PaymentBus {
    fn default() -> Self {
        PaymentBus {
            tx: broadcast::channel(256).0,
        }
    }
}

impl PaymentBus {
    pub fn subscribe(&self) -> broadcast::Receiver<PaymentEvent> {
        self.tx.subscribe()
    }

    pub fn emit(&self, e: PaymentEvent) {
        let _ = self.tx.send(e);
    }

    pub(crate) fn emit_all(&self, es: Vec<PaymentEvent>) {
        for e in es {
            self.emit(e);
        }
    }
}
