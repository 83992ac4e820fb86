//! `ws_sr_constancia_inscripcion` simulator: `getPersona_v2` over SOAP 1.1 as Apache CXF serves it
//! (loose unqualified `token`/`sign`/`cuitRepresentada`/`idPersona` inside `a5:getPersona_v2`;
//! authentication errors as HTTP 500 faults with AFIP's texts; an unknown CUIT as
//! `errorConstancia`). The ticket must come from WSAA for service `ws_sr_constancia_inscripcion`
//! (authorize it with `AfipSim::authorize_service`). Served at `/sr-padron/webservices/personaServiceA5`.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::state::State;
use super::xml::{self, escape};

pub const A5_NS: &str = "http://a5.soap.ws.server.puc.sr/";
pub const SERVICE: &str = "ws_sr_constancia_inscripcion";

/// A person the simulated padrón knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PadronPersona {
    pub cuit: u64,
    /// Razón social (legal persons) or apellido (natural persons).
    pub name: String,
    /// Nombre of a natural person.
    #[serde(default)]
    pub first_name: Option<String>,
    pub juridica: bool,
    pub active: bool,
    pub address: String,
    pub locality: String,
    pub postal_code: String,
    pub province: String,
    /// `idImpuesto`s in the general regime (30 IVA, 32 IVA exento, …).
    #[serde(default)]
    pub taxes: Vec<u32>,
    /// Monotributo category letter, if a monotributista.
    #[serde(default)]
    pub monotributo_category: Option<String>,
}

fn fault(msg: &str) -> (u16, String) {
    (
        500,
        format!(
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>{}</faultstring></soap:Fault></soap:Body></soap:Envelope>",
            escape(msg)
        ),
    )
}

fn wrap(inner: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><ns2:getPersona_v2Response xmlns:ns2=\"{A5_NS}\"><personaReturn>{inner}<metadata><fechaHora>{}</fechaHora><servidor>sandbox</servidor></metadata></personaReturn></ns2:getPersona_v2Response></soap:Body></soap:Envelope>",
        Utc::now().format("%Y-%m-%dT%H:%M:%S%.3f-03:00")
    )
}

/// Answers one request: (HTTP status, body).
pub fn process(state: &State, body: &str) -> (u16, String) {
    let doc = match xml::parse(body) {
        Ok(d) => d,
        Err(e) => return fault(&format!("Unmarshalling Error: {e}")),
    };
    let Some(req) = doc
        .find_local("Body")
        .and_then(|b| b.q(A5_NS, "getPersona_v2"))
    else {
        return fault(
            "Unexpected wrapper element. Expected {http://a5.soap.ws.server.puc.sr/}getPersona_v2",
        );
    };
    // Unqualified children (elementFormDefault="unqualified").
    let loose = |name: &str| {
        req.children
            .iter()
            .find(|c| c.name == name && c.ns.is_none())
            .map(|c| c.text.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let (Some(token), Some(sign)) = (loose("token"), loose("sign")) else {
        return fault("Falta token y/o sign.");
    };
    let Some(ticket) = state.tokens.get(&token) else {
        return fault("Token malformado");
    };
    if ticket.sign != sign {
        return fault("No se pudo verificar que <sign> contenga una firma valida de <token>");
    }
    if ticket.service != SERVICE {
        return fault(&format!(
            "El token no fue emitido para el servicio {SERVICE} ({})",
            ticket.service
        ));
    }
    if state.clock.now() >= ticket.expiration.with_timezone(&Utc) {
        return fault("Token expirado");
    }
    let represented: Option<u64> = loose("cuitRepresentada").and_then(|s| s.parse().ok());
    if represented.is_none_or(|c| !ticket.relations.contains(&c)) {
        return fault("La CUIT representada no esta autorizada en el token");
    }
    let Some(id) = loose("idPersona").and_then(|s| s.parse::<u64>().ok()) else {
        return fault("idPersona invalido");
    };
    let Some(p) = state.personas.get(&id) else {
        return (
            200,
            wrap("<errorConstancia><error>No existe persona con ese Id</error></errorConstancia>"),
        );
    };
    let names = if p.juridica {
        format!("<razonSocial>{}</razonSocial>", escape(&p.name))
    } else {
        format!(
            "<apellido>{}</apellido><nombre>{}</nombre>",
            escape(&p.name),
            escape(p.first_name.as_deref().unwrap_or_default())
        )
    };
    let general = format!(
        "<datosGenerales><domicilioFiscal><codPostal>{}</codPostal><descripcionProvincia>{}</descripcionProvincia><direccion>{}</direccion><idProvincia>0</idProvincia><localidad>{}</localidad><tipoDomicilio>FISCAL</tipoDomicilio></domicilioFiscal><estadoClave>{}</estadoClave><idPersona>{}</idPersona>{names}<tipoClave>CUIT</tipoClave><tipoPersona>{}</tipoPersona></datosGenerales>",
        escape(&p.postal_code),
        escape(&p.province),
        escape(&p.address),
        escape(&p.locality),
        if p.active { "ACTIVO" } else { "INACTIVO" },
        p.cuit,
        if p.juridica { "JURIDICA" } else { "FISICA" },
    );
    let regime = if p.taxes.is_empty() {
        String::new()
    } else {
        let taxes: String = p
            .taxes
            .iter()
            .map(|t| {
                format!("<impuesto><descripcionImpuesto>IMPUESTO {t}</descripcionImpuesto><estadoImpuesto>AC</estadoImpuesto><idImpuesto>{t}</idImpuesto><periodo>202001</periodo></impuesto>")
            })
            .collect();
        format!("<datosRegimenGeneral>{taxes}</datosRegimenGeneral>")
    };
    let mono = p
        .monotributo_category
        .as_ref()
        .map(|c| {
            format!(
                "<datosMonotributo><categoriaMonotributo><descripcionCategoria>{} LOCACIONES DE SERVICIOS</descripcionCategoria><idCategoria>1</idCategoria><idImpuesto>20</idImpuesto><periodo>202001</periodo></categoriaMonotributo></datosMonotributo>",
                escape(c)
            )
        })
        .unwrap_or_default();
    (200, wrap(&format!("{general}{regime}{mono}")))
}
