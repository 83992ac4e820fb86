//! Webhook relay (issue 4).
