//! Voucher (comprobante) types: class A/B/C × Factura / Nota de Débito / Nota de Crédito.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The invoice class, which follows from the issuer's and receiver's IVA conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VoucherClass {
    A,
    B,
    C,
}

/// What the voucher is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VoucherKind {
    Factura,
    NotaDebito,
    NotaCredito,
}

/// A voucher type as AFIP numbers it (`CbteTipo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VoucherType {
    pub class: VoucherClass,
    pub kind: VoucherKind,
}

impl VoucherType {
    pub const fn new(class: VoucherClass, kind: VoucherKind) -> Self {
        VoucherType { class, kind }
    }

    pub const FACTURA_A: VoucherType = VoucherType::new(VoucherClass::A, VoucherKind::Factura);
    pub const FACTURA_B: VoucherType = VoucherType::new(VoucherClass::B, VoucherKind::Factura);
    pub const FACTURA_C: VoucherType = VoucherType::new(VoucherClass::C, VoucherKind::Factura);

    /// AFIP's `CbteTipo`: A 1/2/3, B 6/7/8, C 11/12/13.
    pub const fn code(self) -> u16 {
        let base = match self.class {
            VoucherClass::A => 1,
            VoucherClass::B => 6,
            VoucherClass::C => 11,
        };
        base + match self.kind {
            VoucherKind::Factura => 0,
            VoucherKind::NotaDebito => 1,
            VoucherKind::NotaCredito => 2,
        }
    }

    pub fn from_code(code: u16) -> Option<Self> {
        let (class, offset) = match code {
            1..=3 => (VoucherClass::A, code - 1),
            6..=8 => (VoucherClass::B, code - 6),
            11..=13 => (VoucherClass::C, code - 11),
            _ => return None,
        };
        let kind = match offset {
            0 => VoucherKind::Factura,
            1 => VoucherKind::NotaDebito,
            _ => VoucherKind::NotaCredito,
        };
        Some(VoucherType { class, kind })
    }

    pub fn is_note(self) -> bool {
        self.kind != VoucherKind::Factura
    }
}

impl fmt::Display for VoucherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            VoucherKind::Factura => "Factura",
            VoucherKind::NotaDebito => "Nota de Débito",
            VoucherKind::NotaCredito => "Nota de Crédito",
        };
        write!(f, "{kind} {:?}", self.class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in [1, 2, 3, 6, 7, 8, 11, 12, 13] {
            assert_eq!(VoucherType::from_code(code).unwrap().code(), code);
        }
        assert_eq!(VoucherType::from_code(4), None);
        assert_eq!(VoucherType::FACTURA_C.code(), 11);
    }
}
