//! Tauri commands: each translates one UI call into one core call.

use mostrador_core::org::{NewOrganization, OrgId, Organization};
use mostrador_core::session::{self, Language, Snapshot};
use mostrador_core::AppError;
use serde::Serialize;
use tauri::State;

use crate::boot::{Boot, Phase};
use crate::ipc::command;

/// What the window needs to draw its first screen.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct StartupState {
    /// Where the database and logs live, shown in Ajustes and in error screens.
    pub data_dir: String,
    pub logs_dir: String,
    pub version: String,
    /// The database is still opening (a migration may take a while): the window says so and
    /// calls `wait_for_startup`. `snapshot` and `error` are then both `None`.
    pub opening: bool,
    /// `None` when the store could not open; `error` then says why.
    pub snapshot: Option<Snapshot>,
    pub error: Option<AppError>,
}

async fn state_of(boot: &Boot, phase: Phase) -> Result<StartupState, AppError> {
    let (opening, snapshot, error) = match phase {
        Phase::Opening => (true, None, None),
        Phase::Ready(store) => (false, Some(session::snapshot(&store).await?), None),
        Phase::Failed(error) => (false, None, Some(error)),
    };
    let dirs = boot.dirs();
    Ok(StartupState {
        data_dir: dirs.data.display().to_string(),
        logs_dir: dirs.logs.display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        opening,
        snapshot,
        error,
    })
}

/// Answers at once, even while the database is still opening.
#[command]
pub async fn startup_state(boot: State<'_, Boot>) -> Result<StartupState, AppError> {
    state_of(&boot, boot.phase()).await
}

/// Answers once the database is open (or could not be opened).
#[command]
pub async fn wait_for_startup(boot: State<'_, Boot>) -> Result<StartupState, AppError> {
    let phase = boot.opened().await;
    state_of(&boot, phase).await
}

#[command]
pub fn check_cuit(cuit: String) -> Result<(), AppError> {
    session::check_cuit(&cuit)
}

#[command]
pub async fn create_organization(
    boot: State<'_, Boot>,
    input: NewOrganization,
) -> Result<Organization, AppError> {
    session::create_organization(&boot.store().await?, input).await
}

#[command]
pub async fn select_organization(boot: State<'_, Boot>, id: OrgId) -> Result<(), AppError> {
    session::select_organization(&boot.store().await?, id).await
}

#[command]
pub async fn set_language(boot: State<'_, Boot>, language: Language) -> Result<(), AppError> {
    session::set_language(&boot.store().await?, language).await
}
