//! CAEA rules (reference §5): one CAEA per (CUIT, period, order), granted only inside the request
//! window (15006) and refused when it exists (15008); FECAEAConsultar (602 when none);
//! FECAEARegInformativo (CAEA known and valid for the date, numbers contiguous per point of sale
//! and type with what is already informed, FchTopeInf by the simulator clock); "sin movimiento"
//! declarations per point of sale (1202 when it has invoices, 1209 when already declared).
//! Informed invoices join the invoice store, so FECompConsultar returns them (`EmisionTipo CAEA`).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::decimal::parse_double;
use super::rules::{self, int, q, q_items, q_text, Msgs, Unreadable, Verdict};
use super::soap;
use super::state::{SeqKey, State, StoredInvoice};
use super::vouchers;
use super::xml::{escape, Element};
use super::AfipSim;

pub const OPERATIONS: &[&str] = &[
    "FECAEASolicitar",
    "FECAEAConsultar",
    "FECAEARegInformativo",
    "FECAEASinMovimientoInformar",
    "FECAEASinMovimientoConsultar",
];

/// Days after `FchVigHasta` the simulator gives as `FchTopeInf` (observed in 2021 homologation).
pub const REPORT_DAYS_AFTER: i64 = 5;
/// Informing after `FchTopeInf`. The reference names no code for it; the simulator uses this one.
pub const DEADLINE_PASSED: i64 = 15010;

/// A CAEA the simulator granted.
#[derive(Debug, Clone, Serialize)]
pub struct GrantedCaea {
    pub cuit: u64,
    pub code: String,
    pub period: u32,
    pub order: u8,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub report_by: NaiveDate,
    pub processed_at: String,
}

/// A "sin movimiento" declaration.
#[derive(Debug, Clone, Serialize)]
pub struct NoActivity {
    pub cuit: u64,
    pub caea: String,
    pub point_of_sale: u32,
    pub processed_at: String,
}

/// A rejection waiting for FECAEARegInformativo (control API): the matching invoice is answered
/// like AFIP refuses a detail (`Resultado` R with the reason in its `Observaciones`, the batch's
/// `Resultado` R or P) and is not stored, so its number stays the next one to inform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformRejection {
    /// Only invoices of this point of sale (`None`: any).
    #[serde(default)]
    pub point_of_sale: Option<u32>,
    /// Only the invoice with this number (`None`: the next ones informed, whatever their number).
    #[serde(default)]
    pub number: Option<u64>,
    /// AFIP's code and message (default: 702, the date outside the CAEA's validity).
    #[serde(default = "default_code")]
    pub code: i64,
    #[serde(default = "default_message")]
    pub message: String,
    /// How many invoices it rejects (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

fn default_code() -> i64 {
    702
}

fn default_message() -> String {
    "La fecha del comprobante debe estar comprendida en la vigencia del CAEA.".into()
}

fn one() -> u32 {
    1
}

impl InformRejection {
    /// Rejects the invoice `number` of point of sale `point_of_sale` once, with `code`/`message`.
    pub fn of(point_of_sale: u32, number: u64, code: i64, message: &str) -> Self {
        InformRejection {
            point_of_sale: Some(point_of_sale),
            number: Some(number),
            code,
            message: message.to_owned(),
            times: 1,
        }
    }
}

/// Everything CAEA the simulator remembers.
#[derive(Debug, Default)]
pub struct CaeaBook {
    pub granted: BTreeMap<(u64, u32, u8), GrantedCaea>,
    pub no_activity: Vec<NoActivity>,
    /// Rejections waiting for their invoice (first match wins, one use per invoice).
    pub inform_rejections: Vec<InformRejection>,
    counter: u64,
}

impl CaeaBook {
    /// Takes one use of the first rejection matching invoice `number` of `point_of_sale`.
    fn take_rejection(&mut self, point_of_sale: u32, number: u64) -> Option<(i64, String)> {
        let i = self.inform_rejections.iter().position(|r| {
            r.point_of_sale.is_none_or(|p| p == point_of_sale)
                && r.number.is_none_or(|n| n == number)
        })?;
        let r = &mut self.inform_rejections[i];
        let out = (r.code, r.message.clone());
        r.times = r.times.saturating_sub(1);
        if r.times == 0 {
            self.inform_rejections.remove(i);
        }
        Some(out)
    }

    fn by_code(&self, cuit: u64, code: &str) -> Option<&GrantedCaea> {
        self.granted
            .values()
            .find(|g| g.cuit == cuit && g.code == code)
    }
}

fn fortnight(period: u32, order: u8) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = ((period / 100) as i32, period % 100);
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    match order {
        1 => Some((first, first + Duration::days(14))),
        2 => {
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)?
            };
            Some((first + Duration::days(15), next - Duration::days(1)))
        }
        _ => None,
    }
}

fn us_date(d: NaiveDate) -> String {
    format!("{}/{}/{}", d.month(), d.day(), d.year())
}

fn result_get(g: &GrantedCaea) -> String {
    format!(
        "<ResultGet><CAEA>{}</CAEA><Periodo>{}</Periodo><Orden>{}</Orden><FchVigDesde>{}</FchVigDesde><FchVigHasta>{}</FchVigHasta><FchTopeInf>{}</FchTopeInf><FchProceso>{}</FchProceso></ResultGet>",
        g.code,
        g.period,
        g.order,
        g.valid_from.format("%Y%m%d"),
        g.valid_to.format("%Y%m%d"),
        g.report_by.format("%Y%m%d"),
        g.processed_at
    )
}

/// Serves one CAEA operation for an authenticated `cuit`.
pub fn run(state: &mut State, cuit: u64, op: &str, req: &Element) -> Result<String, Unreadable> {
    let now = state.clock.now().with_timezone(&super::argentina());
    let today = now.date_naive();
    let fch_proceso = now.format("%Y%m%d%H%M%S").to_string();
    Ok(match op {
        "FECAEASolicitar" | "FECAEAConsultar" => {
            let period: u32 = int(req, "Periodo")?;
            let order: u8 = int(req, "Orden")?;
            let Some((from, to)) = fortnight(period, order) else {
                return Ok(soap::errors(&[(
                    15002,
                    "Campo Periodo u Orden invalido: Periodo es yyyymm y Orden 1 o 2.".into(),
                )]));
            };
            let existing = state.caea.granted.get(&(cuit, period, order));
            if op == "FECAEAConsultar" {
                return Ok(match existing {
                    Some(g) => result_get(g),
                    None => soap::errors(&[(
                        602,
                        "No existen datos en nuestros registros para los parametros ingresados."
                            .into(),
                    )]),
                });
            }
            let opens = from - Duration::days(5);
            if today < opens || today > to {
                return Ok(soap::errors(&[(
                    15006,
                    format!("Fecha de envío podrá ser desde 5 días corridos anteriores al inicio hasta el último dia de cada quincena. Del {} hasta {}", us_date(opens), us_date(to)),
                )]));
            }
            if existing.is_some() {
                return Ok(soap::errors(&[(
                    15008,
                    format!("Existe un CAEA otorgado para el periodo {period} y orden {order}. Consultar metodo FECAEAConsultar."),
                )]));
            }
            state.caea.counter += 1;
            let g = GrantedCaea {
                cuit,
                code: format!("{}", 36_000_000_000_000u64 + state.caea.counter * 7907),
                period,
                order,
                valid_from: from,
                valid_to: to,
                report_by: to + Duration::days(REPORT_DAYS_AFTER),
                processed_at: fch_proceso,
            };
            let out = result_get(&g);
            state.caea.granted.insert((cuit, period, order), g);
            out
        }
        "FECAEARegInformativo" => reg_informativo(state, cuit, req, today, &fch_proceso)?,
        "FECAEASinMovimientoInformar" => {
            let pto: u32 = int(req, "PtoVta")?;
            let code = q_text(req, "CAEA").unwrap_or_default().to_owned();
            let answer = |resultado: &str, errs: Msgs| {
                format!(
                    "<CAEA>{}</CAEA><FchProceso>{fch_proceso}</FchProceso><PtoVta>{pto}</PtoVta><Resultado>{resultado}</Resultado>{}",
                    escape(&code),
                    soap::errors(&errs)
                )
            };
            if state.caea.by_code(cuit, &code).is_none() {
                return Ok(answer(
                    "R",
                    vec![(1201, "El CAEA informado no existe para la CUIT.".into())],
                ));
            }
            let has_invoices = state
                .invoices
                .values()
                .any(|i| i.cuit == cuit && i.point_of_sale == pto && i.cae == code);
            if has_invoices {
                return Ok(answer(
                    "R",
                    vec![(
                        1202,
                        "El CAEA y punto de venta informados tienen comprobantes informados."
                            .into(),
                    )],
                ));
            }
            if state
                .caea
                .no_activity
                .iter()
                .any(|n| n.cuit == cuit && n.caea == code && n.point_of_sale == pto)
            {
                return Ok(answer(
                    "R",
                    vec![(
                        1209,
                        "El CAEA y punto de venta ya fueron informados sin movimiento.".into(),
                    )],
                ));
            }
            state.caea.no_activity.push(NoActivity {
                cuit,
                caea: code.clone(),
                point_of_sale: pto,
                processed_at: fch_proceso.clone(),
            });
            answer("A", Vec::new())
        }
        "FECAEASinMovimientoConsultar" => {
            let pto: u32 = int(req, "PtoVta")?;
            let code = q_text(req, "CAEA").unwrap_or_default();
            let found: Vec<&NoActivity> = state
                .caea
                .no_activity
                .iter()
                .filter(|n| {
                    n.cuit == cuit && n.caea == code && (pto == 0 || n.point_of_sale == pto)
                })
                .collect();
            if found.is_empty() {
                soap::errors(&[(
                    602,
                    "No existen datos en nuestros registros para los parametros ingresados.".into(),
                )])
            } else {
                let mut s = String::from("<ResultGet>");
                for n in found {
                    s.push_str(&format!(
                        "<FECAEASinMov><CAEA>{}</CAEA><FchProceso>{}</FchProceso><PtoVta>{}</PtoVta></FECAEASinMov>",
                        n.caea, n.processed_at, n.point_of_sale
                    ));
                }
                s.push_str("</ResultGet>");
                s
            }
        }
        _ => String::new(),
    })
}

fn reg_informativo(
    state: &mut State,
    cuit: u64,
    req: &Element,
    today: NaiveDate,
    fch_proceso: &str,
) -> Result<String, Unreadable> {
    let empty = Element::default();
    let inf = q(req, "FeCAEARegInfReq").unwrap_or(&empty);
    let cab = q(inf, "FeCabReq").unwrap_or(&empty);
    let cant: u32 = int(cab, "CantReg")?;
    let pto: u32 = int(cab, "PtoVta")?;
    let tipo: u16 = int(cab, "CbteTipo")?;
    let dets: Vec<&Element> = q(inf, "FeDetReq")
        .map(|d| q_items(d, "FECAEADetRequest").collect())
        .unwrap_or_default();
    let cab_resp = |resultado: &str| {
        format!("<FeCabResp><Cuit>{cuit}</Cuit><PtoVta>{pto}</PtoVta><CbteTipo>{tipo}</CbteTipo><FchProceso>{fch_proceso}</FchProceso><CantReg>{cant}</CantReg><Resultado>{resultado}</Resultado><Reproceso>N</Reproceso></FeCabResp>")
    };
    let header_error = |code: i64, msg: &str| {
        format!(
            "{}{}",
            cab_resp("R"),
            soap::errors(&[(code, msg.to_owned())])
        )
    };
    if cant == 0 || cant as usize != dets.len() {
        return Ok(header_error(
            10002,
            "Campo CantReg no coincide con la cantidad de comprobantes informados.",
        ));
    }
    if !(1..=99_998).contains(&pto) {
        return Ok(header_error(
            10004,
            "Campo PtoVta invalido: debe estar entre 1 y 99998.",
        ));
    }
    if vouchers::get(tipo).is_none() {
        return Ok(header_error(
            10007,
            "Campo CbteTipo invalido. Consultar metodo FEParamGetTiposCbte.",
        ));
    }
    let key: SeqKey = (cuit, pto, tipo);
    let mut det_resp = String::new();
    let mut all_errors: Msgs = Vec::new();
    let mut accepted = 0;
    let mut failed = false;
    for det in &dets {
        let desde: u64 = int(det, "CbteDesde")?;
        let code = q_text(det, "CAEA").unwrap_or_default().to_owned();
        let date = q_text(det, "CbteFch").and_then(|s| NaiveDate::parse_from_str(s, "%Y%m%d").ok());
        let head = format!(
            "<Concepto>{}</Concepto><DocTipo>{}</DocTipo><DocNro>{}</DocNro><CbteDesde>{desde}</CbteDesde><CbteHasta>{}</CbteHasta><CbteFch>{}</CbteFch>",
            int::<u8>(det, "Concepto")?,
            int::<u16>(det, "DocTipo")?,
            int::<u64>(det, "DocNro")?,
            int::<u64>(det, "CbteHasta")?,
            q_text(det, "CbteFch").unwrap_or_default(),
        );
        let mut errs: Msgs = Vec::new();
        let mut obs: Msgs = Vec::new();
        let mut refused = false;
        if failed {
            // After a rejection the rest of the batch is not processed, like FECAESolicitar.
        } else if let Some(rejection) = state.caea.take_rejection(pto, desde) {
            // Injected (control API): refused like a detail AFIP does not accept.
            obs.push(rejection);
            refused = true;
        } else if let Some(g) = state.caea.by_code(cuit, &code).cloned() {
            let last = state.last(key);
            let next = last.map_or(0, |l| l.number) + 1;
            match date {
                None => errs.push((702, "Campo CbteFch invalido o ausente.".into())),
                Some(d) if d < g.valid_from || d > g.valid_to => errs.push((
                    702,
                    format!(
                        "La fecha del comprobante debe estar comprendida en la vigencia del CAEA ({} a {}).",
                        g.valid_from.format("%Y%m%d"),
                        g.valid_to.format("%Y%m%d")
                    ),
                )),
                Some(_) if today > g.report_by => errs.push((
                    DEADLINE_PASSED,
                    format!(
                        "La fecha tope de informacion del CAEA ({}) esta vencida.",
                        g.report_by.format("%Y%m%d")
                    ),
                )),
                Some(_) if desde != next || int::<u64>(det, "CbteHasta")? != desde => errs.push((
                    703,
                    format!("El numero de comprobante informado no es el proximo a informar ({next})."),
                )),
                Some(d) if last.is_some_and(|l| d < l.date) => errs.push((
                    704,
                    "La fecha del comprobante es anterior a la del ultimo comprobante informado."
                        .into(),
                )),
                Some(d) => {
                    // The CAE rules run with the invoice's own date as "today": a CAEA invoice is
                    // informed days later by design. Under CAEA they only observe.
                    match rules::check(state, key, det, d)? {
                        Verdict::Approved { obs: o, .. } => obs = o,
                        Verdict::Rejected { errors, obs: o } => {
                            obs = o;
                            obs.extend(errors);
                        }
                    }
                    if q_text(det, "CbteFchHsGen").is_none_or(str::is_empty) {
                        errs.push((1440, "Campo CbteFchHsGen es obligatorio.".into()));
                    }
                }
            }
        } else {
            errs.push((
                782,
                "El CAEA informado no existe o no corresponde a la CUIT.".into(),
            ));
        }
        let ok = !failed && !refused && errs.is_empty();
        if ok {
            let d = date.expect("checked");
            let mut detail = (*det).clone();
            detail.name = "FECAEDetRequest".into();
            state.invoices.insert(
                (key, desde),
                StoredInvoice {
                    cuit,
                    point_of_sale: pto,
                    voucher_type: tipo,
                    number: desde,
                    date: d,
                    concept: int(det, "Concepto")?,
                    doc_tipo: int(det, "DocTipo")?,
                    doc_nro: int(det, "DocNro")?,
                    total: parse_double(q_text(det, "ImpTotal").unwrap_or("0")).unwrap_or(0.0),
                    cae: code.clone(),
                    cae_due: state.caea.by_code(cuit, &code).map_or(d, |g| g.valid_to),
                    processed_at: fch_proceso.to_owned(),
                    foreign: false,
                    observations: obs.clone(),
                    detail,
                    emission: "CAEA",
                },
            );
            accepted += 1;
        } else {
            failed = true;
        }
        det_resp.push_str(&format!(
            "<FECAEADetResponse>{head}<Resultado>{}</Resultado><CAEA>{}</CAEA>{}</FECAEADetResponse>",
            if ok { "A" } else { "R" },
            escape(&code),
            soap::messages("Observaciones", "Obs", &obs),
        ));
        all_errors.extend(errs);
    }
    let resultado = match (accepted, dets.len()) {
        (a, n) if a == n => "A",
        (0, _) => "R",
        _ => "P",
    };
    Ok(format!(
        "{}<FeDetResp>{det_resp}</FeDetResp>{}",
        cab_resp(resultado),
        soap::errors(&all_errors)
    ))
}

impl AfipSim {
    /// Every CAEA granted.
    pub fn caeas(&self) -> Vec<GrantedCaea> {
        self.lock().caea.granted.values().cloned().collect()
    }

    /// Registers a CAEA an earlier run granted (see [`AfipSim::restore_invoice`]): the simulator
    /// keeps nothing across restarts, AFIP keeps everything. Later grants get other codes.
    pub fn restore_caea(&self, caea: GrantedCaea) {
        let mut state = self.lock();
        if let Some(n) = caea
            .code
            .parse::<u64>()
            .ok()
            .and_then(|c| c.checked_sub(36_000_000_000_000))
        {
            state.caea.counter = state.caea.counter.max(n / 7907);
        }
        state
            .caea
            .granted
            .insert((caea.cuit, caea.period, caea.order), caea);
    }

    /// Rejects the next FECAEARegInformativo of the invoices `rejection` matches.
    pub fn reject_inform(&self, rejection: InformRejection) {
        self.lock().caea.inform_rejections.push(rejection);
    }

    /// Every "sin movimiento" declaration.
    pub fn no_activity_declarations(&self) -> Vec<NoActivity> {
        self.lock().caea.no_activity.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inform_rejection_takes_only_its_invoice_and_wears_out() {
        let mut book = CaeaBook::default();
        book.inform_rejections
            .push(InformRejection::of(90, 3, 10015, "receptor"));
        book.inform_rejections.push(InformRejection {
            times: 2,
            ..serde_json::from_str(r#"{"point_of_sale": 91}"#).unwrap()
        });
        assert_eq!(book.take_rejection(90, 2), None);
        assert_eq!(book.take_rejection(90, 3), Some((10015, "receptor".into())));
        assert_eq!(book.take_rejection(90, 3), None);
        assert_eq!(book.take_rejection(91, 7).map(|r| r.0), Some(702));
        assert_eq!(book.take_rejection(91, 8).map(|r| r.0), Some(702));
        assert_eq!(book.take_rejection(91, 9), None);
    }

    #[test]
    fn fortnights_end_on_the_15th_and_the_months_last_day() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(fortnight(202402, 2), Some((d(2024, 2, 16), d(2024, 2, 29))));
        assert_eq!(
            fortnight(202512, 1),
            Some((d(2025, 12, 1), d(2025, 12, 15)))
        );
        assert_eq!(
            fortnight(202512, 2),
            Some((d(2025, 12, 16), d(2025, 12, 31)))
        );
        assert_eq!(fortnight(202512, 3), None);
        assert_eq!(fortnight(202513, 1), None);
    }
}
