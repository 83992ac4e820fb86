//! Electronic invoicing (issue 13).

pub mod certificate;
