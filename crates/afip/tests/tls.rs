//! The AFIP TLS override against a local `openssl s_server` that only offers DHE with a 1024-bit
//! group (what AFIP's production hosts negotiate): the strict default refuses it ("dh key too
//! small"), the override for AFIP's hosts accepts it, and any other host keeps the strict default.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use mostrador_afip::tls::TlsSettings;
use mostrador_afip::transport::{HttpClient, TransportError};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::dh::Dh;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509Name, X509};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

const AFIP_HOST: &str = "servicios1.afip.gov.ar";
const OTHER_HOST: &str = "api.example.com";

fn key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn cert(
    subject_cn: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    sans: &[&str],
) -> X509 {
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("CN", subject_cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    match issuer {
        None => {
            b.set_issuer_name(&name).unwrap();
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.sign(key, MessageDigest::sha256()).unwrap();
        }
        Some((ca, ca_key)) => {
            b.set_issuer_name(ca.subject_name()).unwrap();
            let mut san = SubjectAlternativeName::new();
            for s in sans {
                san.dns(s);
            }
            let san = san.build(&b.x509v3_context(Some(ca), None)).unwrap();
            b.append_extension(san).unwrap();
            b.sign(ca_key, MessageDigest::sha256()).unwrap();
        }
    }
    b.build()
}

struct WeakDhServer {
    _child: Child,
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    ca: X509,
}

/// Starts `openssl s_server` with DHE-only TLS 1.2 ciphers and RFC 5114's 1024-bit group, and
/// waits for its "ACCEPT" line (the event that it listens) instead of sleeping.
async fn start_server() -> WeakDhServer {
    let ca_key = key();
    let ca = cert("Test CA", &ca_key, None, &[]);
    let srv_key = key();
    let srv = cert(
        AFIP_HOST,
        &srv_key,
        Some((&ca, &ca_key)),
        &[AFIP_HOST, OTHER_HOST],
    );
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("cert.pem"), srv.to_pem().unwrap()).unwrap();
    std::fs::write(p("key.pem"), srv_key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let dh = Dh::get_1024_160().unwrap();
    std::fs::write(p("dh.pem"), dh.params_to_pem().unwrap()).unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("openssl")
        .arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(p("cert.pem"))
        .arg("-key")
        .arg(p("key.pem"))
        .arg("-dhparam")
        .arg(p("dh.pem"))
        .args([
            "-cipher",
            "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-SHA:@SECLEVEL=0",
            "-no_tls1_3",
            "-www",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the openssl CLI is installed (Debian package `openssl`)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("ACCEPT") {
                return;
            }
        }
        panic!("s_server exited before listening");
    })
    .await
    .expect("s_server listens within 20 s");
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    WeakDhServer {
        _child: child,
        _dir: dir,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        ca,
    }
}

fn url(host: &str, addr: SocketAddr) -> Url {
    Url::parse(&format!("https://{host}:{}/", addr.port())).unwrap()
}

fn client(settings: TlsSettings, addr: SocketAddr) -> HttpClient {
    HttpClient::new(settings)
        .with_resolve(AFIP_HOST, addr)
        .with_resolve(OTHER_HOST, addr)
}

fn assert_dh_too_small(r: Result<(), TransportError>) {
    match r {
        Err(TransportError::Tls { detail, .. }) => {
            assert!(detail.contains("dh key too small"), "{detail}")
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[tokio::test]
async fn afip_override_accepts_weak_dh_only_for_afip_hosts() {
    let server = start_server().await;
    let t = Duration::from_secs(10);

    // Default (strict) configuration: refused.
    let strict = client(
        TlsSettings::strict().with_root(server.ca.clone()),
        server.addr,
    );
    assert_dh_too_small(strict.handshake(&url(AFIP_HOST, server.addr), t).await);

    // The AFIP override: accepted for AFIP's host...
    let afip = client(
        TlsSettings::afip().with_root(server.ca.clone()),
        server.addr,
    );
    afip.handshake(&url(AFIP_HOST, server.addr), t)
        .await
        .expect("AFIP host negotiates DHE-1024 with the override");
    // ...while another host on the same client keeps the strict default.
    assert_dh_too_small(afip.handshake(&url(OTHER_HOST, server.addr), t).await);

    // Certificate verification stays on: without the test CA the AFIP host fails too.
    let untrusted = client(TlsSettings::afip(), server.addr);
    match untrusted.handshake(&url(AFIP_HOST, server.addr), t).await {
        Err(TransportError::Tls { detail, .. }) => {
            assert!(detail.contains("certificate verify failed"), "{detail}")
        }
        other => panic!("expected a verification failure, got {other:?}"),
    }
}
