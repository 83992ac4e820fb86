//! The counter QR: MercadoPago's **dynamic QR of the in-store API** (reference §1.10),
//! `POST /instore/orders/qr/seller/collectors/{user_id}/pos/{external_pos_id}/qrs`.
//!
//! Why this one: a desktop at a counter has a screen but no card terminal, so Point is out; a
//! static QR needs an order pushed to a printed code and one sale at a time per box; the dynamic
//! QR carries the exact amount and our `external_reference`, is rendered by us from `qr_data`
//! (EMVCo text) full-screen, expires on its own (there is no delete), and works with the shop's
//! own access token and any MercadoPago wallet. The newer Orders API (`/v1/orders`) is where
//! MercadoPago steers new integrations, but it can refuse an inline `notification_url` and has its
//! own id scheme; moving to it later only changes this module. QR notifications are **not signed**:
//! that is harmless here, because a notification is only ever a reason to fetch the payment.

use mostrador_types::Money;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QrItem {
    pub title: String,
    #[serde(with = "crate::amount")]
    pub unit_price: Money,
    pub quantity: u32,
    /// `unit`.
    pub unit_measure: String,
    #[serde(with = "crate::amount")]
    pub total_amount: Money,
}

/// The order the QR charges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QrOrder {
    pub external_reference: String,
    pub title: String,
    pub description: String,
    #[serde(with = "crate::amount")]
    pub total_amount: Money,
    pub items: Vec<QrItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_url: Option<String>,
    /// ISO 8601 with offset: the QR stops working then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
}

impl QrOrder {
    /// One line for `amount`.
    pub fn single(
        external_reference: impl Into<String>,
        title: impl Into<String>,
        amount: Money,
    ) -> Self {
        let title = title.into();
        QrOrder {
            external_reference: external_reference.into(),
            description: title.clone(),
            items: vec![QrItem {
                title: title.clone(),
                unit_price: amount,
                quantity: 1,
                unit_measure: "unit".into(),
                total_amount: amount,
            }],
            title,
            total_amount: amount,
            notification_url: None,
            expiration_date: None,
        }
    }
}

/// The QR to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QrCode {
    /// EMVCo text: render it as a QR code.
    pub qr_data: String,
    #[serde(default)]
    pub in_store_order_id: Option<String>,
}
