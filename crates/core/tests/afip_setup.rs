//! Ajustes → AFIP against the AFIP simulator with a test CA it trusts: the app's own key and
//! CSR, a certificate the CA issues for that CSR, "Probar" (WSAA, FEDummy, points of sale) and the
//! ticket reused after a restart; and every bad import refused with nothing stored. Needs a
//! Secret Service (run under `dbus-run-session` with an unlocked keyring, see COMMON/README).

use chrono::{Duration, Utc};
use mostrador_afip::transport::HttpClient;
use mostrador_afip::Endpoints;
use mostrador_core::error::{AppError, ErrorCode};
use mostrador_core::invoicing::certificate::{keys, AfipSetup, CertError, IssuerProfile};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_sandbox::afip::test_ca::TestCa;
use mostrador_sandbox::afip::AfipSim;
use mostrador_sandbox::Sandbox;
use mostrador_types::{Cuit, IvaCondition, Secret};
use openssl::pkcs12::Pkcs12;

const CUIT: &str = "20-26756539-3";

struct Env {
    _dir: tempfile::TempDir,
    store: Store,
    secrets: SecretStore,
    setup: AfipSetup,
    org: OrgId,
    ca: TestCa,
    sandbox: Sandbox,
}

impl Env {
    async fn start() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
        let org = org::create(
            &store,
            NewOrganization {
                name: "Almacén Ñandú".into(),
                cuit: CUIT.into(),
                iva_condition: IvaCondition::ResponsableInscripto,
            },
        )
        .await
        .unwrap()
        .id;
        let secrets = SecretStore::new(&format!("ar.mostrador.test.afip.{}", uuid::Uuid::new_v4()));
        let ca = TestCa::generate("Computadores Test").unwrap();
        let sim = AfipSim::default();
        sim.trust_ca(ca.certificate().clone());
        sim.set_points_of_sale(Some([1, 3].into_iter().collect()));
        let sandbox = Sandbox::start_with("127.0.0.1:0".parse().unwrap(), Default::default(), sim)
            .await
            .unwrap();
        Env {
            setup: AfipSetup::new(store.clone(), secrets.clone()),
            _dir: dir,
            store,
            secrets,
            org,
            ca,
            sandbox,
        }
    }

    fn endpoints(&self) -> Endpoints {
        Endpoints::under(&self.sandbox.afip_url()).unwrap()
    }

    /// The CA answers a CSR with a certificate valid for `days` from yesterday.
    fn issue(&self, csr_pem: &str, days: i64) -> Vec<u8> {
        let now = Utc::now();
        self.ca
            .sign_csr(
                csr_pem.as_bytes(),
                now - Duration::days(1),
                now + Duration::days(days),
            )
            .unwrap()
            .to_pem()
            .unwrap()
    }

    /// Nothing about a private key may be in the database.
    async fn assert_no_key_in_database(&self) {
        let values: Vec<String> = sqlx::query_scalar("SELECT value FROM settings")
            .fetch_all(self.store.reader())
            .await
            .unwrap();
        for v in values {
            assert!(!v.contains("PRIVATE KEY"), "a private key reached SQLite");
        }
    }

    async fn stored_key(&self) -> Option<Secret> {
        self.secrets
            .get(self.org, "afip/homologacion/private_key")
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_key_csr_and_a_certificate_from_the_test_ca_pass_probar_and_the_ticket_survives_a_restart(
) {
    let env = Env::start().await;
    let request = env
        .setup
        .generate_request(env.org, "mostrador-caja1")
        .await
        .unwrap();
    assert_eq!(request.file_name, "mostrador-caja1-20267565393.csr");
    assert!(request
        .pem
        .starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    let status = env.setup.status(env.org, Utc::now()).await.unwrap();
    assert_eq!(
        status.pending_request.as_ref().map(|r| &r.pem),
        Some(&request.pem)
    );
    assert!(status.certificate.is_none());
    assert!(
        env.stored_key().await.is_none(),
        "the key is pending until its certificate"
    );
    env.assert_no_key_in_database().await;

    let cert = env.issue(&request.pem, 730);
    let summary = env
        .setup
        .import_certificate(env.org, &cert, Utc::now())
        .await
        .unwrap();
    assert_eq!(summary.cuit, "20267565393");
    assert!(!summary.expiring_soon && !summary.expired);
    assert!(
        (727..=729).contains(&summary.days_left),
        "{}",
        summary.days_left
    );
    assert!(env.stored_key().await.is_some());
    env.assert_no_key_in_database().await;
    let status = env.setup.status(env.org, Utc::now()).await.unwrap();
    assert!(status.pending_request.is_none());
    assert_eq!(status.certificate, Some(summary));

    let http = HttpClient::default();
    let report = env
        .setup
        .probe(env.org, &env.endpoints(), &http, env.sandbox.afip.now())
        .await
        .unwrap();
    assert!(!report.ticket_reused);
    assert_eq!(
        (
            report.app_server.as_str(),
            report.db_server.as_str(),
            report.auth_server.as_str()
        ),
        ("OK", "OK", "OK")
    );
    let numbers: Vec<u32> = report.points_of_sale.iter().map(|p| p.number).collect();
    assert_eq!(numbers, vec![1, 3]);

    // A restart: a new service over the same database and keychain reuses the ticket. A second
    // WSAA login would be refused by the simulator (coe.alreadyAuthenticated).
    let restarted = AfipSetup::new(env.store.clone(), env.secrets.clone());
    let again = restarted
        .probe(env.org, &env.endpoints(), &http, env.sandbox.afip.now())
        .await
        .unwrap();
    assert!(again.ticket_reused);
    assert_eq!(again.ticket_expires_at, report.ticket_expires_at);

    // The point of sale is one of the listed ones.
    restarted.set_point_of_sale(env.org, 3).await.unwrap();
    assert_eq!(restarted.point_of_sale(env.org).await.unwrap(), Some(3));
    let err = restarted.set_point_of_sale(env.org, 7).await.unwrap_err();
    assert!(matches!(err, CertError::UnknownPointOfSale(7)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_key_is_refused_with_a_clear_message_and_nothing_stored() {
    let env = Env::start().await;
    env.setup.generate_request(env.org, "caja1").await.unwrap();
    let cuit = Cuit::parse(CUIT).unwrap();
    let stranger = keys::generate("Otro", "otra-pc", cuit).unwrap();
    let cert = env.issue(&stranger.csr_pem, 730);
    let err = env
        .setup
        .import_certificate(env.org, &cert, Utc::now())
        .await
        .unwrap_err();
    assert!(matches!(err, CertError::KeyMismatch), "{err}");
    let app: AppError = err.into();
    assert_eq!(app.code, ErrorCode::AfipKeyMismatch);
    assert!(
        app.message.contains("no corresponde a la clave"),
        "{}",
        app.message
    );
    assert!(app.message.contains("No se guardó nada"), "{}", app.message);
    let status = env.setup.status(env.org, Utc::now()).await.unwrap();
    assert!(status.certificate.is_none());
    assert!(
        status.pending_request.is_some(),
        "the pending request is still there"
    );
    assert!(env.stored_key().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_cuit_an_expired_certificate_and_a_wrong_p12_password_store_nothing() {
    let env = Env::start().await;
    let now = Utc::now();

    // Another CUIT, with the right key.
    let other = Cuit::parse("20-12345678-6").unwrap();
    let theirs = keys::generate("Otro", "caja", other).unwrap();
    let cert = env.issue(&theirs.csr_pem, 730);
    let err = env
        .setup
        .import_pem_pair(env.org, &cert, &theirs.key_pem, now)
        .await
        .unwrap_err();
    assert!(matches!(err, CertError::CuitMismatch { .. }), "{err}");
    let app: AppError = err.into();
    assert_eq!(app.code, ErrorCode::AfipCuitMismatch);
    assert!(app.message.contains("20-12345678-6"), "{}", app.message);

    // Expired.
    let cuit = Cuit::parse(CUIT).unwrap();
    let ours = keys::generate("Almacén Ñandú", "caja", cuit).unwrap();
    let expired = env
        .ca
        .sign_csr(
            ours.csr_pem.as_bytes(),
            now - Duration::days(800),
            now - Duration::days(70),
        )
        .unwrap();
    let err = env
        .setup
        .import_pem_pair(env.org, &expired.to_pem().unwrap(), &ours.key_pem, now)
        .await
        .unwrap_err();
    assert!(matches!(err, CertError::Expired { .. }), "{err}");
    assert_eq!(AppError::from(err).code, ErrorCode::AfipCertificateExpired);

    // A .p12 with the wrong password, then the right one.
    let cert = keys::parse_certificate(&env.issue(&ours.csr_pem, 20)).unwrap();
    let key = keys::parse_key(&ours.key_pem).unwrap();
    let p12 = Pkcs12::builder()
        .name("caja")
        .pkey(&key)
        .cert(&cert)
        .build2("correcta")
        .unwrap()
        .to_der()
        .unwrap();
    let err = env
        .setup
        .import_p12(env.org, &p12, &Secret::new(String::from("otra")), now)
        .await
        .unwrap_err();
    assert!(matches!(err, CertError::WrongP12Password), "{err}");
    assert_eq!(AppError::from(err).code, ErrorCode::AfipWrongPassword);
    assert!(env
        .setup
        .status(env.org, now)
        .await
        .unwrap()
        .certificate
        .is_none());
    assert!(env.stored_key().await.is_none());

    let summary = env
        .setup
        .import_p12(env.org, &p12, &Secret::new(String::from("correcta")), now)
        .await
        .unwrap();
    // Valid 20 more days: inside the 30-day warning.
    assert!(summary.expiring_soon, "{summary:?}");
    assert!(env.stored_key().await.is_some());
    env.assert_no_key_in_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn der_certificates_import_and_issuer_data_round_trips() {
    let env = Env::start().await;
    let request = env.setup.generate_request(env.org, "caja").await.unwrap();
    let pem = env.issue(&request.pem, 365);
    let der = keys::parse_certificate(&pem).unwrap().to_der().unwrap();
    env.setup
        .import_certificate(env.org, &der, Utc::now())
        .await
        .unwrap();

    let profile = IssuerProfile {
        legal_name: Some("Pérez Juan".into()),
        trade_name: Some("Almacén Ñandú".into()),
        address: "Av. Corrientes 1234, CABA".into(),
        iibb: "901-123456-7".into(),
        activity_start: chrono::NaiveDate::from_ymd_opt(2015, 3, 1),
        logo_path: None,
    };
    env.setup.set_issuer(env.org, &profile).await.unwrap();
    assert_eq!(env.setup.issuer(env.org).await.unwrap(), profile);
    let future = IssuerProfile {
        activity_start: Some(Utc::now().date_naive() + Duration::days(30)),
        ..profile.clone()
    };
    let err = env.setup.set_issuer(env.org, &future).await.unwrap_err();
    assert!(matches!(
        err,
        CertError::InvalidField {
            field: "activity_start",
            ..
        }
    ));
    assert_eq!(
        env.setup.issuer(env.org).await.unwrap(),
        profile,
        "unchanged"
    );
}
