//! The recovery recipe after a numbering conflict (Err 10016), as one pure decision, so a caller
//! that follows it cannot loop: each outcome says exactly what to do next, and "resend the same
//! payload" is never one of them (10016 for an identical resend comes back forever).
//!
//! Err 10016 means "the number *or date* is not the next one". So after a conflict the caller
//! consults that number and reads the last authorized number again, then asks
//! [`resolve_numbering_conflict`]:
//! - the number holds our invoice ⇒ adopt its CAE;
//! - it holds another one ⇒ a foreign invoice took it: renumber (never adopt);
//! - it is free and is not AFIP's next ⇒ renumber to the next;
//! - it is free and *is* the next ⇒ the date was the problem (earlier than the last invoice's):
//!   a date rejection, fixed by changing the date, not by resending;
//! - AFIP's record cannot be read with certainty ⇒ it stays in doubt.

use serde::{Deserialize, Serialize};

use super::cae::Cae;
use super::response::{Comparison, ConsultedInvoice};
use crate::invoice::Invoice;

/// What to do after a numbering conflict on `number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConflictResolution {
    /// AFIP holds this very invoice under `number`: store this CAE.
    Adopt(Cae),
    /// Another invoice holds `number` (fields listed differ): issue ours as `next`.
    NumberTaken { next: u64, differs: Vec<String> },
    /// `number` is free but is not AFIP's next one: issue ours as `next`.
    NumberNotNext { next: u64 },
    /// `number` is free and is the next one, so the date was rejected (earlier than the last
    /// authorized invoice of this type and point of sale). Not authorized; change the date.
    DateRejected,
    /// AFIP's record cannot be compared with certainty: keep the invoice in doubt.
    StillInDoubt(String),
}

/// Decides the next step from what `FECompConsultar(number)` found and the last authorized number
/// read *after* the conflict.
pub fn resolve_numbering_conflict(
    invoice: &Invoice,
    number: u64,
    found: Option<&ConsultedInvoice>,
    last_authorized: u64,
) -> ConflictResolution {
    let next = last_authorized.saturating_add(1);
    match found.map(|f| f.compare(invoice, number)) {
        Some(Comparison::Same(cae)) => ConflictResolution::Adopt(cae),
        Some(Comparison::Different(fields)) => ConflictResolution::NumberTaken {
            next,
            differs: fields.into_iter().map(str::to_owned).collect(),
        },
        Some(Comparison::Unknown(why)) => ConflictResolution::StillInDoubt(why),
        None if number != next => ConflictResolution::NumberNotNext { next },
        None => ConflictResolution::DateRejected,
    }
}
