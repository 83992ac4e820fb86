//! AFIP/ARCA protocol crate (issue 5).
