//! The app's state after start-up: an open store, or the reason it could not open one.
//! A failed start still shows the window, with the reason, instead of crashing.

use mostrador_core::store::{Store, DB_FILE_NAME};
use mostrador_core::{AppError, ErrorCode};

use crate::paths::AppDirs;

pub enum Boot {
    Ready { store: Store, dirs: AppDirs },
    Failed { error: AppError, dirs: AppDirs },
}

impl Boot {
    pub async fn open(dirs: AppDirs) -> Boot {
        match Store::open(&dirs.data.join(DB_FILE_NAME)).await {
            Ok(store) => Boot::Ready { store, dirs },
            Err(e) => {
                tracing::error!(error = %e, "cannot open the database");
                Boot::Failed {
                    error: e.into(),
                    dirs,
                }
            }
        }
    }

    pub fn store(&self) -> Result<&Store, AppError> {
        match self {
            Boot::Ready { store, .. } => Ok(store),
            Boot::Failed { error, .. } => {
                Err(AppError::new(ErrorCode::NotReady, error.message.clone()))
            }
        }
    }

    pub fn dirs(&self) -> &AppDirs {
        match self {
            Boot::Ready { dirs, .. } | Boot::Failed { dirs, .. } => dirs,
        }
    }
}
