//! Fault injection: what the next matching request suffers.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A fault applied to a request of one operation (or of any operation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Wait this long before processing.
    Latency { millis: u64 },
    /// Answer this HTTP status without processing.
    Status { code: u16 },
    /// Never answer and do not process (the client's timeout fires).
    Hang,
    /// Process the request (an invoice gets authorized and stored), then never answer.
    ProcessThenHang,
    /// Process the request, then drop the connection mid-response.
    ProcessThenDrop,
    /// Process the request, then answer `body` with `status` instead of the real answer (a
    /// proxy's HTML page, a body cut short, a result with pieces missing).
    ProcessThenReplace { status: u16, body: String },
    /// Before processing, another system (RCEL, another terminal) takes the next number of the
    /// request's (CUIT, point of sale, voucher type).
    ForeignInvoiceFirst,
    /// Answer WSFE business error 502 "Transacción Activa" without processing.
    TransactionActive,
    /// FEDummy reports its components down.
    DummyDown,
}

/// A fault waiting for its request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultRule {
    /// `loginCms`, `FECAESolicitar`, …; `None` matches every operation.
    pub operation: Option<String>,
    pub fault: Fault,
    /// How many requests it applies to (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// Takes the first rule matching `operation`, consuming one use.
pub fn take(rules: &mut Vec<FaultRule>, operation: &str) -> Option<Fault> {
    let i = rules
        .iter()
        .position(|r| r.operation.as_deref().is_none_or(|o| o == operation))?;
    let fault = rules[i].fault.clone();
    rules[i].times = rules[i].times.saturating_sub(1);
    if rules[i].times == 0 {
        rules.remove(i);
    }
    Some(fault)
}

/// How long "never" is: longer than any client timeout.
pub const HANG: Duration = Duration::from_secs(3600);
