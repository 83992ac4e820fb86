//! Condición frente al IVA: the VAT status of a business or a receiver.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The IVA conditions a shop or its customer can have. The ids are AFIP's
/// `CondicionIvaReceptorId` values (FEParamGetCondicionIvaReceptor, RG 5616).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IvaCondition {
    ResponsableInscripto,
    Monotributo,
    Exento,
    ConsumidorFinal,
    NoAlcanzado,
    MonotributistaSocial,
    MonotributoTrabajadorIndependientePromovido,
    ProveedorDelExterior,
    ClienteDelExterior,
    IvaLiberado,
    NoCategorizado,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown IVA condition {0:?}")]
pub struct UnknownIvaCondition(pub String);

impl IvaCondition {
    pub const ALL: [IvaCondition; 11] = [
        IvaCondition::ResponsableInscripto,
        IvaCondition::Monotributo,
        IvaCondition::Exento,
        IvaCondition::ConsumidorFinal,
        IvaCondition::NoAlcanzado,
        IvaCondition::MonotributistaSocial,
        IvaCondition::MonotributoTrabajadorIndependientePromovido,
        IvaCondition::ProveedorDelExterior,
        IvaCondition::ClienteDelExterior,
        IvaCondition::IvaLiberado,
        IvaCondition::NoCategorizado,
    ];

    /// AFIP's `CondicionIvaReceptorId`.
    pub fn afip_id(self) -> u8 {
        match self {
            IvaCondition::ResponsableInscripto => 1,
            IvaCondition::Exento => 4,
            IvaCondition::ConsumidorFinal => 5,
            IvaCondition::Monotributo => 6,
            IvaCondition::NoCategorizado => 7,
            IvaCondition::ProveedorDelExterior => 8,
            IvaCondition::ClienteDelExterior => 9,
            IvaCondition::IvaLiberado => 10,
            IvaCondition::MonotributistaSocial => 13,
            IvaCondition::NoAlcanzado => 15,
            IvaCondition::MonotributoTrabajadorIndependientePromovido => 16,
        }
    }

    pub fn from_afip_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.afip_id() == id)
    }

    /// The stable text stored in the database and sent over IPC.
    pub fn as_str(self) -> &'static str {
        match self {
            IvaCondition::ResponsableInscripto => "responsable_inscripto",
            IvaCondition::Monotributo => "monotributo",
            IvaCondition::Exento => "exento",
            IvaCondition::ConsumidorFinal => "consumidor_final",
            IvaCondition::NoAlcanzado => "no_alcanzado",
            IvaCondition::MonotributistaSocial => "monotributista_social",
            IvaCondition::MonotributoTrabajadorIndependientePromovido => {
                "monotributo_trabajador_independiente_promovido"
            }
            IvaCondition::ProveedorDelExterior => "proveedor_del_exterior",
            IvaCondition::ClienteDelExterior => "cliente_del_exterior",
            IvaCondition::IvaLiberado => "iva_liberado",
            IvaCondition::NoCategorizado => "no_categorizado",
        }
    }

    /// Whether a business (the issuer) can have this condition. Consumidor final and foreign
    /// parties only ever appear as receivers.
    pub fn valid_for_issuer(self) -> bool {
        matches!(
            self,
            IvaCondition::ResponsableInscripto
                | IvaCondition::Monotributo
                | IvaCondition::Exento
                | IvaCondition::MonotributistaSocial
                | IvaCondition::MonotributoTrabajadorIndependientePromovido
        )
    }
}

impl fmt::Display for IvaCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IvaCondition {
    type Err = UnknownIvaCondition;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownIvaCondition(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_round_trip() {
        for c in IvaCondition::ALL {
            assert_eq!(IvaCondition::from_afip_id(c.afip_id()), Some(c));
            assert_eq!(c.as_str().parse::<IvaCondition>(), Ok(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        assert!("nope".parse::<IvaCondition>().is_err());
    }
}
