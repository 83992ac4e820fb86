//! Benchmark (not a timed test): verify the signature of, then parse, a 10-message webhook batch.
//! Run with `cargo bench -p mostrador-whatsapp --bench webhook_batch` (release profile); it prints
//! batches per second on one core. Target: ≥ 50,000.

use std::hint::black_box;
use std::time::{Duration, Instant};

use mostrador_types::Secret;
use mostrador_whatsapp::{signature, webhook};
use serde_json::json;

fn batch() -> Vec<u8> {
    let kinds = [
        json!({"type": "text", "text": {"body": "Hola, ¿tienen yerba de 1 kg? La necesito para hoy"}}),
        json!({"type": "image", "image": {"id": "1479537139650973", "mime_type": "image/jpeg", "sha256": "IJF2rYQhtMAM7UTOeHpwi6mm9FSyZOxw5fCdmEHakns=", "caption": "Esta"}}),
        json!({"type": "audio", "audio": {"id": "1003383421387256", "mime_type": "audio/ogg; codecs=opus", "sha256": "Zm9vYmFy", "voice": true}}),
        json!({"type": "reaction", "reaction": {"message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJBQjQ1OUI3RUY3NjdGRjEyAA==", "emoji": "👍"}}),
        json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "confirmar-123", "title": "Confirmar"}}}),
    ];
    let messages: Vec<_> = (0..10)
        .map(|i| {
            let mut m = kinds[i % kinds.len()].clone();
            m["from"] = json!("5491112345678");
            m["id"] = json!(format!("wamid.HBgNNTQ5MTExMjM0NTY3OBUCABIYFjNFQjBDMEQ2RkE1QjM2RkU0RjJF{i:04}"));
            m["timestamp"] = json!("1749416383");
            if i % 3 == 0 {
                m["context"] = json!({"from": "5491150000000", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJBQjQ1OUI3RUY3NjdGRjEyAA=="});
            }
            m
        })
        .collect();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5491150000000", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Juan Pérez"}, "wa_id": "5491112345678", "user_id": "AR.13491208655302741918"}],
        "messages": messages}}]}]});
    serde_json::to_vec(&body).unwrap()
}

/// This thread's CPU time (Linux), so that other processes on a busy machine do not count.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn main() {
    let secret = Secret::new("0123456789abcdef0123456789abcdef");
    let body = batch();
    let header = signature::sign(&secret, &body);
    let run = |body: &[u8]| {
        signature::verify(&secret, body, Some(&header)).unwrap();
        let n = webhook::parse(body).unwrap();
        assert_eq!(n.messages().count(), 10);
        n
    };
    // Warm up.
    for _ in 0..2_000 {
        black_box(run(black_box(&body)));
    }
    let rate_of = |f: &dyn Fn()| {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_millis(400) {
            for _ in 0..100 {
                f();
            }
            n += 100;
        }
        n as f64 / start.elapsed().as_secs_f64()
    };
    let verify_only = rate_of(&|| {
        signature::verify(&secret, black_box(&body), Some(&header)).unwrap();
    });
    let parse_only = rate_of(&|| {
        black_box(webhook::parse(black_box(&body)).unwrap());
    });
    println!("verify only: {verify_only:.0}/s; parse only: {parse_only:.0}/s");
    let mut best = 0.0f64;
    let mut best_cpu = 0.0f64;
    for round in 1..=5 {
        let start = Instant::now();
        let cpu_start = thread_cpu();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_millis(600) {
            for _ in 0..100 {
                black_box(run(black_box(&body)));
            }
            n += 100;
        }
        let rate = n as f64 / start.elapsed().as_secs_f64();
        best = best.max(rate);
        match (cpu_start, thread_cpu()) {
            (Some(a), Some(b)) if b > a => {
                let cpu_rate = n as f64 / (b - a).as_secs_f64();
                best_cpu = best_cpu.max(cpu_rate);
                println!(
                    "round {round}: {rate:.0} batches/s wall, {cpu_rate:.0} batches/s of CPU time"
                );
            }
            _ => println!("round {round}: {rate:.0} batches/s wall"),
        }
    }
    println!(
        "webhook_batch: verify + parse of a 10-message batch ({} bytes) on one core: best {best:.0} batches/s wall clock, {best_cpu:.0} batches/s per CPU-second (target ≥ 50000)",
        body.len()
    );
}
