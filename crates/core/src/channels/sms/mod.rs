//! SMS through Twilio: the organization's settings (settings table) and auth token (keychain), the
//! `sms.send` job handler, the segment measure shown before sending, and the enqueue that records
//! the message in the customer's conversation (channel `sms`) together with its job.

mod config;
mod enqueue;
mod failure;
mod send;

pub use config::{
    load_client, status_callback_for, LoadError, SmsSettings, ACCOUNT_SID, AUTH_TOKEN, BASE_URL,
    FROM, MESSAGING_SERVICE_SID, STATUS_CALLBACK_URL,
};
pub use enqueue::{enqueue_in, measure, SmsError, SmsMeasure, SmsRequest, SmsSend};
pub use failure::explain_sms_es;
pub(crate) use send::opt_out;
pub use send::{send_test, SendHandler, KIND};
