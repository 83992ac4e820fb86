//! WSAA against the simulator over real HTTP: login, ticket shape, reuse refusal, CMS checks,
//! time window and classified faults.

mod sandbox_support;

use std::time::Duration;

use base64::Engine;
use chrono::Duration as ChronoDuration;
use mostrador_afip::transport::HttpClient;
use mostrador_afip::wsaa::envelope::{login_cms_request, parse_login_response, LoginResponse};
use mostrador_afip::wsaa::{CertificateInfo, LoginTicketRequest, WsaaError};
use mostrador_afip::Endpoints;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use sandbox_support::*;

async fn raw_login(env: &Env, der: &[u8]) -> (u16, LoginResponse) {
    let url = Endpoints::under(&env.sandbox.afip_url()).unwrap().wsaa;
    let body = login_cms_request(&base64::engine::general_purpose::STANDARD.encode(der));
    let resp = HttpClient::default()
        .post_soap(&url, "", body, Duration::from_secs(10))
        .await
        .unwrap();
    (resp.status, parse_login_response(&resp.body).unwrap())
}

fn tra_xml(env: &Env) -> String {
    LoginTicketRequest::new("wsfe", env.sim().now()).to_xml()
}

fn assert_fault(got: (u16, LoginResponse), expected: &str) {
    match got {
        (500, LoginResponse::Fault { code, .. }) => assert_eq!(code, expected),
        other => panic!("expected fault {expected}, got {other:?}"),
    }
}

#[tokio::test]
async fn login_issues_a_12h_ticket_and_refuses_a_second_one() {
    let env = Env::start().await;
    let login = env
        .wsaa
        .login(&env.signer, "wsfe", env.sim().now())
        .await
        .unwrap();
    let ta = &login.ticket;
    assert_eq!(
        ta.expiration_time - ta.generation_time,
        ChronoDuration::hours(12)
    );
    assert_eq!(ta.generation_time.offset().local_minus_utc(), -3 * 3600);
    assert!(ta.is_valid(env.sim().now()));
    assert!(!ta.is_valid(env.sim().now() + ChronoDuration::hours(12)));
    assert!(
        ta.destination.contains("CUIT 20267565393"),
        "{}",
        ta.destination
    );
    // The token is base64 of an <sso> document with the relations.
    let sso = base64::engine::general_purpose::STANDARD
        .decode(ta.token.expose())
        .unwrap();
    let sso = String::from_utf8(sso).unwrap();
    assert!(
        sso.contains(r#"<relation key="20267565393" reltype="4"/>"#),
        "{sso}"
    );
    // The request went out with the CMS, the response came back escaped.
    assert!(login.exchange.request_xml.contains("<wsaa:in0>"));
    assert!(login
        .exchange
        .response_xml
        .as_deref()
        .unwrap()
        .contains("&lt;loginTicketResponse"));
    // The stored exchange carries neither the CMS nor the credentials.
    let stored = login.exchange.response_xml.as_deref().unwrap();
    assert!(!stored.contains(ta.token.expose()) && !stored.contains(ta.sign.expose()));
    assert!(login
        .exchange
        .request_xml
        .contains("<wsaa:in0>***</wsaa:in0>"));
    // Debug never shows secrets or bodies.
    let dbg = format!("{login:?}");
    assert!(
        !dbg.contains(ta.token.expose()) && !dbg.contains("in0"),
        "{dbg}"
    );

    // While the ticket is valid, WSAA refuses another one.
    let err = env
        .wsaa
        .login(&env.signer, "wsfe", env.sim().now())
        .await
        .unwrap_err();
    assert!(matches!(err, WsaaError::AlreadyAuthenticated), "{err:?}");
    assert!(err.to_string().contains("stored ticket"));

    // Once it expires, a new one is issued.
    env.sim()
        .advance(ChronoDuration::hours(12) + ChronoDuration::minutes(1));
    env.wsaa
        .login(&env.signer, "wsfe", env.sim().now())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_untrusted() {
    let env = Env::start().await;
    let other_ca = ca("Otra AC");
    let signer = signer_of(&leaf(&other_ca, ISSUER, -1, 365));
    let err = env
        .wsaa
        .login(&signer, "wsfe", env.sim().now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WsaaError::CertificateUntrusted { code, .. } if code == "cms.cert.untrusted"),
        "{err:?}"
    );
}

#[tokio::test]
async fn detached_cms_is_refused() {
    let env = Env::start().await;
    let pair = leaf(&env.ca, ISSUER, -1, 365);
    let p7 = Pkcs7::sign(
        &pair.0,
        &pair.1,
        &Stack::new().unwrap(),
        tra_xml(&env).as_bytes(),
        Pkcs7Flags::DETACHED | Pkcs7Flags::BINARY,
    )
    .unwrap();
    assert_fault(
        raw_login(&env, &p7.to_der().unwrap()).await,
        "cms.sign.invalid",
    );
}

#[tokio::test]
async fn tampered_tra_is_refused() {
    let env = Env::start().await;
    let mut der = env.signer.sign_der(tra_xml(&env).as_bytes()).unwrap();
    let at = der
        .windows(4)
        .position(|w| w == b"wsfe")
        .expect("the TRA travels inside the CMS");
    der[at + 3] = b'x';
    assert_fault(raw_login(&env, &der).await, "cms.sign.invalid");
    // The untouched CMS is accepted.
    let der = env.signer.sign_der(tra_xml(&env).as_bytes()).unwrap();
    assert!(matches!(
        raw_login(&env, &der).await,
        (200, LoginResponse::Ticket(_))
    ));
}

#[tokio::test]
async fn cms_without_certificate_or_garbage_is_refused() {
    let env = Env::start().await;
    let pair = leaf(&env.ca, ISSUER, -1, 365);
    let p7 = Pkcs7::sign(
        &pair.0,
        &pair.1,
        &Stack::new().unwrap(),
        tra_xml(&env).as_bytes(),
        Pkcs7Flags::NOCERTS | Pkcs7Flags::BINARY,
    )
    .unwrap();
    assert_fault(
        raw_login(&env, &p7.to_der().unwrap()).await,
        "cms.cert.notFound",
    );
    assert_fault(raw_login(&env, b"not a cms").await, "cms.bad");
}

#[tokio::test]
async fn expired_certificate_is_classified() {
    let env = Env::start().await;
    let signer = signer_of(&leaf(&env.ca, ISSUER, -400, -10));
    let err = env
        .wsaa
        .login(&signer, "wsfe", env.sim().now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, WsaaError::CertificateExpired { .. }),
        "{err:?}"
    );
    let info = CertificateInfo::from_x509(signer.certificate()).unwrap();
    assert_eq!(info.cuit, Some(issuer()));
    assert!(!info.is_valid_at(chrono::Utc::now()));
}

#[tokio::test]
async fn clock_skew_is_detected_from_the_server_date() {
    let env = Env::start().await;
    // The local clock runs two hours ahead of AFIP's: generationTime is in AFIP's future.
    let local_now = env.sim().now() + ChronoDuration::hours(2);
    let err = env
        .wsaa
        .login(&env.signer, "wsfe", local_now)
        .await
        .unwrap_err();
    match err {
        WsaaError::ClockSkew {
            code, skew_seconds, ..
        } => {
            assert_eq!(code, "xml.generationTime.invalid");
            let skew = skew_seconds.expect("Date header present");
            assert!((7190..=7210).contains(&skew), "skew {skew}");
        }
        other => panic!("expected ClockSkew, got {other:?}"),
    }
    // Far behind: the expiration time has already passed for AFIP.
    let err = env
        .wsaa
        .login(
            &env.signer,
            "wsfe",
            env.sim().now() - ChronoDuration::hours(3),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WsaaError::ClockSkew { code, .. } if code == "xml.expirationTime.expired"),
        "{err:?}"
    );
}

#[tokio::test]
async fn unauthorized_service_and_missing_soapaction() {
    let env = Env::start().await;
    env.sim().revoke_service("wsfe");
    let err = env
        .wsaa
        .login(&env.signer, "wsfe", env.sim().now())
        .await
        .unwrap_err();
    assert!(matches!(err, WsaaError::NotAuthorized { .. }), "{err:?}");
    let err = env
        .wsaa
        .login(&env.signer, "no_such_service", env.sim().now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, WsaaError::NotAuthorized { ref code, .. } if code == "wsn.notFound"),
        "{err:?}"
    );

    // Axis requires the SOAPAction header (any value).
    let url = format!("{}/ws/services/LoginCms", env.sandbox.afip_url());
    let resp = reqwest::Client::new()
        .post(url)
        .header("content-type", "text/xml")
        .body(login_cms_request("AAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let body = resp.text().await.unwrap();
    assert!(body.contains("ns1:Client.NoSOAPAction"), "{body}");
}
