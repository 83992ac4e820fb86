//! WSFEv1: routing by SOAPAction (fallback: body element), Auth checks (500/600), numbering per
//! (CUIT, point of sale, voucher type), FECAESolicitar rules, FECompConsultar (602), tables.

use chrono::Utc;

use super::decimal::parse_double;
use super::faults::Fault;
use super::rules::{self, int, q, q_items, q_text, Msgs, Unreadable, Verdict};
use super::soap::{self, FEV1_NS};
use super::state::{SeqKey, State, StoredInvoice};
use super::tables;
use super::vouchers;
use super::xml::{self, Element};

/// Operations this simulator serves.
pub const OPERATIONS: &[&str] = &[
    "FEDummy",
    "FECompUltimoAutorizado",
    "FECAESolicitar",
    "FECompConsultar",
    "FECompTotXRequest",
    "FEParamGetTiposCbte",
    "FEParamGetTiposDoc",
    "FEParamGetTiposIva",
    "FEParamGetTiposMonedas",
    "FEParamGetPtosVenta",
    "FEParamGetCondicionIvaReceptor",
];

/// The operation a request is for: SOAPAction first, else the body's first element.
pub fn operation(soap_action: Option<&str>, body: &str) -> Option<String> {
    if let Some(a) = soap_action {
        let a = a.trim().trim_matches('"');
        if !a.is_empty() {
            let name = a.rsplit('/').next().unwrap_or(a);
            return Some(name.to_owned());
        }
    }
    let doc = xml::parse(body).ok()?;
    doc.find_local("Body")?
        .children
        .first()
        .map(|e| e.name.clone())
}

/// Processes a request for `op`; returns (HTTP status, body).
pub fn process(state: &mut State, op: &str, body: &str, fault: Option<&Fault>) -> (u16, String) {
    let now = state.clock.now();
    if !OPERATIONS.contains(&op) && !super::caea::OPERATIONS.contains(&op) {
        return (
            500,
            soap::dotnet_fault(
                "soap:Client",
                &format!("Server did not recognize the value of HTTP Header SOAPAction: {op}."),
            ),
        );
    }
    let doc = match xml::parse(body) {
        Ok(d) => d,
        Err(e) => return (500, soap::dotnet_fault("soap:Client", &e.to_string())),
    };
    // The operation element; an empty Body (FEDummy from pyafipws) is fine.
    let empty = Element::default();
    let req = doc
        .find_local("Body")
        .and_then(|b| b.q(FEV1_NS, op))
        .unwrap_or(&empty);
    let result = match run(state, op, req, fault) {
        Ok(inner) if op != "FEDummy" => {
            format!("{inner}{}", soap::messages("Events", "Evt", &state.events))
        }
        Ok(inner) => inner,
        Err(Unreadable(msg)) => {
            return (
                500,
                soap::dotnet_fault(
                    "soap:Client",
                    &format!("Server was unable to read request. ---> {msg}"),
                ),
            )
        }
    };
    (200, soap::wsfe_response(op, now, &result))
}

enum AuthCheck {
    Ok(u64),
    Failed(Msgs),
}

fn check_auth(state: &State, req: &Element) -> Result<AuthCheck, Unreadable> {
    let bad = || {
        AuthCheck::Failed(vec![(
            500,
            "Campo Auth no fue ingresado o esta mal formado.".into(),
        )])
    };
    let Some(auth) = q(req, "Auth") else {
        return Ok(bad());
    };
    let (Some(token), Some(sign)) = (q_text(auth, "Token"), q_text(auth, "Sign")) else {
        return Ok(bad());
    };
    let cuit: u64 = int(auth, "Cuit")?;
    let Some(t) = state.tokens.get(token) else {
        return Ok(AuthCheck::Failed(vec![(
            600,
            "ValidacionDeToken: No valido token.".into(),
        )]));
    };
    if t.sign != sign {
        return Ok(AuthCheck::Failed(vec![(
            600,
            "ValidacionDeToken: Error al verificar hash".into(),
        )]));
    }
    let now = state.clock.now();
    if now < t.generation.with_timezone(&Utc) - chrono::Duration::minutes(5)
        || now >= t.expiration.with_timezone(&Utc)
    {
        return Ok(AuthCheck::Failed(vec![(
            600,
            format!(
                "ValidacionDeToken: No validaron las fechas del token GenTime, ExpTime, NowUTC: {} ({}), {} ({}), {}",
                t.generation.timestamp(),
                t.generation.with_timezone(&Utc).format("%m/%d/%Y %I:%M:%S %p"),
                t.expiration.timestamp(),
                t.expiration.with_timezone(&Utc).format("%m/%d/%Y %I:%M:%S %p"),
                now.format("%m/%d/%Y %I:%M:%S %p")
            ),
        )]));
    }
    if t.service != "wsfe" {
        return Ok(AuthCheck::Failed(vec![(
            600,
            format!(
                "ValidacionDeToken: No valido Id Sistema: wsfe(Id Sistema de token es: {})",
                t.service
            ),
        )]));
    }
    if !t.relations.contains(&cuit) {
        return Ok(AuthCheck::Failed(vec![(
            600,
            format!("ValidacionDeToken: No apareció CUIT en lista de relaciones: {cuit}"),
        )]));
    }
    Ok(AuthCheck::Ok(cuit))
}

fn run(
    state: &mut State,
    op: &str,
    req: &Element,
    fault: Option<&Fault>,
) -> Result<String, Unreadable> {
    if op == "FEDummy" {
        let status = if matches!(fault, Some(Fault::DummyDown)) {
            "ERROR"
        } else {
            "OK"
        };
        return Ok(format!(
            "<AppServer>{status}</AppServer><DbServer>{status}</DbServer><AuthServer>{status}</AuthServer>"
        ));
    }
    let cuit = match check_auth(state, req)? {
        AuthCheck::Ok(c) => c,
        AuthCheck::Failed(errs) => {
            // Shapes on auth errors: no FeCabResp, just Errors (plus zeros where the type demands).
            let prefix = match op {
                "FECompUltimoAutorizado" => {
                    "<PtoVta>0</PtoVta><CbteTipo>0</CbteTipo><CbteNro>0</CbteNro>"
                }
                _ => "",
            };
            return Ok(format!("{prefix}{}", soap::errors(&errs)));
        }
    };
    if matches!(fault, Some(Fault::TransactionActive)) {
        return Ok(soap::errors(&[(
            502,
            "Error interno de base de datos - Autorizador: CAE - Transacción Activa".into(),
        )]));
    }
    Ok(match op {
        "FECompUltimoAutorizado" => {
            let pto: u32 = int(req, "PtoVta")?;
            let tipo: u16 = int(req, "CbteTipo")?;
            if !(1..=99_998).contains(&pto) {
                format!(
                    "<PtoVta>0</PtoVta><CbteTipo>0</CbteTipo><CbteNro>0</CbteNro>{}",
                    soap::errors(&[(11000, "Campo PtoVta invalido.".into())])
                )
            } else if vouchers::get(tipo).is_none() {
                format!(
                    "<PtoVta>0</PtoVta><CbteTipo>0</CbteTipo><CbteNro>0</CbteNro>{}",
                    soap::errors(&[(
                        11001,
                        "El CbteTipo debe ser alguno de los habilitados en este WS. Consultar metodo FEParamGetTiposCbte.".into()
                    )])
                )
            } else if state
                .points_of_sale
                .as_ref()
                .is_some_and(|s| !s.contains(&pto))
            {
                format!(
                    "<PtoVta>0</PtoVta><CbteTipo>0</CbteTipo><CbteNro>0</CbteNro>{}",
                    soap::errors(&[(
                        11002,
                        "El punto de venta debe estar habilitado en este WS. Consultar metodo FEParamGetPtosVenta.".into()
                    )])
                )
            } else {
                let last = state.last((cuit, pto, tipo)).map_or(0, |l| l.number);
                format!(
                    "<PtoVta>{pto}</PtoVta><CbteTipo>{tipo}</CbteTipo><CbteNro>{last}</CbteNro>"
                )
            }
        }
        "FECAESolicitar" => cae_solicitar(state, cuit, req, fault)?,
        op if super::caea::OPERATIONS.contains(&op) => super::caea::run(state, cuit, op, req)?,
        "FECompConsultar" => {
            let cons = q(req, "FeCompConsReq").cloned().unwrap_or_default();
            let tipo: u16 = int(&cons, "CbteTipo")?;
            let nro: u64 = int(&cons, "CbteNro")?;
            let pto: u32 = int(&cons, "PtoVta")?;
            match state.invoices.get(&((cuit, pto, tipo), nro)) {
                None => soap::errors(&[(
                    602,
                    "No existen datos en nuestros registros para los parametros ingresados.".into(),
                )]),
                Some(inv) => consulted(inv),
            }
        }
        "FECompTotXRequest" => format!("<RegXReq>{}</RegXReq>", state.max_records),
        "FEParamGetPtosVenta" => {
            let numbers: Vec<u32> = match &state.points_of_sale {
                Some(set) => set.iter().copied().collect(),
                None => {
                    let mut v: Vec<u32> = state
                        .invoices
                        .keys()
                        .filter(|((c, _, _), _)| *c == cuit)
                        .map(|((_, p, _), _)| *p)
                        .collect();
                    v.dedup();
                    v
                }
            };
            let caea = &state.caea_points_of_sale;
            let mut listed: Vec<(u32, &str)> = numbers
                .into_iter()
                .filter(|n| !caea.contains(n))
                .map(|n| (n, "CAE - Ri Iva"))
                .chain(caea.iter().map(|n| (*n, "CAEA - Ri Iva")))
                .collect();
            listed.sort_unstable();
            tables::points_of_sale(&listed)
        }
        "FEParamGetCondicionIvaReceptor" => tables::condiciones(q_text(req, "ClaseCmp")),
        other => tables::table(other).unwrap_or_default(),
    })
}

fn cae_solicitar(
    state: &mut State,
    cuit: u64,
    req: &Element,
    fault: Option<&Fault>,
) -> Result<String, Unreadable> {
    let now = state.clock.now().with_timezone(&super::argentina());
    let fch_proceso = now.format("%Y%m%d%H%M%S").to_string();
    let empty = Element::default();
    let cae_req = q(req, "FeCAEReq").unwrap_or(&empty);
    let cab = q(cae_req, "FeCabReq").unwrap_or(&empty);
    let cant: u32 = int(cab, "CantReg")?;
    let pto: u32 = int(cab, "PtoVta")?;
    let tipo: u16 = int(cab, "CbteTipo")?;
    let dets: Vec<&Element> = q(cae_req, "FeDetReq")
        .map(|d| q_items(d, "FECAEDetRequest").collect())
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
    // Header checks in the manual's order: CantReg (10001–10003), PtoVta (10004, 10005), CbteTipo
    // (10006: not a positive number; 10007: not one of the real types).
    if !(1..=9998).contains(&cant) {
        return Ok(header_error(
            10001,
            "Campo CantReg invalido: debe estar entre 1 y 9998.",
        ));
    }
    if cant as usize != dets.len() {
        return Ok(header_error(
            10002,
            "Campo CantReg no coincide con la cantidad de comprobantes informados.",
        ));
    }
    if cant > state.max_records {
        return Ok(header_error(
            10003,
            "CantReg supera el maximo permitido (FECompTotXRequest).",
        ));
    }
    if !(1..=99_998).contains(&pto) {
        return Ok(header_error(
            10004,
            "Campo PtoVta invalido: debe estar entre 1 y 99998.",
        ));
    }
    if state
        .points_of_sale
        .as_ref()
        .is_some_and(|s| !s.contains(&pto))
    {
        return Ok(header_error(
            10005,
            "El punto de venta no se encuentra habilitado para usar el presente WS.",
        ));
    }
    if tipo == 0 {
        return Ok(header_error(
            10006,
            "Campo CbteTipo debe ser un valor numerico mayor a 0.",
        ));
    }
    if vouchers::get(tipo).is_none() {
        return Ok(header_error(
            10007,
            "Campo CbteTipo invalido. Consultar metodo FEParamGetTiposCbte.",
        ));
    }
    let key: SeqKey = (cuit, pto, tipo);
    if matches!(fault, Some(Fault::ForeignInvoiceFirst)) {
        state.insert_foreign(key);
    }
    let today = now.date_naive();
    let mut det_resp = String::new();
    let mut all_errors: Msgs = Vec::new();
    let mut approved = 0;
    let mut failed = false;
    for det in &dets {
        let desde: u64 = int(det, "CbteDesde")?;
        let head = format!(
            "<Concepto>{}</Concepto><DocTipo>{}</DocTipo><DocNro>{}</DocNro><CbteDesde>{desde}</CbteDesde><CbteHasta>{}</CbteHasta>",
            int::<u8>(det, "Concepto")?,
            int::<u16>(det, "DocTipo")?,
            int::<u64>(det, "DocNro")?,
            int::<u64>(det, "CbteHasta")?,
        );
        let verdict = if failed {
            Verdict::Rejected {
                errors: vec![],
                obs: vec![],
            }
        } else {
            rules::check(state, key, det, today)?
        };
        match verdict {
            Verdict::Approved { date, obs } => {
                let cae = state.next_cae();
                let due = date + chrono::Duration::days(10);
                let mut detail = (*det).clone();
                // Store the date actually used when CbteFch was omitted.
                if q_text(&detail, "CbteFch").is_none_or(str::is_empty) {
                    detail.children.retain(|c| c.name != "CbteFch");
                    detail.children.push(Element::leaf(
                        FEV1_NS,
                        "CbteFch",
                        date.format("%Y%m%d").to_string(),
                    ));
                }
                state.invoices.insert(
                    (key, desde),
                    StoredInvoice {
                        cuit,
                        point_of_sale: pto,
                        voucher_type: tipo,
                        number: desde,
                        date,
                        concept: int(det, "Concepto")?,
                        doc_tipo: int(det, "DocTipo")?,
                        doc_nro: int(det, "DocNro")?,
                        total: parse_double(q_text(det, "ImpTotal").unwrap_or("0")).unwrap_or(0.0),
                        cae: cae.clone(),
                        cae_due: due,
                        processed_at: fch_proceso.clone(),
                        foreign: false,
                        observations: obs.clone(),
                        detail,
                        emission: "CAE",
                    },
                );
                approved += 1;
                det_resp.push_str(&format!(
                    "<FECAEDetResponse>{head}<CbteFch>{}</CbteFch><Resultado>A</Resultado>{}<CAE>{cae}</CAE><CAEFchVto>{}</CAEFchVto></FECAEDetResponse>",
                    date.format("%Y%m%d"),
                    soap::messages("Observaciones", "Obs", &obs),
                    due.format("%Y%m%d"),
                ));
            }
            Verdict::Rejected { errors, obs } => {
                failed = true;
                all_errors.extend(errors);
                det_resp.push_str(&format!(
                    "<FECAEDetResponse>{head}<CbteFch>{}</CbteFch><Resultado>R</Resultado>{}<CAE /><CAEFchVto /></FECAEDetResponse>",
                    q_text(det, "CbteFch").unwrap_or_default(),
                    soap::messages("Observaciones", "Obs", &obs),
                ));
            }
        }
    }
    let resultado = match (approved, dets.len()) {
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

/// `ResultGet` of FECompConsultar: every FEDetRequest field echoed (normalized, empty elements for
/// unused ones), then the authorization data.
fn consulted(inv: &StoredInvoice) -> String {
    const SCALARS: &[&str] = &[
        "Concepto",
        "DocTipo",
        "DocNro",
        "CbteDesde",
        "CbteHasta",
        "CbteFch",
        "ImpTotal",
        "ImpTotConc",
        "ImpNeto",
        "ImpOpEx",
        "ImpTrib",
        "ImpIVA",
        "FchServDesde",
        "FchServHasta",
        "FchVtoPago",
        "MonId",
        "MonCotiz",
        "CanMisMonExt",
        "CondicionIVAReceptorId",
    ];
    let mut s = String::from("<ResultGet>");
    for name in SCALARS {
        match inv.detail.q(FEV1_NS, name) {
            Some(e) => soap::write_normalized(e, &mut s),
            None => s.push_str(&format!("<{name} />")),
        }
    }
    for list in ["CbtesAsoc", "Tributos", "Iva"] {
        if let Some(e) = inv.detail.q(FEV1_NS, list) {
            soap::write_normalized(e, &mut s);
        }
    }
    s.push_str(&format!(
        "<Resultado>A</Resultado><CodAutorizacion>{}</CodAutorizacion><EmisionTipo>{}</EmisionTipo><FchVto>{}</FchVto><FchProceso>{}</FchProceso>{}<PtoVta>{}</PtoVta><CbteTipo>{}</CbteTipo></ResultGet>",
        inv.cae,
        inv.emission,
        inv.cae_due.format("%Y%m%d"),
        inv.processed_at,
        soap::messages("Observaciones", "Obs", &inv.observations),
        inv.point_of_sale,
        inv.voucher_type
    ));
    s
}
