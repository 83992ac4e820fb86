//! Ajustes → AFIP: the certificate set-up (issue 13). The private key is generated here and lives
//! only in the OS keychain; the CSR and the certificate (public) are settings. An imported
//! certificate is checked against the key, the business's CUIT and the clock before anything is
//! stored. "Probar" logs in to WSAA, calls FEDummy and lists the points of sale; the access ticket
//! is kept in the keychain and reused across restarts until it expires, so a restart never
//! triggers `coe.alreadyAuthenticated`.
//!
//! Certificates, keys and tickets are per environment (homologación / producción): a
//! homologation certificate is useless in production and the other way round.

mod error;
mod issuer;
pub mod keys;

use chrono::{DateTime, Utc};
use mostrador_afip::transport::HttpClient;
use mostrador_afip::wsaa::{AccessTicket, CertificateInfo, Signer, WsaaClient};
use mostrador_afip::wsfe::{Auth, WsfeClient};
use mostrador_afip::Endpoints;
use mostrador_types::{Cuit, Secret};
use serde::{Deserialize, Serialize};

pub use error::CertError;
pub use issuer::IssuerProfile;

use crate::org::{self, OrgId};
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;

/// Warn this many days before the certificate expires.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
/// The web service the invoices use.
pub const WSFE: &str = "wsfe";
/// Setting: the environment in use.
pub const ENVIRONMENT: &str = "afip_environment";

/// AFIP's two environments, as the UI names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AfipEnvironment {
    /// Testing ("homologación"): invoices have no fiscal value. The default until the owner
    /// switches, so a first try never issues real invoices.
    #[default]
    Homologacion,
    Produccion,
}

impl AfipEnvironment {
    pub fn as_str(self) -> &'static str {
        match self {
            AfipEnvironment::Homologacion => "homologacion",
            AfipEnvironment::Produccion => "produccion",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "homologacion" => Some(AfipEnvironment::Homologacion),
            "produccion" => Some(AfipEnvironment::Produccion),
            _ => None,
        }
    }

    /// AFIP's own URLs for this environment (the sandbox passes its own [`Endpoints`]).
    pub fn endpoints(self) -> Endpoints {
        Endpoints::for_environment(match self {
            AfipEnvironment::Homologacion => mostrador_afip::Environment::Homologation,
            AfipEnvironment::Produccion => mostrador_afip::Environment::Production,
        })
    }

    // Keychain entry and setting names, per environment.
    pub fn key_secret(self) -> String {
        format!("afip/{}/private_key", self.as_str())
    }
    pub fn pending_key_secret(self) -> String {
        format!("afip/{}/pending_private_key", self.as_str())
    }
    pub fn ticket_secret(self, service: &str) -> String {
        super::session::ticket_secret(self, service)
    }
    fn certificate_setting(self) -> String {
        format!("afip_{}_certificate_pem", self.as_str())
    }
    fn csr_setting(self) -> String {
        format!("afip_{}_csr_pem", self.as_str())
    }
    fn point_of_sale_setting(self) -> String {
        format!("afip_{}_point_of_sale", self.as_str())
    }
    /// The usable points of sale the last "Probar" listed, comma-separated.
    fn listed_points_setting(self) -> String {
        format!("afip_{}_listed_points_of_sale", self.as_str())
    }
}

/// The CSR to upload to AFIP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CertificateRequest {
    pub pem: String,
    /// A file name for the save dialog, e.g. `mostrador-caja1-20123456786.csr`.
    pub file_name: String,
}

/// The imported certificate as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CertificateSummary {
    /// 11 digits.
    pub cuit: String,
    pub subject: String,
    pub issuer: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub not_before: DateTime<Utc>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub not_after: DateTime<Utc>,
    /// Whole days left (negative once expired).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub days_left: i64,
    /// Expires within [`EXPIRY_WARNING_DAYS`]: the UI warns.
    pub expiring_soon: bool,
    pub expired: bool,
}

impl CertificateSummary {
    fn new(info: &CertificateInfo, now: DateTime<Utc>) -> Self {
        CertificateSummary {
            cuit: info.cuit.map(|c| c.digits()).unwrap_or_default(),
            subject: info.subject.clone(),
            issuer: info.issuer.clone(),
            not_before: info.not_before,
            not_after: info.not_after,
            days_left: (info.not_after - now).num_days(),
            expiring_soon: info.expires_within(now, chrono::Duration::days(EXPIRY_WARNING_DAYS)),
            expired: now >= info.not_after,
        }
    }
}

/// Where the set-up stands for the environment in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetupStatus {
    pub environment: AfipEnvironment,
    /// A generated key waits for its certificate (the CSR is in `pending_request`).
    pub pending_request: Option<CertificateRequest>,
    pub certificate: Option<CertificateSummary>,
    pub point_of_sale: Option<u32>,
}

/// One point of sale as FEParamGetPtosVenta lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PointOfSaleInfo {
    pub number: u32,
    pub emission_type: String,
    pub blocked: bool,
    pub closed: bool,
}

/// What "Probar" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProbeReport {
    /// The stored access ticket was still valid (no new WSAA login).
    pub ticket_reused: bool,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub ticket_expires_at: DateTime<Utc>,
    /// FEDummy's AppServer / DbServer / AuthServer ("OK" when up).
    pub app_server: String,
    pub db_server: String,
    pub auth_server: String,
    pub points_of_sale: Vec<PointOfSaleInfo>,
}

/// The set-up service: SQLite settings + keychain.
#[derive(Debug, Clone)]
pub struct AfipSetup {
    store: Store,
    secrets: SecretStore,
}

impl AfipSetup {
    pub fn new(store: Store, secrets: SecretStore) -> Self {
        AfipSetup { store, secrets }
    }

    pub async fn environment(&self, org: OrgId) -> Result<AfipEnvironment, CertError> {
        match settings::get(&self.store, Some(org), ENVIRONMENT).await? {
            None => Ok(AfipEnvironment::default()),
            Some(v) => AfipEnvironment::parse(&v).ok_or_else(|| {
                CertError::Settings(settings::SettingsError::Invalid {
                    key: ENVIRONMENT.into(),
                    reason: format!("{v:?} is not homologacion or produccion"),
                })
            }),
        }
    }

    pub async fn set_environment(&self, org: OrgId, env: AfipEnvironment) -> Result<(), CertError> {
        settings::set(&self.store, Some(org), ENVIRONMENT, env.as_str()).await?;
        Ok(())
    }

    async fn cuit(&self, org: OrgId) -> Result<(String, Cuit), CertError> {
        let o = org::get(&self.store, org).await?;
        Ok((o.name, o.cuit))
    }

    /// Generates the RSA key (kept in the keychain as pending until its certificate comes back)
    /// and the CSR with AFIP's subject. A second call replaces the pending key and CSR; an
    /// already imported certificate keeps working until a new one is imported.
    #[tracing::instrument(skip(self), fields(%org))]
    pub async fn generate_request(
        &self,
        org: OrgId,
        alias: &str,
    ) -> Result<CertificateRequest, CertError> {
        let alias = keys::validate_alias(alias)?.to_owned();
        let env = self.environment(org).await?;
        let (name, cuit) = self.cuit(org).await?;
        let legal_name = self
            .issuer(org)
            .await?
            .legal_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(name);
        let alias_for_key = alias.clone();
        // RSA generation takes CPU time (up to a second): not on the async runtime.
        let generated =
            tokio::task::spawn_blocking(move || keys::generate(&legal_name, &alias_for_key, cuit))
                .await
                .map_err(|_| CertError::Join)??;
        self.secrets
            .set(org, &env.pending_key_secret(), &generated.key_pem)
            .await?;
        settings::set(
            &self.store,
            Some(org),
            &env.csr_setting(),
            &generated.csr_pem,
        )
        .await?;
        tracing::info!(env = env.as_str(), "AFIP key and CSR generated");
        Ok(CertificateRequest {
            pem: generated.csr_pem,
            file_name: format!("{alias}-{}.csr", cuit.digits()),
        })
    }

    /// Imports the certificate AFIP issued for the generated CSR (PEM or DER). It must match
    /// the pending key (or the current one, for a renewal with the same key).
    #[tracing::instrument(skip(self, bytes), fields(%org))]
    pub async fn import_certificate(
        &self,
        org: OrgId,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CertificateSummary, CertError> {
        let env = self.environment(org).await?;
        let (_, cuit) = self.cuit(org).await?;
        let cert = keys::parse_certificate(bytes)?;
        let pending = self.secrets.get(org, &env.pending_key_secret()).await?;
        let current = self.secrets.get(org, &env.key_secret()).await?;
        if pending.is_none() && current.is_none() {
            return Err(CertError::NoKey);
        }
        // Prefer the key the certificate was issued for; the mismatch error names the newest.
        let mut candidates = Vec::new();
        for pem in [pending, current].into_iter().flatten() {
            candidates.push(keys::parse_key(&pem).map_err(|e| CertError::Stored(e.to_string()))?);
        }
        let key = candidates
            .iter()
            .find(|k| keys::matches(&cert, k))
            .unwrap_or(&candidates[0]);
        let info = keys::check(&cert, key, cuit, now)?;
        self.store_pair(org, env, &cert, key).await?;
        Ok(CertificateSummary::new(&info, now))
    }

    /// Imports an existing certificate with its PEM key.
    #[tracing::instrument(skip(self, cert, key_pem), fields(%org))]
    pub async fn import_pem_pair(
        &self,
        org: OrgId,
        cert: &[u8],
        key_pem: &Secret,
        now: DateTime<Utc>,
    ) -> Result<CertificateSummary, CertError> {
        let env = self.environment(org).await?;
        let (_, cuit) = self.cuit(org).await?;
        let cert = keys::parse_certificate(cert)?;
        let key = keys::parse_key(key_pem)?;
        let info = keys::check(&cert, &key, cuit, now)?;
        self.store_pair(org, env, &cert, &key).await?;
        Ok(CertificateSummary::new(&info, now))
    }

    /// Imports a `.p12`/`.pfx` (certificate + key) opened with `password`.
    #[tracing::instrument(skip(self, p12, password), fields(%org))]
    pub async fn import_p12(
        &self,
        org: OrgId,
        p12: &[u8],
        password: &Secret,
        now: DateTime<Utc>,
    ) -> Result<CertificateSummary, CertError> {
        let env = self.environment(org).await?;
        let (_, cuit) = self.cuit(org).await?;
        let (cert, key) = keys::parse_p12(p12, password)?;
        let info = keys::check(&cert, &key, cuit, now)?;
        self.store_pair(org, env, &cert, &key).await?;
        Ok(CertificateSummary::new(&info, now))
    }

    /// Stores a checked pair: key to the keychain, certificate to the settings; the pending key
    /// and CSR are done with, and a ticket of the previous certificate is dropped.
    async fn store_pair(
        &self,
        org: OrgId,
        env: AfipEnvironment,
        cert: &openssl::x509::X509,
        key: &openssl::pkey::PKey<openssl::pkey::Private>,
    ) -> Result<(), CertError> {
        let cert_pem = cert
            .to_pem()
            .map_err(|e| CertError::Crypto(e.to_string()))
            .and_then(|p| String::from_utf8(p).map_err(|e| CertError::Crypto(e.to_string())))?;
        self.secrets
            .set(org, &env.key_secret(), &keys::key_to_pem(key)?)
            .await?;
        settings::set(
            &self.store,
            Some(org),
            &env.certificate_setting(),
            &cert_pem,
        )
        .await?;
        self.secrets.delete(org, &env.pending_key_secret()).await?;
        settings::delete(&self.store, Some(org), &env.csr_setting()).await?;
        self.secrets.delete(org, &env.ticket_secret(WSFE)).await?;
        tracing::info!(env = env.as_str(), "AFIP certificate imported");
        Ok(())
    }

    /// Where the set-up stands, for the environment in use.
    pub async fn status(&self, org: OrgId, now: DateTime<Utc>) -> Result<SetupStatus, CertError> {
        let env = self.environment(org).await?;
        let (_, cuit) = self.cuit(org).await?;
        let certificate = match self.certificate_pem(org, env).await? {
            Some(pem) => {
                let info = CertificateInfo::from_pem(pem.as_bytes())
                    .map_err(|e| CertError::Stored(e.to_string()))?;
                Some(CertificateSummary::new(&info, now))
            }
            None => None,
        };
        let pending_request = settings::get(&self.store, Some(org), &env.csr_setting())
            .await?
            .map(|pem| CertificateRequest {
                file_name: format!("mostrador-{}.csr", cuit.digits()),
                pem,
            });
        Ok(SetupStatus {
            environment: env,
            pending_request,
            certificate,
            point_of_sale: self.point_of_sale(org).await?,
        })
    }

    async fn certificate_pem(
        &self,
        org: OrgId,
        env: AfipEnvironment,
    ) -> Result<Option<String>, CertError> {
        Ok(settings::get(&self.store, Some(org), &env.certificate_setting()).await?)
    }

    /// The signer for WSAA logins: the imported certificate and its key.
    pub async fn signer(&self, org: OrgId) -> Result<Signer, CertError> {
        let env = self.environment(org).await?;
        let cert = self
            .certificate_pem(org, env)
            .await?
            .ok_or(CertError::NoCertificate)?;
        let key = self
            .secrets
            .get(org, &env.key_secret())
            .await?
            .ok_or(CertError::NoKey)?;
        Signer::from_pem(cert.as_bytes(), &key).map_err(|e| CertError::Stored(e.to_string()))
    }

    /// A valid access ticket for `service`: the stored one while it lasts, else a new login
    /// (stored at once, before it is used). Returns whether the stored one was reused.
    pub async fn ticket(
        &self,
        org: OrgId,
        service: &str,
        wsaa: &WsaaClient,
        now: DateTime<Utc>,
    ) -> Result<(AccessTicket, bool), CertError> {
        let env = self.environment(org).await?;
        let name = env.ticket_secret(service);
        // The same entry the submissions use (`session::Tickets`): one login serves both.
        if let Some(t) =
            super::session::stored_ticket(&self.secrets, org, env, service, now).await?
        {
            tracing::debug!(expires = %t.expiration_time, "reusing the stored access ticket");
            return Ok((t, true));
        }
        let signer = self.signer(org).await?;
        let login = wsaa.login(&signer, service, now).await?;
        self.secrets
            .set(org, &name, &login.ticket.persist())
            .await?;
        Ok((login.ticket, false))
    }

    /// "Probar": WSAA login (or the stored ticket), FEDummy, FEParamGetPtosVenta.
    #[tracing::instrument(skip(self, endpoints, http), fields(%org))]
    pub async fn probe(
        &self,
        org: OrgId,
        endpoints: &Endpoints,
        http: &HttpClient,
        now: DateTime<Utc>,
    ) -> Result<ProbeReport, CertError> {
        let (_, cuit) = self.cuit(org).await?;
        let wsaa = WsaaClient::new(http.clone(), endpoints.wsaa.clone());
        let wsfe = WsfeClient::new(http.clone(), endpoints.wsfe.clone());
        let (ticket, ticket_reused) = self.ticket(org, WSFE, &wsaa, now).await?;
        let dummy = wsfe.dummy().await?.value;
        let auth = Auth {
            ticket: &ticket,
            cuit,
        };
        let points = wsfe.points_of_sale(&auth).await?.value;
        let report = ProbeReport {
            ticket_reused,
            ticket_expires_at: ticket.expiration_time.with_timezone(&Utc),
            app_server: dummy.app_server,
            db_server: dummy.db_server,
            auth_server: dummy.auth_server,
            points_of_sale: points
                .into_iter()
                .map(|p| PointOfSaleInfo {
                    number: p.number,
                    emission_type: p.emission_type,
                    blocked: p.blocked,
                    closed: p.closed_on.is_some(),
                })
                .collect(),
        };
        let usable: Vec<String> = report
            .points_of_sale
            .iter()
            .filter(|p| !p.blocked && !p.closed)
            .map(|p| p.number.to_string())
            .collect();
        let env = self.environment(org).await?;
        settings::set(
            &self.store,
            Some(org),
            &env.listed_points_setting(),
            &usable.join(","),
        )
        .await?;
        tracing::info!(
            reused = ticket_reused,
            points = report.points_of_sale.len(),
            "AFIP probe passed"
        );
        Ok(report)
    }

    /// This computer's point of sale (the database is per computer).
    pub async fn point_of_sale(&self, org: OrgId) -> Result<Option<u32>, CertError> {
        let env = self.environment(org).await?;
        let key = env.point_of_sale_setting();
        match settings::get(&self.store, Some(org), &key).await? {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                CertError::Settings(settings::SettingsError::Invalid {
                    key,
                    reason: "not a number".into(),
                })
            }),
        }
    }

    /// Saves the point of sale after checking it is a usable one (not blocked or closed) among
    /// those the last "Probar" listed.
    pub async fn set_point_of_sale(&self, org: OrgId, number: u32) -> Result<(), CertError> {
        let env = self.environment(org).await?;
        let listed = settings::get(&self.store, Some(org), &env.listed_points_setting())
            .await?
            .unwrap_or_default();
        if !listed.split(',').any(|n| n == number.to_string()) {
            return Err(CertError::UnknownPointOfSale(number));
        }
        settings::set(
            &self.store,
            Some(org),
            &env.point_of_sale_setting(),
            &number.to_string(),
        )
        .await?;
        Ok(())
    }

    /// How submissions reach AFIP with this set-up (environment, certificate and key, point of
    /// sale), or `None` while it is incomplete (no certificate or no point of sale chosen).
    /// `base` is `None` for AFIP's own URLs of the environment; a simulator's base URL
    /// (`http://127.0.0.1:PORT/afip`) serves WSAA, WSFE and the padrón under it.
    pub async fn connection(
        &self,
        org: OrgId,
        base: Option<&str>,
        timeout: std::time::Duration,
    ) -> Result<Option<super::session::AfipSetup>, CertError> {
        let env = self.environment(org).await?;
        let Some(point_of_sale) = self.point_of_sale(org).await? else {
            return Ok(None);
        };
        let signer = match self.signer(org).await {
            Ok(s) => s,
            Err(CertError::NoCertificate | CertError::NoKey) => return Ok(None),
            Err(e) => return Err(e),
        };
        let bad_url = |e: url::ParseError| CertError::Stored(format!("AFIP URL: {e}"));
        let (endpoints, padron) = match base {
            Some(base) => (
                Endpoints::under(base).map_err(|e| CertError::Stored(format!("AFIP URL: {e}")))?,
                mostrador_afip::padron::url_under(base).map_err(bad_url)?,
            ),
            None => (
                env.endpoints(),
                url::Url::parse(match env {
                    AfipEnvironment::Homologacion => mostrador_afip::padron::HOMOLOGATION_URL,
                    AfipEnvironment::Produccion => mostrador_afip::padron::PRODUCTION_URL,
                })
                .map_err(bad_url)?,
            ),
        };
        let padron = Some(padron);
        Ok(Some(super::session::AfipSetup {
            environment: env,
            endpoints,
            signer: std::sync::Arc::new(signer),
            point_of_sale,
            timeout,
            padron,
        }))
    }

    pub async fn issuer(&self, org: OrgId) -> Result<IssuerProfile, CertError> {
        IssuerProfile::load(&self.store, org).await
    }

    pub async fn set_issuer(&self, org: OrgId, profile: &IssuerProfile) -> Result<(), CertError> {
        profile.save(&self.store, org).await
    }
}
