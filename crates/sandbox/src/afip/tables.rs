//! Parameter tables (snapshots of homologation's), with the literal `NULL` for empty dates.

use super::vouchers::{self, Class};
use super::xml::escape;

const TIPOS_DOC: &[(&str, &str)] = &[
    ("80", "CUIT"),
    ("86", "CUIL"),
    ("87", "CDI"),
    ("94", "Pasaporte"),
    ("96", "DNI"),
    ("99", "Doc. (Otro)"),
];

const TIPOS_IVA: &[(&str, &str)] = &[
    ("3", "0%"),
    ("4", "10.5%"),
    ("5", "21%"),
    ("6", "27%"),
    ("8", "5%"),
    ("9", "2.5%"),
];

const MONEDAS: &[(&str, &str)] = &[
    ("PES", "Pesos Argentinos"),
    ("DOL", "Dólar Estadounidense"),
    ("060", "Euro"),
    ("012", "Real"),
];

/// `(Id, Desc, Cmp_Clase)` of FEParamGetCondicionIvaReceptor (RG 5616 matrix).
pub const CONDICIONES_IVA: &[(u8, &str, &str)] = &[
    (1, "IVA Responsable Inscripto", "A/M/C"),
    (4, "IVA Sujeto Exento", "B/C"),
    (5, "Consumidor Final", "B/C/49"),
    (6, "Responsable Monotributo", "A/M/C"),
    (7, "Sujeto No Categorizado", "B/C"),
    (8, "Proveedor del Exterior", "B/C"),
    (9, "Cliente del Exterior", "B/C"),
    (10, "IVA Liberado – Ley N° 19.640", "B/C"),
    (13, "Monotributista Social", "A/M/C"),
    (15, "IVA No Alcanzado", "B/C"),
    (
        16,
        "Monotributo Trabajador Independiente Promovido",
        "A/M/C",
    ),
];

/// Whether condition `id` is valid for voucher class `class` (`None`: no such condition).
pub fn condition_allowed(id: u8, class: Class) -> Option<bool> {
    CONDICIONES_IVA
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, _, classes)| classes.split('/').any(|c| c == class.letter()))
}

fn items<'a>(item: &str, rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = String::from("<ResultGet>");
    for (id, desc) in rows {
        s.push_str(&format!(
            "<{item}><Id>{id}</Id><Desc>{}</Desc><FchDesde>20100917</FchDesde><FchHasta>NULL</FchHasta></{item}>",
            escape(desc)
        ));
    }
    s.push_str("</ResultGet>");
    s
}

/// The `…Result` content of a no-argument parameter operation, if `operation` is one.
pub fn table(operation: &str) -> Option<String> {
    Some(match operation {
        "FEParamGetTiposCbte" => {
            let ids: Vec<(String, &str)> = vouchers::TYPES
                .iter()
                .map(|t| (t.id.to_string(), t.desc))
                .collect();
            items("CbteTipo", ids.iter().map(|(i, d)| (i.as_str(), *d)))
        }
        "FEParamGetTiposDoc" => items("DocTipo", TIPOS_DOC.iter().copied()),
        "FEParamGetTiposIva" => items("IvaTipo", TIPOS_IVA.iter().copied()),
        "FEParamGetTiposMonedas" => items("Moneda", MONEDAS.iter().copied()),
        _ => return None,
    })
}

/// FEParamGetCondicionIvaReceptor, optionally filtered by class.
pub fn condiciones(class: Option<&str>) -> String {
    let mut s = String::from("<ResultGet>");
    for (id, desc, classes) in CONDICIONES_IVA {
        if let Some(c) = class.filter(|c| !c.is_empty()) {
            let c = if c == "ALEY" { "A" } else { c };
            if !classes.split('/').any(|x| x == c) {
                continue;
            }
        }
        s.push_str(&format!(
            "<CondicionIvaReceptor><Id>{id}</Id><Desc>{}</Desc><Cmp_Clase>{classes}</Cmp_Clase></CondicionIvaReceptor>",
            escape(desc)
        ));
    }
    s.push_str("</ResultGet>");
    s
}

/// FEParamGetPtosVenta for the registered points of sale, with their `EmisionTipo`.
pub fn points_of_sale(points: &[(u32, &str)]) -> String {
    let mut s = String::from("<ResultGet>");
    for (n, emission) in points {
        s.push_str(&format!(
            "<PtoVenta><Nro>{n}</Nro><EmisionTipo>{emission}</EmisionTipo><Bloqueado>N</Bloqueado><FchBaja>NULL</FchBaja></PtoVenta>"
        ));
    }
    s.push_str("</ResultGet>");
    s
}
