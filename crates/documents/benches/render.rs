//! Render time per document (A4 and ticket), printed as figures: `cargo bench -p mostrador-documents
//! --bench render`. Each case is drawn the current way and the way before (`Tuning::BEFORE`: the
//! QR's mask scored over all 8, page streams deflated at level 6), alternating sample by sample so
//! both see the same machine load; the load average is printed beside them. Besides wall time,
//! each sample's CPU time (this thread's) is printed: on a
//! machine with more runnable threads than cores the wall time is mostly waiting for a core.
//! `BENCH_N` sets the samples per case and way (default 200).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use mostrador_documents::{render_tuned, Layout, Tuning};
use mostrador_testkit::bench::{load, thread_cpu as cpu};

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
            let mut cpu_times: [Vec<Duration>; 2] = Default::default();
            let mut bytes = [0; 2];
            for (i, (_, tuning)) in ways.iter().enumerate() {
                bytes[i] = render_tuned(&doc, layout, *tuning).unwrap().len();
            }
            for _ in 0..n {
                for (i, (_, tuning)) in ways.iter().enumerate() {
                    let c = cpu();
                    let t = Instant::now();
                    let pdf = render_tuned(&doc, layout, *tuning).unwrap();
                    times[i].push(t.elapsed());
                    if let (Some(c), Some(now)) = (c, cpu()) {
                        cpu_times[i].push(now.saturating_sub(c));
                    }
                    std::hint::black_box(pdf);
                }
            }
            for (i, (way, _)) in ways.iter().enumerate() {
                let ms = |v: &mut Vec<Duration>, q: f64| {
                    v.sort();
                    v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1)))
                        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
                };
                let (wall, cpu) = (&mut times[i], &mut cpu_times[i]);
                println!(
                    "{name} {layout:?} [{way}]: wall p50 {:.2} / p95 {:.2} / p99 {:.2} ms; \
                     CPU p50 {:.2} / p95 {:.2} / p99 {:.2} ms; {} bytes",
                    ms(wall, 0.50),
                    ms(wall, 0.95),
                    ms(wall, 0.99),
                    ms(cpu, 0.50),
                    ms(cpu, 0.95),
                    ms(cpu, 0.99),
                    bytes[i]
                );
            }
        }
    }
    println!("load average at end: {}", load());
}
