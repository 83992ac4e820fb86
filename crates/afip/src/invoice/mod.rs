//! The invoice model: what a shop issues, validated locally against AFIP's rules before any
//! network call. Build an [`InvoiceDraft`], call [`InvoiceDraft::validate`], and send the resulting
//! [`Invoice`]; the number is chosen at submission time (FECompUltimoAutorizado + 1).

mod receiver;
mod rules;
mod totals;
mod voucher;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use mostrador_types::{BasisPoints, CurrencyCode, Money, ParseAmountError, Rate};
pub use receiver::{condition_allowed, Receiver, ReceiverDoc};
pub use rules::InvoiceError;
pub use totals::{AlicIva, Amounts, IvaRate, Tribute};
pub use voucher::{VoucherClass, VoucherKind, VoucherType};

/// `Concepto`: products, services, or both. Services carry their period and payment due date,
/// so "Concepto 2/3 without FchServDesde/FchServHasta/FchVtoPago" (10049) cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Concept {
    Products,
    Services(ServicePeriod),
    ProductsAndServices(ServicePeriod),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub payment_due: NaiveDate,
}

impl Concept {
    pub fn code(self) -> u8 {
        match self {
            Concept::Products => 1,
            Concept::Services(_) => 2,
            Concept::ProductsAndServices(_) => 3,
        }
    }

    pub fn service_period(self) -> Option<ServicePeriod> {
        match self {
            Concept::Products => None,
            Concept::Services(p) | Concept::ProductsAndServices(p) => Some(p),
        }
    }
}

/// `MonId` + `MonCotiz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    pub code: String,
    pub rate: Rate,
    /// `CanMisMonExt` (foreign currency only): whether the invoice is paid in that same currency.
    /// `None` omits the element.
    #[serde(default)]
    pub paid_in_same_currency: Option<bool>,
}

impl Currency {
    pub fn pesos() -> Self {
        Currency {
            code: "PES".into(),
            rate: Rate::ONE,
            paid_in_same_currency: None,
        }
    }

    pub fn foreign(code: &str, rate: Rate) -> Self {
        Currency {
            code: code.into(),
            rate,
            paid_in_same_currency: None,
        }
    }

    pub fn is_pesos(&self) -> bool {
        self.code == "PES"
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::pesos()
    }
}

/// A voucher a note refers to (`CbtesAsoc/CbteAsoc`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssociatedVoucher {
    pub voucher_type: u16,
    pub point_of_sale: u32,
    pub number: u64,
    /// Issuer CUIT of the associated voucher (optional in the WSDL).
    pub cuit: Option<mostrador_types::Cuit>,
    pub date: Option<NaiveDate>,
}

/// Settings that change by regulation rather than by protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSettings {
    /// From this amount (in ARS, `ImpTotal × MonCotiz`) a final consumer must be identified.
    /// RG 5700/2025: $10.000.000; configurable because the service-side value is unpublished.
    pub identification_threshold: Money,
}

impl Default for InvoiceSettings {
    fn default() -> Self {
        InvoiceSettings {
            identification_threshold: Money::units(10_000_000),
        }
    }
}

/// An invoice as the caller describes it. Nothing is checked until [`InvoiceDraft::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDraft {
    pub voucher_type: VoucherType,
    pub point_of_sale: u32,
    /// `CbteFch`, in Argentina's calendar.
    pub date: NaiveDate,
    pub concept: Concept,
    pub receiver: Receiver,
    pub amounts: Amounts,
    pub currency: Currency,
    pub associated: Vec<AssociatedVoucher>,
}

/// A draft that passed every local rule. Only this type can be sent to WSFE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invoice(InvoiceDraft);

impl Invoice {
    pub fn draft(&self) -> &InvoiceDraft {
        &self.0
    }
}

impl std::ops::Deref for Invoice {
    type Target = InvoiceDraft;
    fn deref(&self) -> &InvoiceDraft {
        &self.0
    }
}

/// `CbteFch` may be this many days before or after the day the invoice is sent (AFIP 10016):
/// 5 for products, 10 for services or both.
pub fn date_window_days(concept: Concept) -> i64 {
    match concept {
        Concept::Products => 5,
        Concept::Services(_) | Concept::ProductsAndServices(_) => 10,
    }
}

impl InvoiceDraft {
    /// The `CbteFch` rules that depend on when the invoice is sent and on what was issued before
    /// it (AFIP 10016): within N±5 days of `today` (Argentina's date of sending) for products,
    /// N±10 for services, and not earlier than the last authorized invoice of the same type and
    /// point of sale (`last_authorized_date`, `None` when there is none). Check right before each
    /// send: a queued invoice can age out of its window. AFIP answers a date earlier than the
    /// last one with the same Err 10016 as a numbering conflict, so sending it would make the
    /// recovery recipe look for a number problem that is not there.
    pub fn check_date(
        &self,
        today: NaiveDate,
        last_authorized_date: Option<NaiveDate>,
    ) -> Result<(), InvoiceError> {
        let days = date_window_days(self.concept);
        let from = today.checked_sub_signed(chrono::Duration::days(days));
        let to = today.checked_add_signed(chrono::Duration::days(days));
        if from.is_none_or(|f| self.date < f) || to.is_none_or(|t| self.date > t) {
            return Err(InvoiceError::DateOutsideWindow {
                date: self.date,
                today,
                days,
            });
        }
        if let Some(last) = last_authorized_date.filter(|l| self.date < *l) {
            return Err(InvoiceError::DateBeforeLast {
                date: self.date,
                last,
            });
        }
        Ok(())
    }

    /// Checks every local rule and returns the sendable invoice, or the first broken rule.
    pub fn validate(&self, settings: &InvoiceSettings) -> Result<Invoice, InvoiceError> {
        use InvoiceError as E;
        let class = self.voucher_type.class;
        let a = &self.amounts;

        if !(1..=99_998).contains(&self.point_of_sale) {
            return Err(E::PointOfSaleRange(self.point_of_sale));
        }
        let fields = [
            ("ImpTotal", a.total),
            ("ImpTotConc", a.not_taxed),
            ("ImpNeto", a.net),
            ("ImpOpEx", a.exempt),
            ("ImpIVA", a.iva_total),
            ("ImpTrib", a.tributes_total),
        ];
        for (field, amount) in fields {
            if amount.cents() < 0 {
                return Err(E::NegativeAmount { field, amount });
            }
        }
        for l in &a.iva {
            if l.base.cents() < 0 || l.amount.cents() < 0 {
                return Err(E::NegativeAmount {
                    field: "AlicIva",
                    amount: Money::from_cents(l.base.cents().min(l.amount.cents())),
                });
            }
        }

        // Currency.
        let code = &self.currency.code;
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(E::CurrencyCode(code.clone()));
        }
        if self.currency.is_pesos() && self.currency.rate != Rate::ONE {
            return Err(E::PesosRateNotOne(self.currency.rate.to_wire()));
        }
        if self.currency.rate.millionths() <= 0 {
            return Err(E::ForeignRateMissing);
        }
        if self.currency.is_pesos() && self.currency.paid_in_same_currency.is_some() {
            return Err(E::SameCurrencyOnPesos);
        }

        // Tributes (all classes).
        if a.tributes
            .iter()
            .any(|t| t.id == 99 && t.description.trim().is_empty())
        {
            return Err(E::TributeDescription);
        }
        let overflow = || E::AmountOverflow("the sums of the invoice amounts");
        let trib_sum =
            Money::checked_sum(a.tributes.iter().map(|t| t.amount)).ok_or_else(overflow)?;
        if trib_sum != a.tributes_total {
            return Err(E::TributesMismatch {
                total: a.tributes_total,
                sum: trib_sum,
            });
        }

        if class == VoucherClass::C {
            if !a.iva.is_empty() {
                return Err(E::ClassCWithIva { lines: a.iva.len() });
            }
            if !a.iva_total.is_zero() {
                return Err(E::ClassCIvaTotal(a.iva_total));
            }
            if !a.not_taxed.is_zero() {
                return Err(E::ClassCNotTaxed(a.not_taxed));
            }
            if !a.exempt.is_zero() {
                return Err(E::ClassCExempt(a.exempt));
            }
            let expected = a.net.checked_add(a.tributes_total).ok_or_else(overflow)?;
            if a.total != expected {
                return Err(E::TotalMismatch {
                    total: a.total,
                    expected,
                    formula: "ImpNeto + ImpTrib",
                });
            }
        } else {
            if !a.net.is_zero() && a.iva.is_empty() {
                return Err(E::IvaRequired(a.net));
            }
            let mut seen = Vec::with_capacity(a.iva.len());
            for l in &a.iva {
                let id = l.rate.afip_id();
                if seen.contains(&id) {
                    return Err(E::IvaRateRepeated(id));
                }
                seen.push(id);
                let expected = l.rate.tax_on(l.base).ok_or_else(overflow)?;
                if l.amount.abs_diff(expected).is_none_or(|d| d.cents() > 1) {
                    return Err(E::IvaLineAmount {
                        id,
                        base: l.base,
                        amount: l.amount,
                        expected,
                    });
                }
            }
            let base_sum = Money::checked_sum(a.iva.iter().map(|l| l.base)).ok_or_else(overflow)?;
            if base_sum != a.net {
                return Err(E::NetMismatch {
                    net: a.net,
                    sum: base_sum,
                });
            }
            let iva_sum =
                Money::checked_sum(a.iva.iter().map(|l| l.amount)).ok_or_else(overflow)?;
            if iva_sum != a.iva_total {
                return Err(E::IvaTotalMismatch {
                    iva_total: a.iva_total,
                    sum: iva_sum,
                });
            }
            let expected =
                Money::checked_sum([a.not_taxed, a.net, a.exempt, a.iva_total, a.tributes_total])
                    .ok_or_else(overflow)?;
            if a.total != expected {
                return Err(E::TotalMismatch {
                    total: a.total,
                    expected,
                    formula: "ImpTotConc + ImpNeto + ImpOpEx + ImpIVA + ImpTrib",
                });
            }
        }

        // Receiver.
        let cond = self.receiver.condition;
        if !condition_allowed(class, cond) {
            return Err(E::ReceiverConditionNotAllowed {
                condition_id: cond.afip_id(),
                condition: cond.as_str().to_owned(),
                voucher: self.voucher_type,
            });
        }
        if class == VoucherClass::A && self.receiver.doc.doc_tipo() != 80 {
            return Err(E::ClassARequiresCuit(self.receiver.doc.doc_tipo()));
        }
        if self.receiver.doc == ReceiverDoc::Anonymous {
            let total_ars = self
                .currency
                .rate
                .convert(a.total)
                .ok_or(E::AmountOverflow("ImpTotal × MonCotiz"))?;
            if total_ars >= settings.identification_threshold {
                return Err(E::ReceiverMustBeIdentified {
                    total_ars,
                    threshold: settings.identification_threshold,
                });
            }
        }

        // Concept.
        if let Some(p) = self.concept.service_period() {
            if p.from > p.to {
                return Err(E::ServiceDatesOrder {
                    from: p.from,
                    to: p.to,
                });
            }
        }

        // Notes and their associated vouchers.
        if self.voucher_type.is_note() && self.associated.is_empty() {
            return Err(E::NoteWithoutAssociated(self.voucher_type));
        }
        for asoc in &self.associated {
            let ok = match class {
                VoucherClass::A => matches!(asoc.voucher_type, 1..=3),
                VoucherClass::B => matches!(asoc.voucher_type, 6..=8),
                VoucherClass::C => matches!(asoc.voucher_type, 11..=13 | 15),
            };
            if !ok {
                return Err(E::AssociatedClass {
                    voucher: self.voucher_type,
                    associated: asoc.voucher_type,
                });
            }
        }

        Ok(Invoice(self.clone()))
    }
}

#[cfg(test)]
mod tests;
