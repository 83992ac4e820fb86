//! The recovery contract after a lost or conflicting FECAESolicitar: strict reading of
//! FECompConsultar and FECAESolicitar, the tri-state comparison, and the numbering-conflict
//! recipe (issue 15, points 8–10). Each case here once let a caller issue a second CAE or loop.

mod sandbox_support;

use chrono::NaiveDate;
use mostrador_afip::invoice::*;
use mostrador_afip::wsfe::response::{parse_body, Body};
use mostrador_afip::wsfe::{
    resolve_numbering_conflict, Authorization, Cae, Comparison, ConflictResolution,
    ConsultedInvoice, Rejection,
};
use mostrador_afip::xml;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 10).unwrap()
}

fn factura_b() -> Invoice {
    sandbox_support::factura_b(day())
}

/// A `ResultGet` as AFIP returns it for our Factura B number 1, with `edit` applied.
fn result_get(edit: impl Fn(String) -> String) -> String {
    edit("<ResultGet xmlns=\"http://ar.gov.afip.dif.FEV1/\"><Concepto>1</Concepto><DocTipo>99</DocTipo><DocNro>0</DocNro><CbteDesde>1</CbteDesde><CbteHasta>1</CbteHasta><CbteFch>20250710</CbteFch><ImpTotal>121</ImpTotal><ImpTotConc>0</ImpTotConc><ImpNeto>100</ImpNeto><ImpOpEx>0</ImpOpEx><ImpTrib>0</ImpTrib><ImpIVA>21</ImpIVA><FchServDesde /><FchServHasta /><FchVtoPago /><MonId>PES</MonId><MonCotiz>1</MonCotiz><CondicionIVAReceptorId>5</CondicionIVAReceptorId><Iva><AlicIva><Id>5</Id><BaseImp>100</BaseImp><Importe>21</Importe></AlicIva></Iva><Resultado>A</Resultado><CodAutorizacion>75000000007919</CodAutorizacion><EmisionTipo>CAE</EmisionTipo><FchVto>20250720</FchVto><FchProceso>20250710120000</FchProceso><PtoVta>3</PtoVta><CbteTipo>6</CbteTipo></ResultGet>".to_owned())
}

fn consulted(edit: impl Fn(String) -> String) -> Result<ConsultedInvoice, String> {
    let g = xml::parse(&result_get(edit)).unwrap();
    ConsultedInvoice::from_result_get(&g).map_err(|e| e.to_string())
}

fn cae() -> Cae {
    Cae::parse("75000000007919").unwrap()
}

#[test]
fn our_invoice_as_afip_stored_it_is_the_same() {
    let c = consulted(|s| s).unwrap();
    assert_eq!(c.compare(&factura_b(), 1), Comparison::Same(cae()));
    // Normalized or not, and within AFIP's 0.01, the amounts are the same.
    let c = consulted(|s| s.replace("<ImpTotal>121</ImpTotal>", "<ImpTotal>121.01</ImpTotal>"))
        .unwrap();
    assert_eq!(c.compare(&factura_b(), 1), Comparison::Same(cae()));
    let c = consulted(|s| s.replace("<ImpTotal>121</ImpTotal>", "<ImpTotal>1.21E+2</ImpTotal>"))
        .unwrap();
    assert_eq!(c.compare(&factura_b(), 1), Comparison::Same(cae()));
}

#[test]
fn unreadable_values_fail_the_parse_instead_of_becoming_zero_or_a_match() {
    // Old behaviour: "121,00" became 0 ⇒ "a foreign invoice took the number" ⇒ a second CAE.
    for (from, to) in [
        ("<ImpTotal>121</ImpTotal>", "<ImpTotal>121,00</ImpTotal>"),
        ("<ImpTotal>121</ImpTotal>", "<ImpTotal />"),
        ("<ImpIVA>21</ImpIVA>", ""),
        // Old behaviour: an unreadable rate counted as a match.
        ("<MonCotiz>1</MonCotiz>", "<MonCotiz>1,0</MonCotiz>"),
        ("<MonCotiz>1</MonCotiz>", "<MonCotiz />"),
        ("<Importe>21</Importe>", "<Importe>veintiuno</Importe>"),
        ("<DocNro>0</DocNro>", "<DocNro>x</DocNro>"),
        (
            "<CbteFch>20250710</CbteFch>",
            "<CbteFch>2025-07-10</CbteFch>",
        ),
        (
            "<CondicionIVAReceptorId>5</CondicionIVAReceptorId>",
            "<CondicionIVAReceptorId>CF</CondicionIVAReceptorId>",
        ),
        ("<Resultado>A</Resultado>", "<Resultado>Z</Resultado>"),
    ] {
        let r = consulted(|s| s.replace(from, to));
        assert!(r.is_err(), "{to:?} must not parse: {r:?}");
    }
}

#[test]
fn a_real_difference_is_different_and_names_the_field() {
    let c = consulted(|s| s.replace("<ImpTotal>121</ImpTotal>", "<ImpTotal>121.02</ImpTotal>"))
        .unwrap();
    assert_eq!(
        c.compare(&factura_b(), 1),
        Comparison::Different(vec!["ImpTotal"])
    );
    let c = consulted(|s| {
        s.replace(
            "<DocTipo>99</DocTipo><DocNro>0</DocNro>",
            "<DocTipo>96</DocTipo><DocNro>30123456</DocNro>",
        )
    })
    .unwrap();
    assert_eq!(
        c.compare(&factura_b(), 1),
        Comparison::Different(vec!["DocTipo", "DocNro"])
    );
    let c = consulted(|s| s.replace("<MonCotiz>1</MonCotiz>", "<MonCotiz>1.5</MonCotiz>")).unwrap();
    assert_eq!(
        c.compare(&factura_b(), 1),
        Comparison::Different(vec!["MonCotiz"])
    );
    // Asked about a different number than the one consulted: never "the same".
    let c = consulted(|s| s).unwrap();
    assert!(matches!(
        c.compare(&factura_b(), 2),
        Comparison::Different(_)
    ));
}

#[test]
fn adopting_needs_an_approved_cae_with_fourteen_digits() {
    for (from, to) in [
        ("<Resultado>A</Resultado>", "<Resultado>R</Resultado>"),
        ("<Resultado>A</Resultado>", "<Resultado />"),
        (
            "<CodAutorizacion>75000000007919</CodAutorizacion>",
            "<CodAutorizacion>7500</CodAutorizacion>",
        ),
        (
            "<CodAutorizacion>75000000007919</CodAutorizacion>",
            "<CodAutorizacion />",
        ),
        (
            "<EmisionTipo>CAE</EmisionTipo>",
            "<EmisionTipo>CAEA</EmisionTipo>",
        ),
        (
            "<CondicionIVAReceptorId>5</CondicionIVAReceptorId>",
            "<CondicionIVAReceptorId />",
        ),
    ] {
        let c = consulted(|s| s.replace(from, to)).unwrap();
        assert!(
            matches!(c.compare(&factura_b(), 1), Comparison::Unknown(_)),
            "{to:?}: {:?}",
            c.compare(&factura_b(), 1)
        );
    }
}

fn authorization(detail: &str, cab_resultado: &str, errors: &str) -> Result<Authorization, String> {
    let doc = format!("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><FECAESolicitarResponse xmlns=\"http://ar.gov.afip.dif.FEV1/\"><FECAESolicitarResult><FeCabResp><Cuit>20267565393</Cuit><PtoVta>3</PtoVta><CbteTipo>6</CbteTipo><FchProceso>20250710120000</FchProceso><CantReg>1</CantReg><Resultado>{cab_resultado}</Resultado><Reproceso>N</Reproceso></FeCabResp><FeDetResp><FECAEDetResponse><Concepto>1</Concepto><DocTipo>99</DocTipo><DocNro>0</DocNro><CbteDesde>1</CbteDesde><CbteHasta>1</CbteHasta><CbteFch>20250710</CbteFch>{detail}</FECAEDetResponse></FeDetResp>{errors}</FECAESolicitarResult></FECAESolicitarResponse></soap:Body></soap:Envelope>");
    let Ok(Body::Result(r)) = parse_body(&doc, "FECAESolicitar") else {
        panic!("not a result")
    };
    Authorization::from_result(&r).map_err(|e| e.to_string())
}

#[test]
fn an_approval_needs_a_typed_cae_and_its_due_date() {
    let ok = authorization(
        "<Resultado>A</Resultado><CAE>71263951827464</CAE><CAEFchVto>20250720</CAEFchVto>",
        "A",
        "",
    )
    .unwrap();
    assert!(ok.is_approved());
    assert_eq!(ok.cae, Some(Cae::parse("71263951827464").unwrap()));
    for detail in [
        "<Resultado>A</Resultado><CAE>7126</CAE><CAEFchVto>20250720</CAEFchVto>",
        "<Resultado>A</Resultado><CAE /><CAEFchVto>20250720</CAEFchVto>",
        "<Resultado>A</Resultado><CAE>71263951827464</CAE><CAEFchVto />",
        "<Resultado>R</Resultado><CAE>71263951827464</CAE><CAEFchVto>20250720</CAEFchVto>",
    ] {
        assert!(authorization(detail, "A", "").is_err(), "{detail}");
    }
    assert!(authorization(
        "<Resultado>A</Resultado><CAE>71263951827464</CAE><CAEFchVto>20250720</CAEFchVto>",
        "P",
        ""
    )
    .is_err());
    assert!(authorization(
        "<Resultado>A</Resultado><CAE>71263951827464</CAE><CAEFchVto>20250720</CAEFchVto>",
        "",
        ""
    )
    .is_err());
}

#[test]
fn ten_zero_sixteen_as_obs_is_a_date_rejection_not_a_numbering_conflict() {
    let window = authorization(
        "<Resultado>R</Resultado><Observaciones><Obs><Code>10016</Code><Msg>Campo CbteFch Debe estar comprendido  en el  rango  N-5 y N+5 siendo N la fecha de envio del pedido  de autorizacion para 1 - Productos</Msg></Obs></Observaciones><CAE /><CAEFchVto />",
        "R",
        "",
    )
    .unwrap();
    assert_eq!(window.rejection(), Some(Rejection::DateRejected));
    assert!(window.is_date_rejection() && !window.is_numbering_conflict());

    let numbering = authorization(
        "<Resultado>R</Resultado><CAE /><CAEFchVto />",
        "R",
        "<Errors><Err><Code>10016</Code><Msg>El numero o fecha del comprobante no se corresponde con el proximo a autorizar. Consultar metodo FECompUltimoAutorizado.</Msg></Err></Errors>",
    )
    .unwrap();
    assert_eq!(numbering.rejection(), Some(Rejection::NumberingConflict));
    assert!(numbering.is_numbering_conflict() && !numbering.is_date_rejection());

    let other = authorization(
        "<Resultado>R</Resultado><Observaciones><Obs><Code>10048</Code><Msg>x</Msg></Obs></Observaciones><CAE /><CAEFchVto />",
        "R",
        "",
    )
    .unwrap();
    assert_eq!(other.rejection(), Some(Rejection::Other));
}

#[test]
fn the_numbering_conflict_recipe_never_says_resend() {
    let inv = factura_b();
    let ours = consulted(|s| s).unwrap();
    let foreign =
        consulted(|s| s.replace("<ImpTotal>121</ImpTotal>", "<ImpTotal>1</ImpTotal>")).unwrap();
    let doubtful = consulted(|s| s.replace("<Resultado>A</Resultado>", "<Resultado />")).unwrap();

    assert_eq!(
        resolve_numbering_conflict(&inv, 1, Some(&ours), 1),
        ConflictResolution::Adopt(cae())
    );
    assert_eq!(
        resolve_numbering_conflict(&inv, 1, Some(&foreign), 1),
        ConflictResolution::NumberTaken {
            next: 2,
            differs: vec!["ImpTotal".into()]
        }
    );
    assert!(matches!(
        resolve_numbering_conflict(&inv, 1, Some(&doubtful), 1),
        ConflictResolution::StillInDoubt(_)
    ));
    // Number 5 is free and AFIP's last is 3: the number was the problem.
    assert_eq!(
        resolve_numbering_conflict(&inv, 5, None, 3),
        ConflictResolution::NumberNotNext { next: 4 }
    );
    // Number 4 is free and is the next one: Err 10016 was about the date (earlier than the last).
    assert_eq!(
        resolve_numbering_conflict(&inv, 4, None, 3),
        ConflictResolution::DateRejected
    );
}
