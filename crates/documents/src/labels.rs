//! The printed words: voucher names, IVA conditions, document types (es-AR, as AFIP prints them).

use mostrador_afip::invoice::{ReceiverDoc, VoucherClass, VoucherKind, VoucherType};
use mostrador_types::IvaCondition;

pub fn voucher_title(t: VoucherType) -> &'static str {
    match t.kind {
        VoucherKind::Factura => "FACTURA",
        VoucherKind::NotaDebito => "NOTA DE DÉBITO",
        VoucherKind::NotaCredito => "NOTA DE CRÉDITO",
    }
}

pub fn letter(t: VoucherType) -> &'static str {
    match t.class {
        VoucherClass::A => "A",
        VoucherClass::B => "B",
        VoucherClass::C => "C",
    }
}

/// `COD. 006`.
pub fn code(t: VoucherType) -> String {
    format!("COD. {:03}", t.code())
}

pub fn iva_condition(c: IvaCondition) -> &'static str {
    match c {
        IvaCondition::ResponsableInscripto => "IVA Responsable Inscripto",
        IvaCondition::Monotributo => "Responsable Monotributo",
        IvaCondition::Exento => "IVA Sujeto Exento",
        IvaCondition::ConsumidorFinal => "Consumidor Final",
        IvaCondition::NoAlcanzado => "IVA No Alcanzado",
        IvaCondition::MonotributistaSocial => "Monotributista Social",
        IvaCondition::MonotributoTrabajadorIndependientePromovido => {
            "Monotributo Trabajador Independiente Promovido"
        }
        IvaCondition::ProveedorDelExterior => "Proveedor del Exterior",
        IvaCondition::ClienteDelExterior => "Cliente del Exterior",
        IvaCondition::IvaLiberado => "IVA Liberado - Ley 19.640",
        IvaCondition::NoCategorizado => "Sujeto No Categorizado",
    }
}

/// `CUIT: 20-12345678-6`, `DNI: 30123456`; `None` for the anonymous consumer.
pub fn receiver_doc(doc: ReceiverDoc) -> Option<String> {
    match doc {
        ReceiverDoc::Cuit(c) => Some(format!("CUIT: {c}")),
        ReceiverDoc::Cuil(c) => Some(format!("CUIL: {c}")),
        ReceiverDoc::Dni(n) => Some(format!("DNI: {n}")),
        ReceiverDoc::Anonymous => None,
    }
}

/// RG 5614/2024 (Ley 27.743): printed on class B to consumers.
pub const TRANSPARENCIA: &str = "Régimen de Transparencia Fiscal al Consumidor Ley 27.743";
