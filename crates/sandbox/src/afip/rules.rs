//! WSFE's checks of one `FECAEDetRequest` (reference §4): numbering and date order (10016), date
//! windows (N±5 / N±10), receiver (10013, 10015), sums (10018–10071), class C rules, RG 5616.
//! Amounts are compared in integer cents.

use chrono::{Duration, NaiveDate};
use mostrador_afip::invoice::Money;
use mostrador_afip::xml::Element;

use super::soap::FEV1_NS;
use super::state::{SeqKey, State};
use super::tables;

pub type Msgs = Vec<(i64, String)>;

/// A request value that the .NET deserializer could not read: a SOAP fault.
#[derive(Debug)]
pub struct Unreadable(pub String);

/// A child in the FEV1 namespace (unqualified elements are ignored, as the real service does).
pub fn q<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    e.children
        .iter()
        .find(|c| c.name == name && c.ns.as_deref() == Some(FEV1_NS))
}

pub fn q_text<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    q(e, name).map(|c| c.text.trim())
}

/// An int field: missing is 0 (like .NET), unreadable is a fault.
pub fn int<T: std::str::FromStr + Default>(e: &Element, name: &str) -> Result<T, Unreadable> {
    match q_text(e, name) {
        None | Some("") => Ok(T::default()),
        Some(s) => s.parse().map_err(|_| {
            Unreadable(format!(
                "Input string '{s}' in {name} was not in a correct format."
            ))
        }),
    }
}

fn amount(e: &Element, name: &str) -> Result<i64, Unreadable> {
    match q_text(e, name) {
        None | Some("") => Ok(0),
        Some(s) => Money::parse(s)
            .map(Money::cents)
            .map_err(|_| Unreadable(format!("'{s}' in {name} is not a valid double."))),
    }
}

fn ymd(s: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s?.trim(), "%Y%m%d").ok()
}

/// The outcome of one detail: approved with observations, or rejected.
pub enum Verdict {
    Approved { date: NaiveDate, obs: Msgs },
    Rejected { errors: Msgs, obs: Msgs },
}

fn aliquot_bp(id: u8) -> Option<i64> {
    Some(match id {
        3 => 0,
        4 => 1050,
        5 => 2100,
        6 => 2700,
        8 => 500,
        9 => 250,
        _ => return None,
    })
}

fn class_of(tipo: u16) -> char {
    match tipo {
        1..=5 => 'A',
        6..=10 => 'B',
        _ => 'C',
    }
}

/// Checks one detail against AFIP's rules.
pub fn check(
    state: &State,
    key: SeqKey,
    det: &Element,
    today: NaiveDate,
) -> Result<Verdict, Unreadable> {
    let tipo = key.2;
    let class = class_of(tipo);
    let mut errors: Msgs = Vec::new();
    let mut obs: Msgs = Vec::new();

    // Numbering and date order: Err 10016.
    let desde: u64 = int(det, "CbteDesde")?;
    let hasta: u64 = int(det, "CbteHasta")?;
    let last = state.last(key);
    let next = last.map_or(0, |l| l.number) + 1;
    let date = match q_text(det, "CbteFch").filter(|s| !s.is_empty()) {
        None => today,
        Some(s) => match ymd(Some(s)) {
            Some(d) => d,
            None => {
                obs.push((10016, format!("Campo CbteFch con formato invalido: {s}")));
                return Ok(Verdict::Rejected { errors, obs });
            }
        },
    };
    if desde != next || hasta != desde || last.is_some_and(|l| date < l.date) {
        errors.push((10016, "El numero o fecha del comprobante no se corresponde con el proximo a autorizar. Consultar metodo FECompUltimoAutorizado.".into()));
        return Ok(Verdict::Rejected { errors, obs });
    }

    let concepto: u8 = int(det, "Concepto")?;
    if !(1..=3).contains(&concepto) {
        obs.push((10010, "Campo Concepto invalido: debe ser 1, 2 o 3.".into()));
    }
    let window = if concepto == 1 { 5 } else { 10 };
    if date < today - Duration::days(window) || date > today + Duration::days(window) {
        obs.push((10016, format!("Campo CbteFch Debe estar comprendido en el rango N-{window} y N+{window} siendo N la fecha de envio del pedido de autorizacion.")));
    }
    if concepto >= 2 {
        let have = ["FchServDesde", "FchServHasta", "FchVtoPago"]
            .iter()
            .all(|f| ymd(q_text(det, f)).is_some());
        if !have {
            obs.push((10049, "Si Concepto es 2 o 3, FchServDesde, FchServHasta y FchVtoPago son obligatorios (yyyymmdd).".into()));
        }
    }

    // Receiver.
    let doc_tipo: u16 = int(det, "DocTipo")?;
    let doc_nro: u64 = int(det, "DocNro")?;
    if class == 'A' && doc_tipo != 80 {
        obs.push((
            10013,
            "Para comprobantes clase A el campo DocTipo debe ser 80 (CUIT).".into(),
        ));
    }
    let total = amount(det, "ImpTotal")?;
    let cotiz = q_text(det, "MonCotiz")
        .and_then(|s| mostrador_afip::invoice::Rate::parse(s).ok())
        .unwrap_or(mostrador_afip::invoice::Rate::ONE);
    if matches!(doc_tipo, 80 | 86 | 87) {
        let cuit_ok = mostrador_afip::Cuit::try_from(doc_nro).is_ok();
        let registered = doc_nro == 23_000_000_000 || !state.unregistered_cuits.contains(&doc_nro);
        if !cuit_ok || !registered {
            obs.push((10015, format!("Factura {class} (CbteDesde igual a CbteHasta), DocTipo: {doc_tipo}, DocNro {doc_nro} no se encuentra registrado en los padrones de AFIP y no corresponde a una cuit pais.")));
        }
    }
    if doc_tipo == 99 && doc_nro != 0 {
        obs.push((10015, "Si DocTipo es 99, DocNro debe ser 0.".into()));
    }
    if doc_tipo == 99 && class != 'A' {
        let ars = cotiz.convert(Money::from_cents(total)).cents();
        if ars >= state.identification_threshold_cents {
            obs.push((10015, "El monto del comprobante supera el limite para consumidor final no identificado: informe DocTipo y DocNro del receptor.".into()));
        }
    }

    // RG 5616.
    match q_text(det, "CondicionIVAReceptorId").filter(|s| !s.is_empty()) {
        None => obs.push((10246, "Campo Condicion Frente al IVA del receptor es obligatorio conforme a lo reglamentado por la Resolucion General Nro 5616. Para mas informacion consular metodo FEParamGetCondicionIvaReceptor".into())),
        Some(s) => {
            let id: u8 = s.parse().map_err(|_| Unreadable(format!("Input string '{s}' in CondicionIVAReceptorId was not in a correct format.")))?;
            match tables::condition_allowed(id, class) {
                None => obs.push((10242, format!("El campo CondicionIVAReceptorId {id} no es valido. Consultar FEParamGetCondicionIvaReceptor."))),
                Some(false) => obs.push((10243, format!("El campo CondicionIVAReceptorId {id} no es valido para comprobantes clase {class}."))),
                Some(true) => {
                    if class == 'A' && id == 6 {
                        // Non-blocking: printed legend on invoices to monotributistas.
                        obs.push((10217, "El credito fiscal discriminado en el presente comprobante solo podra ser computado a efectos del Regimen de Sostenimiento e Inclusion Fiscal para Pequenos Contribuyentes de la Ley N 27.618".into()));
                    }
                }
            }
        }
    }

    // Amounts.
    let tot_conc = amount(det, "ImpTotConc")?;
    let neto = amount(det, "ImpNeto")?;
    let op_ex = amount(det, "ImpOpEx")?;
    let trib = amount(det, "ImpTrib")?;
    let iva = amount(det, "ImpIVA")?;
    let iva_lines: Vec<(u8, i64, i64)> = match q(det, "Iva") {
        Some(list) => list
            .children
            .iter()
            .filter(|c| c.name == "AlicIva" && c.ns.as_deref() == Some(FEV1_NS))
            .map(|a| Ok((int(a, "Id")?, amount(a, "BaseImp")?, amount(a, "Importe")?)))
            .collect::<Result<_, Unreadable>>()?,
        None => Vec::new(),
    };
    let tributes: Vec<i64> = match q(det, "Tributos") {
        Some(list) => list
            .children
            .iter()
            .filter(|c| c.name == "Tributo" && c.ns.as_deref() == Some(FEV1_NS))
            .map(|t| amount(t, "Importe"))
            .collect::<Result<_, Unreadable>>()?,
        None => Vec::new(),
    };
    if trib > 0 && tributes.is_empty() {
        obs.push((
            10024,
            "Si ImpTrib es mayor a 0 el objeto Tributos es obligatorio.".into(),
        ));
    }
    if trib == 0 && q(det, "Tributos").is_some() {
        obs.push((
            10024,
            "Si ImpTrib es igual a 0 el objeto Tributos no debe informarse.".into(),
        ));
    }
    if !tributes.is_empty() && tributes.iter().sum::<i64>() != trib {
        obs.push((
            10029,
            "La suma de los importes de Tributos debe ser igual a ImpTrib.".into(),
        ));
    }
    if class == 'C' {
        if q(det, "Iva").is_some() {
            obs.push((
                10071,
                "Para comprobantes tipo C el objeto IVA no debe informarse.".into(),
            ));
        }
        if tot_conc != 0 {
            obs.push((
                10043,
                "Para comprobantes tipo C el campo ImpTotConc debe ser igual a 0.".into(),
            ));
        }
        if op_ex != 0 {
            obs.push((
                10044,
                "Para comprobantes tipo C el campo ImpOpEx debe ser igual a 0.".into(),
            ));
        }
        if iva != 0 {
            obs.push((
                10047,
                "Para comprobantes tipo C el campo ImpIVA debe ser igual a 0.".into(),
            ));
        }
        if total != neto + trib {
            obs.push((
                10048,
                "El campo 'Importe Total' ImpTotal, debe ser igual a la suma de ImpNeto + ImpTrib."
                    .into(),
            ));
        }
    } else {
        if neto > 0 && iva_lines.is_empty() {
            obs.push((
                10070,
                "Si ImpNeto es mayor a 0 el objeto IVA es obligatorio.".into(),
            ));
        }
        if iva > 0 && iva_lines.is_empty() {
            obs.push((
                10018,
                "Si ImpIva es mayor a 0 el objeto Iva y AlicIva son obligatorios.".into(),
            ));
        }
        let mut seen = Vec::new();
        for (id, base, importe) in &iva_lines {
            if seen.contains(id) {
                obs.push((
                    10022,
                    format!("El Id de alicuota {id} esta repetido: totalice por alicuota."),
                ));
            }
            seen.push(*id);
            match aliquot_bp(*id) {
                None => obs.push((10019, format!("El Id de alicuota {id} no es valido."))),
                Some(bp) => {
                    // |Importe − BaseImp × rate| ≤ 0.01, in hundredths of a cent × 100.
                    let diff = (*importe as i128 * 10_000 - *base as i128 * bp as i128).abs();
                    if diff > 10_000 {
                        obs.push((10051, format!("El importe de IVA de la alicuota {id} no se corresponde con BaseImp x alicuota.")));
                    }
                }
            }
        }
        if !iva_lines.is_empty() {
            if iva_lines.iter().map(|l| l.2).sum::<i64>() != iva {
                obs.push((
                    10023,
                    "La suma de los importes de AlicIva debe ser igual a ImpIVA.".into(),
                ));
            }
            if iva_lines.iter().map(|l| l.1).sum::<i64>() != neto {
                obs.push((
                    10061,
                    "La suma de las BaseImp de AlicIva debe ser igual a ImpNeto.".into(),
                ));
            }
        }
        if total != tot_conc + neto + op_ex + trib + iva {
            obs.push((10048, "El campo 'Importe Total' ImpTotal, debe ser igual a la suma de ImpTotConc + ImpNeto + ImpOpEx + ImpTrib + ImpIVA.".into()));
        }
    }

    // Notes and their associated vouchers.
    let is_note = matches!(tipo, 2 | 3 | 7 | 8 | 12 | 13);
    let asoc: Vec<u16> = match q(det, "CbtesAsoc") {
        Some(list) => list
            .children
            .iter()
            .filter(|c| c.name == "CbteAsoc")
            .map(|c| int(c, "Tipo"))
            .collect::<Result<_, Unreadable>>()?,
        None => Vec::new(),
    };
    if is_note && asoc.is_empty() && q(det, "PeriodoAsoc").is_none() {
        obs.push((
            10197,
            "Para notas de credito y debito CbtesAsoc o PeriodoAsoc es obligatorio.".into(),
        ));
    }
    for a in asoc {
        let ok = match class {
            'A' => matches!(a, 1..=3),
            'B' => matches!(a, 6..=8),
            _ => matches!(a, 11..=13 | 15),
        };
        if !ok {
            obs.push((
                10040,
                format!(
                    "El comprobante asociado tipo {a} no corresponde a la clase del comprobante."
                ),
            ));
        }
    }

    let blocking = obs.iter().any(|(c, _)| *c != 10217);
    Ok(if blocking {
        Verdict::Rejected { errors, obs }
    } else {
        Verdict::Approved { date, obs }
    })
}
