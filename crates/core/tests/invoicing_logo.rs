//! The issuer's logo (Ajustes → AFIP → Datos del emisor): a PNG/JPEG checked when chosen, kept
//! content-addressed under the data dir, its name in the issuer settings; a refused file stores
//! nothing. The demo's authorized invoice then prints with it (`pdfimages` finds the image).
//! The demo part needs a Secret Service (run under `dbus-run-session` with an unlocked keyring).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mostrador_core::activity::ActivityGate;
use mostrador_core::demo::{self, DemoOptions};
use mostrador_core::error::{AppError, ErrorCode};
use mostrador_core::invoicing::certificate::IssuerProfile;
use mostrador_core::invoicing::document::{self, PrintLayout, LOGOS_DIR};
use mostrador_core::invoicing::model::{ItemInput, ItemIva, NewInvoice};
use mostrador_core::invoicing::{AfipRuntime, InvoiceState, KIND};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::outbound::{Handlers, Outbound, OutboundConfig, Wiring};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_queue::SystemClock;
use mostrador_types::IvaCondition;

/// 120 × 40 JPEG, the documents crate's fixture.
const JPEG: &[u8] = include_bytes!("../../documents/tests/fixtures/logo.jpg");

async fn shop(dir: &Path) -> (Store, OrgId) {
    let store = Store::open(&dir.join("m.sqlite3")).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Kiosco".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::ResponsableInscripto,
        },
    )
    .await
    .unwrap()
    .id;
    (store, org)
}

fn logos(data: &Path) -> Vec<String> {
    match std::fs::read_dir(data.join(LOGOS_DIR)) {
        Err(_) => Vec::new(),
        Ok(dir) => {
            let mut names: Vec<String> = dir
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            names
        }
    }
}

/// (code, details.field, details.reason) of a refusal, as the window gets it.
fn refusal(e: document::DocumentError) -> (ErrorCode, String, String) {
    let app: AppError = e.into();
    let detail = |k: &str| {
        app.details
            .as_ref()
            .and_then(|d| d.get(k))
            .and_then(|f| f.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    (app.code, detail("field"), detail("reason"))
}

#[tokio::test]
async fn a_chosen_logo_is_checked_stored_by_its_hash_and_named_in_the_issuer_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (store, org) = shop(data).await;
    // Named .png but a JPEG: the bytes decide.
    let source = data.join("mi logo.png");
    std::fs::write(&source, JPEG).unwrap();

    let info = document::import_logo(&store, data, org, &source)
        .await
        .unwrap();
    assert_eq!(
        (info.format.as_str(), info.width, info.height),
        ("jpeg", 120, 40)
    );
    assert!(
        info.file.ends_with(".jpg") && info.file.len() == 64 + 4,
        "{}",
        info.file
    );
    assert_eq!(logos(data), vec![info.file.clone()]);
    assert_eq!(
        std::fs::read(data.join(LOGOS_DIR).join(&info.file)).unwrap(),
        JPEG
    );
    let profile = IssuerProfile::load(&store, org).await.unwrap();
    assert_eq!(profile.logo_path.as_deref(), Some(info.file.as_str()));
    assert_eq!(
        document::current_logo(&store, data, org).await.unwrap(),
        Some(info.clone())
    );

    // The same image again: the same file, not a second copy.
    let again = document::import_logo(&store, data, org, &source)
        .await
        .unwrap();
    assert_eq!(again, info);
    assert_eq!(logos(data).len(), 1);

    // Refused: not an image, over 1 MB, not there. Nothing stored, the logo stays.
    let text = data.join("logo.png");
    std::fs::write(&text, b"this is not a picture").unwrap();
    let big = data.join("grande.jpg");
    let mut bytes = JPEG.to_vec();
    bytes.resize(1024 * 1024 + 1, 0);
    std::fs::write(&big, bytes).unwrap();
    for (bad, reason) in [
        (text, "not_image"),
        (big, "too_large"),
        (data.join("no-existe.png"), "unreadable"),
        (data.to_path_buf(), "not_image"),
    ] {
        let err = document::import_logo(&store, data, org, &bad)
            .await
            .unwrap_err();
        assert_eq!(
            refusal(err),
            (ErrorCode::InvalidSetting, "logo".into(), reason.into()),
            "{}",
            bad.display()
        );
        assert_eq!(logos(data).len(), 1, "{}", bad.display());
        assert_eq!(
            IssuerProfile::load(&store, org).await.unwrap().logo_path,
            Some(info.file.clone())
        );
    }

    // A value that is not a stored logo (an old free-text path, a tampered setting) is no logo.
    let mut profile = IssuerProfile::load(&store, org).await.unwrap();
    profile.logo_path = Some("../../etc/passwd".into());
    profile.save(&store, org).await.unwrap();
    assert_eq!(
        document::current_logo(&store, data, org).await.unwrap(),
        None
    );

    document::import_logo(&store, data, org, &source)
        .await
        .unwrap();
    document::remove_logo(&store, org).await.unwrap();
    assert_eq!(
        document::current_logo(&store, data, org).await.unwrap(),
        None
    );
    assert_eq!(
        IssuerProfile::load(&store, org).await.unwrap().logo_path,
        None
    );
    store.close().await;
}

fn pdfimages(pdf: &Path) -> Vec<String> {
    let out = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(pdf)
        .output()
        .expect("pdfimages (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .map(str::to_owned)
        .collect()
}

/// The demo shop's authorized Factura B prints without a logo, then with the chosen one on both
/// layouts (a new stored file: the content changed), then without it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printout_carries_the_chosen_logo_on_both_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let secrets = SecretStore::new(&format!("ar.mostrador.test.logo.{}", uuid::Uuid::new_v4()));
    let store = Store::open(&demo::db_path(data)).await.unwrap();
    let mut options = DemoOptions::new(secrets.clone());
    options.trickle_every = (Duration::from_secs(3600), Duration::from_secs(3600));
    let demo = demo::start(data, store.clone(), options).await.unwrap();
    let org = demo.org();
    let rt = AfipRuntime::new(
        store.clone(),
        secrets.clone(),
        Some(demo.sandbox().afip_url()),
        Arc::new(SystemClock),
    );
    assert!(rt.refresh(org).await.unwrap(), "the demo is set up");
    let gate = ActivityGate::new();
    let mut wiring = Wiring::new(secrets.clone(), gate.clone());
    wiring.handlers = Handlers::new().with(KIND, rt.handler(gate));
    let engine = Outbound::start(store.clone(), wiring, OutboundConfig::default())
        .await
        .unwrap();
    let mut events = rt.subscribe();
    let id = rt
        .invoicing(engine.queue().clone())
        .create(
            org,
            NewInvoice::consumidor_final(vec![ItemInput {
                description: "Alfajores x 6".into(),
                quantity: "1".into(),
                unit_price: "2500.00".into(),
                discount: None,
                iva: Some(ItemIva::TwentyOne),
            }]),
        )
        .await
        .unwrap();
    let state = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = events.recv().await.unwrap();
            if e.invoice_id == id && e.state.is_final() {
                return e.state;
            }
        }
    })
    .await
    .expect("the invoice was decided in time");
    assert_eq!(state, InvoiceState::Authorized);

    let plain = document::render_to_store(&store, data, org, id, PrintLayout::A4)
        .await
        .unwrap();
    assert!(pdfimages(&plain).is_empty(), "no logo yet");

    let source = data.join("logo.jpg");
    std::fs::write(&source, JPEG).unwrap();
    document::import_logo(&store, data, org, &source)
        .await
        .unwrap();
    for layout in [PrintLayout::A4, PrintLayout::Ticket] {
        let pdf = document::render_to_store(&store, data, org, id, layout)
            .await
            .unwrap();
        assert_ne!(pdf, plain);
        let images = pdfimages(&pdf);
        assert_eq!(images.len(), 1, "{layout:?}: {images:?}");
        assert!(
            images[0].contains("120    40") && images[0].contains("jpeg"),
            "{layout:?}: {images:?}"
        );
    }

    document::remove_logo(&store, org).await.unwrap();
    let again = document::render_to_store(&store, data, org, id, PrintLayout::A4)
        .await
        .unwrap();
    assert_eq!(again, plain, "without the logo: the first printout again");

    engine.shutdown().await;
    demo.stop().await;
    store.close().await;
    demo::exit(data, &secrets).await.unwrap();
}
