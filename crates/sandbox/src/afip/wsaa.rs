//! WSAA `loginCms`: verifies the CMS against the trusted test CAs, checks the TRA, issues 12 h
//! tickets, refuses a second one while the first is valid.

use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, Utc};
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::X509;
use sha2::{Digest, Sha256};

use super::cert::{represented_cuit, subject_dn, validity};
use super::soap::WSAA_NS;
use super::state::{IssuedTicket, State};
use super::xml::{self, escape, Element};

/// Services WSAA knows (others: `wsn.notFound`).
const KNOWN_SERVICES: &[&str] = &[
    "wsfe",
    "wsfex",
    "wsmtxca",
    "ws_sr_constancia_inscripcion",
    "ws_sr_padron_a13",
];

/// A WSAA fault: code (without `ns1:`) and message.
pub struct LoginFault(pub &'static str, pub String);

fn fault(code: &'static str, msg: impl Into<String>) -> LoginFault {
    LoginFault(code, msg.into())
}

// The fault strings WSAA really answers (Axis escapes the accents on the way out).
const CMS_BAD_BASE64: &str = "No se puede decodificar el BASE64";
const CMS_BAD: &str = "El CMS no es valido";
const CMS_CERT_NOT_FOUND: &str = "No se ha encontrado certificado de firmador";
const CMS_SIGN_INVALID: &str = "Firma inválida o algoritmo no soportado";
const CMS_CERT_INVALID: &str = "Certificado con fecha de generacion posterior a la actual";
const CMS_CERT_EXPIRED: &str = "Certificado expirado";
const CMS_CERT_UNTRUSTED: &str = "Certificado no emitido por AC de confianza";
const XML_BAD: &str = "No se ha podido interpretar el XML contra el SCHEMA";
const GENERATION_TIME_INVALID: &str = "generationTime posee formato o dato inválido";
const EXPIRATION_TIME_EXPIRED: &str = "El tiempo de expiración es inferior a la hora actual";
const EXPIRATION_TIME_INVALID: &str =
    "El tiempo de expiración del documento es superior a 24 horas";
const WSN_NOT_FOUND: &str = "Servicio informado inexistente";
const COE_NOT_AUTHORIZED: &str = "Computador no autorizado a acceder al servicio";
const COE_ALREADY_AUTHENTICATED: &str =
    "El CEE ya posee un TA valido para el acceso al WSN solicitado";

/// A ticket issued by `loginCms`: the namespace to answer in and the `loginTicketResponse`.
pub struct Issued {
    pub namespace: String,
    pub ticket_xml: String,
}

fn text_of<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.child_local(name).map(|c| c.text.trim())
}

/// Processes the `loginCms` body.
pub fn login(state: &mut State, body: &str) -> Result<Issued, LoginFault> {
    let now = state.clock.now();
    let doc = xml::parse(body).map_err(|_| fault("xml.bad", XML_BAD))?;
    // Axis does not check the namespace of loginCms; it answers in the one the request used.
    let op = doc.find_local("loginCms");
    let namespace = op
        .and_then(|o| o.ns.clone())
        .unwrap_or_else(|| WSAA_NS.to_owned());
    let in0 = op
        .and_then(|o| o.child_local("in0"))
        .ok_or_else(|| fault("cms.bad", CMS_BAD))?;
    let compact: String = in0.text.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| fault("cms.bad.base64", CMS_BAD_BASE64))?;
    let p7 = Pkcs7::from_der(&der).map_err(|_| fault("cms.bad", CMS_BAD))?;

    let no_certs = Stack::<X509>::new().expect("empty stack");
    let signers = p7
        .signers(&no_certs, Pkcs7Flags::empty())
        .map_err(|_| fault("cms.cert.notFound", CMS_CERT_NOT_FOUND))?;
    let signer = signers
        .iter()
        .next()
        .map(|c| c.to_owned())
        .ok_or_else(|| fault("cms.cert.notFound", CMS_CERT_NOT_FOUND))?;

    // Signature and attached content (a detached CMS has nothing to verify against).
    let empty_store = X509StoreBuilder::new().expect("store").build();
    let mut tra = Vec::new();
    p7.verify(
        &no_certs,
        &empty_store,
        None,
        Some(&mut tra),
        Pkcs7Flags::NOVERIFY,
    )
    .map_err(|_| fault("cms.sign.invalid", CMS_SIGN_INVALID))?;

    // Chain to a trusted CA (times checked below against the simulated clock).
    let mut store = X509StoreBuilder::new().expect("store");
    for ca in &state.trusted_cas {
        let _ = store.add_cert(ca.clone());
    }
    let _ = store.set_flags(X509VerifyFlags::NO_CHECK_TIME);
    let store = store.build();
    p7.verify(&no_certs, &store, None, None, Pkcs7Flags::empty())
        .map_err(|_| fault("cms.cert.untrusted", CMS_CERT_UNTRUSTED))?;
    let (not_before, not_after) = validity(&signer).ok_or_else(|| fault("cms.bad", CMS_BAD))?;
    if now > not_after {
        return Err(fault("cms.cert.expired", CMS_CERT_EXPIRED));
    }
    if now < not_before {
        return Err(fault("cms.cert.invalid", CMS_CERT_INVALID));
    }

    // The TRA.
    // The TRA has no namespace; its element names are case-sensitive.
    let tra = String::from_utf8(tra).map_err(|_| fault("xml.bad", XML_BAD))?;
    let root = xml::parse(&tra).map_err(|_| fault("xml.bad", XML_BAD))?;
    if root.name != "loginTicketRequest" || root.ns.is_some() {
        return Err(fault("xml.bad", XML_BAD));
    }
    let header = root
        .child_local("header")
        .ok_or_else(|| fault("xml.bad", XML_BAD))?;
    text_of(header, "uniqueId")
        .and_then(|u| u.parse::<u32>().ok())
        .ok_or_else(|| fault("xml.bad", XML_BAD))?;
    // Malformed or impossible dates are xml.bad (manual FAQ 10.10).
    let gen = text_of(header, "generationTime")
        .and_then(parse_time)
        .ok_or_else(|| fault("xml.bad", XML_BAD))?;
    let exp = text_of(header, "expirationTime")
        .and_then(parse_time)
        .ok_or_else(|| fault("xml.bad", XML_BAD))?;
    if gen > now || gen < now - Duration::hours(24) {
        return Err(fault("xml.generationTime.invalid", GENERATION_TIME_INVALID));
    }
    if exp <= now {
        return Err(fault("xml.expirationTime.expired", EXPIRATION_TIME_EXPIRED));
    }
    if exp > now + Duration::hours(24) || exp <= gen {
        return Err(fault("xml.expirationTime.invalid", EXPIRATION_TIME_INVALID));
    }
    let service = text_of(&root, "service")
        .filter(|s| !s.is_empty() && s.len() <= 40)
        .ok_or_else(|| fault("xml.bad", XML_BAD))?
        .to_owned();
    if !KNOWN_SERVICES.contains(&service.as_str()) {
        return Err(fault("wsn.notFound", WSN_NOT_FOUND));
    }
    let cuit = represented_cuit(&signer)
        .ok_or_else(|| fault("coe.notAuthorized", COE_NOT_AUTHORIZED))?
        .as_u64();
    if !state.authorized_services.contains(&service) {
        return Err(fault("coe.notAuthorized", COE_NOT_AUTHORIZED));
    }
    let ar = super::argentina();
    if let Some(prev) = state.issued.get(&(cuit, service.clone())) {
        if prev.expiration.with_timezone(&Utc) > now {
            return Err(fault("coe.alreadyAuthenticated", COE_ALREADY_AUTHENTICATED));
        }
    }

    // Issue a 12 h ticket.
    let generation = now.with_timezone(&ar);
    let expiration = generation + Duration::hours(12);
    let unique_id: u32 = rand::random();
    let client_dn = subject_dn(&signer);
    let sso = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><sso version=\"2.0\"><id src=\"CN=wsaahomo, O=AFIP, C=AR, SERIALNUMBER=CUIT 33693450239\" dst=\"CN=wsfe, O=AFIP, C=AR\" unique_id=\"{unique_id}\" gen_time=\"{}\" exp_time=\"{}\"/><operation type=\"login\" value=\"granted\"><login entity=\"33693450239\" service=\"{}\" uid=\"{}\" authmethod=\"cms\" regmethod=\"22\"><relations><relation key=\"{cuit}\" reltype=\"4\"/></relations></login></operation><nonce>{}</nonce></sso>",
        generation.timestamp() - 60,
        expiration.timestamp(),
        escape(&service),
        escape(&client_dn),
        hex_nonce(),
    );
    let token = base64::engine::general_purpose::STANDARD.encode(&sso);
    let sign = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(format!("sandbox-sign:{token}").as_bytes()));
    let ticket = IssuedTicket {
        service: service.clone(),
        sign: sign.clone(),
        generation,
        expiration,
        relations: vec![cuit],
    };
    state.issued.insert((cuit, service), ticket.clone());
    state.tokens.insert(token.clone(), ticket);
    let ticket_xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<loginTicketResponse version=\"1.0\">\n    <header>\n        <source>CN=wsaahomo, O=AFIP, C=AR, SERIALNUMBER=CUIT 33693450239</source>\n        <destination>{}</destination>\n        <uniqueId>{unique_id}</uniqueId>\n        <generationTime>{}</generationTime>\n        <expirationTime>{}</expirationTime>\n    </header>\n    <credentials>\n        <token>{token}</token>\n        <sign>{sign}</sign>\n    </credentials>\n</loginTicketResponse>\n",
        escape(&client_dn),
        generation.format("%Y-%m-%dT%H:%M:%S%.3f%:z"),
        expiration.format("%Y-%m-%dT%H:%M:%S%.3f%:z"),
    );
    Ok(Issued {
        namespace,
        ticket_xml,
    })
}

/// xsd:dateTime with an offset; an offset-less time is read as Argentina's (−03:00).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let ar: FixedOffset = super::argentina();
    naive
        .and_local_timezone(ar)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn hex_nonce() -> String {
    let bytes: [u8; 8] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
