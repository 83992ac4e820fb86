//! CAEA (anticipated authorization code) for contingency (reference §5, RG 5782/2025):
//! `FECAEASolicitar`, `FECAEAConsultar`, `FECAEARegInformativo`, `FECAEASinMovimientoInformar`
//! and `FECAEASinMovimientoConsultar`, plus the fortnight arithmetic.
//!
//! One CAEA exists per (CUIT, period, order) and AFIP answers 15008 to a second request: use
//! [`WsfeClient::obtain_caea`] (consult first, request only when missing). The reporting deadline
//! is the `FchTopeInf` AFIP returns, never a computed one.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::envelope::{self, Auth};
use super::response::{self, strict_messages, Message, Outcome, UnreadableAnswer};
use super::{fail_on_errors, Answer, Cae, WsfeClient, WsfeError};
use crate::exchange::Exchange;
use crate::invoice::Invoice;
use crate::xml::Element;

/// AFIP's error codes around CAEA.
pub mod codes {
    /// FECAEAConsultar: no CAEA for that period and order.
    pub const NOT_FOUND: i64 = 602;
    /// FECAEASolicitar outside the window (5 days before the fortnight … its last day).
    pub const OUTSIDE_WINDOW: i64 = 15006;
    /// FECAEASolicitar: a CAEA already exists for that period and order.
    pub const ALREADY_GRANTED: i64 = 15008;
    /// FECAEASinMovimientoInformar: the point of sale has invoices under that CAEA.
    pub const HAS_INVOICES: i64 = 1202;
    /// FECAEASinMovimientoInformar: already declared.
    pub const ALREADY_DECLARED: i64 = 1209;
    /// FECAEARegInformativo: the number is not the next one.
    pub const NOT_NEXT: i64 = 703;
}

/// Which half of the month: `Orden` 1 (days 1–15) or 2 (16th to the last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Half {
    First,
    Second,
}

impl Half {
    pub fn code(self) -> u8 {
        match self {
            Half::First => 1,
            Half::Second => 2,
        }
    }

    pub fn from_code(code: u8) -> Option<Half> {
        match code {
            1 => Some(Half::First),
            2 => Some(Half::Second),
            _ => None,
        }
    }
}

/// A CAEA period: (year, month, half).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fortnight {
    year: i32,
    month: u32,
    half: Half,
}

/// Days before a fortnight starts from which its CAEA may be requested (15006).
pub const REQUEST_DAYS_AHEAD: i64 = 5;

impl Fortnight {
    /// `None` for a month outside 1–12.
    pub fn new(year: i32, month: u32, half: Half) -> Option<Fortnight> {
        NaiveDate::from_ymd_opt(year, month, 1)?;
        Some(Fortnight { year, month, half })
    }

    /// From `Periodo` (yyyymm) and `Orden` (1|2).
    pub fn from_wire(period: u32, order: u8) -> Option<Fortnight> {
        Fortnight::new((period / 100) as i32, period % 100, Half::from_code(order)?)
    }

    /// The fortnight `date` belongs to.
    pub fn containing(date: NaiveDate) -> Fortnight {
        Fortnight {
            year: date.year(),
            month: date.month(),
            half: if date.day() <= 15 {
                Half::First
            } else {
                Half::Second
            },
        }
    }

    pub fn next(self) -> Fortnight {
        match self.half {
            Half::First => Fortnight {
                half: Half::Second,
                ..self
            },
            Half::Second => Fortnight::containing(self.last_day() + Duration::days(1)),
        }
    }

    /// `Periodo`: yyyymm.
    pub fn period(self) -> u32 {
        self.year as u32 * 100 + self.month
    }

    /// `Orden`: 1 or 2.
    pub fn order(self) -> u8 {
        self.half.code()
    }

    pub fn half(self) -> Half {
        self.half
    }

    pub fn first_day(self) -> NaiveDate {
        let day = match self.half {
            Half::First => 1,
            Half::Second => 16,
        };
        NaiveDate::from_ymd_opt(self.year, self.month, day).expect("validated month")
    }

    pub fn last_day(self) -> NaiveDate {
        match self.half {
            Half::First => NaiveDate::from_ymd_opt(self.year, self.month, 15).expect("valid"),
            Half::Second => {
                let (y, m) = if self.month == 12 {
                    (self.year + 1, 1)
                } else {
                    (self.year, self.month + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1).expect("valid") - Duration::days(1)
            }
        }
    }

    /// First day its CAEA may be requested.
    pub fn request_opens(self) -> NaiveDate {
        self.first_day() - Duration::days(REQUEST_DAYS_AHEAD)
    }

    /// Whether AFIP accepts `FECAEASolicitar` for this fortnight on `date` (Argentine date).
    pub fn requestable_on(self, date: NaiveDate) -> bool {
        (self.request_opens()..=self.last_day()).contains(&date)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        (self.first_day()..=self.last_day()).contains(&date)
    }
}

impl std::fmt::Display for Fortnight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.period(), self.order())
    }
}

/// A granted CAEA (`ResultGet` of FECAEASolicitar / FECAEAConsultar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caea {
    pub code: Cae,
    pub fortnight: Fortnight,
    /// `FchVigDesde`.
    pub valid_from: NaiveDate,
    /// `FchVigHasta`.
    pub valid_to: NaiveDate,
    /// `FchTopeInf`: every invoice issued with it must be informed by this date.
    pub report_by: NaiveDate,
    /// `FchProceso`.
    pub processed_at: String,
    pub observations: Vec<Message>,
}

impl Caea {
    pub fn from_result_get(g: &Element) -> Result<Caea, UnreadableAnswer> {
        let bad = |what: String| UnreadableAnswer(what);
        let code_text = g.child_text("CAEA").unwrap_or_default();
        let code = Cae::parse(code_text).map_err(|e| bad(e.to_string()))?;
        let period: u32 = g
            .child_text("Periodo")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("Periodo".into()))?;
        let order: u8 = g
            .child_text("Orden")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("Orden".into()))?;
        let fortnight = Fortnight::from_wire(period, order)
            .ok_or_else(|| bad(format!("Periodo {period} / Orden {order}")))?;
        let date = |name: &str| {
            response::ymd(g.child_text(name))
                .ok_or_else(|| bad(format!("{name} {:?}", g.child_text(name))))
        };
        Ok(Caea {
            code,
            fortnight,
            valid_from: date("FchVigDesde")?,
            valid_to: date("FchVigHasta")?,
            report_by: date("FchTopeInf")?,
            processed_at: g.child_text("FchProceso").unwrap_or_default().to_owned(),
            observations: strict_messages(g, "Observaciones", "Obs")?,
        })
    }

    /// Whether an invoice dated `date` may carry this CAEA.
    pub fn covers(&self, date: NaiveDate) -> bool {
        (self.valid_from..=self.valid_to).contains(&date)
    }
}

/// One invoice issued offline with a CAEA, to inform.
#[derive(Debug, Clone, Copy)]
pub struct CaeaInvoice<'a> {
    pub invoice: &'a Invoice,
    pub number: u64,
    pub caea: Cae,
    /// `CbteFchHsGen` (mandatory since RG 5782): when it was issued, Argentine time.
    pub generated_at: NaiveDateTime,
}

/// The answer for one informed invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedInvoice {
    pub number: u64,
    pub outcome: Option<Outcome>,
    pub caea: Option<Cae>,
    pub observations: Vec<Message>,
}

/// The answer to `FECAEARegInformativo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaeaReport {
    /// `FeCabResp/Resultado`: A (all accepted), R, or P (some).
    pub outcome: Outcome,
    pub details: Vec<ReportedInvoice>,
    pub errors: Vec<Message>,
    pub processed_at: String,
}

impl CaeaReport {
    pub fn from_result(r: &Element) -> Result<CaeaReport, UnreadableAnswer> {
        let cab = r
            .child("FeCabResp")
            .ok_or_else(|| UnreadableAnswer("no FeCabResp".into()))?;
        let resultado = cab.child_text("Resultado").unwrap_or_default();
        let outcome = Outcome::parse(resultado)
            .ok_or_else(|| UnreadableAnswer(format!("FeCabResp/Resultado {resultado:?}")))?;
        let mut details = Vec::new();
        if let Some(list) = r.child("FeDetResp") {
            for d in list.children_named("FECAEADetResponse") {
                let number = d
                    .child_text("CbteDesde")
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| UnreadableAnswer("FECAEADetResponse/CbteDesde".into()))?;
                let caea = match d.child_text("CAEA") {
                    None | Some("") => None,
                    Some(s) => Some(Cae::parse(s).map_err(|e| UnreadableAnswer(e.to_string()))?),
                };
                details.push(ReportedInvoice {
                    number,
                    outcome: d.child_text("Resultado").and_then(Outcome::parse),
                    caea,
                    observations: strict_messages(d, "Observaciones", "Obs")?,
                });
            }
        }
        Ok(CaeaReport {
            outcome,
            details,
            errors: strict_messages(r, "Errors", "Err")?,
            processed_at: cab.child_text("FchProceso").unwrap_or_default().to_owned(),
        })
    }

    /// Numbers AFIP accepted.
    pub fn accepted(&self) -> impl Iterator<Item = u64> + '_ {
        self.details
            .iter()
            .filter(|d| d.outcome == Some(Outcome::Approved))
            .map(|d| d.number)
    }

    /// Every code in `Errors` and the details' `Observaciones`.
    pub fn codes(&self) -> impl Iterator<Item = i64> + '_ {
        self.errors
            .iter()
            .chain(self.details.iter().flat_map(|d| &d.observations))
            .map(|m| m.code)
    }
}

/// A "no activity" declaration (`FECAEASinMovimientoInformar` answer or a consulted record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoActivity {
    pub caea: Cae,
    pub point_of_sale: u32,
    pub processed_at: String,
}

fn unexpected(exchange: &Exchange, detail: String) -> WsfeError {
    WsfeError::Unexpected {
        status: exchange.http_status.unwrap_or(0),
        detail,
        exchange: Box::new(exchange.clone()),
    }
}

fn not_sent(operation: &'static str) -> Exchange {
    Exchange {
        operation,
        request_xml: String::new(),
        response_xml: None,
        http_status: None,
        server_date: None,
    }
}

/// Whether an error is AFIP's "a CAEA already exists for that period" (15008).
pub fn is_already_granted(e: &WsfeError) -> bool {
    matches!(e, WsfeError::Service { errors, .. } if errors.iter().any(|m| m.code == codes::ALREADY_GRANTED))
}

/// Whether an error is AFIP's "outside the request window" (15006).
pub fn is_outside_window(e: &WsfeError) -> bool {
    matches!(e, WsfeError::Service { errors, .. } if errors.iter().any(|m| m.code == codes::OUTSIDE_WINDOW))
}

pub mod envelopes {
    //! Request envelopes of the CAEA operations.
    use super::*;

    fn auth_xml(auth: &Auth<'_>) -> String {
        // Same shape as the CAE operations' Auth.
        let full = envelope::auth_only("X", auth);
        let a = full.find("<Auth>").expect("auth");
        let b = full.find("</Auth>").expect("auth") + "</Auth>".len();
        full[a..b].to_owned()
    }

    pub fn fecaea_solicitar(operation: &str, auth: &Auth<'_>, f: Fortnight) -> String {
        envelope::envelope(
            operation,
            &format!(
                "{}<Periodo>{}</Periodo><Orden>{}</Orden>",
                auth_xml(auth),
                f.period(),
                f.order()
            ),
        )
    }

    /// `FECAEARegInformativo` for invoices of one (point of sale, type).
    pub fn fecaea_reg_informativo(auth: &Auth<'_>, invoices: &[CaeaInvoice<'_>]) -> String {
        let first = invoices[0].invoice;
        let mut det = String::new();
        for i in invoices {
            let cae_det = envelope::fe_det_request(i.invoice, i.number);
            let inner = cae_det
                .strip_prefix("<FECAEDetRequest>")
                .and_then(|s| s.strip_suffix("</FECAEDetRequest>"))
                .expect("fe_det_request wraps FECAEDetRequest");
            det.push_str(&format!(
                "<FECAEADetRequest>{inner}<CAEA>{}</CAEA><CbteFchHsGen>{}</CbteFchHsGen></FECAEADetRequest>",
                i.caea,
                i.generated_at.format("%Y%m%d%H%M%S")
            ));
        }
        envelope::envelope(
            "FECAEARegInformativo",
            &format!(
                "{}<FeCAEARegInfReq><FeCabReq><CantReg>{}</CantReg><PtoVta>{}</PtoVta><CbteTipo>{}</CbteTipo></FeCabReq><FeDetReq>{det}</FeDetReq></FeCAEARegInfReq>",
                auth_xml(auth),
                invoices.len(),
                first.point_of_sale,
                first.voucher_type.code(),
            ),
        )
    }

    pub fn fecaea_sin_movimiento(
        operation: &str,
        auth: &Auth<'_>,
        point_of_sale: Option<u32>,
        caea: Cae,
    ) -> String {
        let pto = point_of_sale
            .map(|p| format!("<PtoVta>{p}</PtoVta>"))
            .unwrap_or_default();
        envelope::envelope(
            operation,
            &format!("{}{pto}<CAEA>{caea}</CAEA>", auth_xml(auth)),
        )
    }
}

/// A mix of invoices in one `FECAEARegInformativo` call.
#[derive(Debug, thiserror::Error)]
#[error("FECAEARegInformativo takes 1 or more invoices of one point of sale and type")]
pub struct MixedBatch;

impl WsfeClient {
    /// `FECAEASolicitar`. 15006 (outside the window) and 15008 (already granted) come back as
    /// [`WsfeError::Service`]; see [`is_outside_window`], [`is_already_granted`].
    pub async fn request_caea(
        &self,
        auth: &Auth<'_>,
        fortnight: Fortnight,
    ) -> Result<Answer<Caea>, WsfeError> {
        let op = "FECAEASolicitar";
        let span = tracing::info_span!("wsfe.FECAEASolicitar", cuit = %auth.cuit, %fortnight);
        let (r, events, exchange) = self
            .call(op, envelopes::fecaea_solicitar(op, auth, fortnight))
            .instrument(span)
            .await?;
        fail_on_errors(&r, &exchange)?;
        let g = r
            .child("ResultGet")
            .ok_or_else(|| unexpected(&exchange, "no ResultGet".into()))?;
        let value = Caea::from_result_get(g).map_err(|e| unexpected(&exchange, e.0))?;
        Ok(Answer {
            value,
            events,
            exchange,
        })
    }

    /// `FECAEAConsultar`: the CAEA of a fortnight, `None` when none was granted (602).
    pub async fn consult_caea(
        &self,
        auth: &Auth<'_>,
        fortnight: Fortnight,
    ) -> Result<Answer<Option<Caea>>, WsfeError> {
        let op = "FECAEAConsultar";
        let span = tracing::info_span!("wsfe.FECAEAConsultar", cuit = %auth.cuit, %fortnight);
        let (r, events, exchange) = self
            .call(op, envelopes::fecaea_solicitar(op, auth, fortnight))
            .instrument(span)
            .await?;
        let value = match r.child("ResultGet") {
            Some(g) => Some(Caea::from_result_get(g).map_err(|e| unexpected(&exchange, e.0))?),
            None => {
                let errors = response::messages(&r, "Errors", "Err");
                if errors.iter().any(|e| e.code == codes::NOT_FOUND) {
                    None
                } else {
                    return Err(WsfeError::Service {
                        errors,
                        exchange: Box::new(exchange),
                    });
                }
            }
        };
        Ok(Answer {
            value,
            events,
            exchange,
        })
    }

    /// Consult-or-request: the fortnight's CAEA, requesting it only when AFIP has none (and
    /// consulting again when a concurrent request won, 15008).
    pub async fn obtain_caea(
        &self,
        auth: &Auth<'_>,
        fortnight: Fortnight,
    ) -> Result<Answer<Caea>, WsfeError> {
        let found = self.consult_caea(auth, fortnight).await?;
        if let Some(value) = found.value {
            return Ok(Answer {
                value,
                events: found.events,
                exchange: found.exchange,
            });
        }
        match self.request_caea(auth, fortnight).await {
            Err(e) if is_already_granted(&e) => {
                let again = self.consult_caea(auth, fortnight).await?;
                match again.value {
                    Some(value) => Ok(Answer {
                        value,
                        events: again.events,
                        exchange: again.exchange,
                    }),
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    /// `FECAEARegInformativo` for invoices of one point of sale and type, in number order. Per
    /// invoice rejections are in the `Ok` answer; `Errors` without any detail are
    /// [`WsfeError::Service`]. Informing is safe to repeat: an invoice already informed is
    /// rejected as "not next" (703), which the caller resolves with FECompConsultar.
    pub async fn report_caea_invoices(
        &self,
        auth: &Auth<'_>,
        invoices: &[CaeaInvoice<'_>],
    ) -> Result<Answer<CaeaReport>, WsfeError> {
        let Some(first) = invoices.first() else {
            return Err(WsfeError::Unexpected {
                status: 0,
                detail: MixedBatch.to_string(),
                exchange: Box::new(not_sent("FECAEARegInformativo")),
            });
        };
        let (pto, tipo) = (first.invoice.point_of_sale, first.invoice.voucher_type);
        if invoices
            .iter()
            .any(|i| i.invoice.point_of_sale != pto || i.invoice.voucher_type != tipo)
        {
            return Err(WsfeError::Unexpected {
                status: 0,
                detail: MixedBatch.to_string(),
                exchange: Box::new(not_sent("FECAEARegInformativo")),
            });
        }
        let span = tracing::info_span!("wsfe.FECAEARegInformativo", cuit = %auth.cuit, point_of_sale = pto, voucher_type = tipo.code(), count = invoices.len());
        let (r, events, exchange) = self
            .call(
                "FECAEARegInformativo",
                envelopes::fecaea_reg_informativo(auth, invoices),
            )
            .instrument(span)
            .await?;
        let value = match CaeaReport::from_result(&r) {
            Ok(v) => v,
            Err(unreadable) => {
                let errors = response::messages(&r, "Errors", "Err");
                if errors.is_empty() {
                    return Err(unexpected(&exchange, unreadable.0));
                }
                return Err(WsfeError::Service {
                    errors,
                    exchange: Box::new(exchange),
                });
            }
        };
        tracing::info!(outcome = ?value.outcome, accepted = value.accepted().count(), "CAEA invoices informed");
        Ok(Answer {
            value,
            events,
            exchange,
        })
    }

    /// `FECAEASinMovimientoInformar`: declares that `point_of_sale` issued nothing with `caea`.
    pub async fn report_no_activity(
        &self,
        auth: &Auth<'_>,
        point_of_sale: u32,
        caea: Cae,
    ) -> Result<Answer<NoActivity>, WsfeError> {
        let op = "FECAEASinMovimientoInformar";
        let span = tracing::info_span!("wsfe.FECAEASinMovimientoInformar", cuit = %auth.cuit, point_of_sale);
        let (r, events, exchange) = self
            .call(
                op,
                envelopes::fecaea_sin_movimiento(op, auth, Some(point_of_sale), caea),
            )
            .instrument(span)
            .await?;
        fail_on_errors(&r, &exchange)?;
        let resultado = r.child_text("Resultado").unwrap_or_default();
        if Outcome::parse(resultado) != Some(Outcome::Approved) {
            return Err(unexpected(&exchange, format!("Resultado {resultado:?}")));
        }
        Ok(Answer {
            value: NoActivity {
                caea,
                point_of_sale,
                processed_at: r.child_text("FchProceso").unwrap_or_default().to_owned(),
            },
            events,
            exchange,
        })
    }

    /// `FECAEASinMovimientoConsultar`: declarations made for `caea` (for one point of sale, or all).
    pub async fn consult_no_activity(
        &self,
        auth: &Auth<'_>,
        caea: Cae,
        point_of_sale: Option<u32>,
    ) -> Result<Answer<Vec<NoActivity>>, WsfeError> {
        let op = "FECAEASinMovimientoConsultar";
        let span = tracing::info_span!("wsfe.FECAEASinMovimientoConsultar", cuit = %auth.cuit);
        let (r, events, exchange) = self
            .call(
                op,
                envelopes::fecaea_sin_movimiento(op, auth, point_of_sale, caea),
            )
            .instrument(span)
            .await?;
        let errors = response::messages(&r, "Errors", "Err");
        if errors.iter().any(|e| e.code != codes::NOT_FOUND) {
            return Err(WsfeError::Service {
                errors,
                exchange: Box::new(exchange),
            });
        }
        let mut value = Vec::new();
        if let Some(g) = r.child("ResultGet") {
            for m in g.children_named("FECAEASinMov") {
                let code = Cae::parse(m.child_text("CAEA").unwrap_or_default())
                    .map_err(|e| unexpected(&exchange, e.to_string()))?;
                let pto = m
                    .child_text("PtoVta")
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| unexpected(&exchange, "FECAEASinMov/PtoVta".into()))?;
                value.push(NoActivity {
                    caea: code,
                    point_of_sale: pto,
                    processed_at: m.child_text("FchProceso").unwrap_or_default().to_owned(),
                });
            }
        }
        Ok(Answer {
            value,
            events,
            exchange,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn fortnights_split_the_month_at_the_15th() {
        let f = Fortnight::containing(d(2025, 7, 15));
        assert_eq!((f.period(), f.order()), (202507, 1));
        assert_eq!(
            (f.first_day(), f.last_day()),
            (d(2025, 7, 1), d(2025, 7, 15))
        );
        let s = Fortnight::containing(d(2025, 7, 16));
        assert_eq!((s.period(), s.order()), (202507, 2));
        assert_eq!(
            (s.first_day(), s.last_day()),
            (d(2025, 7, 16), d(2025, 7, 31))
        );
        assert_eq!(f.next(), s);
    }

    #[test]
    fn the_second_half_ends_on_the_months_last_day() {
        assert_eq!(
            Fortnight::containing(d(2024, 2, 20)).last_day(),
            d(2024, 2, 29)
        );
        assert_eq!(
            Fortnight::containing(d(2025, 2, 20)).last_day(),
            d(2025, 2, 28)
        );
        let dec = Fortnight::containing(d(2025, 12, 31));
        assert_eq!(dec.last_day(), d(2025, 12, 31));
        let jan = dec.next();
        assert_eq!((jan.period(), jan.order()), (202601, 1));
    }

    #[test]
    fn the_request_window_opens_five_days_before_and_closes_on_the_last_day() {
        // AFIP's own example: "Del 6/26/2021 hasta 7/15/2021" for 202107/1.
        let f = Fortnight::from_wire(202107, 1).unwrap();
        assert_eq!(f.request_opens(), d(2021, 6, 26));
        assert!(!f.requestable_on(d(2021, 6, 25)));
        assert!(f.requestable_on(d(2021, 6, 26)));
        assert!(f.requestable_on(d(2021, 7, 15)));
        assert!(!f.requestable_on(d(2021, 7, 16)));
        let s = Fortnight::from_wire(202107, 2).unwrap();
        assert_eq!(s.request_opens(), d(2021, 7, 11));
    }

    #[test]
    fn wire_values_are_validated() {
        assert!(Fortnight::from_wire(202513, 1).is_none());
        assert!(Fortnight::from_wire(202501, 3).is_none());
        assert_eq!(
            Fortnight::from_wire(202501, 2).unwrap().to_string(),
            "202501/2"
        );
    }

    #[test]
    fn a_caea_result_is_read_with_its_deadline() {
        let doc = "<R xmlns=\"http://ar.gov.afip.dif.FEV1/\"><ResultGet><CAEA>31234567890123</CAEA><Periodo>202507</Periodo><Orden>2</Orden><FchVigDesde>20250716</FchVigDesde><FchVigHasta>20250731</FchVigHasta><FchTopeInf>20250805</FchTopeInf><FchProceso>20250711120000</FchProceso></ResultGet></R>";
        let root = crate::xml::parse(doc).unwrap();
        let c = Caea::from_result_get(root.child("ResultGet").unwrap()).unwrap();
        assert_eq!(c.code.to_string(), "31234567890123");
        assert_eq!(c.report_by, d(2025, 8, 5));
        assert!(c.covers(d(2025, 7, 31)) && !c.covers(d(2025, 8, 1)));
        let bad = doc.replace("31234567890123", "3123");
        let root = crate::xml::parse(&bad).unwrap();
        assert!(Caea::from_result_get(root.child("ResultGet").unwrap()).is_err());
    }
}
