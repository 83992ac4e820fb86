//! The demo's directory and its marker file. The marker's presence is what makes the app open in
//! demo mode; it holds only what is not a secret and cannot be derived: which business is the
//! demo's, and the relay ingress token (the path part of the webhook URL the simulator posts to).
//! It is written last when the demo is created and removed with the whole directory on exit.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::DemoError;
use crate::org::OrgId;

/// The demo's directory under the app's data dir: its database, its relay's database, the marker.
pub const DEMO_DIR: &str = "demo";
const MARKER_FILE: &str = "demo.json";
/// The relay's SQLite file inside the demo directory.
pub(super) const RELAY_DB_FILE: &str = "relay.sqlite3";

/// The demo directory of the app data dir `data_dir`.
pub fn demo_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(DEMO_DIR)
}

/// Whether the app should open in demo mode (a demo was created and not left).
pub fn is_active(data_dir: &Path) -> bool {
    demo_dir(data_dir).join(MARKER_FILE).is_file()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Marker {
    pub org_id: OrgId,
    /// `…/in/{ingress_token}/whatsapp` without the base, so a relay on another port still works.
    pub whatsapp_ingress_path: String,
}

impl Marker {
    pub fn load(dir: &Path) -> Result<Option<Marker>, DemoError> {
        let path = dir.join(MARKER_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(DemoError::Io { path, source }),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| DemoError::Marker {
                path,
                reason: e.to_string(),
            })
    }

    /// Written through a temporary file and a rename, so a crash never leaves half a marker.
    pub fn save(&self, dir: &Path) -> Result<(), DemoError> {
        let path = dir.join(MARKER_FILE);
        let tmp = dir.join(format!("{MARKER_FILE}.tmp"));
        let io = |source| DemoError::Io {
            path: path.clone(),
            source,
        };
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).expect("plain struct")).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips_and_decides_demo_mode() {
        let data = tempfile::tempdir().unwrap();
        assert!(!is_active(data.path()));
        let dir = demo_dir(data.path());
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(Marker::load(&dir).unwrap(), None);
        let m = Marker {
            org_id: OrgId::new(),
            whatsapp_ingress_path: "/in/abc/whatsapp".into(),
        };
        m.save(&dir).unwrap();
        assert!(is_active(data.path()));
        assert_eq!(Marker::load(&dir).unwrap(), Some(m));
        std::fs::write(dir.join(MARKER_FILE), b"{").unwrap();
        assert!(matches!(Marker::load(&dir), Err(DemoError::Marker { .. })));
    }
}
