//! Where data and logs live: the OS app-data and log dirs, or `MOSTRADOR_DATA_DIR` for both.

use std::path::PathBuf;

use tauri::{AppHandle, Manager};

/// Overrides the data directory (database, and logs under `logs/`). Tests and portable installs.
pub const DATA_DIR_ENV: &str = "MOSTRADOR_DATA_DIR";

pub struct AppDirs {
    pub data: PathBuf,
    pub logs: PathBuf,
}

impl AppDirs {
    pub fn resolve(app: &AppHandle) -> tauri::Result<AppDirs> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            let data = PathBuf::from(dir);
            return Ok(AppDirs {
                logs: data.join("logs"),
                data,
            });
        }
        Ok(AppDirs {
            data: app.path().app_data_dir()?,
            logs: app.path().app_log_dir()?,
        })
    }
}
