//! WhatsApp: the organization's Cloud API settings and the `whatsapp.send` job handler.

mod config;
pub mod media_download;
mod payload;
mod send;

pub use config::{
    load_client, WhatsAppSettings, ACCESS_TOKEN, BASE_URL, GRAPH_VERSION, PHONE_NUMBER_ID, WABA_ID,
};
pub use media_download::MediaDownloadHandler;
pub use payload::{WhatsAppContent, WhatsAppSend, TEMPLATE_EXPIRES_AFTER, TEXT_EXPIRES_AFTER};
pub use send::{SendHandler, KIND};
