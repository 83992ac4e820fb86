//! The demo shop's AFIP: at every start the demo makes its own test CA (the simulator trusts it,
//! playing AFIP's "Computadores" CA), a key and CSR through the real set-up flow, a certificate
//! for the demo CUIT signed by that CA, runs "Probar" against the simulator and picks the point
//! of sale, so "Nueva factura" works out of the box in homologación. A new CA per start because
//! the simulator keeps nothing across restarts; the key stays in the demo's keychain entries
//! (deleted by "Salir del demo").
//!
//! What AFIP would remember from earlier runs is told to the new simulator at start, from the
//! demo's database ([`replay`]): the numbers used, the CAEAs granted and the CAEA invoices it
//! accepted. The simulator is not made to persist itself: the app's database is the only record
//! the demo has, the simulator stays a stateless stand-in that tests start clean, and a replay
//! through its public API is visibly a simulator feature rather than a pretend AFIP memory.

use chrono::Utc;
use mostrador_afip::transport::HttpClient;
use mostrador_afip::Endpoints;
use mostrador_sandbox::afip::caea::GrantedCaea;
use mostrador_sandbox::afip::test_ca::TestCa;
use mostrador_sandbox::afip::{AfipSim, RestoredInvoice};

use super::DemoError;
use crate::invoicing::certificate::{AfipEnvironment, AfipSetup, IssuerProfile};
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::store::Store;

/// The demo's web-service point of sale.
pub const DEMO_POINT_OF_SALE: u32 = 1;
/// The demo's contingency (CAEA) point of sale; its CAEA is obtained by the start-up pass.
pub const DEMO_CAEA_POINT_OF_SALE: u32 = 90;
const ALIAS: &str = "mostrador-demo";

fn afip_error(e: impl std::fmt::Display) -> DemoError {
    DemoError::Afip(e.to_string())
}

/// Sets up the demo business's AFIP against `sim`, served under `afip_base` (`…/afip`).
pub(super) async fn configure(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    sim: &AfipSim,
    afip_base: &str,
) -> Result<(), DemoError> {
    // RSA generation is CPU work: off the async runtime.
    let ca = tokio::task::spawn_blocking(|| TestCa::generate("Computadores Demo"))
        .await
        .map_err(afip_error)?
        .map_err(afip_error)?;
    sim.trust_ca(ca.certificate().clone());
    sim.set_points_of_sale(Some([DEMO_POINT_OF_SALE].into_iter().collect()));
    sim.set_caea_points_of_sale([DEMO_CAEA_POINT_OF_SALE].into_iter().collect());
    replay(store, org, sim).await?;

    let setup = AfipSetup::new(store.clone(), secrets.clone());
    setup
        .set_environment(org, AfipEnvironment::Homologacion)
        .await
        .map_err(afip_error)?;
    let request = setup
        .generate_request(org, ALIAS)
        .await
        .map_err(afip_error)?;
    let now = Utc::now();
    let cert = ca
        .sign_csr(
            request.pem.as_bytes(),
            now - chrono::Duration::days(1),
            now + chrono::Duration::days(730),
        )
        .map_err(afip_error)?
        .to_pem()
        .map_err(afip_error)?;
    // Also drops the previous run's ticket: this simulator never issued it.
    setup
        .import_certificate(org, &cert, now)
        .await
        .map_err(afip_error)?;
    let endpoints = Endpoints::under(afip_base).map_err(afip_error)?;
    setup
        .probe(org, &endpoints, &HttpClient::default(), now)
        .await
        .map_err(afip_error)?;
    setup
        .set_point_of_sale(org, DEMO_POINT_OF_SALE)
        .await
        .map_err(afip_error)?;
    if setup
        .issuer(org)
        .await
        .map_err(afip_error)?
        .address
        .is_empty()
    {
        setup
            .set_issuer(
                org,
                &IssuerProfile {
                    legal_name: Some(super::DEMO_BUSINESS_NAME.into()),
                    trade_name: None,
                    address: "Av. Siempre Viva 742, CABA".into(),
                    iibb: "901-000000-1".into(),
                    activity_start: chrono::NaiveDate::from_ymd_opt(2020, 3, 1),
                    logo_path: None,
                },
            )
            .await
            .map_err(afip_error)?;
    }
    crate::invoicing::caea::settings::enable_for_demo(store, org, &[DEMO_CAEA_POINT_OF_SALE])
        .await
        .map_err(afip_error)?;
    tracing::info!(%org, "demo AFIP ready");
    Ok(())
}

/// The simulator starts empty at every start while the demo's database remembers its invoices:
/// it is brought to what the real AFIP would have, so the next invoice of each sequence takes the
/// next number instead of colliding and contingency invoices issued before a restart can still be
/// informed:
/// - CAE sequences: up to the numbers already used (placeholders);
/// - every CAEA stored (FECAEAConsultar finds it, FECAEARegInformativo accepts it);
/// - the CAEA invoices AFIP accepted, with their number, date and CAEA (the ones still to inform
///   are not at AFIP: their numbers stay the next ones to inform).
async fn replay(store: &Store, org: OrgId, sim: &AfipSim) -> Result<(), DemoError> {
    let db = |e: sqlx::Error| DemoError::Store(e.into());
    let used: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT issuer_cuit, point_of_sale, voucher_type, max(number) FROM (
             SELECT issuer_cuit, point_of_sale, voucher_type, number FROM invoices
             WHERE org_id = ?1 AND number IS NOT NULL AND emission = 'CAE'
             UNION ALL
             SELECT issuer_cuit, point_of_sale, voucher_type, number FROM afip_foreign_invoices
             WHERE org_id = ?1)
         GROUP BY issuer_cuit, point_of_sale, voucher_type",
    )
    .bind(org.to_string())
    .fetch_all(store.reader())
    .await
    .map_err(db)?;
    for (cuit, pos, voucher_type, last) in used {
        let cuit: u64 = cuit.parse().map_err(afip_error)?;
        for _ in 0..last {
            sim.insert_foreign_invoice(cuit, pos as u32, voucher_type as u16);
        }
    }

    let cuit: u64 = crate::org::get(store, org)
        .await
        .map_err(afip_error)?
        .cuit
        .digits()
        .parse()
        .map_err(afip_error)?;
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(afip_error);
    type CaeaRow = (i64, i64, String, String, String, String, String);
    let caeas: Vec<CaeaRow> = sqlx::query_as(
        "SELECT period, half, caea, valid_from, valid_to, report_by, obtained_at
         FROM afip_caeas WHERE org_id = ?",
    )
    .bind(org.to_string())
    .fetch_all(store.reader())
    .await
    .map_err(db)?;
    for (period, half, code, from, to, report_by, obtained_at) in caeas {
        sim.restore_caea(GrantedCaea {
            cuit,
            code,
            period: period as u32,
            order: half as u8,
            valid_from: date(&from)?,
            valid_to: date(&to)?,
            report_by: date(&report_by)?,
            // FchProceso (yyyymmddhhmiss) from the stored timestamp's digits.
            processed_at: obtained_at
                .chars()
                .filter(char::is_ascii_digit)
                .take(14)
                .collect(),
        });
    }
    let informed: Vec<(i64, i64, i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT i.point_of_sale, i.voucher_type, i.number, i.caea, i.date, c.valid_to
         FROM caea_invoices i LEFT JOIN afip_caeas c ON c.org_id = i.org_id AND c.caea = i.caea
         WHERE i.org_id = ? AND i.state = 'informed'",
    )
    .bind(org.to_string())
    .fetch_all(store.reader())
    .await
    .map_err(db)?;
    for (pos, voucher_type, number, code, on, due) in informed {
        let on = date(&on)?;
        sim.restore_invoice(RestoredInvoice {
            cuit,
            point_of_sale: pos as u32,
            voucher_type: voucher_type as u16,
            number: number as u64,
            date: on,
            code,
            code_due: due.as_deref().map(date).transpose()?.unwrap_or(on),
            emission: "CAEA",
        });
    }
    Ok(())
}

/// Every keychain entry the demo's AFIP set-up may have made.
pub(super) fn secret_names() -> Vec<String> {
    let env = AfipEnvironment::Homologacion;
    vec![
        env.key_secret(),
        env.pending_key_secret(),
        env.ticket_secret(crate::invoicing::certificate::WSFE),
        env.ticket_secret(mostrador_afip::padron::SERVICE),
    ]
}
