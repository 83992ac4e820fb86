//! Local overhead per invoice, excluding AFIP: validate (local rules + totals), persist (the row,
//! its items and its `afip.submit` job in one transaction on a real SQLite file, synchronous=FULL),
//! build (the FECAEDetRequest and the FECAESolicitar envelope), parse (an authorization answer),
//! and PDF: the authorized invoice as its printable document (the A4 render of what `document::build`
//! reads back, built here from the same data in memory) — the whole figure issue 13 asks for.
//! Target: p99 ≤ 5 ms for all of it. The backlog drain rate (invoices/s with the WSAA login count) is printed by
//! `cargo test -p mostrador-core --release --test invoicing_offline -- --nocapture`.
//!
//! `cargo bench -p mostrador-core --bench invoicing` (`BENCH_DIR=/dev/shm` puts the database on
//! tmpfs, which shows the cost without the disk's fsync; `BENCH_N` sets the count).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mostrador_afip::invoice::InvoiceSettings;
use mostrador_afip::qr::{AuthorizationKind, DEFAULT_QR_URL};
use mostrador_afip::wsaa::AccessTicket;
use mostrador_afip::wsfe::{envelope, response, Auth, Authorization};
use mostrador_core::invoicing::document::printed_line;
use mostrador_core::invoicing::model::{ItemInput, ItemIva, NewInvoice};
use mostrador_core::invoicing::repo::{self, Sequence};
use mostrador_core::invoicing::validate::{prepare, Issuer};
use mostrador_core::invoicing::{InvoiceState, SubmitPayload, KIND};
use mostrador_core::org::{self, NewOrganization};
use mostrador_core::store::Store;
use mostrador_documents::Layout;
use mostrador_queue::{NewJob, Queue};
use mostrador_testkit::bench::thread_cpu as cpu;
use mostrador_types::{Cuit, IvaCondition};

const ANSWER: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><FECAESolicitarResponse xmlns="http://ar.gov.afip.dif.FEV1/"><FECAESolicitarResult><FeCabResp><Cuit>20267565393</Cuit><PtoVta>3</PtoVta><CbteTipo>6</CbteTipo><FchProceso>20261129120000</FchProceso><CantReg>1</CantReg><Resultado>A</Resultado><Reproceso>N</Reproceso></FeCabResp><FeDetResp><FECAEDetResponse><Concepto>1</Concepto><DocTipo>99</DocTipo><DocNro>0</DocNro><CbteDesde>NUMBER</CbteDesde><CbteHasta>NUMBER</CbteHasta><CbteFch>20261129</CbteFch><Resultado>A</Resultado><CAE>75000000007919</CAE><CAEFchVto>20261209</CAEFchVto></FECAEDetResponse></FeDetResp></FECAESolicitarResult></FECAESolicitarResponse></soap:Body></soap:Envelope>"#;

const TICKET: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><loginTicketResponse version="1.0"><header><source>CN=wsaahomo</source><destination>SERIALNUMBER=CUIT 20267565393</destination><uniqueId>1</uniqueId><generationTime>2026-11-29T09:00:00.000-03:00</generationTime><expirationTime>2026-11-29T21:00:00.000-03:00</expirationTime></header><credentials><token>dG9rZW4=</token><sign>c2lnbg==</sign></credentials></loginTicketResponse>"#;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    // BENCH_DIR=/dev/shm separates the CPU cost from the disk's fsync latency.
    let dir = match std::env::var("BENCH_DIR") {
        Ok(d) => tempfile::tempdir_in(d).unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    };
    let store = Store::open(&dir.path().join("bench.sqlite3"))
        .await
        .unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Almacén".into(),
            cuit: "20-26756539-3".into(),
            iva_condition: IvaCondition::ResponsableInscripto,
        },
    )
    .await
    .unwrap()
    .id;
    let queue = Queue::builder(store.writer().clone())
        .reader(store.reader().clone())
        .build();
    let issuer = Issuer {
        cuit: Cuit::parse("20-26756539-3").unwrap(),
        condition: IvaCondition::ResponsableInscripto,
        point_of_sale: 3,
    };
    let settings = InvoiceSettings::default();
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let ticket = AccessTicket::parse("wsfe", TICKET).unwrap();
    let auth = Auth {
        ticket: &ticket,
        cuit: issuer.cuit,
    };

    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut samples = Vec::with_capacity(n);
    // The whole figure, PDF included.
    let mut with_pdf = Vec::with_capacity(n);
    // The PDF phase's CPU time (on a loaded machine its wall time is mostly waiting for a core).
    let mut pdf_cpu = Vec::with_capacity(n);
    // Per phase: validate, persist, build, parse, PDF.
    let mut phases: [Vec<Duration>; 5] = Default::default();
    for i in 0..n {
        let new = NewInvoice::consumidor_final(vec![
            ItemInput {
                description: "Yerba 1 kg".into(),
                quantity: "2".into(),
                unit_price: format!("{}.{:02}", 1000 + i, i % 100),
                discount: Some("10".into()),
                iva: Some(ItemIva::TwentyOne),
            },
            ItemInput {
                description: "Pan".into(),
                quantity: "1.25".into(),
                unit_price: "800".into(),
                discount: None,
                iva: Some(ItemIva::TenPointFive),
            },
        ]);
        let t = Instant::now();
        // validate
        let p = prepare(&new, &issuer, &settings, None, today).unwrap();
        let t_validate = t.elapsed();
        // persist: row + job, one transaction
        let seq = Sequence {
            cuit: issuer.cuit,
            point_of_sale: 3,
            voucher_type: p.invoice.voucher_type.code(),
        };
        let mut tx = store.begin_immediate().await.unwrap();
        let id = repo::insert(
            &mut tx,
            org,
            &p,
            InvoiceState::Queued,
            None,
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let job = NewJob::new(org.0, KIND, &SubmitPayload { invoice_id: id })
            .unwrap()
            .serial_key(seq.serial_key());
        let (_, wake) = queue.enqueue_in(&mut tx, &job).await.unwrap();
        tx.commit().await.unwrap();
        drop(wake);
        let t_persist = t.elapsed();
        // build
        let number = i as u64 + 1;
        let det = envelope::fe_det_request(&p.invoice, number);
        let request = envelope::fe_cae_solicitar(&auth, &p.invoice, number);
        assert!(request.len() > det.len());
        let t_build = t.elapsed();
        // parse
        let answer = ANSWER.replace("NUMBER", &number.to_string());
        let response::Body::Result(r) = response::parse_body(&answer, "FECAESolicitar").unwrap()
        else {
            panic!("fault")
        };
        let a = Authorization::from_result(&r).unwrap();
        assert!(a.is_approved());
        let t_all = t.elapsed();
        // PDF: the printable document of the authorized invoice, rendered (A4).
        let c = cpu();
        let doc = document(&p, &issuer, &a);
        let pdf = mostrador_documents::render(&doc, Layout::A4).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let t_pdf = t.elapsed();
        if let (Some(c), Some(now)) = (c, cpu()) {
            pdf_cpu.push(now.saturating_sub(c));
        }
        phases[0].push(t_validate);
        phases[1].push(t_persist - t_validate);
        phases[2].push(t_build - t_persist);
        phases[3].push(t_all - t_build);
        phases[4].push(t_pdf - t_all);
        samples.push(t_all);
        with_pdf.push(t_pdf);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for (name, v) in [
        "validate",
        "persist (row + job, fsync)",
        "build",
        "parse",
        "PDF (document + A4 render)",
    ]
    .iter()
    .zip(phases.iter_mut())
    {
        v.sort();
        let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
        println!(
            "  {name}: p50 {:.3} ms, p99 {:.3} ms",
            ms(at(0.50)),
            ms(at(0.99))
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            let f: Vec<&str> = l.split_whitespace().take(3).collect();
            (f.len() == 3).then(|| f.join(" "))
        })
        .unwrap_or_else(|| "unknown".into());
    samples.sort();
    with_pdf.sort();
    pdf_cpu.sort();
    let pct = |v: &[Duration], q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    println!(
        "invoicing local overhead per invoice (validate + persist + build + parse), n={n}: \
         p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        ms(pct(&samples, 0.50)),
        ms(pct(&samples, 0.99)),
        ms(*samples.last().unwrap())
    );
    println!(
        "invoicing local overhead per invoice INCLUDING the PDF (validate + persist + build + parse + PDF), \
         n={n}: p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms, max {:.3} ms (target p99 ≤ 5 ms); load average {load}",
        ms(pct(&with_pdf, 0.50)),
        ms(pct(&with_pdf, 0.95)),
        ms(pct(&with_pdf, 0.99)),
        ms(*with_pdf.last().unwrap())
    );
    if !pdf_cpu.is_empty() {
        println!(
            "  PDF phase CPU time: p50 {:.3} ms, p95 {:.3} ms, p99 {:.3} ms",
            ms(pct(&pdf_cpu, 0.50)),
            ms(pct(&pdf_cpu, 0.95)),
            ms(pct(&pdf_cpu, 0.99))
        );
    }
    store.close().await;
}

/// What `invoicing::document::build` reads back for an authorized invoice, from the prepared one
/// in memory: the issuer as Ajustes → AFIP holds it, the lines (class B with IVA included), the
/// CAE just parsed.
fn document(
    p: &mostrador_core::invoicing::validate::Prepared,
    issuer: &Issuer,
    a: &Authorization,
) -> mostrador_documents::InvoiceDocument {
    let inv = &p.invoice;
    let class = inv.voucher_type.class;
    let lines = p
        .items
        .iter()
        .map(|it| {
            printed_line(
                class,
                it.description.clone(),
                it.quantity_hundredths,
                it.iva,
                it.unit_price,
                it.discount,
                it.amount,
            )
        })
        .collect();
    mostrador_documents::InvoiceDocument {
        issuer: mostrador_documents::Issuer {
            cuit: issuer.cuit,
            legal_name: "Almacén".into(),
            trade_name: Some("Almacén Don Juan".into()),
            address: "Av. Corrientes 1234, CABA (C1043AAZ)".into(),
            iva_condition: issuer.condition,
            iibb: "901-123456-7".into(),
            activity_start: NaiveDate::from_ymd_opt(2015, 3, 1).unwrap(),
            logo: None,
        },
        voucher_type: inv.voucher_type,
        point_of_sale: inv.point_of_sale,
        number: a.number,
        date: inv.date,
        customer: mostrador_documents::Customer {
            doc: inv.receiver.doc,
            iva_condition: inv.receiver.condition,
            name: p.receiver_name.clone().unwrap_or_default(),
            address: p.receiver_address.clone(),
        },
        lines,
        amounts: inv.amounts.clone(),
        currency: inv.currency.clone(),
        service: inv
            .concept
            .service_period()
            .map(|s| mostrador_documents::ServiceDates {
                from: s.from,
                to: s.to,
                payment_due: s.payment_due,
            }),
        authorization: mostrador_documents::Authorization {
            kind: AuthorizationKind::Cae,
            code: a.cae.expect("approved").as_u64(),
            due: a.cae_due.expect("approved"),
        },
        qr_base_url: DEFAULT_QR_URL.into(),
    }
}
