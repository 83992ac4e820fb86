//! WhatsApp: the organization's Cloud API settings and the `whatsapp.send` job handler.

mod config;
mod connect;
mod connect_error;
pub mod media_download;
mod payload;
mod send;

pub use config::{
    load_client, LoadError, WhatsAppSettings, ACCESS_TOKEN, BASE_URL, GRAPH_VERSION,
    PHONE_NUMBER_ID, WABA_ID,
};
pub(crate) use connect::secret;
pub use connect::{
    ConnectionTest, WhatsAppConnect, WhatsAppCredentials, WhatsAppStatus, DISPLAY_PHONE_NUMBER,
    VERIFIED_NAME,
};
pub use connect_error::ConnectError;
pub use media_download::MediaDownloadHandler;
pub use payload::{
    TemplateHeader, WhatsAppContent, WhatsAppSend, TEMPLATE_EXPIRES_AFTER, TEXT_EXPIRES_AFTER,
};
pub use send::{SendHandler, KIND};
