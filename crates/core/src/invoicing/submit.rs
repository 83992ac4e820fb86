//! The `afip.submit` job: one invoice to AFIP, never twice, never a gap (design §6, afip.md §6).
//!
//! ```text
//! queued ─ reconcile (FECompUltimoAutorizado; walk gaps with FECompConsultar, record foreign)
//!        ─ date window (warn from day 3; past it the owner decides) ─ number = last + 1,
//!          stored with the exact FECAEDetRequest BEFORE the call ─► submitting ─ FECAESolicitar
//!   approved ─► authorized (CAE in the same statement)      rejected ─► rejected (reason)
//!   Err 10016 ─► consult + resolve_numbering_conflict         lost answer ─► in_doubt
//! in_doubt / submitting found after a crash ─ FECompConsultar(number):
//!   same ⇒ adopt CAE · 602 ⇒ resend the identical payload · different ⇒ foreign: record it,
//!   never reuse, take a new number · unreadable ⇒ stays in doubt, consulted again later
//! ```
//!
//! The invoice row is the truth; the job only drives it. The job never marks `send_started`
//! (that would park it in the queue's evidence-based in-doubt path, which has no evidence for
//! AFIP): an interrupted run leaves the row `submitting`, and the next run consults first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use mostrador_afip::invoice::{date_window_days, Invoice, InvoiceError};
use mostrador_afip::wsaa::AccessTicket;
use mostrador_afip::wsfe::{
    envelope, resolve_numbering_conflict, Auth, Comparison, ConflictResolution, ConsultedInvoice,
    Rejection, WsfeError,
};
use mostrador_queue::{Clock, QueueError};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::model::InvoiceState;
use super::repo::{self, InvoiceRow, Sequence};
use super::session::{AfipSetups, Connection, Tickets};
use crate::activity::{ActivityGate, ActivityKind};
use crate::outbound::handler::queue_error;
use crate::outbound::{BoxFuture, Failure, FailureKind, Handled, JobHandler, JobRun};
use crate::store::Store;

/// The job kind.
pub const KIND: &str = "afip.submit";

/// Holds waiting for the owner.
pub const HOLD_DATE_WINDOW: &str = "date_window";
pub const HOLD_DATE_BEFORE_LAST: &str = "date_before_last";

/// From this many days after its date a queued invoice is flagged (its window closes at 5/10).
pub const WARN_FROM_DAYS: i64 = 3;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SubmitPayload {
    pub invoice_id: i64,
}

/// Argentina's date at `now`.
pub fn argentina_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&mostrador_afip::argentina_offset())
        .date_naive()
}

/// Why a run stopped before the invoice reached a final state or a hold.
#[derive(Debug)]
enum Stop {
    /// AFIP (or the network) did not answer before anything was decided: try again later.
    Offline(String),
    /// Sent or maybe sent, and not resolved yet: consult again later.
    InDoubt(String),
    NotConfigured(String),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for Stop {
    fn from(e: sqlx::Error) -> Self {
        Stop::Db(e)
    }
}

/// How a run ended without error.
#[derive(Debug)]
enum Ended {
    Authorized,
    Rejected,
    Held,
    /// Nothing to do (already final, or gone).
    Nothing,
}

pub(crate) struct Inner {
    pub store: Store,
    pub setups: AfipSetups,
    pub tickets: Arc<Tickets>,
    pub gate: ActivityGate,
    pub clock: Arc<dyn Clock>,
    locks: std::sync::Mutex<HashMap<Sequence, Arc<tokio::sync::Mutex<()>>>>,
    events: Option<tokio::sync::broadcast::Sender<super::model::InvoiceEvent>>,
}

/// The `afip.submit` handler (register it with the outbound engine).
#[derive(Clone)]
pub struct SubmitHandler {
    inner: Arc<Inner>,
}

impl SubmitHandler {
    pub fn new(
        store: Store,
        setups: AfipSetups,
        tickets: Arc<Tickets>,
        gate: ActivityGate,
        clock: Arc<dyn Clock>,
    ) -> Self {
        SubmitHandler {
            inner: Arc::new(Inner {
                store,
                setups,
                tickets,
                gate,
                clock,
                locks: std::sync::Mutex::new(HashMap::new()),
                events: None,
            }),
        }
    }

    /// Announces every state a run leaves the invoice in (the app forwards them to the window).
    /// Call before the handler is cloned or registered.
    pub fn with_events(
        mut self,
        events: tokio::sync::broadcast::Sender<super::model::InvoiceEvent>,
    ) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.events = Some(events);
        }
        self
    }
}

impl JobHandler for SubmitHandler {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled> {
        Box::pin(async move {
            let payload: SubmitPayload = match serde_json::from_str(&run.job.payload) {
                Ok(p) => p,
                Err(e) => {
                    return Handled::Failed {
                        failure: Failure::new(
                            FailureKind::Permanent,
                            "bad_payload",
                            "Trabajo de facturación ilegible",
                        )
                        .with_detail(e.to_string()),
                        latency: None,
                    }
                }
            };
            let span = tracing::info_span!("invoicing.submit", job_id = %run.job.id, invoice_id = payload.invoice_id);
            let started = Instant::now();
            let result = self.inner.run(payload.invoice_id).instrument(span).await;
            self.inner.announce(payload.invoice_id).await;
            match result {
                Ok(ended) => {
                    tracing::info!(?ended, "submission finished");
                    Handled::Done {
                        provider_id: None,
                        latency: started.elapsed(),
                    }
                }
                Err(Stop::Offline(detail)) | Err(Stop::InDoubt(detail)) => Handled::Failed {
                    failure: Failure::new(
                        FailureKind::Transient,
                        "afip_pending",
                        "ARCA (AFIP) no respondió: la factura queda en cola y sale sola cuando responda",
                    )
                    .with_detail(detail),
                    latency: None,
                },
                Err(Stop::NotConfigured(detail)) => Handled::Failed {
                    failure: Failure::new(
                        FailureKind::NotConfigured,
                        "afip_not_configured",
                        "Falta configurar ARCA (AFIP): cargá el certificado y el punto de venta en Ajustes",
                    )
                    .with_detail(detail),
                    latency: None,
                },
                Err(Stop::Db(e)) => queue_error(QueueError::Sqlx(e)),
            }
        })
    }
}

impl Inner {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn lock_for(&self, seq: Sequence) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(seq)
            .or_default()
            .clone()
    }

    /// Tells the listeners where the invoice stands now (after a run, whatever its outcome).
    async fn announce(&self, id: i64) {
        let Some(events) = &self.events else { return };
        match self.load(id).await {
            Ok(Some(inv)) => {
                let _ = events.send(super::model::InvoiceEvent {
                    org_id: inv.org_id,
                    invoice_id: inv.id,
                    state: inv.state,
                    hold: inv.hold,
                });
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(?e, "invoice state not announced"),
        }
    }

    async fn load(&self, id: i64) -> Result<Option<InvoiceRow>, Stop> {
        let mut conn = self.store.writer().acquire().await?;
        Ok(repo::get(&mut conn, id).await?)
    }

    async fn run(&self, id: i64) -> Result<Ended, Stop> {
        let Some(first) = self.load(id).await? else {
            return Ok(Ended::Nothing);
        };
        if first.state.is_final() || first.hold.is_some() || first.state == InvoiceState::Draft {
            return Ok(Ended::Nothing);
        }
        // While an update installs nothing new starts; the job comes back after the restart.
        let _activity = self
            .gate
            .begin(ActivityKind::InvoiceSubmission)
            .map_err(|e| Stop::Offline(e.to_string()))?;
        // One submission in flight per sequence, even if a lease ran out under a slow call.
        let lock = self.lock_for(first.seq);
        let _seq = lock.lock().await;
        let conn = self
            .setups
            .get(first.org_id)
            .ok_or_else(|| Stop::NotConfigured("no AFIP setup for the organization".into()))?;
        let mut ticket: Option<AccessTicket> = None;
        // Each pass makes progress (a number taken or released, a state resolved); a foreign
        // invoice can displace ours a few times in a row, never forever in practice.
        for _ in 0..20 {
            let Some(inv) = self.load(id).await? else {
                return Ok(Ended::Nothing);
            };
            if inv.state.is_final() || inv.hold.is_some() {
                return Ok(Ended::Nothing);
            }
            if ticket.as_ref().is_none_or(|t| !t.is_valid(self.now())) {
                ticket = Some(self.ticket(&inv, &conn).await?);
            }
            let ta = ticket.as_ref().expect("set above");
            let auth = Auth {
                ticket: ta,
                cuit: inv.seq.cuit,
            };
            let step = match inv.state {
                InvoiceState::Queued => self.take_number_and_send(&conn, &auth, &inv).await,
                InvoiceState::Submitting | InvoiceState::InDoubt => {
                    self.resolve(&conn, &auth, &inv).await
                }
                _ => return Ok(Ended::Nothing),
            };
            match step {
                Ok(Some(ended)) => return Ok(ended),
                Ok(None) => continue,
                Err(Stop::NotConfigured(d)) if d == "ticket refused" => {
                    self.tickets
                        .invalidate(inv.org_id, conn.setup.environment)
                        .await;
                    return Err(Stop::Offline(
                        "WSFE refused the ticket; logging in again".into(),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
        Err(Stop::InDoubt("too many renumberings in one run".into()))
    }

    async fn ticket(&self, inv: &InvoiceRow, conn: &Connection) -> Result<AccessTicket, Stop> {
        self.tickets
            .get(inv.org_id, conn, self.now())
            .await
            .map_err(|e| {
                if e.is_offline() {
                    Stop::Offline(e.to_string())
                } else {
                    Stop::NotConfigured(e.to_string())
                }
            })
    }

    /// Reads AFIP's last number, records any foreign invoices in the gap after ours, and returns
    /// (last number, its date).
    async fn reconcile(
        &self,
        conn: &Connection,
        auth: &Auth<'_>,
        inv: &InvoiceRow,
    ) -> Result<(u64, Option<NaiveDate>), Stop> {
        let seq = &inv.seq;
        let last = conn
            .wsfe
            .last_authorized(auth, seq.point_of_sale, seq.voucher_type)
            .await
            .map_err(wsfe_stop)?
            .value;
        let known = {
            let mut db = self.store.writer().acquire().await?;
            repo::max_known_number(&mut db, seq).await?
        };
        let mut last_found: Option<ConsultedInvoice> = None;
        for n in known.saturating_add(1)..=last {
            let found = conn
                .wsfe
                .consult(auth, seq.voucher_type, seq.point_of_sale, n)
                .await
                .map_err(wsfe_stop)?
                .value;
            match found {
                Some(f) => {
                    tracing::warn!(number = n, "foreign invoice found on our point of sale");
                    let mut tx = self.store.begin_immediate().await.map_err(store_stop)?;
                    repo::record_foreign(&mut tx, inv.org_id, seq, &f, None, self.now()).await?;
                    tx.commit().await?;
                    last_found = Some(f);
                }
                None => tracing::error!(
                    number = n,
                    last,
                    "AFIP reports a last number it cannot show"
                ),
            }
        }
        let last_date = match last_found.filter(|f| f.number == last) {
            Some(f) => Some(f.date),
            None if last == 0 => None,
            None => {
                let mut db = self.store.writer().acquire().await?;
                match repo::date_of(&mut db, seq, last).await? {
                    Some(d) => Some(d),
                    // Not recorded (AFIP ahead of a number we hold in doubt): ask AFIP.
                    None => conn
                        .wsfe
                        .consult(auth, seq.voucher_type, seq.point_of_sale, last)
                        .await
                        .map_err(wsfe_stop)?
                        .value
                        .map(|f| f.date),
                }
            }
        };
        Ok((last, last_date))
    }

    async fn take_number_and_send(
        &self,
        conn: &Connection,
        auth: &Auth<'_>,
        inv: &InvoiceRow,
    ) -> Result<Option<Ended>, Stop> {
        let invoice = match inv.invoice() {
            Ok(i) => i,
            Err(e) => return self.reject_queued(inv, &format!("regla local: {e}")).await,
        };
        let (last, last_date) = self.reconcile(conn, auth, inv).await?;

        // Date window, with AFIP's rules and today's date; never re-dated silently.
        let today = argentina_today(self.now());
        match invoice.check_date(today, last_date) {
            Ok(()) => {}
            Err(e @ InvoiceError::DateOutsideWindow { .. }) => {
                return self.hold(inv, HOLD_DATE_WINDOW, &e.to_string()).await;
            }
            Err(e @ InvoiceError::DateBeforeLast { .. }) => {
                return self.hold(inv, HOLD_DATE_BEFORE_LAST, &e.to_string()).await;
            }
            Err(e) => return self.reject_queued(inv, &e.to_string()).await,
        }

        let number = last + 1;
        let xml = envelope::fe_det_request(&invoice, number);
        {
            let mut tx = self.store.begin_immediate().await.map_err(store_stop)?;
            if !repo::take_number(&mut tx, inv.id, number, &xml, self.now()).await? {
                return Ok(None);
            }
            tx.commit().await?;
        }
        tracing::info!(number, "number taken; sending");
        self.send(conn, auth, inv, &invoice, number, InvoiceState::Submitting)
            .await
    }

    /// FECAESolicitar for `number` (the row is `from`: submitting, or in_doubt after a 602).
    async fn send(
        &self,
        conn: &Connection,
        auth: &Auth<'_>,
        inv: &InvoiceRow,
        invoice: &Invoice,
        number: u64,
        from: InvoiceState,
    ) -> Result<Option<Ended>, Stop> {
        let seq = &inv.seq;
        match conn.wsfe.authorize(auth, invoice, number).await {
            Ok(answer) => {
                let a = answer.value;
                if a.is_approved() {
                    let cae = a.cae.expect("approved carries a CAE");
                    return self
                        .authorized(inv, from, number, &cae.to_string(), a.cae_due, "autorizada")
                        .await;
                }
                match a.rejection() {
                    Some(Rejection::NumberingConflict) => {
                        let found = conn
                            .wsfe
                            .consult(auth, seq.voucher_type, seq.point_of_sale, number)
                            .await
                            .map_err(|e| self.in_doubt_later(e))?
                            .value;
                        let last = conn
                            .wsfe
                            .last_authorized(auth, seq.point_of_sale, seq.voucher_type)
                            .await
                            .map_err(|e| self.in_doubt_later(e))?
                            .value;
                        match resolve_numbering_conflict(invoice, number, found.as_ref(), last) {
                            ConflictResolution::Adopt(cae) => {
                                let due = found.as_ref().and_then(|f| f.due);
                                self.authorized(
                                    inv,
                                    from,
                                    number,
                                    &cae.to_string(),
                                    due,
                                    "ya estaba autorizada (consultada)",
                                )
                                .await
                            }
                            ConflictResolution::NumberTaken { .. } => {
                                let f = found.expect("taken means found");
                                self.displaced(inv, from, number, &f).await
                            }
                            ConflictResolution::NumberNotNext { .. } => {
                                self.release(
                                    inv,
                                    from,
                                    number,
                                    InvoiceState::Queued,
                                    None,
                                    None,
                                    "el número no era el siguiente: se toma otro",
                                )
                                .await
                            }
                            ConflictResolution::DateRejected => {
                                self.release(
                                    inv,
                                    from,
                                    number,
                                    InvoiceState::Queued,
                                    None,
                                    Some(HOLD_DATE_BEFORE_LAST),
                                    "fecha anterior a la última factura: decide el dueño",
                                )
                                .await?;
                                Ok(Some(Ended::Held))
                            }
                            ConflictResolution::StillInDoubt(why) => {
                                self.mark_in_doubt(inv, from, number, &why).await?;
                                Err(Stop::InDoubt(why))
                            }
                        }
                    }
                    Some(Rejection::DateRejected) => {
                        self.release(
                            inv,
                            from,
                            number,
                            InvoiceState::Queued,
                            None,
                            Some(HOLD_DATE_WINDOW),
                            "AFIP rechazó la fecha: decide el dueño",
                        )
                        .await?;
                        Ok(Some(Ended::Held))
                    }
                    _ => {
                        let reason = a
                            .errors
                            .iter()
                            .chain(&a.observations)
                            .map(|m| format!("{} {}", m.code, m.msg))
                            .collect::<Vec<_>>()
                            .join("; ");
                        self.release(
                            inv,
                            from,
                            number,
                            InvoiceState::Rejected,
                            Some(&reason),
                            None,
                            "rechazada por AFIP",
                        )
                        .await?;
                        Ok(Some(Ended::Rejected))
                    }
                }
            }
            Err(WsfeError::MayHaveBeenAuthorized { cause, .. }) => {
                tracing::warn!(number, %cause, "answer lost: in doubt, consulting");
                self.mark_in_doubt(inv, from, number, &cause).await?;
                // Consult at once; if AFIP does not answer, the next run does.
                Ok(None)
            }
            Err(WsfeError::Auth { .. }) => {
                // Answered before processing: nothing was issued; the row stays as it is and the
                // next run consults (602) and resends the same payload with a fresh ticket.
                Err(Stop::NotConfigured("ticket refused".into()))
            }
            Err(e @ WsfeError::Transport(_)) => {
                // Never sent (a connection that was never made): same as above.
                Err(Stop::Offline(e.to_string()))
            }
            Err(e @ (WsfeError::Service { .. } | WsfeError::Fault { .. })) => {
                // Definite answers before processing (10000, a client fault): not issued.
                let reason = e.to_string();
                self.release(
                    inv,
                    from,
                    number,
                    InvoiceState::Rejected,
                    Some(&reason),
                    None,
                    "rechazada por AFIP antes de procesarla",
                )
                .await?;
                Ok(Some(Ended::Rejected))
            }
            Err(e @ WsfeError::Unexpected { .. }) => {
                self.mark_in_doubt(inv, from, number, &e.to_string())
                    .await?;
                Ok(None)
            }
        }
    }

    /// A row left `submitting` (crash, or a send that never went out) or `in_doubt`: only
    /// FECompConsultar decides.
    async fn resolve(
        &self,
        conn: &Connection,
        auth: &Auth<'_>,
        inv: &InvoiceRow,
    ) -> Result<Option<Ended>, Stop> {
        let seq = &inv.seq;
        let (Some(number), Some(sent_xml)) = (inv.number, inv.payload_xml.as_deref()) else {
            return Err(Stop::InDoubt(format!(
                "invoice {} in doubt without a number",
                inv.id
            )));
        };
        let invoice = inv
            .invoice()
            .map_err(|e| Stop::InDoubt(format!("stored invoice unreadable: {e}")))?;
        let found = conn
            .wsfe
            .consult(auth, seq.voucher_type, seq.point_of_sale, number)
            .await
            .map_err(|e| self.in_doubt_later(e))?
            .value;
        match found {
            Some(f) => match f.compare(&invoice, number) {
                Comparison::Same(cae) => {
                    let due = f.due;
                    self.authorized(
                        inv,
                        inv.state,
                        number,
                        &cae.to_string(),
                        due,
                        "autorizada (consultada tras perder la respuesta)",
                    )
                    .await
                }
                Comparison::Different(fields) => {
                    tracing::warn!(number, ?fields, "another system took our number");
                    self.displaced(inv, inv.state, number, &f).await
                }
                Comparison::Unknown(why) => {
                    if inv.state == InvoiceState::Submitting {
                        self.mark_in_doubt(inv, inv.state, number, &why).await?;
                    }
                    Err(Stop::InDoubt(why))
                }
            },
            None => {
                // 602: not issued. Resend exactly what was stored, never a rebuilt variant.
                let xml = envelope::fe_det_request(&invoice, number);
                if xml != sent_xml {
                    tracing::error!("stored payload differs from the rebuilt one; not resending");
                    return Err(Stop::InDoubt(
                        "stored payload differs from the rebuilt one".into(),
                    ));
                }
                tracing::info!(number, "not at AFIP (602): resending the identical payload");
                self.send(conn, auth, inv, &invoice, number, inv.state)
                    .await
            }
        }
    }

    fn in_doubt_later(&self, e: WsfeError) -> Stop {
        Stop::InDoubt(e.to_string())
    }

    async fn authorized(
        &self,
        inv: &InvoiceRow,
        from: InvoiceState,
        number: u64,
        cae: &str,
        due: Option<NaiveDate>,
        note: &str,
    ) -> Result<Option<Ended>, Stop> {
        let mut tx = self.store.begin_immediate().await.map_err(store_stop)?;
        let ok = repo::authorize(&mut tx, inv.id, from, number, cae, due, note, self.now()).await?;
        repo::set_warning(&mut tx, inv.id, None).await?;
        tx.commit().await?;
        if ok {
            tracing::info!(number, "authorized");
            Ok(Some(Ended::Authorized))
        } else {
            Ok(None)
        }
    }

    async fn mark_in_doubt(
        &self,
        inv: &InvoiceRow,
        from: InvoiceState,
        number: u64,
        why: &str,
    ) -> Result<(), Stop> {
        if from == InvoiceState::InDoubt {
            return Ok(());
        }
        let mut tx = self.store.begin_immediate().await.map_err(store_stop)?;
        repo::transition(
            &mut tx,
            inv.id,
            from,
            InvoiceState::InDoubt,
            Some(number),
            why,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A foreign invoice holds `number`: record it (never reuse it) and queue ours for a new one.
    async fn displaced(
        &self,
        inv: &InvoiceRow,
        from: InvoiceState,
        number: u64,
        found: &ConsultedInvoice,
    ) -> Result<Option<Ended>, Stop> {
        let mut tx = self.store.begin_immediate().await.map_err(store_stop)?;
        repo::record_foreign(
            &mut tx,
            inv.org_id,
            &inv.seq,
            found,
            Some(inv.id),
            self.now(),
        )
        .await?;
        repo::release_number(
            &mut tx,
            inv.id,
            from,
            number,
            InvoiceState::Queued,
            None,
            None,
            "otro sistema usó este número: se registra y la factura toma otro",
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    async fn release(
        &self,
        inv: &InvoiceRow,
        from: InvoiceState,
        number: u64,
        to: InvoiceState,
        reason: Option<&str>,
        hold: Option<&str>,
        note: &str,
    ) -> Result<Option<Ended>, Stop> {
        let mut tx = self.store.begin_immediate().await.map_err(store_stop)?;
        repo::release_number(
            &mut tx,
            inv.id,
            from,
            number,
            to,
            reason,
            hold,
            note,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(if to == InvoiceState::Rejected {
            Some(Ended::Rejected)
        } else {
            None
        })
    }

    async fn hold(&self, inv: &InvoiceRow, hold: &str, why: &str) -> Result<Option<Ended>, Stop> {
        let mut tx = self.store.begin_immediate().await.map_err(store_stop)?;
        repo::hold_or_reject_queued(
            &mut tx,
            inv.id,
            InvoiceState::Queued,
            Some(hold),
            None,
            why,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(hold, "invoice held for the owner (date window)");
        Ok(Some(Ended::Held))
    }

    async fn reject_queued(&self, inv: &InvoiceRow, why: &str) -> Result<Option<Ended>, Stop> {
        let mut tx = self.store.begin_immediate().await.map_err(store_stop)?;
        repo::hold_or_reject_queued(
            &mut tx,
            inv.id,
            InvoiceState::Rejected,
            None,
            Some(why),
            why,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Ended::Rejected))
    }
}

/// A read call (numbering, consult) that failed: nothing was decided.
fn wsfe_stop(e: WsfeError) -> Stop {
    match e {
        WsfeError::Auth { .. } => Stop::NotConfigured("ticket refused".into()),
        other => Stop::Offline(other.to_string()),
    }
}

fn store_stop(e: crate::store::StoreError) -> Stop {
    match e {
        crate::store::StoreError::Sqlx(e) => Stop::Db(e),
        other => Stop::Db(sqlx::Error::Protocol(other.to_string())),
    }
}

/// Days the invoice has been waiting past its date, and whether it should show a warning.
pub fn age_warning(date: NaiveDate, today: NaiveDate, concept_window: i64) -> Option<String> {
    let age = (today - date).num_days();
    if age >= WARN_FROM_DAYS {
        Some(format!(
            "Fecha {date}: quedan {} días para emitirla con esa fecha",
            (concept_window - age).max(0)
        ))
    } else {
        None
    }
}

/// The window of a stored draft's concept.
pub fn window_days(inv: &InvoiceRow) -> i64 {
    date_window_days(inv.draft.concept)
}
