//! Which context field fills each template variable, so a notice fills itself (customer name,
//! date, invoice number…) and the picker shows what each `{{n}}` means.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A piece of context a notice can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ContextField {
    CustomerName,
    BusinessName,
    Date,
    Time,
    Service,
    InvoiceNumber,
    InvoiceTotal,
    Amount,
    DueDate,
    PaymentLink,
    OrderNumber,
}

impl ContextField {
    pub const ALL: [ContextField; 11] = [
        ContextField::CustomerName,
        ContextField::BusinessName,
        ContextField::Date,
        ContextField::Time,
        ContextField::Service,
        ContextField::InvoiceNumber,
        ContextField::InvoiceTotal,
        ContextField::Amount,
        ContextField::DueDate,
        ContextField::PaymentLink,
        ContextField::OrderNumber,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContextField::CustomerName => "customer_name",
            ContextField::BusinessName => "business_name",
            ContextField::Date => "date",
            ContextField::Time => "time",
            ContextField::Service => "service",
            ContextField::InvoiceNumber => "invoice_number",
            ContextField::InvoiceTotal => "invoice_total",
            ContextField::Amount => "amount",
            ContextField::DueDate => "due_date",
            ContextField::PaymentLink => "payment_link",
            ContextField::OrderNumber => "order_number",
        }
    }

    /// The label the picker shows (es-AR).
    pub fn label_es(self) -> &'static str {
        match self {
            ContextField::CustomerName => "Nombre del cliente",
            ContextField::BusinessName => "Nombre del negocio",
            ContextField::Date => "Fecha",
            ContextField::Time => "Hora",
            ContextField::Service => "Trabajo o servicio",
            ContextField::InvoiceNumber => "Número de factura",
            ContextField::InvoiceTotal => "Total de la factura",
            ContextField::Amount => "Importe",
            ContextField::DueDate => "Vencimiento",
            ContextField::PaymentLink => "Link de pago",
            ContextField::OrderNumber => "Número de pedido",
        }
    }

    /// A guess from a named variable (`{{first_name}}`, `{{fecha}}`), for templates synced from
    /// Meta; positional ones stay unmapped until the owner maps them.
    pub fn guess(variable: &str) -> Option<ContextField> {
        let v = variable.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| v.contains(w));
        Some(if has(&["invoice_total", "total"]) {
            ContextField::InvoiceTotal
        } else if has(&["invoice", "factura", "comprobante"]) {
            ContextField::InvoiceNumber
        } else if has(&["link", "url", "enlace"]) {
            ContextField::PaymentLink
        } else if has(&["vencimiento", "due"]) {
            ContextField::DueDate
        } else if has(&["business", "negocio", "comercio", "tienda"]) {
            ContextField::BusinessName
        } else if has(&["name", "nombre", "cliente", "customer"]) {
            ContextField::CustomerName
        } else if has(&["fecha", "date", "dia", "día"]) {
            ContextField::Date
        } else if has(&["hora", "time"]) {
            ContextField::Time
        } else if has(&["monto", "importe", "amount", "saldo", "precio"]) {
            ContextField::Amount
        } else if has(&["pedido", "order"]) {
            ContextField::OrderNumber
        } else if has(&["servicio", "trabajo", "service", "job"]) {
            ContextField::Service
        } else {
            return None;
        })
    }
}

impl FromStr for ContextField {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContextField::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or(())
    }
}

/// The values a notice brings (what the scheduler, the invoice or the payment knows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateContext(pub BTreeMap<ContextField, String>);

impl TemplateContext {
    pub fn with(mut self, field: ContextField, value: impl Into<String>) -> Self {
        self.0.insert(field, value.into());
        self
    }

    pub fn get(&self, field: ContextField) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_guesses() {
        for f in ContextField::ALL {
            assert_eq!(f.as_str().parse::<ContextField>(), Ok(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
        }
        assert_eq!(
            ContextField::guess("first_name"),
            Some(ContextField::CustomerName)
        );
        assert_eq!(ContextField::guess("fecha_turno"), Some(ContextField::Date));
        assert_eq!(
            ContextField::guess("numero_factura"),
            Some(ContextField::InvoiceNumber)
        );
        assert_eq!(
            ContextField::guess("link_pago"),
            Some(ContextField::PaymentLink)
        );
        assert_eq!(ContextField::guess("1"), None);
    }
}
