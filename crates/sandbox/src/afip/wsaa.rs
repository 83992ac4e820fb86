//! WSAA `loginCms`: verifies the CMS against the trusted test CAs, checks the TRA, issues 12 h
//! tickets, refuses a second one while the first is valid.

use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, Utc};
use mostrador_afip::wsaa::cert::{asn1_to_utc, subject_cuit};
use mostrador_afip::xml::{self, escape};
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::X509;
use sha2::{Digest, Sha256};

use super::state::{IssuedTicket, State};

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

/// Processes the `loginCms` body; `Ok` is the `loginTicketResponse` document.
pub fn login(state: &mut State, body: &str) -> Result<String, LoginFault> {
    let now = state.clock.now();
    let doc = xml::parse(body).map_err(|e| fault("xml.bad", e.to_string()))?;
    let in0 = doc
        .find("in0")
        .ok_or_else(|| fault("cms.bad", "No se encontro el parametro in0"))?;
    let compact: String = in0.text.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| fault("cms.bad.base64", "Error al decodificar base64 del CMS"))?;
    let p7 = Pkcs7::from_der(&der).map_err(|_| fault("cms.bad", "CMS invalido"))?;

    let no_certs = Stack::<X509>::new().expect("empty stack");
    let signers = p7
        .signers(&no_certs, Pkcs7Flags::empty())
        .map_err(|_| fault("cms.cert.notFound", "No se encontro certificado en el CMS"))?;
    let signer = signers
        .iter()
        .next()
        .map(|c| c.to_owned())
        .ok_or_else(|| fault("cms.cert.notFound", "No se encontro certificado en el CMS"))?;

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
    .map_err(|_| {
        fault(
            "cms.sign.invalid",
            "Firma invalida o algoritmo no soportado",
        )
    })?;

    // Chain to a trusted CA (times checked below against the simulated clock).
    let mut store = X509StoreBuilder::new().expect("store");
    for ca in &state.trusted_cas {
        let _ = store.add_cert(ca.clone());
    }
    let _ = store.set_flags(X509VerifyFlags::NO_CHECK_TIME);
    let store = store.build();
    p7.verify(&no_certs, &store, None, None, Pkcs7Flags::empty())
        .map_err(|_| {
            fault(
                "cms.cert.untrusted",
                "Certificado no emitido por AC de confianza",
            )
        })?;
    let not_before = asn1_to_utc(signer.not_before()).map_err(|e| fault("cms.bad", e.0))?;
    let not_after = asn1_to_utc(signer.not_after()).map_err(|e| fault("cms.bad", e.0))?;
    if now > not_after {
        return Err(fault("cms.cert.expired", "Certificado expirado"));
    }
    if now < not_before {
        return Err(fault("cms.cert.invalid", "Certificado aun no valido"));
    }

    // The TRA.
    let tra = String::from_utf8(tra).map_err(|_| fault("xml.bad", "TRA no es UTF-8"))?;
    let root = xml::parse(&tra).map_err(|e| fault("xml.bad", e.to_string()))?;
    if root.name != "loginTicketRequest" {
        return Err(fault("xml.bad", "El TRA no es un loginTicketRequest"));
    }
    let header = root
        .child("header")
        .ok_or_else(|| fault("xml.bad", "Falta header"))?;
    header
        .child_text("uniqueId")
        .and_then(|u| u.parse::<u32>().ok())
        .ok_or_else(|| fault("xml.bad", "uniqueId invalido"))?;
    let gen = header
        .child_text("generationTime")
        .and_then(parse_time)
        .ok_or_else(|| {
            fault(
                "xml.generationTime.invalid",
                "generationTime posee formato o dato inválido",
            )
        })?;
    let exp = header
        .child_text("expirationTime")
        .and_then(parse_time)
        .ok_or_else(|| {
            fault(
                "xml.expirationTime.invalid",
                "expirationTime posee formato o dato inválido",
            )
        })?;
    if gen > now || gen < now - Duration::hours(24) {
        return Err(fault(
            "xml.generationTime.invalid",
            "generationTime posee formato o dato inválido",
        ));
    }
    if exp <= now {
        return Err(fault(
            "xml.expirationTime.expired",
            "expirationTime ya expiró",
        ));
    }
    if exp > now + Duration::hours(24) || exp <= gen {
        return Err(fault(
            "xml.expirationTime.invalid",
            "expirationTime posee formato o dato inválido",
        ));
    }
    let service = root
        .child_text("service")
        .filter(|s| !s.is_empty() && s.len() <= 40)
        .ok_or_else(|| fault("xml.bad", "service invalido"))?
        .to_owned();
    if !KNOWN_SERVICES.contains(&service.as_str()) {
        return Err(fault(
            "wsn.notFound",
            format!("Servicio {service} inexistente"),
        ));
    }
    let cuit = subject_cuit(signer.subject_name())
        .ok_or_else(|| {
            fault(
                "coe.notAuthorized",
                "Computador no autorizado a acceder al servicio",
            )
        })?
        .as_u64();
    if !state.authorized_services.contains(&service) {
        return Err(fault(
            "coe.notAuthorized",
            "Computador no autorizado a acceder al servicio",
        ));
    }
    let ar = mostrador_afip::argentina_offset();
    if let Some(prev) = state.issued.get(&(cuit, service.clone())) {
        if prev.expiration.with_timezone(&Utc) > now {
            return Err(fault(
                "coe.alreadyAuthenticated",
                "El CEE ya posee un TA valido para el acceso al WSN solicitado",
            ));
        }
    }

    // Issue a 12 h ticket.
    let generation = now.with_timezone(&ar);
    let expiration = generation + Duration::hours(12);
    let unique_id: u32 = rand::random();
    let client_dn = signer_dn(&signer);
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
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<loginTicketResponse version=\"1.0\">\n    <header>\n        <source>CN=wsaahomo, O=AFIP, C=AR, SERIALNUMBER=CUIT 33693450239</source>\n        <destination>{}</destination>\n        <uniqueId>{unique_id}</uniqueId>\n        <generationTime>{}</generationTime>\n        <expirationTime>{}</expirationTime>\n    </header>\n    <credentials>\n        <token>{token}</token>\n        <sign>{sign}</sign>\n    </credentials>\n</loginTicketResponse>\n",
        escape(&client_dn),
        generation.format("%Y-%m-%dT%H:%M:%S%.3f%:z"),
        expiration.format("%Y-%m-%dT%H:%M:%S%.3f%:z"),
    ))
}

/// xsd:dateTime with an offset; an offset-less time is read as Argentina's (−03:00).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let ar: FixedOffset = mostrador_afip::argentina_offset();
    naive
        .and_local_timezone(ar)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn signer_dn(cert: &X509) -> String {
    cert.subject_name()
        .entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?").to_owned();
            let key = if key == "serialNumber" {
                "SERIALNUMBER".to_owned()
            } else {
                key
            };
            format!("{key}={}", e.data().to_string().unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn hex_nonce() -> String {
    let bytes: [u8; 8] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
