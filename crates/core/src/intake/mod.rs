//! Intake: turns raw webhook events (`inbox_raw`, filled by [`crate::inbox`]'s relay poller) into
//! customers, conversations, messages, statuses and templates, exactly once and only when
//! authentic (design §4). See [`processor`] for the row lifecycle and [`media`] for downloads.

mod error;
pub mod evidence;
pub mod media;
pub mod processor;
pub mod whatsapp;

pub use error::IntakeError;
pub use evidence::{JobEvidence, JobStatusEvidence};
pub use media::download_media;
pub use processor::{
    AppSecrets, Processor, ProcessorHandle, ProcessorOptions, Report, APP_SECRET, PHONE_NUMBER_ID,
    WABA_ID,
};
