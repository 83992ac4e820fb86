//! Measures the real app on a big database (issues 10 and 11): cold start to first paint of the
//! conversation list, and the app's RSS with that database open and idle. Not a pass/fail test:
//! ignored by default, run by `scripts/measure-app`, which generates the database
//! (`mostrador-core`'s `gen_db` example) and points `MOSTRADOR_MEASURE_DATA_DIR` at it.
//!
//! Cold start: from the app process's start (its `/proc` start time, 10 ms ticks) to the first
//! animation frame after the list shows its first row, on the page's own clock
//! (`performance.timeOrigin + performance.now()`), so WebDriver's session set-up is not counted.
//! The database file is in the OS page cache (a re-launch), as after a usual restart.
//!
//! Then the first row (the generator puts a 5,000-message conversation at the top of the list) is
//! opened: the time from the click to the first frame showing its messages, and the time to scroll
//! up through 500 of them (older pages load as the thread reaches its top) with the longest gap
//! between two frames meanwhile, which tells whether the window stayed responsive.
//!
//! `measure_idle_rss_with_an_empty_database` launches the app on an empty data folder: the same
//! memory figures without data, so the database's cost is the difference.

// Only part of the shared helpers is used here.
#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use mostrador_testkit::bench::load;
use support::{app_binary, wait_for, Driver};

/// Wall-clock start of process `pid`, in ms since the epoch (10 ms resolution).
///
/// From how long ago it started by the boot clock (`/proc/uptime` minus its start tick), read
/// beside the wall clock: `/proc/stat`'s `btime` is a whole second, and on this machine it put
/// every start 0.5 s too early (every figure "after process start" was 0.5 s too long).
fn process_start_ms(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Field 22 (starttime, in clock ticks since boot), counted after the `(comm)` field.
    let after = &stat[stat.rfind(')').context("stat format")? + 2..];
    let ticks: f64 = after
        .split_whitespace()
        .nth(19)
        .context("starttime")?
        .parse()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")?
        .split_whitespace()
        .next()
        .context("uptime")?
        .parse()?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs_f64()
        * 1000.0;
    // USER_HZ is 100 on Linux.
    Ok(now_ms - (uptime - ticks / 100.0) * 1000.0)
}

/// A `/proc/<pid>/status` memory field (`VmRSS`, `RssAnon`, `RssFile`, `RssShmem`), in MiB.
fn status_mib(pid: u32, field: &str) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .with_context(|| field.to_owned())?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb / 1024.0)
}

fn rss_mib(pid: u32) -> Result<f64> {
    status_mib(pid, "VmRSS")
}

/// Where the RSS is: heap and stacks (anon), mapped files (the binary, libraries, SQLite's mmap).
fn rss_parts(pid: u32) -> String {
    let part = |f: &str| {
        status_mib(pid, f)
            .map(|m| format!("{m:.0}"))
            .unwrap_or_else(|_| "?".into())
    };
    format!(
        "anon {} + file {} + shmem {} MiB; {}",
        part("RssAnon"),
        part("RssFile"),
        part("RssShmem"),
        shared_view(pid).unwrap_or_else(|| "no smaps".into())
    )
}

/// RSS counts every page a process maps, shared or not: the system's WebKit, GTK and Mesa
/// libraries are most of it, and are shared with every other WebKitGTK app. PSS divides shared
/// pages among the processes that map them; USS is the memory only this process holds (what
/// closing it gives back). Also: how much of the RSS is system libraries and the app's binary.
fn shared_view(pid: u32) -> Option<String> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| -> Option<f64> {
        rollup
            .lines()
            .find(|l| l.starts_with(&format!("{name}:")))?
            .split_whitespace()
            .nth(1)?
            .parse::<f64>()
            .ok()
            .map(|kb| kb / 1024.0)
    };
    let pss = field("Pss")?;
    let uss = field("Private_Clean")? + field("Private_Dirty")?;
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).ok()?;
    let (mut libs, mut binary, mut name) = (0.0, 0.0, String::new());
    for line in smaps.lines() {
        if let Some(kb) = line.strip_prefix("Rss:") {
            let kb: f64 = kb
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .unwrap_or(0.0);
            if std::path::Path::new(&name) == exe {
                binary += kb / 1024.0;
            } else if name.starts_with("/usr/lib") || name.starts_with("/lib") {
                libs += kb / 1024.0;
            }
        } else if line
            .split_whitespace()
            .next()
            .is_some_and(|a| a.contains('-') && !a.ends_with(':'))
        {
            name = line.split_whitespace().nth(5).unwrap_or("").to_string();
        }
    }
    Some(format!(
        "PSS {pss:.0} MiB, USS {uss:.0} MiB; system libraries {libs:.0} MiB, the app's binary {binary:.0} MiB of the RSS"
    ))
}

/// The app's start-up timeline from its log (`store ready` and the `start-up: …` lines), as
/// `phase +ms` relative to "starting", after when "starting" was logged relative to the process
/// start (`process_start_ms`, ms since the epoch): GTK, WebKit and the plugins before our code.
/// Empty when the log is not there.
fn startup_phases(data: &std::path::Path, since_line: usize, process_start_ms: f64) -> String {
    let Ok(dir) = std::fs::read_dir(data.join("logs")) else {
        return String::new();
    };
    let mut files: Vec<_> = dir.filter_map(|e| Some(e.ok()?.path())).collect();
    files.sort();
    let Some(text) = files.last().and_then(|f| std::fs::read_to_string(f).ok()) else {
        return String::new();
    };
    // `2026-11-30T01:23:02.381368Z …`: ms into the day (one launch is seconds long).
    let ts = |l: &str| -> Option<i64> {
        let time = l
            .split_whitespace()
            .next()?
            .split_once('T')?
            .1
            .trim_end_matches('Z');
        let mut hms = time.split(':');
        let (h, m, s) = (hms.next()?, hms.next()?, hms.next()?);
        let secs: f64 = s.parse().ok()?;
        Some(
            (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60) * 1000
                + (secs * 1000.0) as i64,
        )
    };
    let mut origin = None;
    let mut out = Vec::new();
    for line in text.lines().skip(since_line) {
        let Some(at) = ts(line) else { continue };
        if line.contains("mostrador_app: starting") {
            origin = Some(at);
            out.clear();
            let into_day = (process_start_ms as i64).rem_euclid(86_400_000);
            let ms = (at - into_day).rem_euclid(86_400_000);
            out.push(format!("\"starting\" logged {ms} ms after process start (10 ms resolution), then (ms after it)"));
            continue;
        }
        let Some(o) = origin else { continue };
        let what = ["store ready", "start-up: "]
            .iter()
            .find_map(|k| line.find(k).map(|i| &line[i..]));
        if let Some(what) = what {
            let what = what.split(" elapsed_ms").next().unwrap_or(what);
            let ms = (at - o).rem_euclid(86_400_000);
            out.push(format!("{} +{ms}", what.trim_start_matches("start-up: ")));
        }
    }
    out.join(", ")
}

fn log_lines(data: &std::path::Path) -> usize {
    std::fs::read_dir(data.join("logs"))
        .into_iter()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|t| t.lines().count())
        .max()
        .unwrap_or(0)
}

/// The pid of this build's app.
fn app_pid() -> Result<u32> {
    let app = app_binary()?;
    support::app_pid()?.with_context(|| format!("no running {}", app.display()))
}

/// The app's WebKit helpers (web and network processes).
fn webkit_children(app: u32) -> Vec<u32> {
    let Ok(out) = std::process::Command::new("pgrep")
        .args(["-P", &app.to_string()])
        .output()
    else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .collect()
}

/// The sum of the RSS of the app's WebKit helpers.
fn webkit_children_rss_mib(app: u32) -> f64 {
    webkit_children(app)
        .into_iter()
        .filter_map(|p| rss_mib(p).ok())
        .sum()
}

/// Each helper's name and memory split, one line each.
fn webkit_children_parts(app: u32) -> String {
    webkit_children(app)
        .into_iter()
        .filter_map(|p| {
            let name = std::fs::read_to_string(format!("/proc/{p}/comm")).ok()?;
            Some(format!(
                "  {} RSS {:.0} MiB ({})",
                name.trim(),
                rss_mib(p).ok()?,
                rss_parts(p)
            ))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How long to stay idle before reading memory (`MOSTRADOR_MEASURE_IDLE_SECS`, default 10).
fn idle_time() -> Duration {
    Duration::from_secs(
        std::env::var("MOSTRADOR_MEASURE_IDLE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10),
    )
}

/// Clicks the first row and times, on the page's clock, the first frame with its messages.
const OPEN_THREAD: &str = r#"
const done = arguments[arguments.length - 1];
const row = document.querySelector('.conv-row');
const t0 = performance.now();
row.click();
const check = () => {
  const thread = document.getElementById('thread');
  if (thread && thread.querySelector('.bubble')) {
    requestAnimationFrame(() => done([performance.now() - t0, Number(thread.dataset.messages)]));
  } else if (performance.now() - t0 > 20000) {
    done(null);
  } else {
    requestAnimationFrame(check);
  }
};
requestAnimationFrame(check);
"#;

/// Scrolls the open thread to its top until `arguments[0]` messages are loaded (or 25 s pass):
/// [elapsed ms, messages loaded, longest gap between two frames in ms].
const SCROLL_UP: &str = r#"
const want = arguments[0];
const done = arguments[arguments.length - 1];
const thread = document.getElementById('thread');
const t0 = performance.now();
let last = t0, worst = 0;
const step = (now) => {
  worst = Math.max(worst, now - last);
  last = now;
  const n = Number(thread.dataset.messages);
  if (n >= want || now - t0 > 25000) {
    done([performance.now() - t0, n, worst]);
    return;
  }
  thread.scrollTop = 0;
  thread.dispatchEvent(new Event('scroll'));
  requestAnimationFrame(step);
};
requestAnimationFrame(step);
"#;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement on a generated database: scripts/measure-app runs it"]
async fn measure_cold_start_and_idle_rss() -> Result<()> {
    let Some(data) = std::env::var_os("MOSTRADOR_MEASURE_DATA_DIR").map(PathBuf::from) else {
        bail!("MOSTRADOR_MEASURE_DATA_DIR is not set: run scripts/measure-app");
    };
    let runs: usize = std::env::var("MOSTRADOR_MEASURE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let idle = idle_time();
    for run in 1..=runs {
        let logged = log_lines(&data);
        let driver = Driver::start(&data)?;
        let started = Instant::now();
        let app = driver.launch().await?;
        wait_for(&app, ".conv-row").await?;
        let pid = app_pid()?;
        // The first frame painted with a row on screen as WebDriver saw it, on the page's clock.
        let painted = app
            .execute_async(
                "const done = arguments[arguments.length - 1];\n\
                 requestAnimationFrame(() => done(performance.timeOrigin + performance.now()));",
                vec![],
            )
            .await?
            .as_f64()
            .context("a time")?;
        let fcp = app
            .execute(
                "const e = performance.getEntriesByName('first-contentful-paint')[0];\n\
                 return e ? performance.timeOrigin + e.startTime : null;",
                vec![],
            )
            .await?
            .as_f64();
        // The page's own steps, on its wall clock: navigation start (the webview is up), the
        // bundle running (`mostrador:script`), the core's start-up state received.
        let steps = app
            .execute(
                "const at = (n) => { const e = performance.getEntriesByName(n)[0]; \
                   return e ? performance.timeOrigin + e.startTime : null; };\n\
                 return [performance.timeOrigin, at('mostrador:script'), at('mostrador:startup-state'), \
                   at('mostrador:list-asked'), at('mostrador:list-answered')];",
                vec![],
            )
            .await?;
        let start = process_start_ms(pid)?;
        let step = |i: usize| {
            steps
                .get(i)
                .and_then(|v| v.as_f64())
                .map(|t| format!("{:.0}", t - start))
                .unwrap_or_else(|| "?".into())
        };
        let driver_side = started.elapsed();
        // Idle: nothing to await but time itself.
        tokio::time::sleep(idle).await;
        let rss = rss_mib(pid)?;
        let parts = rss_parts(pid);
        let helpers = webkit_children_rss_mib(pid);
        println!(
            "run {run}: cold start to first paint of the list {:.0} ms (process start → a frame with a row, as WebDriver polled it){}; \
             seen by WebDriver after {:.0} ms; app RSS open and idle ({}s) {rss:.0} MiB ({parts}), WebKit helper processes {helpers:.0} MiB (load {})",
            painted - start,
            fcp.map(|f| format!(", first contentful paint {:.0} ms", f - start))
                .unwrap_or_default(),
            driver_side.as_secs_f64() * 1000.0,
            idle.as_secs(),
            load(),
        );
        println!(
            "run {run}: page steps (ms after process start): webview navigation {}, bundle running {}, start-up state {}, list asked {}, list answered {}, list painted (WebDriver) {:.0}",
            step(0),
            step(1),
            step(2),
            step(3),
            step(4),
            painted - start
        );
        println!("run {run}: helpers:\n{}", webkit_children_parts(pid));
        let phases = startup_phases(&data, logged, start);
        if !phases.is_empty() {
            println!("run {run}: start-up phases: {phases}");
        }
        let opened = app.execute_async(OPEN_THREAD, vec![]).await?;
        let scrolled = app
            .execute_async(SCROLL_UP, vec![serde_json::json!(500)])
            .await?;
        let n = |v: &serde_json::Value, i: usize| v.get(i).and_then(|x| x.as_f64());
        match (n(&opened, 0), n(&opened, 1)) {
            (Some(ms), Some(shown)) => println!(
                "run {run}: first rendered thread (top conversation) {ms:.0} ms after the click, {shown:.0} messages in its first page; \
                 scrolling up to {:.0} messages took {:.0} ms, longest frame gap {:.0} ms (load {})",
                n(&scrolled, 1).unwrap_or(f64::NAN),
                n(&scrolled, 0).unwrap_or(f64::NAN),
                n(&scrolled, 2).unwrap_or(f64::NAN),
                load()
            ),
            _ => println!("run {run}: the thread did not render within 20 s"),
        }
        app.close().await?;
        drop(driver);
    }
    Ok(())
}

/// The same memory figures with an empty data folder (the first-run screen): what the platform
/// (WebKitGTK, GTK, Mesa) and the app cost before any data. The difference from the big
/// database's figures is what the database costs.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: scripts/measure-app runs it"]
async fn measure_idle_rss_with_an_empty_database() -> Result<()> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    wait_for(&app, ".first-run").await?;
    let pid = app_pid()?;
    tokio::time::sleep(idle_time()).await;
    println!(
        "empty database: app RSS idle ({}s) {:.0} MiB ({}), WebKit helper processes {:.0} MiB (load {})\nhelpers:\n{}",
        idle_time().as_secs(),
        rss_mib(pid)?,
        rss_parts(pid),
        webkit_children_rss_mib(pid),
        load(),
        webkit_children_parts(pid)
    );
    app.close().await?;
    Ok(())
}
