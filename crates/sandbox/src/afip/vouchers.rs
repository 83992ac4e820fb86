//! Every voucher type WSFEv1 knows (`FEParamGetTiposCbte`, manual 10007), with the class and kind
//! the rules need. The simulator's own table: the client only models the types it issues.

/// The class a voucher type belongs to, for the class rules (10007, 10013, 10071, RG 5616).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    A,
    B,
    C,
    /// "A con leyenda operación sujeta a retención" (ex M): `ALEY` in RG 5616.
    M,
    /// 49, bienes usados.
    BienesUsados,
}

impl Class {
    /// The class letter used in messages and in `Cmp_Clase` (A, B, C, M, 49).
    pub fn letter(self) -> &'static str {
        match self {
            Class::A => "A",
            Class::B => "B",
            Class::C => "C",
            Class::M => "M",
            Class::BienesUsados => "49",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Factura,
    NotaDebito,
    NotaCredito,
    Recibo,
    Other,
}

/// One row: `CbteTipo`, description as AFIP returns it, class and kind.
pub struct VoucherType {
    pub id: u16,
    pub desc: &'static str,
    pub class: Class,
    pub kind: Kind,
}

const fn v(id: u16, desc: &'static str, class: Class, kind: Kind) -> VoucherType {
    VoucherType {
        id,
        desc,
        class,
        kind,
    }
}

use Class::*;
use Kind::*;

pub const TYPES: &[VoucherType] = &[
    v(1, "Factura A", A, Factura),
    v(2, "Nota de Débito A", A, NotaDebito),
    v(3, "Nota de Crédito A", A, NotaCredito),
    v(4, "Recibo A", A, Recibo),
    v(5, "Nota de Venta al contado A", A, Other),
    v(6, "Factura B", B, Factura),
    v(7, "Nota de Débito B", B, NotaDebito),
    v(8, "Nota de Crédito B", B, NotaCredito),
    v(9, "Recibo B", B, Recibo),
    v(10, "Nota de Venta al contado B", B, Other),
    v(11, "Factura C", C, Factura),
    v(12, "Nota de Débito C", C, NotaDebito),
    v(13, "Nota de Crédito C", C, NotaCredito),
    v(15, "Recibo C", C, Recibo),
    v(
        34,
        "Cbtes. A del Anexo I, Apartado A,inc.f),R.G.Nro. 1415",
        A,
        Other,
    ),
    v(
        35,
        "Cbtes. B del Anexo I,Apartado A,inc. f),R.G. Nro. 1415",
        B,
        Other,
    ),
    v(
        39,
        "Otros comprobantes A que cumplan con R.G.Nro. 1415",
        A,
        Other,
    ),
    v(
        40,
        "Otros comprobantes B que cumplan con R.G.Nro. 1415",
        B,
        Other,
    ),
    v(
        49,
        "Comprobante de Compra de Bienes Usados a Consumidor Final",
        BienesUsados,
        Other,
    ),
    v(51, "Factura M", M, Factura),
    v(52, "Nota de Débito M", M, NotaDebito),
    v(53, "Nota de Crédito M", M, NotaCredito),
    v(54, "Recibo M", M, Recibo),
    v(60, "Cta de Vta y Liquido prod. A", A, Other),
    v(61, "Cta de Vta y Liquido prod. B", B, Other),
    v(63, "Liquidacion A", A, Other),
    v(64, "Liquidacion B", B, Other),
    v(
        201,
        "Factura de Crédito electrónica MiPyMEs (FCE) A",
        A,
        Factura,
    ),
    v(
        202,
        "Nota de Débito electrónica MiPyMEs (FCE) A",
        A,
        NotaDebito,
    ),
    v(
        203,
        "Nota de Crédito electrónica MiPyMEs (FCE) A",
        A,
        NotaCredito,
    ),
    v(
        206,
        "Factura de Crédito electrónica MiPyMEs (FCE) B",
        B,
        Factura,
    ),
    v(
        207,
        "Nota de Débito electrónica MiPyMEs (FCE) B",
        B,
        NotaDebito,
    ),
    v(
        208,
        "Nota de Crédito electrónica MiPyMEs (FCE) B",
        B,
        NotaCredito,
    ),
    v(
        211,
        "Factura de Crédito electrónica MiPyMEs (FCE) C",
        C,
        Factura,
    ),
    v(
        212,
        "Nota de Débito electrónica MiPyMEs (FCE) C",
        C,
        NotaDebito,
    ),
    v(
        213,
        "Nota de Crédito electrónica MiPyMEs (FCE) C",
        C,
        NotaCredito,
    ),
];

pub fn get(id: u16) -> Option<&'static VoucherType> {
    TYPES.iter().find(|t| t.id == id)
}

impl VoucherType {
    pub fn is_note(&self) -> bool {
        matches!(self.kind, NotaDebito | NotaCredito)
    }

    /// 10051 (AlicIva amount vs rate) "no se tiene en cuenta" for 2, 3, 7, 8, 52 and 53.
    pub fn skips_iva_rate_check(&self) -> bool {
        matches!(self.id, 2 | 3 | 7 | 8 | 52 | 53)
    }

    /// 10061 (Σ BaseImp = ImpNeto) is not applied to 2, 3, 7, 8, 52, 53 nor to class C.
    pub fn skips_net_check(&self) -> bool {
        self.skips_iva_rate_check() || self.class == C
    }

    /// Voucher types a `CbtesAsoc` of this one may refer to (10040).
    pub fn may_associate(&self, other: u16) -> bool {
        match self.id {
            2 | 3 => matches!(other, 1..=5 | 34 | 39 | 60 | 63 | 88 | 991),
            7 | 8 => matches!(other, 6..=10 | 35 | 40 | 61 | 64 | 88 | 991),
            12 | 13 => matches!(other, 11..=13 | 15),
            52 | 53 => matches!(other, 51..=54 | 88 | 991),
            1 | 6 | 51 => matches!(other, 88 | 991),
            201 | 206 | 211 => matches!(other, 91 | 990 | 991 | 993 | 994 | 995),
            202 | 203 => matches!(other, 201..=203),
            207 | 208 => matches!(other, 206..=208),
            212 | 213 => matches!(other, 211..=213),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_real_type_is_known() {
        for id in [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 49, 51, 201, 213,
        ] {
            assert!(get(id).is_some(), "{id}");
        }
        for id in [0, 14, 16, 99, 1000] {
            assert!(get(id).is_none(), "{id}");
        }
        assert_eq!(get(4).unwrap().class, A);
        assert_eq!(get(10).unwrap().class, B);
        assert_eq!(get(15).unwrap().class, C);
        assert!(get(3).unwrap().skips_iva_rate_check() && !get(13).unwrap().skips_iva_rate_check());
        assert!(get(8).unwrap().may_associate(9) && !get(8).unwrap().may_associate(1));
    }
}
