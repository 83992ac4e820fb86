//! The output of `scripts/release` as the updater sees it. Run by `scripts/lib/check-release.sh`
//! (part of scripts/test) after it cut a debug release with a throwaway key:
//! `MOSTRADOR_RELEASE_DIR` (latest.json + artifacts + .sig), `MOSTRADOR_RELEASE_BASE_URL` (the
//! `--base-url` given), `MOSTRADOR_RELEASE_PUBKEY` (the throwaway public key, as in tauri.conf.json).

mod support;

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use mostrador_app::updater::{UpdateError, Updates};
use support::{mock_app_at, Server};

struct ReleaseDir {
    dir: PathBuf,
    base_url: String,
    pubkey: String,
    manifest: serde_json::Value,
}

fn release_dir() -> ReleaseDir {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run scripts/lib/check-release.sh (scripts/test does)")
        })
    };
    let dir = PathBuf::from(var("MOSTRADOR_RELEASE_DIR"));
    let manifest = std::fs::read_to_string(dir.join("latest.json")).expect("latest.json");
    ReleaseDir {
        manifest: serde_json::from_str(&manifest).expect("latest.json is JSON"),
        dir,
        base_url: var("MOSTRADOR_RELEASE_BASE_URL"),
        pubkey: var("MOSTRADOR_RELEASE_PUBKEY"),
    }
}

fn app_version() -> String {
    let conf: serde_json::Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    conf["version"].as_str().unwrap().to_owned()
}

#[test]
#[ignore = "needs a release cut by scripts/lib/check-release.sh"]
fn latest_json_is_valid_and_every_signature_verifies() {
    let r = release_dir();
    let m = &r.manifest;
    assert_eq!(m["version"].as_str(), Some(app_version().as_str()));
    assert!(m["notes"].as_str().is_some_and(|n| !n.is_empty()));
    // The plugin's own model: semver version, RFC 3339 pub_date, url + signature per platform.
    serde_json::from_value::<tauri_plugin_updater::RemoteRelease>(m.clone())
        .expect("latest.json is a release manifest the updater accepts");
    let platforms = m["platforms"].as_object().unwrap();
    assert!(
        platforms.contains_key("linux-x86_64-deb") || platforms.contains_key("linux-aarch64-deb")
    );

    let pk = minisign::PublicKeyBox::from_string(
        &String::from_utf8(B64.decode(&r.pubkey).unwrap()).unwrap(),
    )
    .unwrap()
    .into_public_key()
    .unwrap();
    for (platform, entry) in platforms {
        let url = entry["url"].as_str().unwrap();
        let file = url
            .strip_prefix(&r.base_url)
            .unwrap_or_else(|| panic!("{platform}: {url} is not under {}", r.base_url));
        let bytes = std::fs::read(r.dir.join(file)).unwrap();
        let signature = entry["signature"].as_str().unwrap();
        let sig_file = std::fs::read_to_string(r.dir.join(format!("{file}.sig"))).unwrap();
        assert_eq!(
            signature,
            sig_file.trim(),
            "{platform}: signature is the .sig"
        );
        // An independent check (minisign itself), besides the updater's below.
        let sig_text = String::from_utf8(B64.decode(signature).unwrap()).unwrap();
        let sig = minisign::SignatureBox::from_string(&sig_text).unwrap();
        assert!(
            sig.trusted_comment()
                .unwrap()
                .contains(&format!("version:{}", app_version())),
            "{platform}: the signature binds the version"
        );
        minisign::verify(&pk, &sig, std::io::Cursor::new(&bytes), true, false, false)
            .unwrap_or_else(|e| panic!("{platform}: {file}.sig does not verify: {e}"));
    }
}

/// Serves the release with the artifact URLs pointed at a local server (optionally with one
/// byte of the .deb flipped) and lets an older app check and download it.
async fn download_as_older_app(tamper: bool) -> Result<String, UpdateError> {
    let r = release_dir();
    let serve = tempfile::tempdir().unwrap();
    let mut manifest = r.manifest.clone();
    let server = Server::start_dir(serve.path().to_owned()).await;
    let platforms = manifest["platforms"].as_object_mut().unwrap();
    let (key, entry) = platforms
        .iter_mut()
        .find(|(k, _)| k.starts_with("linux-") && k.ends_with("-deb"))
        .expect("a .deb entry");
    let key = key.clone();
    let file = entry["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&r.base_url)
        .unwrap()
        .to_owned();
    let mut bytes = std::fs::read(r.dir.join(&file)).unwrap();
    if tamper {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
    }
    std::fs::write(serve.path().join(&file), &bytes).unwrap();
    entry["url"] = server.base.join(&file).unwrap().to_string().into();
    std::fs::write(serve.path().join("latest.json"), manifest.to_string()).unwrap();

    let app = mock_app_at(&r.pubkey, "0.0.1");
    let updates = Updates::for_target(key);
    let info = updates
        .check(app.handle(), vec![server.base.join("latest.json").unwrap()])
        .await?
        .expect("the release is newer than 0.0.1");
    assert_eq!(info.version, app_version());
    updates.download(|_| {}).await?;
    assert!(updates.known().downloaded);
    Ok(info.version)
}

#[tokio::test]
#[ignore = "needs a release cut by scripts/lib/check-release.sh"]
async fn an_older_app_downloads_and_verifies_the_release() {
    assert_eq!(download_as_older_app(false).await.unwrap(), app_version());
}

#[tokio::test]
#[ignore = "needs a release cut by scripts/lib/check-release.sh"]
async fn the_release_deb_with_one_flipped_byte_is_rejected() {
    let err = download_as_older_app(true).await.unwrap_err();
    assert!(matches!(err, UpdateError::SignatureInvalid(_)), "{err:?}");
}
