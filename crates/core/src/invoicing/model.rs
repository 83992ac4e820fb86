//! What the owner fills in ("Nueva factura") and what an invoice is once stored.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use mostrador_afip::invoice::VoucherKind;
use mostrador_types::IvaCondition;
use serde::{Deserialize, Serialize};

/// The states of design §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    Draft,
    Queued,
    /// Number and exact payload stored; the request to AFIP may be on its way.
    Submitting,
    /// The answer was lost: only FECompConsultar decides.
    InDoubt,
    Authorized,
    Rejected,
}

impl InvoiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceState::Draft => "draft",
            InvoiceState::Queued => "queued",
            InvoiceState::Submitting => "submitting",
            InvoiceState::InDoubt => "in_doubt",
            InvoiceState::Authorized => "authorized",
            InvoiceState::Rejected => "rejected",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, InvoiceState::Authorized | InvoiceState::Rejected)
    }
}

impl fmt::Display for InvoiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown invoice state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for InvoiceState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "draft" => InvoiceState::Draft,
            "queued" => InvoiceState::Queued,
            "submitting" => InvoiceState::Submitting,
            "in_doubt" => InvoiceState::InDoubt,
            "authorized" => InvoiceState::Authorized,
            "rejected" => InvoiceState::Rejected,
            other => return Err(UnknownState(other.to_owned())),
        })
    }
}

/// Factura, nota de crédito or nota de débito (the class follows from the IVA conditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Factura,
    NotaCredito,
    NotaDebito,
}

impl DocumentKind {
    pub fn voucher_kind(self) -> VoucherKind {
        match self {
            DocumentKind::Factura => VoucherKind::Factura,
            DocumentKind::NotaCredito => VoucherKind::NotaCredito,
            DocumentKind::NotaDebito => VoucherKind::NotaDebito,
        }
    }
}

/// How the receiver is identified. Consumidor final (DocTipo 99) is the default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", content = "number", rename_all = "snake_case")]
pub enum ReceiverDocInput {
    #[default]
    ConsumidorFinal,
    Cuit(String),
    Cuil(String),
    Dni(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReceiverInput {
    pub doc: ReceiverDocInput,
    pub condition: IvaCondition,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

impl Default for ReceiverInput {
    fn default() -> Self {
        ReceiverInput {
            doc: ReceiverDocInput::ConsumidorFinal,
            condition: IvaCondition::ConsumidorFinal,
            name: None,
            address: None,
        }
    }
}

/// An item's IVA treatment. Class C invoices carry none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ItemIva {
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "2.5")]
    TwoPointFive,
    #[serde(rename = "5")]
    Five,
    #[serde(rename = "10.5")]
    TenPointFive,
    #[serde(rename = "21")]
    TwentyOne,
    #[serde(rename = "27")]
    TwentySeven,
    Exento,
    NoGravado,
}

impl ItemIva {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemIva::Zero => "0",
            ItemIva::TwoPointFive => "2.5",
            ItemIva::Five => "5",
            ItemIva::TenPointFive => "10.5",
            ItemIva::TwentyOne => "21",
            ItemIva::TwentySeven => "27",
            ItemIva::Exento => "exento",
            ItemIva::NoGravado => "no_gravado",
        }
    }

    pub fn parse(s: &str) -> Option<ItemIva> {
        Some(match s {
            "0" => ItemIva::Zero,
            "2.5" => ItemIva::TwoPointFive,
            "5" => ItemIva::Five,
            "10.5" => ItemIva::TenPointFive,
            "21" => ItemIva::TwentyOne,
            "27" => ItemIva::TwentySeven,
            "exento" => ItemIva::Exento,
            "no_gravado" => ItemIva::NoGravado,
            _ => return None,
        })
    }
}

/// One line as typed: amounts are decimal strings (at most two decimals), so nothing passes
/// through a float. Unit prices are net of IVA on class A/B (the IVA is added per aliquot) and
/// final on class C.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemInput {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    #[serde(default)]
    pub discount: Option<String>,
    /// Required on class A/B, absent on class C.
    #[serde(default)]
    pub iva: Option<ItemIva>,
}

/// Productos / servicios / ambos; services carry their period and payment due date.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConceptInput {
    pub kind: ConceptKind,
    #[serde(default)]
    pub service_from: Option<NaiveDate>,
    #[serde(default)]
    pub service_to: Option<NaiveDate>,
    #[serde(default)]
    pub payment_due: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConceptKind {
    #[default]
    Products,
    Services,
    Both,
}

/// Foreign currency: AFIP's code (`DOL`) and the rate to pesos as typed (`1050.25`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CurrencyInput {
    pub code: String,
    pub rate: String,
}

/// "Nueva factura" / "Hacer nota de crédito".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewInvoice {
    pub kind: DocumentKind,
    /// `CbteFch`; `None` = today in Argentina.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub concept: ConceptInput,
    #[serde(default)]
    pub receiver: ReceiverInput,
    pub items: Vec<ItemInput>,
    /// `None` = pesos.
    #[serde(default)]
    pub currency: Option<CurrencyInput>,
    /// The authorized invoice a note refers to (required for notes).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub associated_invoice_id: Option<i64>,
    #[serde(default)]
    pub customer_id: Option<String>,
}

impl NewInvoice {
    /// A Factura to a consumidor final with these (description, quantity, price, IVA) lines.
    pub fn consumidor_final(items: Vec<ItemInput>) -> Self {
        NewInvoice {
            kind: DocumentKind::Factura,
            date: None,
            concept: ConceptInput::default(),
            receiver: ReceiverInput::default(),
            items,
            currency: None,
            associated_invoice_id: None,
            customer_id: None,
        }
    }
}

/// A local rule an invoice broke before queuing, naming the field (`items[2].quantity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    /// Stable rule id (`QUANTITY_POSITIVE`, `CUIT_CHECK_DIGIT`, or crates/afip's rule).
    pub rule: String,
    /// For people (es-AR).
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }
}

/// An invoice changed state (created, numbered, authorized, rejected, in doubt, held): the
/// window updates its list and detail from these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InvoiceEvent {
    pub org_id: crate::org::OrgId,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub invoice_id: i64,
    pub state: InvoiceState,
    /// Waiting for the owner (date window): `date_window` | `date_before_last`.
    pub hold: Option<String>,
}
