//! Render time per document (A4 and ticket), printed as figures: `cargo bench -p mostrador-documents`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use mostrador_documents::{render, Layout};

fn main() {
    for (name, doc) in [
        ("factura B, 2 lines", support::factura_b()),
        ("factura B, 40 lines", support::long_factura_b(40)),
    ] {
        for layout in [Layout::A4, Layout::Ticket80] {
            let _ = render(&doc, layout).unwrap();
            let n = 200;
            let mut times = Vec::with_capacity(n);
            let mut bytes = 0;
            for _ in 0..n {
                let t = Instant::now();
                bytes = render(&doc, layout).unwrap().len();
                times.push(t.elapsed());
            }
            times.sort();
            println!(
                "{name} {layout:?}: p50 {:.2} ms, p99 {:.2} ms, {} KB",
                times[n / 2].as_secs_f64() * 1e3,
                times[n * 99 / 100].as_secs_f64() * 1e3,
                bytes / 1024
            );
        }
    }
}
