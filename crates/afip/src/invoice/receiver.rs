//! Who the invoice is for: document (DocTipo/DocNro) and IVA condition (RG 5616).

use mostrador_types::{Cuit, IvaCondition};
use serde::{Deserialize, Serialize};

use super::voucher::VoucherClass;

/// The receiver's identification. The anonymous final consumer is `DocTipo 99` with number 0 by
/// construction, so that pair can never be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiverDoc {
    /// DocTipo 80.
    Cuit(Cuit),
    /// DocTipo 86 (same check digit as a CUIT).
    Cuil(Cuit),
    /// DocTipo 96.
    Dni(u32),
    /// DocTipo 99, DocNro 0: consumidor final not identified.
    Anonymous,
}

impl ReceiverDoc {
    pub fn doc_tipo(self) -> u8 {
        match self {
            ReceiverDoc::Cuit(_) => 80,
            ReceiverDoc::Cuil(_) => 86,
            ReceiverDoc::Dni(_) => 96,
            ReceiverDoc::Anonymous => 99,
        }
    }

    pub fn doc_nro(self) -> u64 {
        match self {
            ReceiverDoc::Cuit(c) | ReceiverDoc::Cuil(c) => c.as_u64(),
            ReceiverDoc::Dni(n) => n as u64,
            ReceiverDoc::Anonymous => 0,
        }
    }
}

/// The receiver of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receiver {
    pub doc: ReceiverDoc,
    pub condition: IvaCondition,
}

impl Receiver {
    pub fn consumidor_final() -> Self {
        Receiver {
            doc: ReceiverDoc::Anonymous,
            condition: IvaCondition::ConsumidorFinal,
        }
    }
}

/// The RG 5616 matrix (reference §3): may a receiver with `condition` get a class `class` voucher?
pub fn condition_allowed(class: VoucherClass, condition: IvaCondition) -> bool {
    use IvaCondition::*;
    match class {
        VoucherClass::A => matches!(
            condition,
            ResponsableInscripto
                | Monotributo
                | MonotributistaSocial
                | MonotributoTrabajadorIndependientePromovido
        ),
        VoucherClass::B => matches!(
            condition,
            Exento
                | ConsumidorFinal
                | NoCategorizado
                | ProveedorDelExterior
                | ClienteDelExterior
                | IvaLiberado
                | NoAlcanzado
        ),
        VoucherClass::C => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_matches_the_reference() {
        let a: Vec<u8> = IvaCondition::ALL
            .into_iter()
            .filter(|c| condition_allowed(VoucherClass::A, *c))
            .map(|c| c.afip_id())
            .collect();
        let mut a = a;
        a.sort();
        assert_eq!(a, [1, 6, 13, 16]);
        let mut b: Vec<u8> = IvaCondition::ALL
            .into_iter()
            .filter(|c| condition_allowed(VoucherClass::B, *c))
            .map(|c| c.afip_id())
            .collect();
        b.sort();
        assert_eq!(b, [4, 5, 7, 8, 9, 10, 15]);
        assert!(IvaCondition::ALL
            .into_iter()
            .all(|c| condition_allowed(VoucherClass::C, c)));
    }
}
