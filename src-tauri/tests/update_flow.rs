//! The update flow against a local HTTP server: `latest.json` + an artifact signed at test time
//! with a key pair generated at test time, checked by the real plugin (mock runtime, no window).

mod support;

use mostrador_app::updater::{UpdateError, UpdateProgress, Updates};
use mostrador_core::activity::{ActivityGate, ActivityKind};
use mostrador_core::{AppError, ErrorCode};
use support::{endpoint, mock_app, unreachable_endpoint, Release, Server, SigningKey};

#[tokio::test]
async fn a_newer_release_is_found_downloaded_and_verified() {
    let key = SigningKey::generate();
    let artifact = b"a newer Mostrador".repeat(40_000);
    let server = Server::start(Release::signed(&key, "0.2.0", &artifact)).await;
    let app = mock_app(&key.public_b64);
    let updates = Updates::new();

    let info = updates
        .check(app.handle(), endpoint(&server))
        .await
        .unwrap()
        .expect("0.2.0 is newer than 0.1.0");
    assert_eq!(info.version, "0.2.0");
    assert_eq!(info.current_version, "0.1.0");
    assert_eq!(info.notes.as_deref(), Some("Novedades de prueba"));
    assert_eq!(info.pub_date.as_deref(), Some("2026-11-20T12:00:00Z"));
    assert!(updates.known().available.is_some() && !updates.known().downloaded);

    let progress = std::sync::Mutex::new(Vec::new());
    let downloaded = updates
        .download(|p| progress.lock().unwrap().push(p))
        .await
        .unwrap();
    assert_eq!(downloaded, info);
    assert!(updates.known().downloaded);
    let progress = progress.into_inner().unwrap();
    let total = artifact.len() as u64;
    assert!(progress.contains(&UpdateProgress::Downloading {
        downloaded: total,
        total: Some(total)
    }));
    assert_eq!(
        progress.last(),
        Some(&UpdateProgress::Downloaded {
            version: "0.2.0".into()
        })
    );
}

#[tokio::test]
async fn a_tampered_artifact_is_rejected_and_nothing_is_installed() {
    let key = SigningKey::generate();
    let artifact = b"the real package".repeat(1000);
    let mut release = Release::signed(&key, "0.2.0", &artifact);
    release.artifact[100] ^= 0x01; // one flipped bit after signing
    let server = Server::start(release).await;
    let app = mock_app(&key.public_b64);
    let updates = Updates::new();

    updates
        .check(app.handle(), endpoint(&server))
        .await
        .unwrap()
        .unwrap();
    let err = updates.download(|_| {}).await.unwrap_err();
    assert!(matches!(err, UpdateError::SignatureInvalid(_)), "{err:?}");
    let shown: AppError = err.into();
    assert_eq!(shown.code, ErrorCode::UpdateSignatureInvalid);
    assert!(
        shown.message.contains("firma no coincide") && shown.message.contains("no se instaló nada"),
        "{}",
        shown.message
    );

    // Nothing kept, so nothing can be installed; new work is not held back.
    assert!(!updates.known().downloaded);
    let gate = ActivityGate::new();
    let err = updates.install(&gate, |_| {}).await.unwrap_err();
    assert!(matches!(err, UpdateError::NotDownloaded), "{err:?}");
    gate.begin(ActivityKind::OutboundSend).unwrap();
}

#[tokio::test]
async fn a_signature_from_another_key_is_rejected() {
    let key = SigningKey::generate();
    let other = SigningKey::generate();
    let artifact = b"package".repeat(100);
    let server = Server::start(Release::signed(&other, "0.2.0", &artifact)).await;
    let app = mock_app(&key.public_b64);
    let updates = Updates::new();
    updates
        .check(app.handle(), endpoint(&server))
        .await
        .unwrap()
        .unwrap();
    let err = updates.download(|_| {}).await.unwrap_err();
    assert!(matches!(err, UpdateError::SignatureInvalid(_)), "{err:?}");
}

#[tokio::test]
async fn a_manifest_announcing_another_version_than_signed_is_rejected() {
    // An old, validly signed package re-announced as a newer version (forced downgrade).
    let key = SigningKey::generate();
    let artifact = b"old package".repeat(100);
    let mut release = Release::signed(&key, "0.0.9", &artifact);
    release.version = "0.3.0".into();
    let server = Server::start(release).await;
    let app = mock_app(&key.public_b64);
    let updates = Updates::new();
    updates
        .check(app.handle(), endpoint(&server))
        .await
        .unwrap()
        .unwrap();
    let err = updates.download(|_| {}).await.unwrap_err();
    assert!(matches!(err, UpdateError::SignatureInvalid(_)), "{err:?}");
}

#[tokio::test]
async fn the_same_version_is_no_update() {
    let key = SigningKey::generate();
    let server = Server::start(Release::signed(&key, "0.1.0", b"same")).await;
    let app = mock_app(&key.public_b64);
    let updates = Updates::new();
    let found = updates
        .check(app.handle(), endpoint(&server))
        .await
        .unwrap();
    assert_eq!(found, None);
    assert_eq!(updates.known().available, None);
    let err = updates.download(|_| {}).await.unwrap_err();
    assert!(matches!(err, UpdateError::NotDownloaded), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    let key = SigningKey::generate();
    let app = mock_app(&key.public_b64);
    let updates = Updates::new();
    let err = updates
        .check(app.handle(), unreachable_endpoint())
        .await
        .unwrap_err();
    assert!(matches!(err, UpdateError::ServerUnreachable(_)), "{err:?}");
    let shown: AppError = err.into();
    assert_eq!(shown.code, ErrorCode::UpdateServerUnreachable);
    assert!(
        shown.message.contains("No se pudo conectar"),
        "{}",
        shown.message
    );
}

#[tokio::test]
async fn a_missing_manifest_is_a_clear_error() {
    let key = SigningKey::generate();
    let server = Server::start_raw(404, "not found").await;
    let app = mock_app(&key.public_b64);
    let err = Updates::new()
        .check(app.handle(), endpoint(&server))
        .await
        .unwrap_err();
    assert!(matches!(err, UpdateError::ServerUnreachable(_)), "{err:?}");
}

#[tokio::test]
async fn a_malformed_manifest_is_a_clear_error() {
    let key = SigningKey::generate();
    let app = mock_app(&key.public_b64);
    for body in [
        "{ this is not json",
        r#"{"version": "0.2.0"}"#,
        r#"{"version": "not-semver", "platforms": {}}"#,
        r#"{"version": "0.2.0", "platforms": {"plan9-mips": {"url": "http://127.0.0.1:1/x", "signature": "x"}}}"#,
    ] {
        let server = Server::start_raw(200, body).await;
        let err = Updates::new()
            .check(app.handle(), endpoint(&server))
            .await
            .unwrap_err();
        assert!(
            matches!(err, UpdateError::ManifestInvalid(_)),
            "{body}: {err:?}"
        );
        let shown: AppError = err.into();
        assert_eq!(shown.code, ErrorCode::UpdateManifestInvalid);
    }
}

#[tokio::test]
async fn install_waits_for_work_in_flight_and_says_so() {
    let key = SigningKey::generate();
    // Verified, but not an installable package: the installer refuses it after the wait.
    let server = Server::start(Release::signed(&key, "0.2.0", b"not a package")).await;
    let app = mock_app(&key.public_b64);
    let updates = std::sync::Arc::new(Updates::new());
    updates
        .check(app.handle(), endpoint(&server))
        .await
        .unwrap()
        .unwrap();
    updates.download(|_| {}).await.unwrap();

    let gate = ActivityGate::new();
    let invoice = gate.begin(ActivityKind::InvoiceSubmission).unwrap();
    let (tx, mut progress) = tokio::sync::mpsc::unbounded_channel();
    let install = {
        let (updates, gate) = (updates.clone(), gate.clone());
        tokio::spawn(async move {
            updates
                .install(&gate, |p| tx.send(p).unwrap())
                .await
                .map(drop)
        })
    };
    match progress.recv().await.unwrap() {
        UpdateProgress::Waiting { in_flight } => assert_eq!(in_flight.invoice_submissions, 1),
        other => panic!("expected Waiting, got {other:?}"),
    }
    assert!(!install.is_finished());
    // While it waits, new sends stay queued.
    assert!(gate.begin(ActivityKind::OutboundSend).is_err());
    drop(invoice);
    assert_eq!(progress.recv().await.unwrap(), UpdateProgress::Installing);
    let err = install.await.unwrap().unwrap_err();
    assert!(matches!(err, UpdateError::InstallFailed(_)), "{err:?}");
    // The failed install released the hold.
    gate.begin(ActivityKind::OutboundSend).unwrap();
}
