//! The `loginCms` SOAP envelope and the parsing of its answer (ticket or Axis fault).

use crate::xml::{self, escape};

/// Namespace of the `loginCms` message elements (same in both environments).
pub const WSAA_NS: &str = "http://wsaa.view.sua.dvadac.desein.afip.gov";

/// The SOAP 1.1 request carrying the base64 CMS.
pub fn login_cms_request(cms_base64: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:wsaa=\"{WSAA_NS}\"><soapenv:Header/><soapenv:Body><wsaa:loginCms><wsaa:in0>{}</wsaa:in0></wsaa:loginCms></soapenv:Body></soapenv:Envelope>",
        escape(cms_base64)
    )
}

/// What a `loginCms` response body holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginResponse {
    /// The unescaped `loginTicketResponse` document.
    Ticket(String),
    /// An Axis fault: code without its `ns1:` prefix, and the fault string.
    Fault { code: String, message: String },
}

/// Parses the envelope namespace-agnostically.
pub fn parse_login_response(body: &str) -> Result<LoginResponse, String> {
    let root = xml::parse(body).map_err(|e| e.to_string())?;
    if let Some(fault) = root.find("Fault") {
        // SOAP 1.1: faultcode/faultstring; SOAP 1.2: Code/Value, Reason/Text.
        let code = fault
            .child_text("faultcode")
            .or_else(|| fault.path(&["Code", "Value"]).map(|e| e.text.trim()))
            .unwrap_or_default();
        let message = fault
            .child_text("faultstring")
            .or_else(|| fault.path(&["Reason", "Text"]).map(|e| e.text.trim()))
            .unwrap_or_default();
        let code = code.rsplit_once(':').map_or(code, |(_, c)| c).to_owned();
        return Ok(LoginResponse::Fault {
            code,
            message: message.to_owned(),
        });
    }
    let ret = root
        .find("loginCmsReturn")
        .ok_or("no loginCmsReturn in the response")?;
    Ok(LoginResponse::Ticket(ret.text.trim().to_owned()))
}
