//! Where WSAA and WSFEv1 live. Always configuration: homologation and production presets, or any
//! base URL (the sandbox, or the `*.arca.gob.ar` names if AFIP moves).

use serde::{Deserialize, Serialize};
use url::Url;

/// AFIP's two environments. Certificates and access tickets are per environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Environment {
    Homologation,
    Production,
}

/// The two service URLs a client needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// `…/ws/services/LoginCms`
    pub wsaa: Url,
    /// `…/wsfev1/service.asmx`
    pub wsfe: Url,
}

/// Path of the WSAA service under its host.
pub const WSAA_PATH: &str = "/ws/services/LoginCms";
/// Path of the WSFEv1 service under its host.
pub const WSFE_PATH: &str = "/wsfev1/service.asmx";

impl Endpoints {
    pub fn homologation() -> Self {
        Endpoints {
            wsaa: Url::parse("https://wsaahomo.afip.gov.ar/ws/services/LoginCms").expect("static"),
            wsfe: Url::parse("https://wswhomo.afip.gov.ar/wsfev1/service.asmx").expect("static"),
        }
    }

    pub fn production() -> Self {
        Endpoints {
            wsaa: Url::parse("https://wsaa.afip.gov.ar/ws/services/LoginCms").expect("static"),
            wsfe: Url::parse("https://servicios1.afip.gov.ar/wsfev1/service.asmx").expect("static"),
        }
    }

    pub fn for_environment(env: Environment) -> Self {
        match env {
            Environment::Homologation => Self::homologation(),
            Environment::Production => Self::production(),
        }
    }

    /// Both services under one base URL with AFIP's paths (the sandbox: `http://127.0.0.1:PORT/afip`).
    pub fn under(base: &str) -> Result<Self, url::ParseError> {
        let base = base.trim_end_matches('/');
        Ok(Endpoints {
            wsaa: Url::parse(&format!("{base}{WSAA_PATH}"))?,
            wsfe: Url::parse(&format!("{base}{WSFE_PATH}"))?,
        })
    }
}
