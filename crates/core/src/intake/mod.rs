//! Intake: turns raw webhook events (`inbox_raw`, filled by [`crate::inbox`]'s relay poller) into
//! customers, conversations, messages, statuses and templates, exactly once and only when
//! authentic (design §4). See [`processor`] for the row lifecycle and [`media`] for downloads.

pub mod connect;
mod error;
pub mod evidence;
mod handle;
pub mod media;
pub mod processor;
mod supervisor;
mod twilio;
pub mod whatsapp;

pub use connect::{
    parse_relay_input, MetaWebhook, RelayBlock, RelayCheck, RelayConnect, RelayConnectError,
    RelayInput, RelayStatus,
};
pub use error::IntakeError;
pub use evidence::{EvidenceFuture, JobEvidence, JobStatusEvidence};
pub use handle::{start_configured, start_for_org, IntakeHandle, IntakeWiring};
pub use media::{download_media, fetch_media, MediaError, MediaOutcome};
pub use processor::{
    AppSecrets, Processor, ProcessorHandle, ProcessorOptions, Report, APP_SECRET, PHONE_NUMBER_ID,
    WABA_ID,
};
pub use supervisor::{IntakeStatus, IntakeSupervisor};
