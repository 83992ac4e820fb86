//! Parsing WSFEv1 answers namespace-tolerantly: `Errors`, `Events`, per-invoice `Observaciones`,
//! `Resultado`, CAE and `CAEFchVto` exactly as returned.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::cae::Cae;
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

/// `n / d` rounded half to even (`d` > 0).
fn round_half_even(n: i128, d: i128) -> i128 {
    let q = n.div_euclid(d);
    let twice = 2 * n.rem_euclid(d);
    if twice > d || (twice == d && q % 2 != 0) {
        q + 1
    } else {
        q
    }
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

/// A WSFE answer that cannot be read with certainty (a missing or malformed part). For
/// `FECAESolicitar` this means the invoice *may* have been authorized; for `FECompConsultar`, that
/// the invoice stays in doubt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable WSFE answer: {0}")]
pub struct UnreadableAnswer(pub String);

fn unreadable(what: impl Into<String>) -> UnreadableAnswer {
    UnreadableAnswer(what.into())
}

/// Like [`messages`], but a `Code` that is not a number makes the whole list unreadable (an
/// unreadable code cannot be told apart from one that matters).
pub fn strict_messages(
    parent: &Element,
    list: &str,
    item: &str,
) -> Result<Vec<Message>, UnreadableAnswer> {
    let Some(l) = parent.child(list) else {
        return Ok(Vec::new());
    };
    l.children_named(item)
        .map(|e| {
            let code = e.child_text("Code").unwrap_or_default();
            Ok(Message {
                code: code
                    .parse()
                    .map_err(|_| unreadable(format!("{list}/{item}/Code {code:?}")))?,
                msg: e.child_text("Msg").unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// The answer to `FECAESolicitar` for our single invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    /// `FeCabResp/Resultado`.
    pub outcome: Outcome,
    /// `FECAEDetResponse/Resultado` (equal to `outcome` for a single invoice).
    pub detail_outcome: Option<Outcome>,
    /// `CbteDesde` as answered (0 when a header rejection came without a detail).
    pub number: u64,
    /// The CAE: present exactly when approved.
    pub cae: Option<Cae>,
    /// `CAEFchVto` as returned; never computed locally.
    pub cae_due: Option<NaiveDate>,
    /// `FchProceso` (`yyyymmddhhmiss`).
    pub processed_at: String,
    pub observations: Vec<Message>,
    pub errors: Vec<Message>,
}

/// Why WSFE rejected an invoice, as far as the recovery recipe is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rejection {
    /// `Err 10016`: "the number or date is not the next one". Consult that number before anything
    /// else (see [`crate::wsfe::recovery`]).
    NumberingConflict,
    /// `Obs 10016` only: `CbteFch` outside the window (N±5 / N±10) or unreadable. Definitely not
    /// authorized; resending the same payload gets the same answer.
    DateRejected,
    /// Any other rule.
    Other,
}

impl Authorization {
    /// Approved, with its CAE (the parser guarantees an approved answer carries a valid one).
    pub fn is_approved(&self) -> bool {
        self.outcome == Outcome::Approved && self.cae.is_some()
    }

    /// Every code in `Errors` and `Observaciones` (10016 can be in either).
    pub fn codes(&self) -> impl Iterator<Item = i64> + '_ {
        self.errors.iter().chain(&self.observations).map(|m| m.code)
    }

    /// What kind of rejection this is (`None` when approved).
    pub fn rejection(&self) -> Option<Rejection> {
        if self.is_approved() {
            return None;
        }
        // 10016 as Err is the numbering check (which also fires for a date earlier than the last
        // invoice's: `InvoiceDraft::check_date` rules that out before sending). 10016 as Obs is
        // the CbteFch window. When both appear the number may be taken: consult first.
        if self.errors.iter().any(|e| e.code == 10016) {
            Some(Rejection::NumberingConflict)
        } else if self.observations.iter().any(|o| o.code == 10016) {
            Some(Rejection::DateRejected)
        } else {
            Some(Rejection::Other)
        }
    }

    /// Rejected because the number is not the next one (Err 10016): consult before anything else.
    pub fn is_numbering_conflict(&self) -> bool {
        self.rejection() == Some(Rejection::NumberingConflict)
    }

    /// Rejected for its date only (Obs 10016): not authorized, and resending will not help.
    pub fn is_date_rejection(&self) -> bool {
        self.rejection() == Some(Rejection::DateRejected)
    }

    /// Reads `FECAESolicitarResult`. Anything short of a coherent answer is an error: an approval
    /// needs its detail, a 14-digit CAE, its number and `CAEFchVto`; a rejection must not carry a
    /// CAE; `P` (partial) cannot happen for one invoice.
    pub fn from_result(r: &Element) -> Result<Self, UnreadableAnswer> {
        let cab = r
            .child("FeCabResp")
            .ok_or_else(|| unreadable("no FeCabResp"))?;
        let resultado = cab.child_text("Resultado").unwrap_or_default();
        let outcome = Outcome::parse(resultado)
            .ok_or_else(|| unreadable(format!("FeCabResp/Resultado {resultado:?}")))?;
        let errors = strict_messages(r, "Errors", "Err")?;
        let det = r.path(&["FeDetResp", "FECAEDetResponse"]);
        let observations = match det {
            Some(d) => strict_messages(d, "Observaciones", "Obs")?,
            None => Vec::new(),
        };
        let detail_outcome = match det.and_then(|d| d.child_text("Resultado")) {
            None | Some("") => None,
            Some(s) => Some(
                Outcome::parse(s)
                    .ok_or_else(|| unreadable(format!("FECAEDetResponse/Resultado {s:?}")))?,
            ),
        };
        let cae = match det.and_then(|d| d.child_text("CAE")) {
            None | Some("") => None,
            Some(s) => Some(Cae::parse(s).map_err(|e| unreadable(e.to_string()))?),
        };
        let number = match det.and_then(|d| d.child_text("CbteDesde")) {
            None | Some("") => None,
            Some(s) => Some(
                s.parse::<u64>()
                    .map_err(|_| unreadable(format!("CbteDesde {s:?}")))?,
            ),
        };
        let cae_due_text = det.and_then(|d| d.child_text("CAEFchVto"));
        let cae_due = ymd(cae_due_text);
        match outcome {
            Outcome::Approved => {
                if det.is_none() {
                    return Err(unreadable("approved without FECAEDetResponse"));
                }
                if detail_outcome != Some(Outcome::Approved) {
                    return Err(unreadable("approved header, detail not approved"));
                }
                if cae.is_none() {
                    return Err(unreadable("approved without a CAE"));
                }
                if number.is_none() {
                    return Err(unreadable("approved without CbteDesde"));
                }
                if cae_due.is_none() {
                    return Err(unreadable(format!("CAEFchVto {cae_due_text:?}")));
                }
            }
            Outcome::Rejected => {
                if cae.is_some() || detail_outcome == Some(Outcome::Approved) {
                    return Err(unreadable("rejected, yet the detail carries an approval"));
                }
            }
            Outcome::Partial => return Err(unreadable("partial result for a single invoice")),
        }
        Ok(Authorization {
            outcome,
            detail_outcome,
            number: number.unwrap_or(0),
            cae,
            cae_due,
            processed_at: text(cab, "FchProceso"),
            observations,
            errors,
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

/// One `Tributo` as echoed by FECompConsultar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultedTribute {
    pub id: u16,
    pub base: Money,
    pub amount: Money,
}

/// One `CbteAsoc` as echoed by FECompConsultar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConsultedAssociated {
    pub voucher_type: u16,
    pub point_of_sale: u32,
    pub number: u64,
}

/// An invoice as AFIP stored it (`FECompConsultar/ResultGet`). Numbers arrive normalized (`122`
/// for `122.00`), so they are compared as amounts, never as strings. Every field is read strictly:
/// an unreadable value fails the parse instead of becoming zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultedInvoice {
    pub voucher_type: u16,
    pub point_of_sale: u32,
    pub number: u64,
    /// `CbteHasta` (equal to `number` for anything we issue).
    pub number_to: u64,
    pub concept: u8,
    pub doc_tipo: u8,
    pub doc_nro: u64,
    pub date: NaiveDate,
    pub total: Money,
    pub not_taxed: Money,
    pub net: Money,
    pub exempt: Money,
    pub tributes_total: Money,
    pub iva_total: Money,
    pub service_from: Option<NaiveDate>,
    pub service_to: Option<NaiveDate>,
    pub payment_due: Option<NaiveDate>,
    pub currency: String,
    pub rate: Rate,
    pub receiver_condition: Option<u8>,
    pub associated: Vec<ConsultedAssociated>,
    pub tributes: Vec<ConsultedTribute>,
    pub iva: Vec<ConsultedIva>,
    pub outcome: Option<Outcome>,
    /// `CodAutorizacion` exactly as returned: the CAE (or CAEA).
    pub authorization_code: String,
    /// `EmisionTipo`: `CAE` or `CAEA`.
    pub emission_type: String,
    /// `FchVto`.
    pub due: Option<NaiveDate>,
    pub processed_at: String,
    pub observations: Vec<Message>,
}

/// The result of comparing a consulted invoice with the one we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// Our invoice, approved, with this CAE: adopt it.
    Same(Cae),
    /// Another invoice took the number (the fields named differ): never adopt it.
    Different(Vec<&'static str>),
    /// Cannot tell (not approved, no valid CAE, a field AFIP left empty): the invoice stays in
    /// doubt; neither adopt nor issue again.
    Unknown(String),
}

/// AFIP's absolute tolerance on amounts (0.01). Its relative one (0.01 %) is not used to decide
/// identity: on large totals it would make different invoices look alike.
const AMOUNT_TOLERANCE_CENTS: i64 = 1;

fn amount_eq(a: Money, b: Money) -> bool {
    a.cents()
        .checked_sub(b.cents())
        .is_some_and(|d| d.abs() <= AMOUNT_TOLERANCE_CENTS)
}

fn req_text<'a>(e: &'a Element, name: &str) -> Result<&'a str, UnreadableAnswer> {
    match e.child_text(name) {
        None | Some("") => Err(unreadable(format!("no {name}"))),
        Some(s) => Ok(s),
    }
}

fn req_num<T: std::str::FromStr>(e: &Element, name: &str) -> Result<T, UnreadableAnswer> {
    let s = req_text(e, name)?;
    s.parse()
        .map_err(|_| unreadable(format!("{name} {s:?} is not a number")))
}

fn opt_num<T: std::str::FromStr>(e: &Element, name: &str) -> Result<Option<T>, UnreadableAnswer> {
    match e.child_text(name) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| unreadable(format!("{name} {s:?} is not a number"))),
    }
}

fn req_money(e: &Element, name: &str) -> Result<Money, UnreadableAnswer> {
    let s = req_text(e, name)?;
    parse_double_cents(s).ok_or_else(|| unreadable(format!("{name} {s:?} is not an amount")))
}

fn opt_date(e: &Element, name: &str) -> Result<Option<NaiveDate>, UnreadableAnswer> {
    match e.child_text(name) {
        None | Some("") => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("NULL") => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y%m%d")
            .map(Some)
            .map_err(|_| unreadable(format!("{name} {s:?} is not yyyymmdd"))),
    }
}

/// Reads a .NET `double` as written by WSFE (`121`, `121.5`, `1.21E+2`) into cents, rounded
/// half-even. `None` for anything else (a comma, text, NaN, out of range).
pub fn parse_double_cents(s: &str) -> Option<Money> {
    parse_double_scaled(s, 2).map(Money::from_cents)
}

/// A .NET `double` in units of 10^-`scale`, rounded half-even.
fn parse_double_scaled(s: &str, scale: i32) -> Option<i64> {
    let t = s.trim();
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (neg, m) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() + frac.len() > 30
    {
        return None;
    }
    let digits: i128 = format!("{int}{frac}").parse().ok()?;
    // value = digits × 10^(exp − frac.len()); scaled = value × 10^scale.
    let shift = exp.checked_sub(frac.len() as i32)?.checked_add(scale)?;
    let cents: i128 = if shift >= 0 {
        digits.checked_mul(10i128.checked_pow(shift as u32)?)?
    } else {
        let d = 10i128.checked_pow(shift.unsigned_abs())?;
        round_half_even(digits, d)
    };
    let cents = if neg { -cents } else { cents };
    i64::try_from(cents).ok()
}

/// Every `item` of the optional `list` element, each read strictly by `read` (an absent list is
/// empty; one unreadable item makes the whole answer unreadable).
fn req_list<T>(
    parent: &Element,
    list: &str,
    item: &str,
    read: impl Fn(&Element) -> Result<T, UnreadableAnswer>,
) -> Result<Vec<T>, UnreadableAnswer> {
    match parent.child(list) {
        Some(l) => l.children_named(item).map(read).collect(),
        None => Ok(Vec::new()),
    }
}

impl ConsultedInvoice {
    /// Reads `ResultGet` strictly.
    pub fn from_result_get(g: &Element) -> Result<Self, UnreadableAnswer> {
        let iva = req_list(g, "Iva", "AlicIva", |a| {
            Ok(ConsultedIva {
                id: req_num(a, "Id")?,
                base: req_money(a, "BaseImp")?,
                amount: req_money(a, "Importe")?,
            })
        })?;
        let tributes = req_list(g, "Tributos", "Tributo", |t| {
            Ok(ConsultedTribute {
                id: req_num(t, "Id")?,
                base: req_money(t, "BaseImp")?,
                amount: req_money(t, "Importe")?,
            })
        })?;
        let associated = req_list(g, "CbtesAsoc", "CbteAsoc", |c| {
            Ok(ConsultedAssociated {
                voucher_type: req_num(c, "Tipo")?,
                point_of_sale: req_num(c, "PtoVta")?,
                number: req_num(c, "Nro")?,
            })
        })?;
        let moncotiz = req_text(g, "MonCotiz")?;
        let rate = parse_double_scaled(moncotiz, 6)
            .map(Rate::from_millionths)
            .ok_or_else(|| unreadable(format!("MonCotiz {moncotiz:?} is not a rate")))?;
        let date = opt_date(g, "CbteFch")?.ok_or_else(|| unreadable("no CbteFch"))?;
        let outcome = match g.child_text("Resultado") {
            None | Some("") => None,
            Some(s) => {
                Some(Outcome::parse(s).ok_or_else(|| unreadable(format!("Resultado {s:?}")))?)
            }
        };
        Ok(ConsultedInvoice {
            voucher_type: req_num(g, "CbteTipo")?,
            point_of_sale: req_num(g, "PtoVta")?,
            number: req_num(g, "CbteDesde")?,
            number_to: req_num(g, "CbteHasta")?,
            concept: req_num(g, "Concepto")?,
            doc_tipo: req_num(g, "DocTipo")?,
            doc_nro: req_num(g, "DocNro")?,
            date,
            total: req_money(g, "ImpTotal")?,
            not_taxed: req_money(g, "ImpTotConc")?,
            net: req_money(g, "ImpNeto")?,
            exempt: req_money(g, "ImpOpEx")?,
            tributes_total: req_money(g, "ImpTrib")?,
            iva_total: req_money(g, "ImpIVA")?,
            service_from: opt_date(g, "FchServDesde")?,
            service_to: opt_date(g, "FchServHasta")?,
            payment_due: opt_date(g, "FchVtoPago")?,
            currency: req_text(g, "MonId")?.to_owned(),
            rate,
            receiver_condition: opt_num(g, "CondicionIVAReceptorId")?,
            associated,
            tributes,
            iva,
            outcome,
            authorization_code: text(g, "CodAutorizacion"),
            emission_type: text(g, "EmisionTipo"),
            due: opt_date(g, "FchVto")?,
            processed_at: text(g, "FchProceso"),
            observations: strict_messages(g, "Observaciones", "Obs")?,
        })
    }

    /// Compares this stored invoice with `invoice` sent as `number`: number, date, concept,
    /// receiver, every amount (within AFIP's 0.01), currency and rate, IVA lines, tributes,
    /// service period and associated vouchers. Only an approved `CAE` with a 14-digit code can be
    /// [`Comparison::Same`].
    pub fn compare(&self, invoice: &Invoice, number: u64) -> Comparison {
        let a = &invoice.amounts;
        let mut diff: Vec<&'static str> = Vec::new();
        let mut check = |same: bool, field: &'static str| {
            if !same {
                diff.push(field);
            }
        };
        check(self.voucher_type == invoice.voucher_type.code(), "CbteTipo");
        check(self.point_of_sale == invoice.point_of_sale, "PtoVta");
        check(self.number == number, "CbteDesde");
        check(self.number_to == number, "CbteHasta");
        check(self.date == invoice.date, "CbteFch");
        check(self.concept == invoice.concept.code(), "Concepto");
        check(self.doc_tipo == invoice.receiver.doc.doc_tipo(), "DocTipo");
        check(self.doc_nro == invoice.receiver.doc.doc_nro(), "DocNro");
        check(amount_eq(self.total, a.total), "ImpTotal");
        check(amount_eq(self.not_taxed, a.not_taxed), "ImpTotConc");
        check(amount_eq(self.net, a.net), "ImpNeto");
        check(amount_eq(self.exempt, a.exempt), "ImpOpEx");
        check(amount_eq(self.tributes_total, a.tributes_total), "ImpTrib");
        check(amount_eq(self.iva_total, a.iva_total), "ImpIVA");
        check(self.currency == invoice.currency.code, "MonId");
        check(
            self.rate
                .millionths()
                .checked_sub(invoice.currency.rate.millionths())
                .is_some_and(|d| d.abs() <= 1),
            "MonCotiz",
        );
        let period = invoice.concept.service_period();
        check(self.service_from == period.map(|p| p.from), "FchServDesde");
        check(self.service_to == period.map(|p| p.to), "FchServHasta");
        check(
            self.payment_due == period.map(|p| p.payment_due),
            "FchVtoPago",
        );
        if let Some(c) = self.receiver_condition {
            check(
                c == invoice.receiver.condition.afip_id(),
                "CondicionIVAReceptorId",
            );
        }

        let mut ours: Vec<(u8, Money, Money)> = a
            .iva
            .iter()
            .map(|l| (l.rate.afip_id(), l.base, l.amount))
            .collect();
        let mut theirs: Vec<(u8, Money, Money)> =
            self.iva.iter().map(|l| (l.id, l.base, l.amount)).collect();
        ours.sort_by_key(|l| l.0);
        theirs.sort_by_key(|l| l.0);
        check(
            ours.len() == theirs.len()
                && ours
                    .iter()
                    .zip(&theirs)
                    .all(|(o, t)| o.0 == t.0 && amount_eq(o.1, t.1) && amount_eq(o.2, t.2)),
            "Iva",
        );
        let mut ours: Vec<(u16, Money, Money)> = a
            .tributes
            .iter()
            .map(|t| (t.id, t.base, t.amount))
            .collect();
        let mut theirs: Vec<(u16, Money, Money)> = self
            .tributes
            .iter()
            .map(|t| (t.id, t.base, t.amount))
            .collect();
        ours.sort_by_key(|t| (t.0, t.2));
        theirs.sort_by_key(|t| (t.0, t.2));
        check(
            ours.len() == theirs.len()
                && ours
                    .iter()
                    .zip(&theirs)
                    .all(|(o, t)| o.0 == t.0 && amount_eq(o.1, t.1) && amount_eq(o.2, t.2)),
            "Tributos",
        );
        let mut ours: Vec<ConsultedAssociated> = invoice
            .associated
            .iter()
            .map(|c| ConsultedAssociated {
                voucher_type: c.voucher_type,
                point_of_sale: c.point_of_sale,
                number: c.number,
            })
            .collect();
        let mut theirs = self.associated.clone();
        ours.sort();
        theirs.sort();
        check(ours == theirs, "CbtesAsoc");

        if !diff.is_empty() {
            return Comparison::Different(diff);
        }
        if self.receiver_condition.is_none() {
            return Comparison::Unknown("AFIP returned no CondicionIVAReceptorId".into());
        }
        if self.outcome != Some(Outcome::Approved) {
            return Comparison::Unknown(format!("Resultado is {:?}, not A", self.outcome));
        }
        if self.emission_type != "CAE" {
            return Comparison::Unknown(format!("EmisionTipo is {:?}", self.emission_type));
        }
        match Cae::parse(&self.authorization_code) {
            Ok(cae) => Comparison::Same(cae),
            Err(e) => Comparison::Unknown(e.to_string()),
        }
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
