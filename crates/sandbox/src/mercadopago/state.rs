//! The simulator's resources and how they change. Amounts are integer cents and go on the wire as
//! exact JSON decimals (see [`amount`]).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::webhooks::{self, Change};
use super::{ChargebackRequest, Shared, StatusChange};

/// Cents as a JSON number (`1500.50`).
pub(crate) fn amount(cents: i64) -> Box<RawValue> {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    RawValue::from_string(format!("{sign}{}.{:02}", a / 100, a % 100)).expect("a JSON number")
}

/// A JSON number's text in cents (two decimals at most; the simulator's own inputs).
pub(crate) fn cents_of(v: &serde_json::Value) -> Option<i64> {
    let s = match v {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return None,
    };
    let (neg, s) = s
        .strip_prefix('-')
        .map(|r| (true, r))
        .unwrap_or((false, s.as_str()));
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 2 || int.is_empty() {
        return None;
    }
    let c = int.parse::<i64>().ok()? * 100 + format!("{frac:0<2}").parse::<i64>().ok()?;
    Some(if neg { -c } else { c })
}

pub(crate) fn now() -> String {
    // MercadoPago's format: milliseconds and the -03:00/-04:00 offset.
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::west_opt(3 * 3600).expect("offset"))
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimPreference {
    pub id: String,
    pub idempotency_key: Option<String>,
    pub external_reference: Option<String>,
    pub notification_url: Option<String>,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    pub init_point: String,
    /// `preference` or `qr`.
    pub kind: String,
    pub body: serde_json::Value,
    pub date_created: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimRefund {
    pub id: u64,
    pub amount_cents: i64,
    pub idempotency_key: Option<String>,
    pub date_created: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimPayment {
    pub id: u64,
    pub preference_id: String,
    pub status: String,
    pub status_detail: String,
    pub external_reference: Option<String>,
    pub amount_cents: i64,
    pub currency: String,
    pub fee_cents: i64,
    pub installments: u32,
    pub payment_method_id: String,
    pub payment_type_id: String,
    pub notification_url: Option<String>,
    pub refunds: Vec<SimRefund>,
    pub date_created: String,
    pub date_approved: Option<String>,
    pub date_last_updated: String,
    /// Status before a chargeback, to go back to when it is resolved for the seller.
    pub before_dispute: Option<String>,
}

impl SimPayment {
    pub fn refunded_cents(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount_cents).sum()
    }

    /// The resource `GET /v1/payments/{id}` answers.
    pub fn to_json(&self, collector_id: i64) -> serde_json::Value {
        #[derive(Serialize)]
        struct Fee {
            #[serde(rename = "type")]
            kind: &'static str,
            amount: Box<RawValue>,
            fee_payer: &'static str,
        }
        #[derive(Serialize)]
        struct Details {
            net_received_amount: Box<RawValue>,
            total_paid_amount: Box<RawValue>,
            installment_amount: Box<RawValue>,
        }
        #[derive(Serialize)]
        struct Refund<'a> {
            id: u64,
            payment_id: u64,
            amount: Box<RawValue>,
            status: &'static str,
            date_created: &'a str,
        }
        #[derive(Serialize)]
        struct Wire<'a> {
            id: u64,
            status: &'a str,
            status_detail: &'a str,
            external_reference: Option<&'a str>,
            transaction_amount: Box<RawValue>,
            transaction_amount_refunded: Box<RawValue>,
            currency_id: &'a str,
            description: &'static str,
            date_created: &'a str,
            date_approved: Option<&'a str>,
            date_last_updated: &'a str,
            payment_method_id: &'a str,
            payment_type_id: &'a str,
            installments: u32,
            live_mode: bool,
            collector_id: i64,
            operation_type: &'static str,
            payer: serde_json::Value,
            fee_details: Vec<Fee>,
            transaction_details: Details,
            refunds: Vec<Refund<'a>>,
            notification_url: Option<&'a str>,
            metadata: serde_json::Value,
        }
        let credited = matches!(
            self.status.as_str(),
            "approved" | "refunded" | "charged_back" | "in_mediation"
        );
        let fee = if credited { self.fee_cents } else { 0 };
        let w = Wire {
            id: self.id,
            status: &self.status,
            status_detail: &self.status_detail,
            external_reference: self.external_reference.as_deref(),
            transaction_amount: amount(self.amount_cents),
            transaction_amount_refunded: amount(self.refunded_cents()),
            currency_id: &self.currency,
            description: "Sandbox payment",
            date_created: &self.date_created,
            date_approved: self.date_approved.as_deref(),
            date_last_updated: &self.date_last_updated,
            payment_method_id: &self.payment_method_id,
            payment_type_id: &self.payment_type_id,
            installments: self.installments,
            live_mode: false,
            collector_id,
            operation_type: "regular_payment",
            payer: serde_json::json!({ "email": "buyer@testuser.com", "first_name": "Test", "last_name": "Buyer" }),
            fee_details: if fee > 0 {
                vec![Fee {
                    kind: "mercadopago_fee",
                    amount: amount(fee),
                    fee_payer: "collector",
                }]
            } else {
                Vec::new()
            },
            transaction_details: Details {
                net_received_amount: amount(if credited { self.amount_cents - fee } else { 0 }),
                total_paid_amount: amount(self.amount_cents),
                installment_amount: amount(self.amount_cents / i64::from(self.installments.max(1))),
            },
            refunds: self
                .refunds
                .iter()
                .map(|r| Refund {
                    id: r.id,
                    payment_id: self.id,
                    amount: amount(r.amount_cents),
                    status: "approved",
                    date_created: &r.date_created,
                })
                .collect(),
            notification_url: self.notification_url.as_deref(),
            metadata: serde_json::json!({}),
        };
        // Through a string so the raw numbers stay exact.
        serde_json::from_str(&serde_json::to_string(&w).expect("serializable")).expect("valid JSON")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimChargeback {
    pub id: String,
    pub payment_id: u64,
    pub amount_cents: i64,
    pub currency: String,
    pub coverage_applied: Option<bool>,
    pub documentation_status: String,
    pub date_created: String,
    pub date_last_updated: String,
}

impl SimChargeback {
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Wire<'a> {
            id: &'a str,
            payments: [u64; 1],
            amount: Box<RawValue>,
            currency: &'a str,
            coverage_applied: Option<bool>,
            coverage_eligible: bool,
            documentation_required: bool,
            documentation_status: &'a str,
            date_created: &'a str,
            date_last_updated: &'a str,
            live_mode: bool,
        }
        serde_json::to_string(&Wire {
            id: &self.id,
            payments: [self.payment_id],
            amount: amount(self.amount_cents),
            currency: &self.currency,
            coverage_applied: self.coverage_applied,
            coverage_eligible: true,
            documentation_required: true,
            documentation_status: &self.documentation_status,
            date_created: &self.date_created,
            date_last_updated: &self.date_last_updated,
            live_mode: false,
        })
        .expect("serializable")
    }
}

/// Moves a payment to `change.status` and notifies (`payment.updated`).
pub(crate) async fn set_status(sh: &Shared, id: u64, change: StatusChange) -> Result<(), String> {
    let c = {
        let mut st = sh.state.lock().unwrap();
        let p = st
            .payments
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| format!("no payment {id}"))?;
        p.status_detail = change
            .status_detail
            .unwrap_or_else(|| default_detail(&change.status).into());
        if change.status == "approved" && p.date_approved.is_none() {
            p.date_approved = Some(now());
        }
        p.status = change.status;
        p.date_last_updated = now();
        Change::payment(p, "payment.updated")
    };
    webhooks::emit(sh, c).await;
    Ok(())
}

pub(crate) fn default_detail(status: &str) -> &'static str {
    match status {
        "approved" => "accredited",
        "pending" => "pending_waiting_payment",
        "in_process" => "pending_review_manual",
        "rejected" => "cc_rejected_insufficient_amount",
        "refunded" => "refunded",
        "charged_back" => "settled",
        "in_mediation" => "in_mediation",
        "cancelled" => "expired",
        _ => "",
    }
}

/// Opens a chargeback (payment `charged_back` or `in_mediation`), or resolves the open one.
pub(crate) async fn chargeback(
    sh: &Shared,
    id: u64,
    req: ChargebackRequest,
) -> Result<String, String> {
    let changes = {
        let mut st = sh.state.lock().unwrap();
        let cb_id = format!("CB{id}");
        let p = st
            .payments
            .iter_mut()
            .find(|p| p.id == id)
            .ok_or_else(|| format!("no payment {id}"))?;
        let now = now();
        if let Some(for_seller) = req.resolve_for_seller {
            let back = p.before_dispute.take().unwrap_or_else(|| "approved".into());
            p.status = if for_seller {
                back
            } else {
                "charged_back".into()
            };
            p.status_detail = if for_seller {
                "accredited".into()
            } else {
                "settled".into()
            };
            p.date_last_updated = now.clone();
            let pay = Change::payment(p, "payment.updated");
            let cb = st
                .chargebacks
                .iter_mut()
                .find(|c| c.id == cb_id)
                .ok_or_else(|| format!("no chargeback on payment {id}"))?;
            cb.coverage_applied = Some(for_seller);
            cb.documentation_status = "valid".into();
            cb.date_last_updated = now;
            vec![Change::chargeback(cb, "chargeback.updated"), pay]
        } else {
            if p.before_dispute.is_none() {
                p.before_dispute = Some(p.status.clone());
            }
            p.status = req.status.unwrap_or_else(|| "charged_back".into());
            p.status_detail = default_detail(&p.status).into();
            p.date_last_updated = now.clone();
            let pay = Change::payment(p, "payment.updated");
            let cb = SimChargeback {
                id: cb_id.clone(),
                payment_id: p.id,
                amount_cents: p.amount_cents,
                currency: p.currency.clone(),
                coverage_applied: None,
                documentation_status: "pending".into(),
                date_created: now.clone(),
                date_last_updated: now,
            };
            let c = Change::chargeback(&cb, "chargeback.created");
            st.chargebacks.retain(|c| c.id != cb_id);
            st.chargebacks.push(cb);
            vec![c, pay]
        }
    };
    let id = changes[0].resource_id.clone();
    for c in changes {
        webhooks::emit(sh, c).await;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact() {
        assert_eq!(amount(150050).get(), "1500.50");
        assert_eq!(amount(-5).get(), "-0.05");
        assert_eq!(cents_of(&serde_json::json!(1500.5)), Some(150050));
        assert_eq!(cents_of(&serde_json::json!(12)), Some(1200));
        assert_eq!(cents_of(&serde_json::json!(1.234)), None);
    }
}
