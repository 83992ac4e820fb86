//! Relay benchmark (not a test): ingest throughput and latency under a load generator, next to
//! nginx answering a static 200 on the same machine, and POST-to-client-commit delivery latency
//! through the long poll. See benches/README.md.
//!
//!     cargo bench -p mostrador-relay --bench relay_bench -- [--seconds 10] [--connections 64]
//!         [--threads 2] [--database-url postgres://…] [--delivery-events 2000]

use anyhow::{bail, Context as _};
use mostrador_relay::server::{self, tenant_admin, ServeConfig, Storage};
use mostrador_relay::RelayClient;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Args {
    seconds: u64,
    connections: u32,
    threads: u32,
    database_url: Option<String>,
    delivery_events: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        seconds: 10,
        connections: 64,
        threads: 2,
        database_url: None,
        delivery_events: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().context("missing value");
        match flag.as_str() {
            "--seconds" => a.seconds = val()?.parse()?,
            "--connections" => a.connections = val()?.parse()?,
            "--threads" => a.threads = val()?.parse()?,
            "--database-url" => a.database_url = Some(val()?),
            "--delivery-events" => a.delivery_events = val()?.parse()?,
            "--bench" => {} // passed by `cargo bench`
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

/// A WhatsApp-like webhook of about 600 bytes.
fn sample_body(n: u64) -> String {
    format!(
        "{{\"object\":\"whatsapp_business_account\",\"entry\":[{{\"id\":\"102290129340398\",\"changes\":[{{\"value\":{{\"messaging_product\":\"whatsapp\",\"metadata\":{{\"display_phone_number\":\"5491150000000\",\"phone_number_id\":\"106540352242922\"}},\"contacts\":[{{\"profile\":{{\"name\":\"Juan\"}},\"wa_id\":\"5491112345678\"}}],\"messages\":[{{\"from\":\"5491112345678\",\"id\":\"wamid.HBgNNTQ5MTExMjM0NTY3OBUCABIYFjNFQjBDMEI{n:020}\",\"timestamp\":\"1749416383\",\"type\":\"text\",\"text\":{{\"body\":\"Hola, ¿tienen yerba? Pago con MercadoPago\"}}}}]}},\"field\":\"messages\"}}]}}]}}"
    )
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", dir.path().join("relay.db").display()));
    let storage = Storage::open(&db).await?;
    let name = format!("bench-{}", std::process::id());
    let tenant = tenant_admin::create(&storage, "http://bench.invalid", &name, 0).await?;
    storage.close().await;
    let mut cfg = ServeConfig::new(&db, "http://bench.invalid");
    cfg.rate_limit = 0.0;
    cfg.max_events_per_tenant = 10_000_000;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let relay = server::start(&cfg, listener).await?;
    let ingest_url = tenant.ingress_urls["whatsapp"]
        .replace("http://bench.invalid", &format!("http://{}", relay.addr));

    println!("# mostrador-relay benchmark");
    println!(
        "storage: {}",
        if db.starts_with("sqlite:") {
            "SQLite (WAL, synchronous=FULL)"
        } else {
            "PostgreSQL"
        }
    );
    println!(
        "cores: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!(
            "load average before: {}",
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    let fsync = fsync_probe(dir.path())?;
    println!("disk fsync of 4 KiB (200 samples): p50 {:.2} ms, p99 {:.2} ms — the floor of any durable commit", pct(&fsync, 50.0), pct(&fsync, 99.0));

    // 1. Ingest, next to nginx.
    if which("wrk") {
        let script = dir.path().join("post.lua");
        std::fs::write(
            &script,
            format!(
                "wrk.method = \"POST\"\nwrk.body = [[{}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"X-Hub-Signature-256\"] = \"sha256=0f4c6f7fa3c4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0\"\n",
                sample_body(1)
            ),
        )?;
        let nginx = if which("nginx") {
            Some(Nginx::start(dir.path())?)
        } else {
            None
        };
        println!(
            "\nload: wrk -t{} -c{} -d{}s, POST of {} bytes",
            args.threads,
            args.connections,
            args.seconds,
            sample_body(1).len()
        );
        println!("| target | req/s | p50 | p90 | p99 |\n|---|---|---|---|---|");
        let mut nginx_rps = None;
        if let Some(n) = &nginx {
            let r = wrk(
                &args,
                &script,
                &format!("http://127.0.0.1:{}/in/x/whatsapp", n.port),
            )?;
            println!(
                "| nginx static 200 | {:.0} | {} | {} | {} |",
                r.rps, r.p50, r.p90, r.p99
            );
            nginx_rps = Some(r.rps);
        }
        let r = wrk(&args, &script, &ingest_url)?;
        println!(
            "| relay durable ingest | {:.0} | {} | {} | {} |",
            r.rps, r.p50, r.p90, r.p99
        );
        if r.non_2xx > 0 {
            println!("WARNING: {} non-2xx answers from the relay", r.non_2xx);
        }
        if let Some(n) = nginx_rps {
            println!("\nratio relay / nginx: {:.2}", r.rps / n);
        }
        drop(nginx);
    } else {
        println!("\nwrk not found (apt-get install wrk nginx): ingest measured with the built-in generator");
        let (rps, p50, p99) = builtin_load(&ingest_url, args.connections, args.seconds).await?;
        println!("relay durable ingest: {rps:.0} req/s, p50 {p50:?}, p99 {p99:?}");
    }

    // 2. Delivery: POST → long poll → client commit (a desktop-like SQLite transaction).
    let client = RelayClient::new(
        &format!("http://{}", relay.addr),
        tenant.device_token.clone().into(),
    )?;
    let status = client.status().await?;
    // Acknowledge the load test's events first, so the delivery run does not include that one big
    // ack (the desktop acks batch by batch).
    client.ack(status.last_seq, None).await?;
    let lat = delivery(
        &client,
        &ingest_url,
        status.last_seq,
        args.delivery_events,
        dir.path(),
    )
    .await?;
    println!(
        "\ndelivery POST → client commit ({} events, one at a time every 5 ms): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        pct(&lat, 50.0),
        pct(&lat, 99.0),
        lat.last().copied().unwrap_or(0.0)
    );
    relay.shutdown().await?;
    Ok(())
}

fn which(bin: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

struct Nginx {
    child: std::process::Child,
    port: u16,
}

impl Nginx {
    fn start(dir: &Path) -> anyhow::Result<Nginx> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let prefix = dir.join("nginx");
        std::fs::create_dir_all(prefix.join("logs"))?;
        let conf = prefix.join("nginx.conf");
        // As many workers as the relay has threads (auto = one per core).
        std::fs::write(
            &conf,
            format!(
                "daemon off;\nworker_processes auto;\npid {p}/nginx.pid;\nerror_log {p}/logs/error.log;\nevents {{ worker_connections 1024; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n  fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    client_max_body_size 2m;\n    location / {{ return 200 \"\"; }}\n  }}\n}}\n",
                p = prefix.display()
            ),
        )?;
        let child = Command::new("nginx")
            .args([
                "-p",
                &prefix.to_string_lossy(),
                "-c",
                &conf.to_string_lossy(),
            ])
            .stderr(Stdio::null())
            .spawn()
            .context("start nginx")?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Nginx { child, port });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!("nginx did not start")
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

struct WrkResult {
    rps: f64,
    p50: String,
    p90: String,
    p99: String,
    non_2xx: u64,
}

fn wrk(args: &Args, script: &Path, url: &str) -> anyhow::Result<WrkResult> {
    let out = Command::new("wrk")
        .args([
            &format!("-t{}", args.threads),
            &format!("-c{}", args.connections),
            &format!("-d{}s", args.seconds),
            "--latency",
            "-s",
            &script.to_string_lossy(),
            url,
        ])
        .output()
        .context("run wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let find = |prefix: &str| -> Option<String> {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    };
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("unexpected wrk output:\n{text}"))?;
    let non_2xx = text
        .lines()
        .find(|l| l.trim().starts_with("Non-2xx"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(WrkResult {
        rps,
        p50: find("50%").unwrap_or_default(),
        p90: find("90%").unwrap_or_default(),
        p99: find("99%").unwrap_or_default(),
        non_2xx,
    })
}

async fn builtin_load(
    url: &str,
    connections: u32,
    seconds: u64,
) -> anyhow::Result<(f64, Duration, Duration)> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (http, url) = (http.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = u64::from(c) << 32;
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = http.post(&url).body(sample_body(n)).send().await;
                if r.map(|r| r.status().is_success()).unwrap_or(false) {
                    lat.push(t.elapsed());
                }
                n += 1;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    all.sort();
    let p = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok((all.len() as f64 / seconds as f64, p(0.5), p(0.99)))
}

/// Sends `n` events one at a time (every 5 ms) while a client long-polls and commits each batch
/// the way the desktop does (one IMMEDIATE transaction, WAL, synchronous=FULL, INSERT … ON
/// CONFLICT DO NOTHING + cursor). Returns sorted latencies in ms, POST start → client commit.
async fn delivery(
    client: &RelayClient,
    url: &str,
    after: i64,
    n: usize,
    dir: &Path,
) -> anyhow::Result<Vec<f64>> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    use std::str::FromStr as _;
    let opts =
        SqliteConnectOptions::from_str(&format!("sqlite:{}", dir.join("desktop.db").display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
    let desk = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await?;
    sqlx::raw_sql(
        "CREATE TABLE inbox_raw (event_id TEXT PRIMARY KEY, relay_seq INTEGER, headers TEXT, body BLOB);
         CREATE TABLE cursor (id INTEGER PRIMARY KEY, seq INTEGER);",
    )
    .execute(&desk)
    .await?;
    let origin = Instant::now();
    // (event index, poll answer received, client commit done)
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Duration, Duration)>();
    let poller = {
        let client = client.clone();
        tokio::spawn(async move {
            // Acks go off the polling path and coalesce, as in mostrador-core's inbox.
            let (to_ack, mut acks) = tokio::sync::watch::channel(after);
            let acker = {
                let client = client.clone();
                tokio::spawn(async move {
                    while acks.changed().await.is_ok() {
                        let seq = *acks.borrow_and_update();
                        let _ = client.ack(seq, None).await;
                    }
                })
            };
            let mut cursor = after;
            let mut got = 0usize;
            while got < n {
                let resp = client
                    .events(cursor, None, 500, Duration::from_secs(25))
                    .await?;
                let polled = origin.elapsed();
                let mut t = desk.begin_with("BEGIN IMMEDIATE").await?;
                for e in &resp.events {
                    sqlx::query("INSERT INTO inbox_raw VALUES (?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING")
                        .bind(&e.event_id)
                        .bind(e.seq)
                        .bind(serde_json::to_string(&e.headers)?)
                        .bind(e.body()?)
                        .execute(&mut *t)
                        .await?;
                }
                sqlx::query("INSERT OR REPLACE INTO cursor VALUES (1, ?)")
                    .bind(resp.next_cursor)
                    .execute(&mut *t)
                    .await?;
                t.commit().await?;
                let committed = origin.elapsed();
                for e in &resp.events {
                    let header = e.header("x-bench-id").context("missing x-bench-id")?;
                    let _ = tx.send((header.parse()?, polled, committed));
                }
                got += resp.events.len();
                cursor = resp.next_cursor;
                to_ack.send_replace(cursor);
            }
            drop(to_ack);
            let _ = acker.await;
            anyhow::Ok(())
        })
    };
    let http = reqwest::Client::new();
    let mut sent = Vec::with_capacity(n);
    let mut stored = Vec::with_capacity(n);
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    for i in 0..n {
        tick.tick().await;
        sent.push(origin.elapsed());
        let r = http
            .post(url)
            .header("x-bench-id", i.to_string())
            .body(sample_body(i as u64))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("POST answered {}", r.status());
        }
        stored.push(origin.elapsed());
    }
    poller.await??;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (mut lat, mut post, mut to_poll, mut commit) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    while let Ok((i, polled, committed)) = rx.try_recv() {
        let i = i as usize;
        lat.push(ms(committed - sent[i]));
        post.push(ms(stored[i] - sent[i]));
        to_poll.push(ms(polled.saturating_sub(stored[i])));
        commit.push(ms(committed - polled));
    }
    for v in [&mut lat, &mut post, &mut to_poll, &mut commit] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "  breakdown p50/p99 ms: POST until 200 {:.2}/{:.2}; 200 until the poll answer {:.2}/{:.2}; client commit {:.2}/{:.2}",
        pct(&post, 50.0), pct(&post, 99.0), pct(&to_poll, 50.0), pct(&to_poll, 99.0), pct(&commit, 50.0), pct(&commit, 99.0)
    );
    Ok(lat)
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * q / 100.0) as usize).min(sorted.len() - 1)]
}

fn fsync_probe(dir: &Path) -> anyhow::Result<Vec<f64>> {
    use std::io::Write as _;
    let mut f = std::fs::File::create(dir.join("fsync-probe"))?;
    let mut out = Vec::with_capacity(200);
    for _ in 0..200 {
        f.write_all(&[b'x'; 4096])?;
        let t = Instant::now();
        f.sync_data()?;
        out.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    out.sort_by(f64::total_cmp);
    Ok(out)
}
