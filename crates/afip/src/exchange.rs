//! The raw SOAP request and response of one call, kept for the caller's audit trail.

/// One SOAP exchange, as sent and received except that credentials are replaced by `***` (the
/// WSFE token and sign, the WSAA CMS and the ticket it returns), so it can be stored for audit
/// without storing secrets. `Debug` prints sizes only; bodies never go to logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Exchange {
    pub operation: &'static str,
    pub request_xml: String,
    /// `None` when no response arrived (timeout, connection lost).
    pub response_xml: Option<String>,
    pub http_status: Option<u16>,
    /// The server's clock (HTTP `Date`), to show the local clock's skew.
    pub server_date: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("operation", &self.operation)
            .field("request_bytes", &self.request_xml.len())
            .field(
                "response_bytes",
                &self.response_xml.as_ref().map(String::len),
            )
            .field("http_status", &self.http_status)
            .field("server_date", &self.server_date)
            .finish()
    }
}

/// What replaces a credential in a stored exchange.
pub const REDACTED: &str = "***";

impl Exchange {
    /// Replaces every occurrence of each secret (in request and response) with [`REDACTED`].
    pub fn redact(mut self, secrets: &[&str]) -> Self {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            self.request_xml = self.request_xml.replace(secret, REDACTED);
            if let Some(r) = self.response_xml.as_mut() {
                *r = r.replace(secret, REDACTED);
            }
        }
        self
    }
}
