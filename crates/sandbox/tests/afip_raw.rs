//! The AFIP simulator over raw HTTP, without the client (which lives in crates/afip and is tested
//! against this simulator there): routing, the .NET reader's namespace rule, and refusals.

use mostrador_sandbox::Sandbox;

const FEV1: &str = "http://ar.gov.afip.dif.FEV1/";

async fn post(sandbox: &Sandbox, action: Option<&str>, body: String) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/wsfev1/service.asmx", sandbox.afip_url()))
        .header("content-type", "text/xml; charset=utf-8")
        .body(body);
    if let Some(a) = action {
        req = req.header("SOAPAction", format!("\"{FEV1}{a}\""));
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn envelope(inner: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>{inner}</soap:Body></soap:Envelope>")
}

#[tokio::test]
async fn unqualified_auth_is_missing_and_dtds_are_refused() {
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    // FEDummy routed by the body element when there is no SOAPAction.
    let (status, body) = post(
        &sandbox,
        None,
        envelope(&format!("<FEDummy xmlns=\"{FEV1}\"/>")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("<AppServer>OK</AppServer>"), "{body}");

    // The operation is qualified but Auth is not: .NET never sees it, "Campo Auth" (500).
    let (status, body) = post(
        &sandbox,
        Some("FECompUltimoAutorizado"),
        envelope(&format!("<fe:FECompUltimoAutorizado xmlns:fe=\"{FEV1}\"><Auth><Token>t</Token><Sign>s</Sign><Cuit>20267565393</Cuit></Auth><fe:PtoVta>1</fe:PtoVta><fe:CbteTipo>6</fe:CbteTipo></fe:FECompUltimoAutorizado>")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<Code>500</Code>") && body.contains("Campo Auth"),
        "{body}"
    );
    // With Auth qualified, an unknown token is a 600.
    let (_, body) = post(
        &sandbox,
        Some("FECompUltimoAutorizado"),
        envelope(&format!("<FECompUltimoAutorizado xmlns=\"{FEV1}\"><Auth><Token>t</Token><Sign>s</Sign><Cuit>20267565393</Cuit></Auth><PtoVta>1</PtoVta><CbteTipo>6</CbteTipo></FECompUltimoAutorizado>")),
    )
    .await;
    assert!(body.contains("<Code>600</Code>"), "{body}");

    // A document with a DTD is not read at all.
    let (status, body) = post(
        &sandbox,
        Some("FEDummy"),
        format!(
            "<!DOCTYPE x [<!ENTITY e \"y\">]>{}",
            envelope(&format!("<FEDummy xmlns=\"{FEV1}\"/>"))
        ),
    )
    .await;
    assert_eq!(status, 500);
    assert!(body.contains("soap:Fault"), "{body}");

    // An unknown operation is a SOAP fault naming the SOAPAction.
    let (status, body) = post(&sandbox, Some("FENoExiste"), envelope("")).await;
    assert_eq!(status, 500);
    assert!(body.contains("FENoExiste"), "{body}");
}
