//! WSFE's checks of one `FECAEDetRequest` (reference §4, manual v4.7 tables): numbering and date
//! order (10016), date windows (N±5 / N±10), concept (10030), receiver (10013, 10015), sums with
//! the manual's margin of error (10023, 10029, 10048, 10051, 10061), class C rules, notes
//! (10197, 10040) and RG 5616. Amounts are doubles, as on AFIP's side.

use chrono::{Duration, NaiveDate};
use mostrador_types::Cuit;

use super::decimal::{parse_double, parse_int, within};
use super::soap::FEV1_NS;
use super::state::{SeqKey, State};
use super::tables;
use super::vouchers::{self, Class};
use super::xml::Element;

pub type Msgs = Vec<(i64, String)>;

/// A request value that the .NET deserializer could not read: a SOAP fault.
#[derive(Debug)]
pub struct Unreadable(pub String);

/// A child in the FEV1 namespace (unqualified elements are ignored, as the real service does).
pub fn q<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    e.q(FEV1_NS, name)
}

pub fn q_text<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.q_text(FEV1_NS, name)
}

/// Children of `list` named `item`, in the FEV1 namespace.
pub fn q_items<'a>(e: &'a Element, item: &'a str) -> impl Iterator<Item = &'a Element> {
    e.q_all(FEV1_NS, item)
}

/// An int field: missing is 0 (like .NET), unreadable is a fault.
pub fn int<T: std::str::FromStr + Default>(e: &Element, name: &str) -> Result<T, Unreadable> {
    match q_text(e, name) {
        None | Some("") => Ok(T::default()),
        Some(s) => parse_int(s).map_err(|b| Unreadable(b.0)),
    }
}

/// A double field: missing is 0, unreadable is a fault.
pub fn amount(e: &Element, name: &str) -> Result<f64, Unreadable> {
    match q_text(e, name) {
        None | Some("") => Ok(0.0),
        Some(s) => parse_double(s).map_err(|b| Unreadable(b.0)),
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

fn aliquot_bp(id: u8) -> Option<f64> {
    Some(match id {
        3 => 0.0,
        4 => 10.5,
        5 => 21.0,
        6 => 27.0,
        8 => 5.0,
        9 => 2.5,
        _ => return None,
    })
}

/// Checks one detail against AFIP's rules.
pub fn check(
    state: &State,
    key: SeqKey,
    det: &Element,
    today: NaiveDate,
) -> Result<Verdict, Unreadable> {
    let tipo = key.2;
    // The header check (10007) ran before: the type is a real one.
    let Some(voucher) = vouchers::get(tipo) else {
        return Ok(Verdict::Rejected {
            errors: vec![(10007, "Campo CbteTipo invalido.".into())],
            obs: Vec::new(),
        });
    };
    let class = voucher.class;
    let letter = class.letter();
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
        obs.push((10030, "El campo Concepto es obligatorio y debe corresponder con algun valor devuelto por el metodo FEParamGetTiposConcepto.".into()));
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
    if matches!(class, Class::A | Class::M) && doc_tipo != 80 {
        obs.push((
            10013,
            "Para comprobantes clase A el campo DocTipo debe ser 80 (CUIT).".into(),
        ));
    }
    let total = amount(det, "ImpTotal")?;
    let cotiz = match q_text(det, "MonCotiz") {
        None | Some("") => 1.0,
        Some(s) => parse_double(s).map_err(|b| Unreadable(b.0))?,
    };
    if matches!(doc_tipo, 80 | 86 | 87) {
        let cuit_ok = Cuit::try_from(doc_nro).is_ok();
        let registered = doc_nro == 23_000_000_000 || !state.unregistered_cuits.contains(&doc_nro);
        if !cuit_ok || !registered {
            obs.push((10015, format!("Factura {letter} (CbteDesde igual a CbteHasta), DocTipo: {doc_tipo}, DocNro {doc_nro} no se encuentra registrado en los padrones de AFIP y no corresponde a una cuit pais.")));
        }
    }
    if doc_tipo == 99 && doc_nro != 0 {
        obs.push((10015, "Si DocTipo es 99, DocNro debe ser 0.".into()));
    }
    if doc_tipo == 99 && !matches!(class, Class::A | Class::M) {
        let ars = total * cotiz;
        if ars * 100.0 >= state.identification_threshold_cents as f64 {
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
                Some(false) => obs.push((10243, format!("El campo CondicionIVAReceptorId {id} no es valido para comprobantes clase {letter}."))),
                Some(true) => {
                    if matches!(class, Class::A | Class::M) && id == 6 {
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
    let iva_lines: Vec<(u8, f64, f64)> = match q(det, "Iva") {
        Some(list) => q_items(list, "AlicIva")
            .map(|a| Ok((int(a, "Id")?, amount(a, "BaseImp")?, amount(a, "Importe")?)))
            .collect::<Result<_, Unreadable>>()?,
        None => Vec::new(),
    };
    let tributes: Vec<f64> = match q(det, "Tributos") {
        Some(list) => q_items(list, "Tributo")
            .map(|t| amount(t, "Importe"))
            .collect::<Result<_, Unreadable>>()?,
        None => Vec::new(),
    };
    if trib > 0.0 && tributes.is_empty() {
        obs.push((
            10024,
            "Si ImpTrib es mayor a 0 el objeto Tributos es obligatorio.".into(),
        ));
    }
    if trib == 0.0 && q(det, "Tributos").is_some() {
        obs.push((
            10024,
            "Si ImpTrib es igual a 0 el objeto Tributos no debe informarse.".into(),
        ));
    }
    if !tributes.is_empty()
        && !within(
            tributes.iter().sum::<f64>(),
            trib,
            0.01 * tributes.len() as f64,
        )
    {
        obs.push((
            10029,
            "La suma de los importes de Tributos debe ser igual a ImpTrib.".into(),
        ));
    }
    if class == Class::C {
        if q(det, "Iva").is_some() {
            obs.push((
                10071,
                "Para comprobantes tipo C el objeto IVA no debe informarse.".into(),
            ));
        }
        if tot_conc != 0.0 {
            obs.push((
                10043,
                "Para comprobantes tipo C el campo ImpTotConc debe ser igual a 0.".into(),
            ));
        }
        if op_ex != 0.0 {
            obs.push((
                10044,
                "Para comprobantes tipo C el campo ImpOpEx debe ser igual a 0.".into(),
            ));
        }
        if iva != 0.0 {
            obs.push((
                10047,
                "Para comprobantes tipo C el campo ImpIVA debe ser igual a 0.".into(),
            ));
        }
        if !within(total, neto + trib, 0.01) {
            obs.push((
                10048,
                "El campo 'Importe Total' ImpTotal, debe ser igual a la suma de ImpNeto + ImpTrib."
                    .into(),
            ));
        }
    } else {
        if neto > 0.0 && iva_lines.is_empty() {
            obs.push((
                10070,
                "Si ImpNeto es mayor a 0 el objeto IVA es obligatorio.".into(),
            ));
        }
        if iva > 0.0 && iva_lines.is_empty() {
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
                Some(percent) => {
                    // Not applied to debit and credit notes (2, 3, 7, 8, 52, 53).
                    if !voucher.skips_iva_rate_check()
                        && !within(*importe, base * percent / 100.0, 0.01)
                    {
                        obs.push((10051, format!("El importe de IVA de la alicuota {id} no se corresponde con BaseImp x alicuota.")));
                    }
                }
            }
        }
        if !iva_lines.is_empty() {
            let margin = 0.01 * iva_lines.len() as f64;
            if !within(iva_lines.iter().map(|l| l.2).sum::<f64>(), iva, margin) {
                obs.push((
                    10023,
                    "La suma de los importes de AlicIva debe ser igual a ImpIVA.".into(),
                ));
            }
            if !voucher.skips_net_check()
                && !within(iva_lines.iter().map(|l| l.1).sum::<f64>(), neto, margin)
            {
                obs.push((
                    10061,
                    "La suma de las BaseImp de AlicIva debe ser igual a ImpNeto.".into(),
                ));
            }
        }
        if !within(total, tot_conc + neto + op_ex + trib + iva, 0.01) {
            obs.push((10048, "El campo 'Importe Total' ImpTotal, debe ser igual a la suma de ImpTotConc + ImpNeto + ImpOpEx + ImpTrib + ImpIVA.".into()));
        }
    }

    // Notes and their associated vouchers.
    let asoc: Vec<u16> = match q(det, "CbtesAsoc") {
        Some(list) => q_items(list, "CbteAsoc")
            .map(|c| int(c, "Tipo"))
            .collect::<Result<_, Unreadable>>()?,
        None => Vec::new(),
    };
    if voucher.is_note() && asoc.is_empty() && q(det, "PeriodoAsoc").is_none() {
        obs.push((
            10197,
            "Para notas de credito y debito CbtesAsoc o PeriodoAsoc es obligatorio.".into(),
        ));
    }
    for a in asoc {
        if !voucher.may_associate(a) {
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
