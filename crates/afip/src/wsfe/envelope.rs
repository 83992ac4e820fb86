//! WSFEv1 request envelopes. Every element of the operation lives in `http://ar.gov.afip.dif.FEV1/`
//! (a default namespace declared on the operation element): the .NET service silently ignores
//! unqualified elements, which turns a missing namespace into "Auth missing" or zeroed fields.

use mostrador_types::Cuit;

use crate::invoice::Invoice;
use crate::wsaa::AccessTicket;
use crate::xml::escape;

/// WSFEv1's namespace (exact case, trailing slash).
pub const FEV1_NS: &str = "http://ar.gov.afip.dif.FEV1/";

/// `SOAPAction` of an operation.
pub fn soap_action(operation: &str) -> String {
    format!("{FEV1_NS}{operation}")
}

/// Credentials sent with every operation but FEDummy: the TA and the represented CUIT.
#[derive(Debug, Clone, Copy)]
pub struct Auth<'a> {
    pub ticket: &'a AccessTicket,
    pub cuit: Cuit,
}

/// Wraps an operation's children in the SOAP 1.1 envelope.
pub fn envelope(operation: &str, children: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><{operation} xmlns=\"{FEV1_NS}\">{children}</{operation}></soap:Body></soap:Envelope>"
    )
}

fn auth_xml(auth: &Auth<'_>) -> String {
    format!(
        "<Auth><Token>{}</Token><Sign>{}</Sign><Cuit>{}</Cuit></Auth>",
        escape(auth.ticket.token.expose()),
        escape(auth.ticket.sign.expose()),
        auth.cuit.as_u64()
    )
}

/// The request as stored for audit: `Token` and `Sign` replaced by `***`.
pub fn redact_auth(request_xml: &str) -> String {
    let mut out = request_xml.to_owned();
    for tag in ["Token", "Sign"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        if let (Some(a), Some(b)) = (out.find(&open), out.find(&close)) {
            if a < b {
                out.replace_range(a + open.len()..b, crate::exchange::REDACTED);
            }
        }
    }
    out
}

pub fn fe_dummy() -> String {
    envelope("FEDummy", "")
}

/// Operations whose only argument is `Auth` (the parameter tables, FECompTotXRequest).
pub fn auth_only(operation: &str, auth: &Auth<'_>) -> String {
    envelope(operation, &auth_xml(auth))
}

pub fn fe_comp_ultimo_autorizado(auth: &Auth<'_>, point_of_sale: u32, voucher_type: u16) -> String {
    envelope(
        "FECompUltimoAutorizado",
        &format!(
            "{}<PtoVta>{point_of_sale}</PtoVta><CbteTipo>{voucher_type}</CbteTipo>",
            auth_xml(auth)
        ),
    )
}

pub fn fe_comp_consultar(
    auth: &Auth<'_>,
    voucher_type: u16,
    point_of_sale: u32,
    number: u64,
) -> String {
    envelope(
        "FECompConsultar",
        &format!(
            "{}<FeCompConsReq><CbteTipo>{voucher_type}</CbteTipo><CbteNro>{number}</CbteNro><PtoVta>{point_of_sale}</PtoVta></FeCompConsReq>",
            auth_xml(auth)
        ),
    )
}

pub fn fe_param_get_condicion_iva_receptor(auth: &Auth<'_>, class: Option<&str>) -> String {
    let class = class
        .map(|c| format!("<ClaseCmp>{}</ClaseCmp>", escape(c)))
        .unwrap_or_default();
    envelope(
        "FEParamGetCondicionIvaReceptor",
        &format!("{}{class}", auth_xml(auth)),
    )
}

/// `FECAESolicitar` for one invoice with the given number.
pub fn fe_cae_solicitar(auth: &Auth<'_>, invoice: &Invoice, number: u64) -> String {
    envelope(
        "FECAESolicitar",
        &format!(
            "{}<FeCAEReq><FeCabReq><CantReg>1</CantReg><PtoVta>{}</PtoVta><CbteTipo>{}</CbteTipo></FeCabReq><FeDetReq>{}</FeDetReq></FeCAEReq>",
            auth_xml(auth),
            invoice.point_of_sale,
            invoice.voucher_type.code(),
            fe_det_request(invoice, number)
        ),
    )
}

fn ymd(d: chrono::NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// One `FECAEDetRequest`, fields in the WSDL's sequence order.
pub fn fe_det_request(inv: &Invoice, number: u64) -> String {
    use std::fmt::Write;
    let a = &inv.amounts;
    let mut s = String::with_capacity(1024);
    s.push_str("<FECAEDetRequest>");
    let _ = write!(
        s,
        "<Concepto>{}</Concepto><DocTipo>{}</DocTipo><DocNro>{}</DocNro><CbteDesde>{number}</CbteDesde><CbteHasta>{number}</CbteHasta><CbteFch>{}</CbteFch>",
        inv.concept.code(),
        inv.receiver.doc.doc_tipo(),
        inv.receiver.doc.doc_nro(),
        ymd(inv.date),
    );
    let _ = write!(
        s,
        "<ImpTotal>{}</ImpTotal><ImpTotConc>{}</ImpTotConc><ImpNeto>{}</ImpNeto><ImpOpEx>{}</ImpOpEx><ImpTrib>{}</ImpTrib><ImpIVA>{}</ImpIVA>",
        a.total.to_wire(),
        a.not_taxed.to_wire(),
        a.net.to_wire(),
        a.exempt.to_wire(),
        a.tributes_total.to_wire(),
        a.iva_total.to_wire(),
    );
    if let Some(p) = inv.concept.service_period() {
        let _ = write!(
            s,
            "<FchServDesde>{}</FchServDesde><FchServHasta>{}</FchServHasta><FchVtoPago>{}</FchVtoPago>",
            ymd(p.from),
            ymd(p.to),
            ymd(p.payment_due)
        );
    }
    let _ = write!(
        s,
        "<MonId>{}</MonId><MonCotiz>{}</MonCotiz>",
        escape(&inv.currency.code),
        inv.currency.rate.to_wire(),
    );
    if let Some(same) = inv.currency.paid_in_same_currency {
        let _ = write!(
            s,
            "<CanMisMonExt>{}</CanMisMonExt>",
            if same { "S" } else { "N" }
        );
    }
    let _ = write!(
        s,
        "<CondicionIVAReceptorId>{}</CondicionIVAReceptorId>",
        inv.receiver.condition.afip_id(),
    );
    if !inv.associated.is_empty() {
        s.push_str("<CbtesAsoc>");
        for c in &inv.associated {
            let _ = write!(
                s,
                "<CbteAsoc><Tipo>{}</Tipo><PtoVta>{}</PtoVta><Nro>{}</Nro>",
                c.voucher_type, c.point_of_sale, c.number
            );
            if let Some(cuit) = c.cuit {
                let _ = write!(s, "<Cuit>{}</Cuit>", cuit.as_u64());
            }
            if let Some(d) = c.date {
                let _ = write!(s, "<CbteFch>{}</CbteFch>", ymd(d));
            }
            s.push_str("</CbteAsoc>");
        }
        s.push_str("</CbtesAsoc>");
    }
    // 10024: Tributos only when ImpTrib > 0.
    if !a.tributes.is_empty() {
        s.push_str("<Tributos>");
        for t in &a.tributes {
            let _ = write!(
                s,
                "<Tributo><Id>{}</Id><Desc>{}</Desc><BaseImp>{}</BaseImp><Alic>{}</Alic><Importe>{}</Importe></Tributo>",
                t.id,
                escape(&t.description),
                t.base.to_wire(),
                t.rate.to_percent_wire(),
                t.amount.to_wire()
            );
        }
        s.push_str("</Tributos>");
    }
    // Class C never has IVA lines (validated).
    if !a.iva.is_empty() {
        s.push_str("<Iva>");
        for l in &a.iva {
            let _ = write!(
                s,
                "<AlicIva><Id>{}</Id><BaseImp>{}</BaseImp><Importe>{}</Importe></AlicIva>",
                l.rate.afip_id(),
                l.base.to_wire(),
                l.amount.to_wire()
            );
        }
        s.push_str("</Iva>");
    }
    s.push_str("</FECAEDetRequest>");
    s
}
