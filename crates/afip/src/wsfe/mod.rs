//! WSFEv1: numbering, authorization (CAE), consultation and parameter tables.
//!
//! `FECAESolicitar` is never retried here. When its answer is lost or unreadable (timeout,
//! connection dropped, 5xx, a cut body, a proxy's page, no `FeCabResp`) the call fails with
//! [`WsfeError::MayHaveBeenAuthorized`]: resolve it with [`WsfeClient::consult`] and
//! [`ConsultedInvoice::compare`] (`Same` ⇒ adopt the CAE; `Different` ⇒ the number is taken;
//! `Unknown` ⇒ still in doubt; absent ⇒ resend as is). After a numbering conflict (Err 10016)
//! follow [`recovery::resolve_numbering_conflict`].

pub mod cae;
pub mod caea;
pub mod envelope;
pub mod recovery;
pub mod response;

use std::time::Duration;

use mostrador_types::Cuit;
use tracing::Instrument;
use url::Url;

pub use cae::{Cae, InvalidCae};
pub use caea::{Caea, CaeaInvoice, CaeaReport, Fortnight, Half, NoActivity, ReportedInvoice};
pub use envelope::{Auth, FEV1_NS};
pub use recovery::{resolve_numbering_conflict, ConflictResolution};
pub use response::{
    Authorization, Comparison, ConsultedAssociated, ConsultedInvoice, ConsultedIva,
    ConsultedTribute, DummyStatus, Message, Outcome, ParamItem, PointOfSale, ReceiverConditionItem,
    Rejection, UnreadableAnswer,
};

use crate::exchange::Exchange;
use crate::invoice::Invoice;
use crate::transport::{HttpClient, HttpResponse, TransportError};
use crate::xml::Element;
use response::Body;

/// Default timeout of a WSFE call.
pub const DEFAULT_WSFE_TIMEOUT: Duration = Duration::from_secs(30);

/// A failed WSFE call.
#[derive(Debug, thiserror::Error)]
pub enum WsfeError {
    #[error("FECAESolicitar for voucher {voucher_type}-{point_of_sale}-{number} got no answer ({cause}): it MAY HAVE BEEN AUTHORIZED. Do not resend; call FECompConsultar for that number first")]
    MayHaveBeenAuthorized {
        voucher_type: u16,
        point_of_sale: u32,
        number: u64,
        cause: String,
        exchange: Box<Exchange>,
    },
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("WSFE rejected the credentials ({}): log in again with WSAA", join(.errors))]
    Auth {
        errors: Vec<Message>,
        exchange: Box<Exchange>,
    },
    #[error("WSFE returned errors: {}", join(.errors))]
    Service {
        errors: Vec<Message>,
        exchange: Box<Exchange>,
    },
    #[error("WSFE SOAP fault {code}: {message}")]
    Fault {
        code: String,
        message: String,
        exchange: Box<Exchange>,
    },
    #[error("unexpected answer from WSFE (HTTP {status}): {detail}")]
    Unexpected {
        status: u16,
        detail: String,
        exchange: Box<Exchange>,
    },
}

impl WsfeError {
    /// The raw exchange, when a request was built and sent.
    pub fn exchange(&self) -> Option<&Exchange> {
        match self {
            WsfeError::MayHaveBeenAuthorized { exchange, .. }
            | WsfeError::Auth { exchange, .. }
            | WsfeError::Service { exchange, .. }
            | WsfeError::Fault { exchange, .. }
            | WsfeError::Unexpected { exchange, .. } => Some(exchange),
            WsfeError::Transport(_) => None,
        }
    }

    /// Safe to retry as is: AFIP's transient errors (500/501/502, "Transacción Activa"), 5xx, and
    /// transport failures. Every `Transport` error comes from a read (numbering, consult, tables:
    /// repeating them changes nothing, even when the timed-out request did arrive) or from an
    /// `FECAESolicitar` that was never sent; one that may have been processed is
    /// [`WsfeError::MayHaveBeenAuthorized`] instead, which is never transient.
    pub fn is_transient(&self) -> bool {
        match self {
            WsfeError::Service { errors, .. } => {
                errors.iter().any(|e| (500..=502).contains(&e.code))
            }
            WsfeError::Transport(t) => matches!(
                t,
                TransportError::Connect { .. }
                    | TransportError::Timeout { .. }
                    | TransportError::ConnectionLost { .. }
            ),
            WsfeError::Unexpected { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// Errors FECAESolicitar answers before processing anything: credentials (600/601, 500 "Campo
/// Auth …") and the issuer's registration (10000).
fn is_pre_processing(e: &Message) -> bool {
    matches!(e.code, 600 | 601 | 10000) || (e.code == 500 && e.msg.contains("Auth"))
}

fn join(errors: &[Message]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.code, e.msg))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A successful call: its value, the service's `Events`, and the raw exchange for audit.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub value: T,
    pub events: Vec<Message>,
    pub exchange: Exchange,
}

/// The WSFEv1 client.
#[derive(Debug, Clone)]
pub struct WsfeClient {
    http: HttpClient,
    url: Url,
    timeout: Duration,
}

impl WsfeClient {
    pub fn new(http: HttpClient, url: Url) -> Self {
        WsfeClient {
            http,
            url,
            timeout: DEFAULT_WSFE_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn send(
        &self,
        operation: &'static str,
        request_xml: String,
    ) -> Result<(HttpResponse, Exchange), (TransportError, Exchange)> {
        let mut exchange = Exchange {
            operation,
            request_xml: String::new(),
            response_xml: None,
            http_status: None,
            server_date: None,
        };
        let result = self
            .http
            .post_soap(
                &self.url,
                &envelope::soap_action(operation),
                request_xml.clone(),
                self.timeout,
            )
            .await;
        exchange.request_xml = envelope::redact_auth(&request_xml);
        match result {
            Ok(resp) => {
                tracing::debug!(status = resp.status, bytes = resp.body.len(), "answered");
                exchange.response_xml = Some(resp.body.clone());
                exchange.http_status = Some(resp.status);
                exchange.server_date = resp.date;
                Ok((resp, exchange))
            }
            Err(e) => {
                tracing::warn!(error = %e, "transport error");
                Err((e, exchange))
            }
        }
    }

    /// Sends and extracts `{operation}Result`, classifying faults and credential errors.
    async fn call(
        &self,
        operation: &'static str,
        request_xml: String,
    ) -> Result<(Element, Vec<Message>, Exchange), WsfeError> {
        let (resp, exchange) = self
            .send(operation, request_xml)
            .await
            .map_err(|(e, _)| WsfeError::Transport(e))?;
        let (result, events) = interpret(operation, &resp, &exchange)?;
        Ok((result, events, exchange))
    }

    /// `FEDummy`: health of the service (no credentials).
    pub async fn dummy(&self) -> Result<Answer<DummyStatus>, WsfeError> {
        let (r, events, exchange) = self
            .call("FEDummy", envelope::fe_dummy())
            .instrument(tracing::info_span!("wsfe.FEDummy"))
            .await?;
        Ok(Answer {
            value: DummyStatus::from_result(&r),
            events,
            exchange,
        })
    }

    /// `FECompUltimoAutorizado`: the last authorized number (0 when none yet).
    pub async fn last_authorized(
        &self,
        auth: &Auth<'_>,
        point_of_sale: u32,
        voucher_type: u16,
    ) -> Result<Answer<u64>, WsfeError> {
        let span = tracing::info_span!("wsfe.FECompUltimoAutorizado", cuit = %auth.cuit, point_of_sale, voucher_type);
        let (r, events, exchange) = self
            .call(
                "FECompUltimoAutorizado",
                envelope::fe_comp_ultimo_autorizado(auth, point_of_sale, voucher_type),
            )
            .instrument(span)
            .await?;
        fail_on_errors(&r, &exchange)?;
        let value = r
            .child_text("CbteNro")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| WsfeError::Unexpected {
                status: exchange.http_status.unwrap_or(0),
                detail: "no CbteNro".into(),
                exchange: Box::new(exchange.clone()),
            })?;
        Ok(Answer {
            value,
            events,
            exchange,
        })
    }

    /// The last authorized invoice of (point of sale, type) as AFIP stored it (`None` when none
    /// was issued yet): `FECompUltimoAutorizado`, then `FECompConsultar` of that number. Its `date`
    /// is what [`crate::invoice::InvoiceDraft::check_date`] needs before each send.
    pub async fn last_authorized_invoice(
        &self,
        auth: &Auth<'_>,
        point_of_sale: u32,
        voucher_type: u16,
    ) -> Result<Answer<Option<ConsultedInvoice>>, WsfeError> {
        let last = self
            .last_authorized(auth, point_of_sale, voucher_type)
            .await?;
        if last.value == 0 {
            return Ok(Answer {
                value: None,
                events: last.events,
                exchange: last.exchange,
            });
        }
        let found = self
            .consult(auth, voucher_type, point_of_sale, last.value)
            .await?;
        if found.value.is_none() {
            return Err(WsfeError::Unexpected {
                status: found.exchange.http_status.unwrap_or(0),
                detail: format!(
                    "FECompConsultar has no invoice {} although FECompUltimoAutorizado reports it",
                    last.value
                ),
                exchange: Box::new(found.exchange),
            });
        }
        Ok(found)
    }

    /// `FECAESolicitar` for one invoice with `number`. A rejection (`Resultado R`, e.g. 10016)
    /// is an `Ok` answer the caller inspects; a lost answer is
    /// [`WsfeError::MayHaveBeenAuthorized`]. Never retried.
    pub async fn authorize(
        &self,
        auth: &Auth<'_>,
        invoice: &Invoice,
        number: u64,
    ) -> Result<Answer<Authorization>, WsfeError> {
        let voucher_type = invoice.voucher_type.code();
        let point_of_sale = invoice.point_of_sale;
        let span = tracing::info_span!("wsfe.FECAESolicitar", cuit = %auth.cuit, point_of_sale, voucher_type, number);
        async {
            let request = envelope::fe_cae_solicitar(auth, invoice, number);
            let may_have = |cause: String, exchange: Exchange| WsfeError::MayHaveBeenAuthorized {
                voucher_type,
                point_of_sale,
                number,
                cause,
                exchange: Box::new(exchange),
            };
            let (resp, exchange) = match self.send("FECAESolicitar", request).await {
                Ok(ok) => ok,
                Err((e, exchange)) if e.may_have_arrived() => {
                    return Err(may_have(e.to_string(), exchange))
                }
                Err((e, _)) => return Err(WsfeError::Transport(e)),
            };
            let r = match response::parse_body(&resp.body, "FECAESolicitar") {
                Ok(Body::Result(r)) => r,
                // A client-side SOAP fault (unreadable request) was never processed: definitive,
                // so a bug does not loop through consult-and-resend. Any other fault is unknown.
                Ok(Body::Fault { code, message }) if code.ends_with("Client") => {
                    return Err(WsfeError::Fault {
                        code,
                        message,
                        exchange: Box::new(exchange),
                    })
                }
                Ok(Body::Fault { code, .. }) => {
                    return Err(may_have(format!("SOAP fault {code}"), exchange))
                }
                // A cut body, a proxy's page: the request may have been processed.
                Err(detail) => {
                    return Err(may_have(format!("HTTP {}: {detail}", resp.status), exchange))
                }
            };
            let events = response::messages(&r, "Events", "Evt");
            match Authorization::from_result(&r) {
                Ok(value) if value.is_approved() && value.number != number => Err(may_have(
                    format!("the answer approved number {}, not {number}", value.number),
                    exchange,
                )),
                Ok(value) => {
                    tracing::info!(outcome = ?value.outcome, cae_present = value.cae.is_some(), "authorization answered");
                    Ok(Answer {
                        value,
                        events,
                        exchange,
                    })
                }
                Err(unreadable) => {
                    // Without FeCabResp, only the checks that run before processing (credentials,
                    // the issuer's registration) are known not to have authorized anything.
                    let errors = response::strict_messages(&r, "Errors", "Err").unwrap_or_default();
                    let pre = r.child("FeCabResp").is_none()
                        && !errors.is_empty()
                        && errors.iter().all(is_pre_processing);
                    if !pre {
                        return Err(may_have(unreadable.0, exchange));
                    }
                    if errors.iter().any(|e| e.code == 600 || e.code == 601) {
                        return Err(WsfeError::Auth {
                            errors,
                            exchange: Box::new(exchange),
                        });
                    }
                    Err(WsfeError::Service {
                        errors,
                        exchange: Box::new(exchange),
                    })
                }
            }
        }
        .instrument(span)
        .await
    }

    /// `FECompConsultar`: the stored invoice, or `None` when AFIP has no such number (602).
    pub async fn consult(
        &self,
        auth: &Auth<'_>,
        voucher_type: u16,
        point_of_sale: u32,
        number: u64,
    ) -> Result<Answer<Option<ConsultedInvoice>>, WsfeError> {
        let span = tracing::info_span!("wsfe.FECompConsultar", cuit = %auth.cuit, point_of_sale, voucher_type, number);
        let (r, events, exchange) = self
            .call(
                "FECompConsultar",
                envelope::fe_comp_consultar(auth, voucher_type, point_of_sale, number),
            )
            .instrument(span)
            .await?;
        let value =
            match r.child("ResultGet") {
                Some(g) => Some(ConsultedInvoice::from_result_get(g).map_err(|e| {
                    WsfeError::Unexpected {
                        status: exchange.http_status.unwrap_or(0),
                        detail: format!("{e}; the invoice stays in doubt"),
                        exchange: Box::new(exchange.clone()),
                    }
                })?),
                None => {
                    let errors = response::messages(&r, "Errors", "Err");
                    if errors.iter().any(|e| e.code == 602) {
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

    /// `FECompTotXRequest`: the most invoices one FECAESolicitar may carry.
    pub async fn max_records_per_request(&self, auth: &Auth<'_>) -> Result<Answer<u32>, WsfeError> {
        let (r, events, exchange) = self
            .call(
                "FECompTotXRequest",
                envelope::auth_only("FECompTotXRequest", auth),
            )
            .instrument(tracing::info_span!("wsfe.FECompTotXRequest", cuit = %auth.cuit))
            .await?;
        fail_on_errors(&r, &exchange)?;
        Ok(Answer {
            value: r
                .child_text("RegXReq")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
            events,
            exchange,
        })
    }

    async fn table<T>(
        &self,
        operation: &'static str,
        request: String,
        item: &str,
        cuit: Cuit,
        parse: fn(&Element) -> T,
    ) -> Result<Answer<Vec<T>>, WsfeError> {
        let span = tracing::info_span!("wsfe.param", operation, cuit = %cuit);
        let (r, events, exchange) = self.call(operation, request).instrument(span).await?;
        fail_on_errors(&r, &exchange)?;
        let value = r
            .child("ResultGet")
            .map(|g| g.children_named(item).map(parse).collect())
            .unwrap_or_default();
        Ok(Answer {
            value,
            events,
            exchange,
        })
    }

    /// `FEParamGetTiposCbte`.
    pub async fn voucher_types(
        &self,
        auth: &Auth<'_>,
    ) -> Result<Answer<Vec<ParamItem>>, WsfeError> {
        let op = "FEParamGetTiposCbte";
        self.table(
            op,
            envelope::auth_only(op, auth),
            "CbteTipo",
            auth.cuit,
            ParamItem::from_item,
        )
        .await
    }

    /// `FEParamGetTiposDoc`.
    pub async fn document_types(
        &self,
        auth: &Auth<'_>,
    ) -> Result<Answer<Vec<ParamItem>>, WsfeError> {
        let op = "FEParamGetTiposDoc";
        self.table(
            op,
            envelope::auth_only(op, auth),
            "DocTipo",
            auth.cuit,
            ParamItem::from_item,
        )
        .await
    }

    /// `FEParamGetTiposIva`.
    pub async fn iva_rates(&self, auth: &Auth<'_>) -> Result<Answer<Vec<ParamItem>>, WsfeError> {
        let op = "FEParamGetTiposIva";
        self.table(
            op,
            envelope::auth_only(op, auth),
            "IvaTipo",
            auth.cuit,
            ParamItem::from_item,
        )
        .await
    }

    /// `FEParamGetTiposMonedas`.
    pub async fn currencies(&self, auth: &Auth<'_>) -> Result<Answer<Vec<ParamItem>>, WsfeError> {
        let op = "FEParamGetTiposMonedas";
        self.table(
            op,
            envelope::auth_only(op, auth),
            "Moneda",
            auth.cuit,
            ParamItem::from_item,
        )
        .await
    }

    /// `FEParamGetPtosVenta`.
    pub async fn points_of_sale(
        &self,
        auth: &Auth<'_>,
    ) -> Result<Answer<Vec<PointOfSale>>, WsfeError> {
        let op = "FEParamGetPtosVenta";
        self.table(
            op,
            envelope::auth_only(op, auth),
            "PtoVenta",
            auth.cuit,
            PointOfSale::from_item,
        )
        .await
    }

    /// `FEParamGetCondicionIvaReceptor`, optionally for one class (`A`, `B`, `C`, `ALEY`, `49`).
    pub async fn receiver_conditions(
        &self,
        auth: &Auth<'_>,
        class: Option<&str>,
    ) -> Result<Answer<Vec<ReceiverConditionItem>>, WsfeError> {
        let op = "FEParamGetCondicionIvaReceptor";
        self.table(
            op,
            envelope::fe_param_get_condicion_iva_receptor(auth, class),
            "CondicionIvaReceptor",
            auth.cuit,
            ReceiverConditionItem::from_item,
        )
        .await
    }
}

/// Turns an HTTP answer into `(result element, events)` or a classified error.
fn interpret(
    operation: &str,
    resp: &HttpResponse,
    exchange: &Exchange,
) -> Result<(Element, Vec<Message>), WsfeError> {
    let boxed = || Box::new(exchange.clone());
    match response::parse_body(&resp.body, operation) {
        Ok(Body::Fault { code, message }) => Err(WsfeError::Fault {
            code,
            message,
            exchange: boxed(),
        }),
        Ok(Body::Result(r)) => {
            let errors = response::messages(&r, "Errors", "Err");
            if errors.iter().any(|e| e.code == 600 || e.code == 601) {
                return Err(WsfeError::Auth {
                    errors,
                    exchange: boxed(),
                });
            }
            let events = response::messages(&r, "Events", "Evt");
            Ok((r, events))
        }
        Err(detail) => Err(WsfeError::Unexpected {
            status: resp.status,
            detail,
            exchange: boxed(),
        }),
    }
}

/// For operations whose result is meaningless when `Errors` is present.
fn fail_on_errors(r: &Element, exchange: &Exchange) -> Result<(), WsfeError> {
    let errors = response::messages(r, "Errors", "Err");
    if errors.is_empty() {
        Ok(())
    } else {
        Err(WsfeError::Service {
            errors,
            exchange: Box::new(exchange.clone()),
        })
    }
}
