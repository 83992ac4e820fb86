//! Test helpers: a key pair and signatures in Tauri's format (base64 of minisign text), a local
//! HTTP server for `latest.json` + the artifact, and an app on the mock runtime.

#![allow(dead_code)]

use std::io::Cursor;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tauri::Url;

pub struct SigningKey {
    pair: minisign::KeyPair,
    /// What goes into `plugins.updater.pubkey`.
    pub public_b64: String,
}

impl SigningKey {
    pub fn generate() -> SigningKey {
        let pair = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        let public_b64 = B64.encode(pair.pk.to_box().unwrap().into_string());
        SigningKey { pair, public_b64 }
    }

    /// The `.sig` content the Tauri CLI writes (`tauri signer sign --app-version`).
    pub fn sign(&self, bytes: &[u8], version: &str) -> String {
        let trusted = format!("timestamp:1763640000\tfile:mostrador.deb\tversion:{version}");
        let sig = minisign::sign(
            Some(&self.pair.pk),
            &self.pair.sk,
            Cursor::new(bytes),
            Some(&trusted),
            Some("signature from tauri secret key"),
        )
        .unwrap();
        B64.encode(sig.into_string())
    }
}

pub struct Release {
    pub version: String,
    pub signature: String,
    pub artifact: Vec<u8>,
}

impl Release {
    pub fn signed(key: &SigningKey, version: &str, artifact: &[u8]) -> Release {
        Release {
            version: version.into(),
            signature: key.sign(artifact, version),
            artifact: artifact.to_vec(),
        }
    }
}

/// Serves `/latest.json` and `/mostrador.deb` on 127.0.0.1 until dropped.
pub struct Server {
    pub base: Url,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(release: Release) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base: Url = format!("http://{}/", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let platform = serde_json::json!({
            "url": base.join("mostrador.deb").unwrap(),
            "signature": release.signature,
        });
        let manifest = serde_json::json!({
            "version": release.version,
            "notes": "Novedades de prueba",
            "pub_date": "2026-11-20T12:00:00Z",
            "platforms": {
                "linux-x86_64": platform, "linux-x86_64-deb": platform,
                "linux-aarch64": platform, "linux-aarch64-deb": platform,
            },
        })
        .to_string();
        let artifact = Arc::new(release.artifact);
        let router = Router::new()
            .route("/latest.json", get(move || async move { manifest }))
            .route(
                "/mostrador.deb",
                get(move || async move { artifact.as_ref().clone() }),
            );
        Server::serve(listener, base, router)
    }

    /// Answers `/latest.json` with this status and body.
    pub async fn start_raw(status: u16, body: &'static str) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base: Url = format!("http://{}/", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let status = StatusCode::from_u16(status).unwrap();
        let router =
            Router::new().route("/latest.json", get(move || async move { (status, body) }));
        Server::serve(listener, base, router)
    }

    /// Serves files of `dir` (for the release check of scripts/test).
    pub async fn start_dir(dir: std::path::PathBuf) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base: Url = format!("http://{}/", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let router = Router::new().route(
            "/{*file}",
            get(
                move |axum::extract::Path(file): axum::extract::Path<String>| {
                    let path = dir.join(file);
                    async move {
                        match std::fs::read(&path) {
                            Ok(bytes) => Ok(bytes),
                            Err(_) => Err(StatusCode::NOT_FOUND),
                        }
                    }
                },
            ),
        );
        Server::serve(listener, base, router)
    }

    fn serve(listener: tokio::net::TcpListener, base: Url, router: Router) -> Server {
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Server { base, task }
    }
}

pub fn endpoint(server: &Server) -> Vec<Url> {
    vec![server.base.join("latest.json").unwrap()]
}

/// A port nothing listens on.
pub fn unreachable_endpoint() -> Vec<Url> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    vec![format!("http://127.0.0.1:{port}/latest.json")
        .parse()
        .unwrap()]
}

/// An app on the mock runtime at version 0.1.0 (or `version`), with the updater plugin and
/// `pubkey` as the trusted key (`requireSignedVersion` on, as in tauri.conf.json).
pub fn mock_app_at(pubkey: &str, version: &str) -> tauri::App<MockRuntime> {
    let mut context = mock_context(noop_assets());
    context.config_mut().plugins.0.insert(
        "updater".into(),
        serde_json::json!({ "pubkey": pubkey, "requireSignedVersion": true }),
    );
    context.package_info_mut().version = version.parse().unwrap();
    mock_builder()
        .plugin(mostrador_app::updater::plugin())
        .build(context)
        .unwrap()
}

pub fn mock_app(pubkey: &str) -> tauri::App<MockRuntime> {
    mock_app_at(pubkey, "0.1.0")
}
