//! The local validation rules. Each violation names the rule (a stable SCREAMING_SNAKE id) and the
//! AFIP code the service would answer with, so a bug is caught before any network call.

use super::voucher::VoucherType;
use mostrador_types::Money;

/// Why an invoice cannot be sent. `rule()` is stable and meant for tests, logs and the UI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    #[error("POINT_OF_SALE_RANGE (AFIP 10004): the point of sale must be 1–99998, not {0}")]
    PointOfSaleRange(u32),
    #[error("NEGATIVE_AMOUNT: {field} is negative ({amount}); use a credit note instead")]
    NegativeAmount { field: &'static str, amount: Money },
    #[error("CLASS_C_NO_IVA (AFIP 10071): a class C voucher must not carry IVA lines (found {lines}); a monotributista does not discriminate IVA")]
    ClassCWithIva { lines: usize },
    #[error("CLASS_C_IVA_ZERO (AFIP 10047): ImpIVA must be 0 on class C, not {0}")]
    ClassCIvaTotal(Money),
    #[error("CLASS_C_NO_NOT_TAXED (AFIP 10043): ImpTotConc must be 0 on class C, not {0}")]
    ClassCNotTaxed(Money),
    #[error("CLASS_C_NO_EXEMPT (AFIP 10044): ImpOpEx must be 0 on class C, not {0}")]
    ClassCExempt(Money),
    #[error("IVA_REQUIRED (AFIP 10070): ImpNeto is {0} but there are no IVA lines")]
    IvaRequired(Money),
    #[error("IVA_RATE_REPEATED (AFIP 10022): aliquot id {0} appears twice; totalize per rate")]
    IvaRateRepeated(u8),
    #[error("IVA_LINE_AMOUNT (AFIP 10051): aliquot id {id}: {amount} is not {base} × rate (expected {expected} ± 0.01)")]
    IvaLineAmount {
        id: u8,
        base: Money,
        amount: Money,
        expected: Money,
    },
    #[error("NET_MATCHES_IVA_BASES (AFIP 10061): ImpNeto {net} ≠ sum of IVA bases {sum}")]
    NetMismatch { net: Money, sum: Money },
    #[error("IVA_TOTAL_MATCHES_LINES (AFIP 10023): ImpIVA {iva_total} ≠ sum of IVA lines {sum}")]
    IvaTotalMismatch { iva_total: Money, sum: Money },
    #[error(
        "TRIBUTES_TOTAL_MATCHES_LINES (AFIP 10029/10024): ImpTrib {total} ≠ sum of tributes {sum}"
    )]
    TributesMismatch { total: Money, sum: Money },
    #[error("TRIBUTE_DESCRIPTION (AFIP 10024): tribute id 99 needs a description")]
    TributeDescription,
    #[error("TOTAL_MATCHES_PARTS (AFIP 10048): ImpTotal {total} ≠ {formula} = {expected}")]
    TotalMismatch {
        total: Money,
        expected: Money,
        formula: &'static str,
    },
    #[error("RECEIVER_CONDITION_FOR_CLASS (AFIP 10243): receiver condition {condition_id} ({condition}) is not allowed on {voucher}")]
    ReceiverConditionNotAllowed {
        condition_id: u8,
        condition: String,
        voucher: VoucherType,
    },
    #[error("CLASS_A_REQUIRES_CUIT (AFIP 10013): a class A voucher needs the receiver's CUIT (DocTipo 80), not DocTipo {0}")]
    ClassARequiresCuit(u8),
    #[error("RECEIVER_IDENTIFICATION_THRESHOLD (AFIP 10015): a sale of {total_ars} ARS or more (threshold {threshold}) must identify the consumer (CUIT, CUIL or DNI)")]
    ReceiverMustBeIdentified { total_ars: Money, threshold: Money },
    #[error("CURRENCY_CODE: {0:?} is not a 3-character AFIP currency code")]
    CurrencyCode(String),
    #[error("PES_RATE_IS_ONE: MonCotiz must be 1 for PES, not {0}")]
    PesosRateNotOne(String),
    #[error("FOREIGN_RATE_POSITIVE: a foreign-currency invoice needs an exchange rate > 0")]
    ForeignRateMissing,
    #[error("SAME_CURRENCY_PAYMENT_FOREIGN_ONLY: CanMisMonExt only applies to foreign-currency invoices")]
    SameCurrencyOnPesos,
    #[error("NOTE_REQUIRES_ASSOCIATED (AFIP 10197): a {0} needs at least one associated voucher (CbtesAsoc)")]
    NoteWithoutAssociated(VoucherType),
    #[error("ASSOCIATED_VOUCHER_CLASS (AFIP 10040): a {voucher} cannot refer to voucher type {associated}")]
    AssociatedClass {
        voucher: VoucherType,
        associated: u16,
    },
    #[error("DATE_WINDOW (AFIP 10016): the invoice date {date} must be within {days} days of the day it is sent ({today}) for this concept; it cannot be sent now with that date")]
    DateOutsideWindow {
        date: chrono::NaiveDate,
        today: chrono::NaiveDate,
        days: i64,
    },
    #[error("DATE_NOT_BEFORE_LAST (AFIP 10016): the invoice date {date} is earlier than the last authorized invoice of this type and point of sale ({last})")]
    DateBeforeLast {
        date: chrono::NaiveDate,
        last: chrono::NaiveDate,
    },
    #[error("AMOUNT_OVERFLOW: the amounts are too large to add up ({0})")]
    AmountOverflow(&'static str),
    #[error("SERVICE_DATES_ORDER (AFIP 10049): service period from {from} is after {to}")]
    ServiceDatesOrder {
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    },
}

impl InvoiceError {
    /// The rule's stable id (`CLASS_C_NO_IVA`, `TOTAL_MATCHES_PARTS`, ...).
    pub fn rule(&self) -> &'static str {
        use InvoiceError::*;
        match self {
            PointOfSaleRange(_) => "POINT_OF_SALE_RANGE",
            NegativeAmount { .. } => "NEGATIVE_AMOUNT",
            ClassCWithIva { .. } => "CLASS_C_NO_IVA",
            ClassCIvaTotal(_) => "CLASS_C_IVA_ZERO",
            ClassCNotTaxed(_) => "CLASS_C_NO_NOT_TAXED",
            ClassCExempt(_) => "CLASS_C_NO_EXEMPT",
            IvaRequired(_) => "IVA_REQUIRED",
            IvaRateRepeated(_) => "IVA_RATE_REPEATED",
            IvaLineAmount { .. } => "IVA_LINE_AMOUNT",
            NetMismatch { .. } => "NET_MATCHES_IVA_BASES",
            IvaTotalMismatch { .. } => "IVA_TOTAL_MATCHES_LINES",
            TributesMismatch { .. } => "TRIBUTES_TOTAL_MATCHES_LINES",
            TributeDescription => "TRIBUTE_DESCRIPTION",
            TotalMismatch { .. } => "TOTAL_MATCHES_PARTS",
            ReceiverConditionNotAllowed { .. } => "RECEIVER_CONDITION_FOR_CLASS",
            ClassARequiresCuit(_) => "CLASS_A_REQUIRES_CUIT",
            ReceiverMustBeIdentified { .. } => "RECEIVER_IDENTIFICATION_THRESHOLD",
            CurrencyCode(_) => "CURRENCY_CODE",
            PesosRateNotOne(_) => "PES_RATE_IS_ONE",
            ForeignRateMissing => "FOREIGN_RATE_POSITIVE",
            SameCurrencyOnPesos => "SAME_CURRENCY_PAYMENT_FOREIGN_ONLY",
            NoteWithoutAssociated(_) => "NOTE_REQUIRES_ASSOCIATED",
            AssociatedClass { .. } => "ASSOCIATED_VOUCHER_CLASS",
            ServiceDatesOrder { .. } => "SERVICE_DATES_ORDER",
            DateOutsideWindow { .. } => "DATE_WINDOW",
            DateBeforeLast { .. } => "DATE_NOT_BEFORE_LAST",
            AmountOverflow(_) => "AMOUNT_OVERFLOW",
        }
    }

    /// The AFIP code the service would have answered with, when there is one.
    pub fn afip_code(&self) -> Option<u32> {
        use InvoiceError::*;
        Some(match self {
            PointOfSaleRange(_) => 10004,
            ClassCWithIva { .. } => 10071,
            ClassCIvaTotal(_) => 10047,
            ClassCNotTaxed(_) => 10043,
            ClassCExempt(_) => 10044,
            IvaRequired(_) => 10070,
            IvaRateRepeated(_) => 10022,
            IvaLineAmount { .. } => 10051,
            NetMismatch { .. } => 10061,
            IvaTotalMismatch { .. } => 10023,
            TributesMismatch { .. } | TributeDescription => 10024,
            TotalMismatch { .. } => 10048,
            ReceiverConditionNotAllowed { .. } => 10243,
            ClassARequiresCuit(_) => 10013,
            ReceiverMustBeIdentified { .. } => 10015,
            NoteWithoutAssociated(_) => 10197,
            AssociatedClass { .. } => 10040,
            ServiceDatesOrder { .. } => 10049,
            DateOutsideWindow { .. } | DateBeforeLast { .. } => 10016,
            AmountOverflow(_)
            | NegativeAmount { .. }
            | CurrencyCode(_)
            | PesosRateNotOne(_)
            | ForeignRateMissing
            | SameCurrencyOnPesos => return None,
        })
    }
}
