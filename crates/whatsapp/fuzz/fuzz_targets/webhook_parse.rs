//! Fuzz target: arbitrary bytes through the signature check and the webhook parser, then every
//! iterator the app uses. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mostrador_types::Secret;
use mostrador_whatsapp::{signature, webhook};

fuzz_target!(|data: &[u8]| {
    let secret = Secret::new("fuzz-app-secret");
    // Use the first line as a header value, the rest as the body.
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (std::str::from_utf8(&data[..i]).ok(), &data[i + 1..]),
        None => (None, data),
    };
    let _ = signature::verify(&secret, body, header);
    let _ = signature::verify_handshake(header.unwrap_or_default(), &secret);
    if let Ok(n) = webhook::parse(body) {
        for m in n.messages() {
            let _ = (m.message.kind.media(), m.contact, m.message.dedupe_key());
        }
        for s in n.statuses() {
            let _ = (s.status.status.rank(), s.status.dedupe_key());
        }
        for (_, c) in n.changes() {
            let _ = format!("{c:?}");
        }
    }
});
