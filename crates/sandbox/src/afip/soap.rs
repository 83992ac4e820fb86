//! Response envelopes in the shapes AFIP's stacks produce: Axis faults for WSAA, ASP.NET envelopes
//! with `FEHeaderInfo` for WSFE.

use chrono::{DateTime, Utc};

use super::decimal::{format_double, parse_double};
use super::xml::{escape, escape_axis, Element};

pub const FEV1_NS: &str = "http://ar.gov.afip.dif.FEV1/";

/// The namespace of WSAA's message elements in its WSDL.
pub const WSAA_NS: &str = "http://wsaa.view.sua.dvadac.desein.afip.gov";

/// An Axis 1.4 fault as WSAA sends it (HTTP 500), non-ASCII written as character references.
pub fn axis_fault(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body><soapenv:Fault><faultcode xmlns:ns1=\"http://xml.apache.org/axis/\">ns1:{}</faultcode><faultstring>{}</faultstring><detail><ns2:exceptionName xmlns:ns2=\"http://xml.apache.org/axis/\">gov.afip.desein.dvadac.sua.view.wsaa.LoginFault</ns2:exceptionName><ns3:hostname xmlns:ns3=\"http://xml.apache.org/axis/\">wsaaext0.homo.afip.gov.ar</ns3:hostname></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        escape_axis(code),
        escape_axis(message)
    )
}

/// The WSAA success envelope; the ticket document travels escaped inside `loginCmsReturn`.
/// `loginCmsResponse` comes back in the namespace the request's `loginCms` used (the 2021
/// recording: `https://wsaahomo.afip.gov.ar/ws/services/LoginCms` for pyafipws' request; the
/// 2018 one: the WSDL's `http://wsaa.view.sua.dvadac.desein.afip.gov`).
pub fn login_cms_response(namespace: &str, ticket_xml: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body><loginCmsResponse xmlns=\"{}\"><loginCmsReturn>{}</loginCmsReturn></loginCmsResponse></soapenv:Body></soapenv:Envelope>",
        escape_axis(namespace),
        escape_axis(ticket_xml)
    )
}

/// A WSFE answer: one line, `FEHeaderInfo` header, `{op}Response/{op}Result` in the FEV1 namespace.
pub fn wsfe_response(operation: &str, now: DateTime<Utc>, result_inner: &str) -> String {
    let fecha = now
        .with_timezone(&super::argentina())
        .format("%Y-%m-%dT%H:%M:%S%.6f%:z");
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Header><FEHeaderInfo xmlns=\"{FEV1_NS}\"><ambiente>HomologacionExterno - sandbox</ambiente><fecha>{fecha}</fecha><id>4.3.0.0</id></FEHeaderInfo></soap:Header><soap:Body><{operation}Response xmlns=\"{FEV1_NS}\"><{operation}Result>{result_inner}</{operation}Result></{operation}Response></soap:Body></soap:Envelope>"
    )
}

/// A .NET SOAP fault (unknown SOAPAction, unreadable value), HTTP 500.
pub fn dotnet_fault(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><soap:Fault><faultcode>{}</faultcode><faultstring>{}</faultstring><detail /></soap:Fault></soap:Body></soap:Envelope>",
        escape(code),
        escape(message)
    )
}

/// `<Errors><Err>…</Err></Errors>` (empty string for no errors).
pub fn errors(list: &[(i64, String)]) -> String {
    messages("Errors", "Err", list)
}

pub fn messages(outer: &str, inner: &str, list: &[(i64, String)]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut s = format!("<{outer}>");
    for (code, msg) in list {
        s.push_str(&format!(
            "<{inner}><Code>{code}</Code><Msg>{}</Msg></{inner}>",
            escape(msg)
        ));
    }
    s.push_str(&format!("</{outer}>"));
    s
}

/// Writes an element back as XML (local names, no namespaces), normalizing amounts the way the
/// .NET serializer prints doubles (`122` for `122.00`).
pub fn write_normalized(e: &Element, out: &mut String) {
    if e.children.is_empty() {
        let text = e.text.trim();
        if text.is_empty() {
            out.push_str(&format!("<{} />", e.name));
        } else {
            let text = match parse_double(text) {
                Ok(v) if is_amount(&e.name) => format_double(v),
                _ => text.to_owned(),
            };
            out.push_str(&format!("<{0}>{1}</{0}>", e.name, escape(&text)));
        }
        return;
    }
    out.push_str(&format!("<{}>", e.name));
    for c in &e.children {
        write_normalized(c, out);
    }
    out.push_str(&format!("</{}>", e.name));
}

fn is_amount(name: &str) -> bool {
    matches!(
        name,
        "ImpTotal"
            | "ImpTotConc"
            | "ImpNeto"
            | "ImpOpEx"
            | "ImpTrib"
            | "ImpIVA"
            | "MonCotiz"
            | "BaseImp"
            | "Importe"
            | "Alic"
    )
}
