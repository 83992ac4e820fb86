//! Padrón: `ws_sr_constancia_inscripcion` (the old `ws_sr_padron_a5`) `getPersona_v2`, to fill a
//! receiver's name, address and IVA condition from their CUIT (reference §9).
//!
//! SOAP 1.1 on Apache CXF: `token`, `sign`, `cuitRepresentada` and `idPersona` travel as loose,
//! unqualified elements inside `a5:getPersona_v2`; authentication errors are HTTP 500 faults. The
//! WSAA service id is [`SERVICE`] (its own ticket, not WSFE's). Optional and online only: callers
//! cache the answer and never block a sale on it.

use std::time::Duration;

use mostrador_types::{Cuit, IvaCondition};
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use url::Url;

use crate::transport::{HttpClient, TransportError};
use crate::wsaa::AccessTicket;
use crate::xml::{self, escape, Element};

/// WSAA service id of the padrón.
pub const SERVICE: &str = "ws_sr_constancia_inscripcion";
/// Request namespace.
pub const A5_NS: &str = "http://a5.soap.ws.server.puc.sr/";
/// Path of the service under its host.
pub const PATH: &str = "/sr-padron/webservices/personaServiceA5";
pub const HOMOLOGATION_URL: &str =
    "https://awshomo.afip.gov.ar/sr-padron/webservices/personaServiceA5";
pub const PRODUCTION_URL: &str = "https://aws.afip.gov.ar/sr-padron/webservices/personaServiceA5";
/// Default timeout: a lookup is a convenience, the sale goes on without it.
pub const DEFAULT_PADRON_TIMEOUT: Duration = Duration::from_secs(8);

/// The URL of the padrón under a base (`…/afip` for the sandbox).
pub fn url_under(base: &str) -> Result<Url, url::ParseError> {
    Url::parse(&format!("{}{PATH}", base.trim_end_matches('/')))
}

/// Natural or legal person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    Fisica,
    Juridica,
}

/// What the padrón says about a CUIT, as a POS needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persona {
    pub cuit: Cuit,
    /// Razón social, or "APELLIDO NOMBRE".
    pub name: String,
    pub kind: Option<PersonKind>,
    /// `estadoClave` ACTIVO.
    pub active: bool,
    /// Domicilio fiscal: "dirección, localidad (CP), provincia".
    pub address: Option<String>,
    /// Derived as pyafipws does: impuesto 32 ⇒ exento, 30 ⇒ responsable inscripto, a monotributo
    /// category ⇒ monotributo, otherwise consumidor final.
    pub iva_condition: IvaCondition,
}

#[derive(Debug, thiserror::Error)]
pub enum PadronError {
    #[error("the padrón has no person with CUIT {0}")]
    NotFound(Cuit),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("padrón fault {code}: {message}")]
    Fault { code: String, message: String },
    #[error("unexpected answer from the padrón (HTTP {status}): {detail}")]
    Unexpected { status: u16, detail: String },
}

impl PadronError {
    /// Down or unreachable (as opposed to "no such CUIT" or a credentials problem).
    pub fn is_unavailable(&self) -> bool {
        match self {
            PadronError::Transport(_) => true,
            PadronError::Unexpected { status, .. } => *status >= 500 || *status == 0,
            _ => false,
        }
    }

    /// The ticket was refused: log in again for [`SERVICE`].
    pub fn is_auth(&self) -> bool {
        matches!(self, PadronError::Fault { message, .. }
            if message.contains("token") || message.contains("sign") || message.contains("Token"))
    }
}

/// The `getPersona_v2` request.
pub fn get_persona_v2_request(ticket: &AccessTicket, represented: Cuit, id: Cuit) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:a5=\"{A5_NS}\"><soapenv:Header/><soapenv:Body><a5:getPersona_v2><token>{}</token><sign>{}</sign><cuitRepresentada>{}</cuitRepresentada><idPersona>{}</idPersona></a5:getPersona_v2></soapenv:Body></soapenv:Envelope>",
        escape(ticket.token.expose()),
        escape(ticket.sign.expose()),
        represented.digits(),
        id.digits()
    )
}

fn text<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.child_text(name).map(str::trim).filter(|s| !s.is_empty())
}

/// Reads a `getPersona_v2Response` document.
pub fn parse_persona(doc: &str, id: Cuit, status: u16) -> Result<Persona, PadronError> {
    let root = xml::parse(doc).map_err(|e| PadronError::Unexpected {
        status,
        detail: e.to_string(),
    })?;
    if let Some(f) = root.find("Fault") {
        return Err(PadronError::Fault {
            code: f.child_text("faultcode").unwrap_or_default().to_owned(),
            message: f.child_text("faultstring").unwrap_or_default().to_owned(),
        });
    }
    let Some(p) = root.find("personaReturn") else {
        return Err(PadronError::Unexpected {
            status,
            detail: "no personaReturn".into(),
        });
    };
    let Some(g) = p.child("datosGenerales") else {
        // errorConstancia alone: the CUIT does not exist (or has no constancia).
        if p.child("errorConstancia").is_some() {
            return Err(PadronError::NotFound(id));
        }
        return Err(PadronError::Unexpected {
            status,
            detail: "no datosGenerales".into(),
        });
    };
    let name = match text(g, "razonSocial") {
        Some(r) => r.to_owned(),
        None => [text(g, "apellido"), text(g, "nombre")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
    };
    if name.is_empty() {
        return Err(PadronError::Unexpected {
            status,
            detail: "no name in datosGenerales".into(),
        });
    }
    let kind = match text(g, "tipoPersona") {
        Some("FISICA") => Some(PersonKind::Fisica),
        Some("JURIDICA") => Some(PersonKind::Juridica),
        _ => None,
    };
    let address = g.child("domicilioFiscal").map(|d| {
        let mut s = text(d, "direccion").unwrap_or_default().to_owned();
        if let Some(l) = text(d, "localidad") {
            s.push_str(&format!(", {l}"));
        }
        if let Some(cp) = text(d, "codPostal") {
            s.push_str(&format!(" ({cp})"));
        }
        if let Some(p) = text(d, "descripcionProvincia") {
            s.push_str(&format!(", {p}"));
        }
        s
    });
    let taxes: Vec<i64> = p
        .child("datosRegimenGeneral")
        .map(|r| {
            r.children_named("impuesto")
                .filter(|i| text(i, "estadoImpuesto").is_none_or(|e| e == "AC"))
                .filter_map(|i| text(i, "idImpuesto")?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let iva_condition = if taxes.contains(&32) {
        IvaCondition::Exento
    } else if taxes.contains(&30) {
        IvaCondition::ResponsableInscripto
    } else if p
        .child("datosMonotributo")
        .is_some_and(|m| m.child("categoriaMonotributo").is_some())
    {
        IvaCondition::Monotributo
    } else {
        IvaCondition::ConsumidorFinal
    };
    Ok(Persona {
        cuit: id,
        name,
        kind,
        active: text(g, "estadoClave") == Some("ACTIVO"),
        address: address.filter(|a| !a.is_empty()),
        iva_condition,
    })
}

/// The padrón client.
#[derive(Debug, Clone)]
pub struct PadronClient {
    http: HttpClient,
    url: Url,
    timeout: Duration,
}

impl PadronClient {
    pub fn new(http: HttpClient, url: Url) -> Self {
        PadronClient {
            http,
            url,
            timeout: DEFAULT_PADRON_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `getPersona_v2(idPersona)` with a ticket for [`SERVICE`] representing `represented`.
    pub async fn get_persona(
        &self,
        ticket: &AccessTicket,
        represented: Cuit,
        id: Cuit,
    ) -> Result<Persona, PadronError> {
        let span = tracing::info_span!("padron.getPersona_v2", cuit = %represented);
        async {
            let resp = self
                .http
                .post_soap(
                    &self.url,
                    "",
                    get_persona_v2_request(ticket, represented, id),
                    self.timeout,
                )
                .await?;
            let out = parse_persona(&resp.body, id, resp.status);
            if let Err(e) = &out {
                tracing::info!(error = %e, status = resp.status, "padrón lookup failed");
            }
            out
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuit(s: &str) -> Cuit {
        Cuit::parse(s).unwrap()
    }

    #[test]
    fn reads_a_responsable_inscripto_and_a_monotributista() {
        let ri = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns2:getPersona_v2Response xmlns:ns2="http://a5.soap.ws.server.puc.sr/"><personaReturn><datosGenerales><domicilioFiscal><codPostal>1000</codPostal><descripcionProvincia>CIUDAD AUTONOMA BUENOS AIRES</descripcionProvincia><direccion>AV SIEMPRE VIVA 742</direccion><idProvincia>0</idProvincia></domicilioFiscal><estadoClave>ACTIVO</estadoClave><idPersona>30000000007</idPersona><razonSocial>ACME SA</razonSocial><tipoClave>CUIT</tipoClave><tipoPersona>JURIDICA</tipoPersona></datosGenerales><datosRegimenGeneral><impuesto><estadoImpuesto>AC</estadoImpuesto><idImpuesto>30</idImpuesto></impuesto></datosRegimenGeneral></personaReturn></ns2:getPersona_v2Response></soap:Body></soap:Envelope>"#;
        let p = parse_persona(ri, cuit("30000000007"), 200).unwrap();
        assert_eq!(p.name, "ACME SA");
        assert_eq!(p.iva_condition, IvaCondition::ResponsableInscripto);
        assert_eq!(p.kind, Some(PersonKind::Juridica));
        assert!(p.active);
        assert_eq!(
            p.address.as_deref(),
            Some("AV SIEMPRE VIVA 742 (1000), CIUDAD AUTONOMA BUENOS AIRES")
        );

        let mono = r#"<Envelope><Body><getPersona_v2Response><personaReturn><datosGenerales><apellido>PEREZ</apellido><nombre>JUAN</nombre><estadoClave>ACTIVO</estadoClave><tipoPersona>FISICA</tipoPersona></datosGenerales><datosMonotributo><categoriaMonotributo><descripcionCategoria>A LOCACIONES DE SERVICIOS</descripcionCategoria><idCategoria>1</idCategoria></categoriaMonotributo></datosMonotributo></personaReturn></getPersona_v2Response></Body></Envelope>"#;
        let p = parse_persona(mono, cuit("20267565393"), 200).unwrap();
        assert_eq!(p.name, "PEREZ JUAN");
        assert_eq!(p.iva_condition, IvaCondition::Monotributo);
    }

    #[test]
    fn missing_person_faults_and_html_are_told_apart() {
        let none = "<Envelope><Body><getPersona_v2Response><personaReturn><errorConstancia><error>No existe persona con ese Id</error></errorConstancia></personaReturn></getPersona_v2Response></Body></Envelope>";
        assert!(matches!(
            parse_persona(none, cuit("20267565393"), 200),
            Err(PadronError::NotFound(_))
        ));
        let fault = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Token malformado</faultstring></soap:Fault></soap:Body></soap:Envelope>";
        let e = parse_persona(fault, cuit("20267565393"), 500).unwrap_err();
        assert!(e.is_auth(), "{e:?}");
        let html = parse_persona("<html><body>502</body>", cuit("20267565393"), 502).unwrap_err();
        assert!(html.is_unavailable(), "{html:?}");
    }
}
