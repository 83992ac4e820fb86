//! The update flow, generic over the Tauri runtime so tests drive it without a window:
//! check → download (the plugin verifies the signature before handing the bytes over) → wait
//! until no send or invoice submission is in flight → install. The caller then restarts.

use std::sync::Mutex;
use std::time::Duration;

use mostrador_core::activity::{ActivityGate, ActivityHold, InFlight};
use serde::Serialize;
use tauri::{AppHandle, Runtime, Url};
use tauri_plugin_updater::{Update, UpdaterExt};

use super::error::UpdateError;

/// The whole manifest request (connect, answer, body) must finish within this.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting to the update server, for the manifest and the download.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence while reading an answer: a download may take minutes, but never stalls.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Progress is reported every this many bytes (and at the end).
const PROGRESS_STEP: u64 = 256 * 1024;

/// A release newer than the running one.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct UpdateInfo {
    pub version: String,
    pub current_version: String,
    /// Release notes from the manifest.
    pub notes: Option<String>,
    /// RFC 3339, as published in the manifest.
    pub pub_date: Option<String>,
}

impl UpdateInfo {
    fn of(update: &Update) -> UpdateInfo {
        UpdateInfo {
            version: update.version.clone(),
            current_version: update.current_version.clone(),
            notes: update.body.clone(),
            pub_date: update
                .raw_json
                .get("pub_date")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
        }
    }
}

/// Sent to the window (event `update-progress`) while an update is downloaded and installed.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpdateProgress {
    Downloading {
        #[ts(type = "number")]
        downloaded: u64,
        /// `null` when the server does not say how big the download is.
        #[ts(type = "number | null")]
        total: Option<u64>,
    },
    /// Downloaded and its signature verified: ready for "Reiniciar para actualizar".
    Downloaded { version: String },
    /// Restart requested, but work is in flight: the install waits for it.
    Waiting { in_flight: InFlight },
    /// Nothing in flight any more; new work is held back; installing now.
    Installing,
}

/// What is known about updates right now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    pub available: Option<UpdateInfo>,
    pub downloaded: bool,
}

#[derive(Default)]
struct Pending {
    update: Option<Update>,
    /// The verified package of `update`.
    bytes: Option<Vec<u8>>,
}

/// The app's update state (Tauri-managed). One check, download or install at a time.
#[derive(Default)]
pub struct Updates {
    pending: tokio::sync::Mutex<Pending>,
    known: Mutex<Known>,
    /// The manifest's platform key to read; `None`: the plugin's detection (`linux-x86_64-deb`
    /// for the installed .deb, `linux-x86_64` for a bare binary).
    target: Option<String>,
}

impl Updates {
    pub fn new() -> Updates {
        Updates::default()
    }

    /// Reads the manifest entry of `target` (e.g. `linux-x86_64-deb`) whatever this binary is.
    pub fn for_target(target: impl Into<String>) -> Updates {
        Updates {
            target: Some(target.into()),
            ..Updates::default()
        }
    }

    pub fn known(&self) -> Known {
        self.known.lock().map(|k| k.clone()).unwrap_or_default()
    }

    fn remember(&self, pending: &Pending) {
        if let Ok(mut known) = self.known.lock() {
            *known = Known {
                available: pending.update.as_ref().map(UpdateInfo::of),
                downloaded: pending.bytes.is_some(),
            };
        }
    }

    /// Asks the manifest endpoints (in order) for a release newer than the running version.
    #[tracing::instrument(skip_all, fields(endpoints = ?endpoints.iter().map(Url::as_str).collect::<Vec<_>>()))]
    pub async fn check<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        endpoints: Vec<Url>,
    ) -> Result<Option<UpdateInfo>, UpdateError> {
        let mut pending = self.pending.try_lock().map_err(|_| UpdateError::Busy)?;
        let mut builder = app
            .updater_builder()
            .endpoints(endpoints)
            .map_err(UpdateError::from_check)?
            .configure_client(|c| {
                c.connect_timeout(CONNECT_TIMEOUT)
                    .read_timeout(READ_TIMEOUT)
            });
        if let Some(target) = &self.target {
            builder = builder.target(target);
        }
        let updater = builder.build().map_err(UpdateError::from_check)?;
        let found = tokio::time::timeout(CHECK_TIMEOUT, updater.check())
            .await
            .map_err(|_| {
                UpdateError::ServerUnreachable(format!(
                    "no answer within {} s",
                    CHECK_TIMEOUT.as_secs()
                ))
            })?
            .map_err(UpdateError::from_check)?;
        let info = found.as_ref().map(UpdateInfo::of);
        match &info {
            Some(i) => tracing::info!(version = %i.version, "update available"),
            None => tracing::info!("no update: this is the latest version"),
        }
        // Keep an already verified download of the same release.
        let same = matches!((&pending.update, &found), (Some(a), Some(b)) if a.version == b.version && a.signature == b.signature);
        if !same {
            *pending = Pending {
                update: found,
                bytes: None,
            };
        }
        self.remember(&pending);
        Ok(info)
    }

    /// Downloads the release found by [`Updates::check`] and verifies its signature; the
    /// verified bytes are kept in memory for [`Updates::install`]. A package whose signature does
    /// not match is dropped: nothing is kept, nothing can be installed.
    #[tracing::instrument(skip_all)]
    pub async fn download(
        &self,
        on_progress: impl Fn(UpdateProgress),
    ) -> Result<UpdateInfo, UpdateError> {
        let mut pending = self.pending.try_lock().map_err(|_| UpdateError::Busy)?;
        let update = pending.update.clone().ok_or(UpdateError::NotDownloaded)?;
        let info = UpdateInfo::of(&update);
        if pending.bytes.is_some() {
            on_progress(UpdateProgress::Downloaded {
                version: info.version.clone(),
            });
            return Ok(info);
        }
        tracing::info!(version = %info.version, url = %update.download_url, "downloading update");
        let (mut downloaded, mut reported) = (0u64, 0u64);
        let result = update
            .download(
                |chunk, total| {
                    downloaded += chunk as u64;
                    if downloaded - reported >= PROGRESS_STEP || Some(downloaded) == total {
                        reported = downloaded;
                        on_progress(UpdateProgress::Downloading { downloaded, total });
                    }
                },
                || {},
            )
            .await;
        pending.bytes = None;
        let outcome = match result {
            Ok(bytes) => {
                tracing::info!(version = %info.version, bytes = bytes.len(), "update downloaded, signature verified");
                pending.bytes = Some(bytes);
                on_progress(UpdateProgress::Downloaded {
                    version: info.version.clone(),
                });
                Ok(info)
            }
            Err(e) => Err(UpdateError::from_download(e)),
        };
        self.remember(&pending);
        outcome
    }

    /// Installs the downloaded update once no send or invoice submission is in flight (saying
    /// so through `on_progress` while it waits). New work stays queued while the returned hold
    /// lives: the caller restarts the app right after.
    #[tracing::instrument(skip_all)]
    pub async fn install(
        &self,
        gate: &ActivityGate,
        on_progress: impl Fn(UpdateProgress),
    ) -> Result<ActivityHold, UpdateError> {
        let pending = self.pending.try_lock().map_err(|_| UpdateError::Busy)?;
        let (Some(update), Some(bytes)) = (pending.update.clone(), pending.bytes.clone()) else {
            return Err(UpdateError::NotDownloaded);
        };
        let hold = gate
            .hold_when_idle(|in_flight| on_progress(UpdateProgress::Waiting { in_flight }))
            .await;
        on_progress(UpdateProgress::Installing);
        tracing::info!(version = %update.version, "installing update");
        // The plugin checks the signature again, then runs the platform installer (blocking).
        tokio::task::spawn_blocking(move || update.install(bytes))
            .await
            .map_err(|e| UpdateError::InstallFailed(e.to_string()))?
            .map_err(UpdateError::from_install)?;
        Ok(hold)
    }
}
