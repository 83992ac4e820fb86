//! The raw SOAP request and response of one call, kept for the caller's audit trail.

/// One SOAP exchange. It may hold the token, sign and CMS, so `Debug` prints sizes only; store it
/// where invoices are stored, never in logs.
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
