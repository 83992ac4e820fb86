//! Parsing WSFEv1 answers namespace-tolerantly: `Errors`, `Events`, per-invoice `Observaciones`,
//! `Resultado`, CAE and `CAEFchVto` exactly as returned.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::invoice::{Invoice, Money, Rate};
use crate::xml::{self, Element};

/// One `Err`, `Evt` or `Obs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub code: i64,
    pub msg: String,
}

/// `Resultado`: A (approved), R (rejected), P (partial, batches only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Approved,
    Rejected,
    Partial,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match s.trim() {
            "A" => Some(Outcome::Approved),
            "R" => Some(Outcome::Rejected),
            "P" => Some(Outcome::Partial),
            _ => None,
        }
    }
}

/// What the body of a WSFE answer was.
pub enum Body {
    /// The operation's `…Result` element.
    Result(Element),
    /// A SOAP fault (unknown SOAPAction, non-numeric int, …).
    Fault { code: String, message: String },
}

/// Finds `{operation}Result` (or a fault) in a response document.
pub fn parse_body(doc: &str, operation: &str) -> Result<Body, String> {
    let root = xml::parse(doc).map_err(|e| e.to_string())?;
    if let Some(f) = root.find("Fault") {
        return Ok(Body::Fault {
            code: f.child_text("faultcode").unwrap_or_default().to_owned(),
            message: f.child_text("faultstring").unwrap_or_default().to_owned(),
        });
    }
    let name = format!("{operation}Result");
    root.find(&name)
        .cloned()
        .map(Body::Result)
        .ok_or_else(|| format!("no {name} in the response"))
}

/// Messages under `parent/{list}/{item}` (Errors/Err, Events/Evt, Observaciones/Obs).
pub fn messages(parent: &Element, list: &str, item: &str) -> Vec<Message> {
    parent
        .child(list)
        .map(|l| {
            l.children_named(item)
                .map(|e| Message {
                    code: e
                        .child_text("Code")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0),
                    msg: e.child_text("Msg").unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `yyyymmdd`; empty and the literal `NULL` are "no date".
pub fn ymd(s: Option<&str>) -> Option<NaiveDate> {
    let s = s?.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("NULL") {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

fn text(e: &Element, name: &str) -> String {
    e.child_text(name).unwrap_or_default().to_owned()
}

fn num<T: std::str::FromStr + Default>(e: &Element, name: &str) -> T {
    e.child_text(name)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

fn money(e: &Element, name: &str) -> Money {
    e.child_text(name)
        .and_then(|s| Money::parse(s).ok())
        .unwrap_or(Money::ZERO)
}

/// `FEDummy`: the three component statuses ("OK" when healthy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DummyStatus {
    pub app_server: String,
    pub db_server: String,
    pub auth_server: String,
}

impl DummyStatus {
    pub fn from_result(r: &Element) -> Self {
        DummyStatus {
            app_server: text(r, "AppServer"),
            db_server: text(r, "DbServer"),
            auth_server: text(r, "AuthServer"),
        }
    }

    pub fn all_ok(&self) -> bool {
        [&self.app_server, &self.db_server, &self.auth_server]
            .iter()
            .all(|s| s.eq_ignore_ascii_case("OK"))
    }
}

/// The answer to `FECAESolicitar` for our single invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// `FeCabResp/Resultado`.
    pub outcome: Outcome,
    /// `FECAEDetResponse/Resultado` (equal to `outcome` for a single invoice).
    pub detail_outcome: Option<Outcome>,
    pub number: u64,
    /// The CAE as returned (14 digits), absent when rejected.
    pub cae: Option<String>,
    /// `CAEFchVto` as returned; never computed locally.
    pub cae_due: Option<NaiveDate>,
    /// `FchProceso` (`yyyymmddhhmiss`).
    pub processed_at: String,
    pub observations: Vec<Message>,
    pub errors: Vec<Message>,
}

impl Authorization {
    pub fn is_approved(&self) -> bool {
        self.outcome == Outcome::Approved && self.cae.is_some()
    }

    /// Every code in `Errors` and `Observaciones` (10016 can be in either).
    pub fn codes(&self) -> impl Iterator<Item = i64> + '_ {
        self.errors.iter().chain(&self.observations).map(|m| m.code)
    }

    /// Rejected because the number/date is not the next one (10016): consult before anything else.
    pub fn is_numbering_conflict(&self) -> bool {
        self.codes().any(|c| c == 10016)
    }

    pub fn from_result(r: &Element) -> Option<Self> {
        let cab = r.child("FeCabResp")?;
        let outcome = Outcome::parse(cab.child_text("Resultado")?)?;
        let det = r.path(&["FeDetResp", "FECAEDetResponse"]);
        let cae = det
            .and_then(|d| d.child_text("CAE"))
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        Some(Authorization {
            outcome,
            detail_outcome: det.and_then(|d| d.child_text("Resultado").and_then(Outcome::parse)),
            number: det.map(|d| num(d, "CbteDesde")).unwrap_or(0),
            cae,
            cae_due: ymd(det.and_then(|d| d.child_text("CAEFchVto"))),
            processed_at: text(cab, "FchProceso"),
            observations: det
                .map(|d| messages(d, "Observaciones", "Obs"))
                .unwrap_or_default(),
            errors: messages(r, "Errors", "Err"),
        })
    }
}

/// One `AlicIva` as echoed by FECompConsultar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultedIva {
    pub id: u8,
    pub base: Money,
    pub amount: Money,
}

/// An invoice as AFIP stored it (`FECompConsultar/ResultGet`). Numbers arrive normalized (`122`
/// for `122.00`), so they are compared as amounts, never as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultedInvoice {
    pub voucher_type: u16,
    pub point_of_sale: u32,
    pub number: u64,
    pub concept: u8,
    pub doc_tipo: u8,
    pub doc_nro: u64,
    pub date: Option<NaiveDate>,
    pub total: Money,
    pub not_taxed: Money,
    pub net: Money,
    pub exempt: Money,
    pub tributes_total: Money,
    pub iva_total: Money,
    pub currency: String,
    pub rate: Option<Rate>,
    pub receiver_condition: Option<u8>,
    pub iva: Vec<ConsultedIva>,
    pub outcome: Option<Outcome>,
    /// `CodAutorizacion`: the CAE (or CAEA).
    pub authorization_code: String,
    /// `EmisionTipo`: `CAE` or `CAEA`.
    pub emission_type: String,
    /// `FchVto`.
    pub due: Option<NaiveDate>,
    pub processed_at: String,
    pub observations: Vec<Message>,
}

impl ConsultedInvoice {
    pub fn from_result_get(g: &Element) -> Self {
        ConsultedInvoice {
            voucher_type: num(g, "CbteTipo"),
            point_of_sale: num(g, "PtoVta"),
            number: num(g, "CbteDesde"),
            concept: num(g, "Concepto"),
            doc_tipo: num(g, "DocTipo"),
            doc_nro: num(g, "DocNro"),
            date: ymd(g.child_text("CbteFch")),
            total: money(g, "ImpTotal"),
            not_taxed: money(g, "ImpTotConc"),
            net: money(g, "ImpNeto"),
            exempt: money(g, "ImpOpEx"),
            tributes_total: money(g, "ImpTrib"),
            iva_total: money(g, "ImpIVA"),
            currency: text(g, "MonId"),
            rate: g.child_text("MonCotiz").and_then(|s| Rate::parse(s).ok()),
            receiver_condition: g
                .child_text("CondicionIVAReceptorId")
                .and_then(|s| s.parse().ok()),
            iva: g
                .child("Iva")
                .map(|iva| {
                    iva.children_named("AlicIva")
                        .map(|a| ConsultedIva {
                            id: num(a, "Id"),
                            base: money(a, "BaseImp"),
                            amount: money(a, "Importe"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            outcome: g.child_text("Resultado").and_then(Outcome::parse),
            authorization_code: text(g, "CodAutorizacion"),
            emission_type: text(g, "EmisionTipo"),
            due: ymd(g.child_text("FchVto")),
            processed_at: text(g, "FchProceso"),
            observations: messages(g, "Observaciones", "Obs"),
        }
    }

    /// Whether this stored invoice is `invoice` sent with `number` (same number, date, receiver and
    /// amounts): the evidence needed to adopt its CAE after a lost answer. A mismatch means a
    /// foreign invoice took the number.
    pub fn matches(&self, invoice: &Invoice, number: u64) -> bool {
        let a = &invoice.amounts;
        let mut ours: Vec<(u8, Money, Money)> = a
            .iva
            .iter()
            .map(|l| (l.rate.afip_id(), l.base, l.amount))
            .collect();
        let mut theirs: Vec<(u8, Money, Money)> =
            self.iva.iter().map(|l| (l.id, l.base, l.amount)).collect();
        ours.sort();
        theirs.sort();
        self.voucher_type == invoice.voucher_type.code()
            && self.point_of_sale == invoice.point_of_sale
            && self.number == number
            && self.date == Some(invoice.date)
            && self.concept == invoice.concept.code()
            && self.doc_tipo == invoice.receiver.doc.doc_tipo()
            && self.doc_nro == invoice.receiver.doc.doc_nro()
            && self.total == a.total
            && self.not_taxed == a.not_taxed
            && self.net == a.net
            && self.exempt == a.exempt
            && self.tributes_total == a.tributes_total
            && self.iva_total == a.iva_total
            && self.currency == invoice.currency.code
            && self.rate.is_none_or(|r| r == invoice.currency.rate)
            && ours == theirs
    }
}

/// One row of a `FEParamGet*` table (`Id`, `Desc`, `FchDesde`, `FchHasta`; `NULL` dates are `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamItem {
    /// Numeric for most tables, alphanumeric for currencies (`PES`, `DOL`).
    pub id: String,
    pub description: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl ParamItem {
    pub fn from_item(e: &Element) -> Self {
        ParamItem {
            id: text(e, "Id"),
            description: text(e, "Desc"),
            valid_from: ymd(e.child_text("FchDesde")),
            valid_to: ymd(e.child_text("FchHasta")),
        }
    }
}

/// A point of sale (`FEParamGetPtosVenta`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointOfSale {
    pub number: u32,
    /// Free text such as `"CAE - Ri Iva"`.
    pub emission_type: String,
    pub blocked: bool,
    pub closed_on: Option<NaiveDate>,
}

impl PointOfSale {
    pub fn from_item(e: &Element) -> Self {
        PointOfSale {
            number: num(e, "Nro"),
            emission_type: text(e, "EmisionTipo"),
            blocked: e
                .child_text("Bloqueado")
                .is_some_and(|b| b.eq_ignore_ascii_case("S")),
            closed_on: ymd(e.child_text("FchBaja")),
        }
    }
}

/// A row of `FEParamGetCondicionIvaReceptor` (RG 5616).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverConditionItem {
    pub id: u8,
    pub description: String,
    /// `Cmp_Clase`, e.g. `A/M/C` or `B/C`.
    pub classes: String,
}

impl ReceiverConditionItem {
    pub fn from_item(e: &Element) -> Self {
        ReceiverConditionItem {
            id: num(e, "Id"),
            description: text(e, "Desc"),
            classes: text(e, "Cmp_Clase"),
        }
    }
}
