//! Render time per document (A4 and ticket), printed as figures: `cargo bench -p mostrador-documents
//! --bench render`. Each case is drawn the current way and the way before (`Tuning::BEFORE`: the
//! QR's mask scored over all 8, page streams deflated at level 6), alternating sample by sample so
//! both see the same machine load; the load average is printed beside them. `BENCH_N` sets the
//! samples per case and way (default 200).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use mostrador_documents::{render_tuned, Layout, Tuning};

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let ways = [("now", Tuning::default()), ("before", Tuning::BEFORE)];
    println!("load average at start: {}", load());
    for (name, doc) in [
        ("factura B, 2 lines", support::factura_b()),
        ("factura B, 40 lines", support::long_factura_b(40)),
    ] {
        for layout in [Layout::A4, Layout::Ticket80] {
            let mut times: [Vec<Duration>; 2] = Default::default();
            let mut bytes = [0; 2];
            for (i, (_, tuning)) in ways.iter().enumerate() {
                bytes[i] = render_tuned(&doc, layout, *tuning).unwrap().len();
            }
            for _ in 0..n {
                for (i, (_, tuning)) in ways.iter().enumerate() {
                    let t = Instant::now();
                    let pdf = render_tuned(&doc, layout, *tuning).unwrap();
                    times[i].push(t.elapsed());
                    std::hint::black_box(pdf);
                }
            }
            for (i, (way, _)) in ways.iter().enumerate() {
                let v = &mut times[i];
                v.sort();
                let at = |q: f64| v[((n as f64 * q) as usize).min(n - 1)].as_secs_f64() * 1e3;
                println!(
                    "{name} {layout:?} [{way}]: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, {} bytes",
                    at(0.50),
                    at(0.95),
                    at(0.99),
                    bytes[i]
                );
            }
        }
    }
    println!("load average at end: {}", load());
}
