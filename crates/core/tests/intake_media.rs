//! Inbound media as jobs, on real HTTP: the simulator's customer sends a file, the signed webhook
//! goes through the relay and the processor, which enqueues a `whatsapp.media_download` job with
//! the message; the outbound engine runs it against the simulator's media endpoints. Covers: a
//! download with its sha256 verified and the file content-addressed; an expired CDN URL looked up
//! again; a corrupted download retried, then one that never matches marked failed; a file over
//! the size limit kept as metadata only; a hostile filename that never reaches a path. Run under
//! `dbus-run-session` (the app secret and token live in the keychain).

mod conversations_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use conversations_support::{pipeline, Pipeline};
use mostrador_core::activity::ActivityGate;
use mostrador_core::channels::whatsapp::{MediaDownloadHandler, WhatsAppSettings, ACCESS_TOKEN};
use mostrador_core::conversations::MediaView;
use mostrador_core::events::ConversationEvent;
use mostrador_core::intake::media::{KIND, MAX_BYTES};
use mostrador_core::outbound::{Handlers, Outbound, OutboundConfig, Wiring};
use mostrador_core::settings;
use mostrador_sandbox::whatsapp::ConfigPatch;
use mostrador_types::Secret;
use serde_json::json;
use sha2::Digest as _;
use tokio::sync::broadcast;

const W: &str = "5491112345678";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn sha_hex(b: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(b))
}

struct Media {
    p: Pipeline,
    engine: Outbound,
    data_dir: PathBuf,
    events: broadcast::Receiver<ConversationEvent>,
}

async fn setup() -> Media {
    let p = pipeline().await;
    p.customer(W, "Ana");
    let account = p.sandbox.whatsapp.account();
    WhatsAppSettings {
        phone_number_id: account.phone_number_id.clone(),
        waba_id: account.waba_id.clone(),
        base_url: Some(p.sandbox.graph_url()),
        graph_version: None,
    }
    .save(&p.store, p.org)
    .await
    .unwrap();
    p.secrets
        .set(p.org, ACCESS_TOKEN, &Secret::new(account.access_token))
        .await
        .unwrap();
    let data_dir = p.dir.path().join("data");
    let events = p.events.subscribe();
    let mut cfg = OutboundConfig::default();
    cfg.retry.base = Duration::from_millis(40);
    cfg.retry.cap = Duration::from_millis(200);
    cfg.queue.backstop_poll = Duration::from_millis(50);
    cfg.maintenance_every = Duration::from_secs(3600);
    let mut wiring = Wiring::new(p.secrets.clone(), ActivityGate::new());
    wiring.handlers = Handlers::new().with(
        KIND,
        MediaDownloadHandler::new(p.store.clone(), p.secrets.clone(), data_dir.clone())
            .with_events(p.events.clone()),
    );
    let engine = Outbound::start(p.store.clone(), wiring, cfg).await.unwrap();
    Media {
        p,
        engine,
        data_dir,
        events,
    }
}

impl Media {
    /// The customer sends `message`; returns the stored message's id once processed.
    async fn send(&mut self, message: serde_json::Value) -> i64 {
        let wamid = self.p.customer_sends(W, message).await;
        sqlx::query_scalar("SELECT id FROM messages WHERE provider_id = ?")
            .bind(&wamid)
            .fetch_one(self.p.store.reader())
            .await
            .unwrap()
    }

    /// Waits for the media event of message `id` (bounded).
    async fn media_event(&mut self, id: i64) -> MediaView {
        let wait = async {
            loop {
                match self.events.recv().await {
                    Ok(ConversationEvent::MediaChanged {
                        message_id, media, ..
                    }) if message_id == id => return media,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(e) => panic!("event bus closed: {e}"),
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .unwrap_or_else(|_| panic!("no media event for message {id}"))
    }

    async fn row(
        &self,
        message_id: i64,
    ) -> (String, Option<String>, Option<i64>, i64, Option<String>) {
        sqlx::query_as(
            "SELECT md.state, md.error, md.announced_size, md.attempts, md.path
             FROM media md JOIN messages m ON m.media_id = md.id WHERE m.id = ?",
        )
        .bind(message_id)
        .fetch_one(self.p.store.reader())
        .await
        .unwrap()
    }

    async fn jobs(&self, state: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = ? AND state = ?")
            .bind(KIND)
            .bind(state)
            .fetch_one(self.p.store.reader())
            .await
            .unwrap()
    }

    /// Waits (bounded) until `n` download jobs are in `state` (the job is finalized just after
    /// its handler announced the file).
    async fn wait_jobs(&self, state: &str, n: i64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.jobs(state).await;
            if got == n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{got} {KIND} jobs {state}, want {n}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn calls(&self, kind: &str) -> usize {
        self.p.sandbox.whatsapp.log_of(kind).len()
    }

    async fn stop(self) {
        self.engine.shutdown().await;
        let _ = self.p.secrets.delete(self.p.org, ACCESS_TOKEN).await;
        self.p.stop().await;
    }
}

fn files_named(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let path = e.path();
        if path.file_name().is_some_and(|n| n == name) {
            out.push(path.clone());
        }
        if path.is_dir() {
            out.extend(files_named(&path, name));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_is_downloaded_by_a_job_verified_and_content_addressed() {
    let mut m = setup().await;

    // A photo: one job enqueued with the message, downloaded, sha256 checked, stored by hash.
    let png = b"\x89PNG\r\n\x1a\nuna foto de la yerba".to_vec();
    let photo = m
        .send(json!({"type":"image","image":{"caption":"esta"},
            "media":{"mime_type":"image/png","data_base64": b64(&png)}}))
        .await;
    let media = m.media_event(photo).await;
    let want = sha_hex(&png);
    assert_eq!(media.state, "downloaded");
    assert_eq!(
        media.path.as_deref(),
        Some(&*format!("media/{}/{want}", &want[..2]))
    );
    assert_eq!(media.size_bytes, Some(png.len() as i64));
    assert_eq!(
        std::fs::read(m.data_dir.join(media.path.unwrap())).unwrap(),
        png
    );
    m.wait_jobs("completed", 1).await;
    assert_eq!(m.calls("get_media"), 1);
    assert_eq!(m.calls("download_media"), 1);

    // The same webhook redelivered: no second message, no second job.
    let jobs_before: i64 = m.p.count("SELECT count(*) FROM jobs").await;
    let raw = m.p.sandbox.whatsapp.webhooks().last().unwrap().clone();
    m.p.post_signed(&raw.body).await;
    assert_eq!(m.p.count("SELECT count(*) FROM jobs").await, jobs_before);

    // An expired CDN URL: looked up again once, then downloaded. The sender's name is hostile
    // and stays metadata.
    m.p.sandbox.whatsapp.configure(ConfigPatch {
        expire_next_media_urls: Some(1),
        ..Default::default()
    });
    let pdf = b"%PDF-1.4 presupuesto de yerba".to_vec();
    let doc = m
        .send(json!({"type":"document","document":{"filename":"../../.bashrc","caption":"presupuesto"},
            "media":{"mime_type":"application/pdf","data_base64": b64(&pdf)}}))
        .await;
    let media = m.media_event(doc).await;
    assert_eq!(media.state, "downloaded");
    let path = media.path.unwrap();
    assert_eq!(
        path,
        format!("media/{}/{}", &sha_hex(&pdf)[..2], sha_hex(&pdf))
    );
    assert_eq!(std::fs::read(m.data_dir.join(&path)).unwrap(), pdf);
    assert_eq!(
        m.calls("get_media"),
        3,
        "the expired URL was looked up again"
    );
    assert_eq!(
        m.calls("download_media"),
        2,
        "the expired URL served nothing"
    );
    let filename: Option<String> = sqlx::query_scalar("SELECT filename FROM messages WHERE id = ?")
        .bind(doc)
        .fetch_one(m.p.store.reader())
        .await
        .unwrap();
    assert_eq!(filename.as_deref(), Some("../../.bashrc"));
    assert!(files_named(m.p.dir.path(), ".bashrc").is_empty());
    assert!(files_named(m.p.dir.path().parent().unwrap(), ".bashrc")
        .iter()
        .all(|f| !f.starts_with(m.p.dir.path())));

    // One corrupted download (sha256 mismatch): retried, then stored.
    m.p.sandbox.whatsapp.configure(ConfigPatch {
        corrupt_next_media_downloads: Some(1),
        ..Default::default()
    });
    let voice = b"OggS voz del cliente".to_vec();
    let note = m
        .send(json!({"type":"audio","audio":{"voice":true},
            "media":{"mime_type":"audio/ogg; codecs=opus","data_base64": b64(&voice)}}))
        .await;
    let media = m.media_event(note).await;
    assert_eq!(media.state, "downloaded");
    let (_, error, _, attempts, _) = m.row(note).await;
    assert_eq!(attempts, 2, "one mismatch, one good download");
    assert_eq!(error, None);
    assert_eq!(
        std::fs::read(m.data_dir.join(media.path.unwrap())).unwrap(),
        voice
    );

    // Never matching: every attempt retried, then failed visibly (state and reason).
    m.p.sandbox.whatsapp.configure(ConfigPatch {
        corrupt_next_media_downloads: Some(100),
        ..Default::default()
    });
    let bad = m
        .send(json!({"type":"image","image":{},
            "media":{"mime_type":"image/jpeg","data_base64": b64(b"\xff\xd8\xff jpeg roto")}}))
        .await;
    let media = m.media_event(bad).await;
    assert_eq!(media.state, "failed");
    assert_eq!(media.path, None);
    let (state, error, _, attempts, _) = m.row(bad).await;
    assert_eq!(state, "failed");
    assert!(error.unwrap().contains("sha256"));
    assert_eq!(attempts, 5);
    m.wait_jobs("discarded", 1).await;
    m.p.sandbox.whatsapp.configure(ConfigPatch {
        corrupt_next_media_downloads: Some(0),
        ..Default::default()
    });

    // Over the size limit (a setting): kept as metadata, never downloaded.
    settings::set(&m.p.store, Some(m.p.org), MAX_BYTES, "1000")
        .await
        .unwrap();
    let downloads = m.calls("download_media");
    let big = vec![7u8; 2000];
    let video = m
        .send(json!({"type":"video","video":{"caption":"mirá"},
            "media":{"mime_type":"video/mp4","data_base64": b64(&big)}}))
        .await;
    let media = m.media_event(video).await;
    assert_eq!(media.state, "too_large");
    assert_eq!(media.path, None);
    assert_eq!(media.size_bytes, Some(2000));
    let (state, _, announced, _, path) = m.row(video).await;
    assert_eq!(
        (state.as_str(), announced, path),
        ("too_large", Some(2000), None)
    );
    assert_eq!(
        m.calls("download_media"),
        downloads,
        "nothing over the limit is fetched"
    );
    assert!(!m
        .data_dir
        .join(format!("media/{}/{}", &sha_hex(&big)[..2], sha_hex(&big)))
        .exists());

    // Every stored file is named by its own hash, and nothing else is in the media folder.
    for f in walk(&m.data_dir.join("media")) {
        let name = f.file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(sha_hex(&std::fs::read(&f).unwrap()), name, "{f:?}");
    }
    m.stop().await;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
