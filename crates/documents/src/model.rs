//! The document's input: plain data, already validated and totalized upstream (the amounts come
//! from `mostrador_afip`'s `Amounts`, so the printout never recomputes a tax).

use chrono::NaiveDate;
use mostrador_afip::invoice::{Amounts, Currency, IvaRate, ReceiverDoc, VoucherType};
use mostrador_afip::qr::AuthorizationKind;
use mostrador_types::{Cuit, IvaCondition, Money};

use crate::logo::Logo;

/// Who issues: the printout's header (the org's settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub cuit: Cuit,
    /// Razón social.
    pub legal_name: String,
    /// Nombre de fantasía, printed above the razón social when present.
    pub trade_name: Option<String>,
    /// Domicilio comercial.
    pub address: String,
    pub iva_condition: IvaCondition,
    /// Ingresos Brutos number (or "Exento", "Convenio Multilateral …"), printed as given.
    pub iibb: String,
    pub activity_start: NaiveDate,
    /// Printed top-left on A4 and on top of the ticket, scaled keeping its aspect.
    pub logo: Option<Logo>,
}

/// Who receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub doc: ReceiverDoc,
    pub iva_condition: IvaCondition,
    /// Empty for an anonymous consumidor final.
    pub name: String,
    pub address: Option<String>,
}

/// A quantity in thousandths of a unit (`1500` is 1,5): never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(pub i64);

impl Quantity {
    pub const fn units(n: i64) -> Quantity {
        Quantity(n * 1000)
    }
    pub const fn milli(self) -> i64 {
        self.0
    }
}

/// The IVA treatment of a line, as printed (class A shows the aliquot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineIva {
    Rate(IvaRate),
    Exempt,
    NotTaxed,
    /// Class C: no IVA column.
    None,
}

/// One printed line. Amounts are as the voucher class prints them: without IVA on class A, with
/// IVA included on B and C.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub quantity: Quantity,
    pub unit_price: Money,
    /// The discount on the whole line (bonificación), zero when none.
    pub discount: Money,
    pub iva: LineIva,
    /// quantity × unit price − discount.
    pub subtotal: Money,
}

/// The authorization printed at the foot and encoded in the QR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorization {
    pub kind: AuthorizationKind,
    /// The 14-digit CAE (or CAEA).
    pub code: u64,
    pub due: NaiveDate,
}

/// Service period (concepto servicios / ambos).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceDates {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub payment_due: NaiveDate,
}

/// Everything one printed voucher shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    pub issuer: Issuer,
    pub voucher_type: VoucherType,
    pub point_of_sale: u32,
    pub number: u64,
    pub date: NaiveDate,
    pub customer: Customer,
    pub lines: Vec<Line>,
    pub amounts: Amounts,
    pub currency: Currency,
    pub service: Option<ServiceDates>,
    pub authorization: Authorization,
    /// The QR verifier's base URL (`mostrador_afip::qr::DEFAULT_QR_URL` unless configured).
    pub qr_base_url: String,
}

/// Which layout to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A4 portrait invoice.
    A4,
    /// 80 mm thermal-printer ticket, as long as the content.
    Ticket80,
}
