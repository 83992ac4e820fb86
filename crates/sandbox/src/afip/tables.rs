//! Parameter tables (snapshots of homologation's), with the literal `NULL` for empty dates.

use mostrador_afip::xml::escape;

const TIPOS_CBTE: &[(&str, &str)] = &[
    ("1", "Factura A"),
    ("2", "Nota de Débito A"),
    ("3", "Nota de Crédito A"),
    ("6", "Factura B"),
    ("7", "Nota de Débito B"),
    ("8", "Nota de Crédito B"),
    ("11", "Factura C"),
    ("12", "Nota de Débito C"),
    ("13", "Nota de Crédito C"),
];

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

/// Whether condition `id` is valid for voucher class `class` ('A', 'B' or 'C').
pub fn condition_allowed(id: u8, class: char) -> Option<bool> {
    CONDICIONES_IVA
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, _, classes)| classes.split('/').any(|c| c.starts_with(class)))
}

fn items(item: &str, rows: &[(&str, &str)]) -> String {
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
        "FEParamGetTiposCbte" => items("CbteTipo", TIPOS_CBTE),
        "FEParamGetTiposDoc" => items("DocTipo", TIPOS_DOC),
        "FEParamGetTiposIva" => items("IvaTipo", TIPOS_IVA),
        "FEParamGetTiposMonedas" => items("Moneda", MONEDAS),
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

/// FEParamGetPtosVenta for the registered points of sale.
pub fn points_of_sale(numbers: &[u32]) -> String {
    let mut s = String::from("<ResultGet>");
    for n in numbers {
        s.push_str(&format!(
            "<PtoVenta><Nro>{n}</Nro><EmisionTipo>CAE - Ri Iva</EmisionTipo><Bloqueado>N</Bloqueado><FchBaja>NULL</FchBaja></PtoVenta>"
        ));
    }
    s.push_str("</ResultGet>");
    s
}
