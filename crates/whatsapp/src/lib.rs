//! WhatsApp Business Cloud API protocol crate (issue 3).
