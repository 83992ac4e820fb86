//! CAEA contingency (issue 13, afip.md §5, RG 5782/2025): when AFIP cannot be reached, a shop whose
//! regime allows it issues invoices with the fortnight's CAEA, obtained ahead of time.
//!
//! - [`Contingency::ensure_caeas`]: consult-or-request the current fortnight's CAEA and the next
//!   one's once its request window is open (5 days before); run at start-up and periodically.
//! - [`Contingency::issue`]: an invoice numbered locally per contingency point of sale and type,
//!   the number allocated in the same transaction that stores it (no gaps, no reuse).
//! - [`Contingency::report_pending`]: FECAEARegInformativo of every pending invoice, in number
//!   order, before `FchTopeInf`.
//! - [`Contingency::declare_unused`]: FECAEASinMovimientoInformar for contingency points of sale
//!   that issued nothing under an ended fortnight's CAEA.
//!
//! [`Contingency::tick`] runs all three; the `afip.caea` job ([`job`]) runs it at start-up and
//! every few hours. [`settings`] is Ajustes → AFIP → "Contingencia (CAEA)"; [`issue`] turns a
//! queued invoice AFIP could not take into a CAEA one (the same `invoices` row, migration 0021).

pub mod issue;
pub mod job;
pub mod settings;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use mostrador_afip::invoice::{Invoice, InvoiceDraft, InvoiceSettings, Money};
use mostrador_afip::wsaa::AccessTicket;
use mostrador_afip::wsfe::caea::codes;
use mostrador_afip::wsfe::{Auth, Cae, Caea, CaeaInvoice, Fortnight, Outcome, WsfeError};
use mostrador_queue::Clock;
use mostrador_types::Cuit;
use sqlx::Row;

use crate::invoicing::session::{AfipSetups, Connection, TicketError, Tickets};
use crate::org::{self, OrgError, OrgId};
use crate::store::{timestamp, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CaeaError {
    #[error("AFIP is not set up for this business (certificate and point of sale)")]
    NotConfigured,
    #[error(
        "point of sale {0} is not a contingency (CAEA) point of sale: add it in the AFIP settings"
    )]
    NotContingencyPoint(u32),
    #[error("there is no CAEA for {0}: connect once to AFIP before the fortnight starts so it can be obtained")]
    NoCaea(NaiveDate),
    #[error("the invoice is not valid: {0}")]
    Invalid(String),
    #[error("AFIP does not list point of sale {0} as a CAEA (contingency) one: register one in AFIP's points of sale administration and pick it")]
    NotCaeaAtAfip(u32),
    #[error("the CAEA contingency is not enabled for this business (Ajustes → AFIP)")]
    Disabled,
    #[error("this invoice cannot be issued with the CAEA: {0}")]
    NotEligible(&'static str),
    #[error("AFIP is answering: the invoice goes out with a CAE")]
    AfipAnswering,
    #[error(transparent)]
    Wsfe(#[from] WsfeError),
    #[error(transparent)]
    Ticket(#[from] TicketError),
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CaeaError {
    fn from(e: sqlx::Error) -> Self {
        CaeaError::Store(StoreError::Sqlx(e))
    }
}

/// A CAEA as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCaea {
    pub code: Cae,
    pub fortnight: Fortnight,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub report_by: NaiveDate,
}

/// An invoice issued with a CAEA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCaeaInvoice {
    pub id: i64,
    pub point_of_sale: u32,
    pub voucher_type: u16,
    pub number: u64,
    pub caea: Cae,
}

/// What one reporting pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReportSummary {
    pub informed: usize,
    pub rejected: usize,
    /// Left pending (a batch stops at its first rejection; AFIP unreachable).
    pub pending: usize,
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_ymd(s: &str) -> Result<NaiveDate, CaeaError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| CaeaError::Invalid(format!("stored date {s:?}: {e}")))
}

/// Re-validation of a stored draft: the identification threshold was checked when issuing.
fn revalidate(draft: &InvoiceDraft) -> Result<Invoice, CaeaError> {
    draft
        .validate(&InvoiceSettings {
            identification_threshold: Money::MAX,
        })
        .map_err(|e| CaeaError::Invalid(e.to_string()))
}

/// The CAEA contingency of every organization.
#[derive(Clone)]
pub struct Contingency {
    store: Store,
    setups: AfipSetups,
    tickets: Arc<Tickets>,
    clock: Arc<dyn Clock>,
    events: Option<tokio::sync::broadcast::Sender<crate::invoicing::InvoiceEvent>>,
}

impl Contingency {
    pub fn new(
        store: Store,
        setups: AfipSetups,
        tickets: Arc<Tickets>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Contingency {
            store,
            setups,
            tickets,
            clock,
            events: None,
        }
    }

    /// Announces the invoices it issues and whose inform state changes (the window listens).
    pub fn with_events(
        mut self,
        events: tokio::sync::broadcast::Sender<crate::invoicing::InvoiceEvent>,
    ) -> Self {
        self.events = Some(events);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Tells the window the invoice linked to CAEA row `caea_id` (if any) changed.
    async fn announce_caea_row(&self, caea_id: i64) {
        let Some(events) = &self.events else { return };
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT org_id, invoice_id FROM caea_invoices WHERE id = ?")
                .bind(caea_id)
                .fetch_optional(self.store.reader())
                .await
                .ok()
                .flatten();
        if let Some((org, Some(invoice_id))) = row {
            if let Ok(org_id) = org.parse() {
                let _ = events.send(crate::invoicing::InvoiceEvent {
                    org_id,
                    invoice_id,
                    state: crate::invoicing::InvoiceState::Authorized,
                    hold: None,
                });
            }
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn local_now(&self) -> NaiveDateTime {
        self.now()
            .with_timezone(&mostrador_afip::argentina_offset())
            .naive_local()
    }

    /// Replaces the organization's contingency points of sale.
    pub async fn set_points_of_sale(&self, org: OrgId, points: &[u32]) -> Result<(), CaeaError> {
        if let Some(bad) = points.iter().find(|p| !(1..=99_998).contains(*p)) {
            return Err(CaeaError::Invalid(format!(
                "point of sale {bad} is outside 1–99998"
            )));
        }
        if let Some(main) = self.setups.point_of_sale(org) {
            if points.contains(&main) {
                // AFIP requires CAEA points of sale to be separate from the CAE one.
                return Err(CaeaError::Invalid(format!(
                    "point of sale {main} is the CAE one; the contingency one must be another"
                )));
            }
        }
        let mut tx = self.store.begin_immediate().await?;
        sqlx::query("DELETE FROM caea_points_of_sale WHERE org_id = ?")
            .bind(org.to_string())
            .execute(&mut *tx)
            .await?;
        for p in points {
            sqlx::query("INSERT INTO caea_points_of_sale (org_id, point_of_sale) VALUES (?, ?)")
                .bind(org.to_string())
                .bind(*p as i64)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn points_of_sale(&self, org: OrgId) -> Result<Vec<u32>, CaeaError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT point_of_sale FROM caea_points_of_sale WHERE org_id = ? ORDER BY point_of_sale",
        )
        .bind(org.to_string())
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.into_iter().map(|p| p as u32).collect())
    }

    /// The stored CAEA covering `date`.
    pub async fn caea_for(
        &self,
        org: OrgId,
        date: NaiveDate,
    ) -> Result<Option<StoredCaea>, CaeaError> {
        let f = Fortnight::containing(date);
        self.stored(org, f).await
    }

    async fn stored(&self, org: OrgId, f: Fortnight) -> Result<Option<StoredCaea>, CaeaError> {
        let row = sqlx::query(
            "SELECT caea, valid_from, valid_to, report_by FROM afip_caeas
             WHERE org_id = ? AND period = ? AND half = ?",
        )
        .bind(org.to_string())
        .bind(f.period() as i64)
        .bind(f.order() as i64)
        .fetch_optional(self.store.reader())
        .await?;
        row.map(|r| {
            Ok(StoredCaea {
                code: Cae::parse(r.get::<&str, _>("caea"))
                    .map_err(|e| CaeaError::Invalid(e.to_string()))?,
                fortnight: f,
                valid_from: parse_ymd(r.get("valid_from"))?,
                valid_to: parse_ymd(r.get("valid_to"))?,
                report_by: parse_ymd(r.get("report_by"))?,
            })
        })
        .transpose()
    }

    async fn store_caea(&self, org: OrgId, c: &Caea) -> Result<(), CaeaError> {
        sqlx::query(
            "INSERT INTO afip_caeas (org_id, period, half, caea, valid_from, valid_to, report_by, obtained_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (org_id, period, half) DO UPDATE SET
               caea = excluded.caea, valid_from = excluded.valid_from,
               valid_to = excluded.valid_to, report_by = excluded.report_by",
        )
        .bind(org.to_string())
        .bind(c.fortnight.period() as i64)
        .bind(c.fortnight.order() as i64)
        .bind(c.code.to_string())
        .bind(ymd(c.valid_from))
        .bind(ymd(c.valid_to))
        .bind(ymd(c.report_by))
        .bind(timestamp::to_text(self.now()))
        .execute(self.store.writer())
        .await?;
        Ok(())
    }

    /// The connection, a ticket (logging in when needed) and the issuer's CUIT.
    async fn session(
        &self,
        org: OrgId,
    ) -> Result<(Arc<Connection>, AccessTicket, Cuit), CaeaError> {
        let conn = self.setups.get(org).ok_or(CaeaError::NotConfigured)?;
        let cuit = org::get(&self.store, org).await?.cuit;
        let ticket = self.tickets.get(org, &conn, self.now()).await?;
        Ok((conn, ticket, cuit))
    }

    /// A WSFE result; a ticket WSFE refused is forgotten so the next pass logs in.
    async fn checked<T>(&self, org: OrgId, r: Result<T, WsfeError>) -> Result<T, CaeaError> {
        if let Err(WsfeError::Auth { .. }) = &r {
            if let Some(conn) = self.setups.get(org) {
                self.tickets.invalidate(org, conn.setup.environment).await;
            }
        }
        Ok(r?)
    }

    /// Makes sure the current fortnight's CAEA is stored, and the next one's once its request
    /// window is open. Consults first; requests only what AFIP does not have. Returns what is
    /// stored for those fortnights.
    pub async fn ensure_caeas(&self, org: OrgId) -> Result<Vec<StoredCaea>, CaeaError> {
        let today = self.local_now().date();
        let current = Fortnight::containing(today);
        let mut wanted = vec![current];
        if current.next().requestable_on(today) {
            wanted.push(current.next());
        }
        let mut out = Vec::new();
        for f in wanted {
            if let Some(s) = self.stored(org, f).await? {
                out.push(s);
                continue;
            }
            let (conn, ticket, cuit) = self.session(org).await?;
            let auth = Auth {
                ticket: &ticket,
                cuit,
            };
            let r = conn.wsfe.obtain_caea(&auth, f).await;
            let caea = self.checked(org, r).await?.value;
            tracing::info!(%org, fortnight = %f, "CAEA stored");
            self.store_caea(org, &caea).await?;
            out.extend(self.stored(org, f).await?);
        }
        Ok(out)
    }

    /// Issues `invoice` (whose point of sale must be a contingency one) offline with the CAEA of
    /// its date: the next local number of its (point of sale, type), stored as pending.
    pub async fn issue(
        &self,
        org: OrgId,
        invoice: &Invoice,
    ) -> Result<IssuedCaeaInvoice, CaeaError> {
        let pos = invoice.point_of_sale;
        if !self.points_of_sale(org).await?.contains(&pos) {
            return Err(CaeaError::NotContingencyPoint(pos));
        }
        let caea = self
            .caea_for(org, invoice.date)
            .await?
            .filter(|c| (c.valid_from..=c.valid_to).contains(&invoice.date))
            .ok_or(CaeaError::NoCaea(invoice.date))?;
        let draft_json = serde_json::to_string(invoice.draft())
            .map_err(|e| CaeaError::Invalid(e.to_string()))?;
        let tipo = invoice.voucher_type.code();
        let now = timestamp::to_text(self.now());
        let generated_at = self.local_now().format("%Y-%m-%dT%H:%M:%S").to_string();
        // BEGIN IMMEDIATE: the number is read and used under the write lock.
        let mut tx = self.store.begin_immediate().await?;
        let number: i64 = sqlx::query_scalar(
            "SELECT coalesce(max(number), 0) + 1 FROM caea_invoices
             WHERE org_id = ? AND point_of_sale = ? AND voucher_type = ?",
        )
        .bind(org.to_string())
        .bind(pos as i64)
        .bind(tipo as i64)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO caea_invoices (org_id, point_of_sale, voucher_type, number, caea, date,
               generated_at, draft_json, total_cents, state, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id",
        )
        .bind(org.to_string())
        .bind(pos as i64)
        .bind(tipo as i64)
        .bind(number)
        .bind(caea.code.to_string())
        .bind(ymd(invoice.date))
        .bind(&generated_at)
        .bind(&draft_json)
        .bind(invoice.amounts.total.cents())
        .bind(&now)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(%org, id, point_of_sale = pos, voucher_type = tipo, number, "invoice issued with CAEA");
        Ok(IssuedCaeaInvoice {
            id,
            point_of_sale: pos,
            voucher_type: tipo,
            number: number as u64,
            caea: caea.code,
        })
    }

    /// Informs every pending CAEA invoice (FECAEARegInformativo), per (point of sale, type) in
    /// number order. An invoice AFIP already has (703 after a lost answer) is confirmed with
    /// FECompConsultar instead of being marked rejected.
    pub async fn report_pending(&self, org: OrgId) -> Result<ReportSummary, CaeaError> {
        let rows = sqlx::query(
            "SELECT id, point_of_sale, voucher_type, number, caea, generated_at, draft_json
             FROM caea_invoices WHERE org_id = ? AND state = 'pending'
             ORDER BY point_of_sale, voucher_type, number",
        )
        .bind(org.to_string())
        .fetch_all(self.store.reader())
        .await?;
        struct Pending {
            id: i64,
            key: (u32, u16),
            number: u64,
            caea: Cae,
            generated_at: NaiveDateTime,
            invoice: Invoice,
        }
        let mut pending = Vec::new();
        for r in rows {
            let draft: InvoiceDraft = serde_json::from_str(r.get("draft_json"))
                .map_err(|e| CaeaError::Invalid(e.to_string()))?;
            pending.push(Pending {
                id: r.get("id"),
                key: (
                    r.get::<i64, _>("point_of_sale") as u32,
                    r.get::<i64, _>("voucher_type") as u16,
                ),
                number: r.get::<i64, _>("number") as u64,
                caea: Cae::parse(r.get::<&str, _>("caea"))
                    .map_err(|e| CaeaError::Invalid(e.to_string()))?,
                generated_at: NaiveDateTime::parse_from_str(
                    r.get("generated_at"),
                    "%Y-%m-%dT%H:%M:%S",
                )
                .map_err(|e| CaeaError::Invalid(e.to_string()))?,
                invoice: revalidate(&draft)?,
            });
        }
        let mut summary = ReportSummary::default();
        let mut groups: Vec<Vec<&Pending>> = Vec::new();
        for p in &pending {
            match groups.last_mut() {
                Some(g) if g[0].key == p.key => g.push(p),
                _ => groups.push(vec![p]),
            }
        }
        for group in groups {
            let batch: Vec<CaeaInvoice<'_>> = group
                .iter()
                .map(|p| CaeaInvoice {
                    invoice: &p.invoice,
                    number: p.number,
                    caea: p.caea,
                    generated_at: p.generated_at,
                })
                .collect();
            let (conn, ticket, cuit) = self.session(org).await?;
            let auth = Auth {
                ticket: &ticket,
                cuit,
            };
            let r = conn.wsfe.report_caea_invoices(&auth, &batch).await;
            let report = self.checked(org, r).await?.value;
            let mut batch_errors = Some(&report.errors);
            for p in &group {
                let detail = report.details.iter().find(|d| d.number == p.number);
                match detail {
                    Some(d) if d.outcome == Some(Outcome::Approved) => {
                        self.mark(p.id, "informed", None).await?;
                        summary.informed += 1;
                    }
                    Some(d) => {
                        // The batch's Errors belong to its first rejected detail.
                        let errors = batch_errors.take().map(Vec::as_slice).unwrap_or_default();
                        let msgs: Vec<_> = d.observations.iter().chain(errors).collect();
                        if msgs.is_empty() {
                            // Not processed after an earlier rejection: next pass.
                            summary.pending += 1;
                            continue;
                        }
                        let not_next = msgs.iter().any(|m| m.code == codes::NOT_NEXT);
                        if not_next && self.already_informed(org, p.key, p.number, p.caea).await? {
                            self.mark(p.id, "informed", None).await?;
                            summary.informed += 1;
                        } else {
                            let reason: Vec<String> = msgs
                                .iter()
                                .map(|m| format!("{} {}", m.code, m.msg))
                                .collect();
                            tracing::warn!(%org, id = p.id, "CAEA invoice rejected by AFIP");
                            self.mark(p.id, "rejected", Some(&reason.join("; ")))
                                .await?;
                            summary.rejected += 1;
                        }
                    }
                    _ => summary.pending += 1,
                }
            }
        }
        Ok(summary)
    }

    async fn already_informed(
        &self,
        org: OrgId,
        (pos, tipo): (u32, u16),
        number: u64,
        caea: Cae,
    ) -> Result<bool, CaeaError> {
        let (conn, ticket, cuit) = self.session(org).await?;
        let auth = Auth {
            ticket: &ticket,
            cuit,
        };
        let r = conn.wsfe.consult(&auth, tipo, pos, number).await;
        let found = self.checked(org, r).await?.value;
        Ok(found
            .is_some_and(|c| c.emission_type == "CAEA" && c.authorization_code == caea.to_string()))
    }

    async fn mark(&self, id: i64, state: &str, reason: Option<&str>) -> Result<(), CaeaError> {
        let now = timestamp::to_text(self.now());
        sqlx::query(
            "UPDATE caea_invoices SET state = ?, reject_reason = ?, updated_at = ?,
               informed_at = CASE WHEN ? = 'informed' THEN ? ELSE informed_at END
             WHERE id = ? AND state = 'pending'",
        )
        .bind(state)
        .bind(reason)
        .bind(&now)
        .bind(state)
        .bind(&now)
        .bind(id)
        .execute(self.store.writer())
        .await?;
        self.announce_caea_row(id).await;
        Ok(())
    }

    /// Declares (FECAEASinMovimientoInformar) every contingency point of sale that issued
    /// nothing under the CAEA of an ended fortnight, once. Returns the points declared now.
    pub async fn declare_unused(&self, org: OrgId) -> Result<Vec<(Cae, u32)>, CaeaError> {
        let today = self.local_now().date();
        let points = self.points_of_sale(org).await?;
        let caeas: Vec<(String, String)> = sqlx::query_as(
            "SELECT caea, valid_to FROM afip_caeas WHERE org_id = ? AND valid_to < ?",
        )
        .bind(org.to_string())
        .bind(ymd(today))
        .fetch_all(self.store.reader())
        .await?;
        let mut declared = Vec::new();
        for (code, _) in caeas {
            let cae = Cae::parse(&code).map_err(|e| CaeaError::Invalid(e.to_string()))?;
            for &pos in &points {
                let used: i64 = sqlx::query_scalar(
                    "SELECT (SELECT count(*) FROM caea_invoices WHERE org_id = ?1 AND caea = ?2 AND point_of_sale = ?3)
                          + (SELECT count(*) FROM caea_no_activity WHERE org_id = ?1 AND caea = ?2 AND point_of_sale = ?3)",
                )
                .bind(org.to_string())
                .bind(&code)
                .bind(pos as i64)
                .fetch_one(self.store.reader())
                .await?;
                if used > 0 {
                    continue;
                }
                let (conn, ticket, cuit) = self.session(org).await?;
                let auth = Auth {
                    ticket: &ticket,
                    cuit,
                };
                let r = conn.wsfe.report_no_activity(&auth, pos, cae).await;
                let result = self.checked(org, r).await;
                match result {
                    Ok(_) => {}
                    // Declared before (an answer lost): record it.
                    Err(CaeaError::Wsfe(WsfeError::Service { errors, .. }))
                        if errors.iter().any(|e| e.code == codes::ALREADY_DECLARED) => {}
                    Err(e) => return Err(e),
                }
                sqlx::query(
                    "INSERT INTO caea_no_activity (org_id, caea, point_of_sale, declared_at) VALUES (?, ?, ?, ?)",
                )
                .bind(org.to_string())
                .bind(&code)
                .bind(pos as i64)
                .bind(timestamp::to_text(self.now()))
                .execute(self.store.writer())
                .await?;
                tracing::info!(%org, point_of_sale = pos, "contingency point of sale declared unused");
                declared.push((cae, pos));
            }
        }
        Ok(declared)
    }

    /// One maintenance pass: CAEAs ahead of time (while the contingency is enabled), pending
    /// invoices informed and unused points declared (always: an obligation even after disabling
    /// it). Touches AFIP only when there is something to do.
    pub async fn tick(&self, org: OrgId) -> Result<ReportSummary, CaeaError> {
        if self.points_of_sale(org).await?.is_empty() {
            return Ok(ReportSummary::default());
        }
        if self.enabled(org).await? {
            self.ensure_caeas(org).await?;
        }
        let summary = self.report_pending(org).await?;
        self.declare_unused(org).await?;
        Ok(summary)
    }
}

impl From<CaeaError> for crate::error::AppError {
    fn from(e: CaeaError) -> Self {
        use crate::error::{AppError, ErrorCode};
        let err = |code, msg: String| AppError::new(code, msg);
        match e {
            CaeaError::NotConfigured => err(
                ErrorCode::AfipNotConfigured,
                "Falta configurar ARCA (AFIP): cargá el certificado y elegí el punto de venta en Ajustes → AFIP.".into(),
            ),
            CaeaError::NotContingencyPoint(p) | CaeaError::NotCaeaAtAfip(p) => err(
                ErrorCode::InvalidSetting,
                format!("AFIP no tiene el punto de venta {p} como de contingencia (CAEA). Dalo de alta como «RECE - CAEA» en «Administración de puntos de venta» de AFIP y elegí ese."),
            )
            .with_details(serde_json::json!({ "field": "points_of_sale", "point_of_sale": p })),
            CaeaError::NoCaea(d) => err(
                ErrorCode::AfipUnreachable,
                format!("No hay CAEA para el {}: se pide solo cuando AFIP responde, antes de cada quincena.", d.format("%d/%m/%Y")),
            ),
            CaeaError::Invalid(m) => err(ErrorCode::InvalidSetting, format!("Dato no válido: {m}")),
            CaeaError::Disabled => err(
                ErrorCode::InvalidSetting,
                "La contingencia (CAEA) no está activada: activala en Ajustes → AFIP.".into(),
            ),
            CaeaError::NotEligible(why) => err(
                ErrorCode::InvoiceInvalid,
                format!("Esa factura no se puede emitir con CAEA ({why}): sigue su camino con CAE."),
            ),
            CaeaError::AfipAnswering => err(
                ErrorCode::InvoiceInvalid,
                "AFIP está respondiendo: la factura sale con CAE en unos segundos.".into(),
            ),
            CaeaError::Wsfe(w) if w.is_transient() => err(
                ErrorCode::AfipUnreachable,
                "AFIP no respondió. Probá de nuevo en unos minutos.".into(),
            ),
            CaeaError::Ticket(t) if t.is_offline() => err(
                ErrorCode::AfipUnreachable,
                "AFIP no respondió. Probá de nuevo en unos minutos.".into(),
            ),
            CaeaError::Wsfe(w) => err(ErrorCode::AfipRejected, format!("AFIP rechazó el pedido: {w}")),
            CaeaError::Ticket(t) => err(ErrorCode::AfipNotConfigured, format!("No se pudo entrar a AFIP: {t}")),
            CaeaError::Org(o) => o.into(),
            CaeaError::Store(s) => s.into(),
        }
    }
}
