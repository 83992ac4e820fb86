//! Measures the real app on a big database (issues 10 and 11): cold start to first paint of the
//! conversation list, and the app's RSS with that database open and idle. Not a pass/fail test:
//! ignored by default, run by `scripts/measure-app`, which generates the database
//! (`mostrador-core`'s `gen_db` example) and points `MOSTRADOR_MEASURE_DATA_DIR` at it.
//!
//! Cold start: from the app process's start (its `/proc` start time, 10 ms ticks) to the first
//! animation frame after the list shows its first row, on the page's own clock
//! (`performance.timeOrigin + performance.now()`), so WebDriver's session set-up is not counted.
//! The database file is in the OS page cache (a re-launch), as after a usual restart.

// Only part of the shared helpers is used here.
#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use support::{app_binary, wait_for, Driver};

/// Wall-clock start of process `pid`, in ms since the epoch (10 ms resolution).
fn process_start_ms(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Field 22 (starttime, in clock ticks since boot), counted after the `(comm)` field.
    let after = &stat[stat.rfind(')').context("stat format")? + 2..];
    let ticks: f64 = after
        .split_whitespace()
        .nth(19)
        .context("starttime")?
        .parse()?;
    let btime: f64 = std::fs::read_to_string("/proc/stat")?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .context("btime")?
        .trim()
        .parse()?;
    // USER_HZ is 100 on Linux.
    Ok((btime + ticks / 100.0) * 1000.0)
}

fn rss_mib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .context("VmRSS")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb / 1024.0)
}

/// The pid of this build's app (matched by its full path, never another install).
fn app_pid() -> Result<u32> {
    let app = app_binary()?;
    let out = std::process::Command::new("pgrep")
        .args(["-n", "-f", &format!("^{}$", app.display())])
        .output()?;
    let pid = String::from_utf8(out.stdout)?;
    pid.trim()
        .parse()
        .with_context(|| format!("no running {}", app.display()))
}

/// The sum of the RSS of the app and its WebKit helpers (web and network processes).
fn webkit_children_rss_mib(app: u32) -> f64 {
    let Ok(out) = std::process::Command::new("pgrep")
        .args(["-P", &app.to_string()])
        .output()
    else {
        return 0.0;
    };
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .filter_map(|p| rss_mib(p).ok())
        .sum()
}

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
    let idle = Duration::from_secs(
        std::env::var("MOSTRADOR_MEASURE_IDLE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10),
    );
    for run in 1..=runs {
        let driver = Driver::start(&data)?;
        let started = Instant::now();
        let app = driver.launch().await?;
        wait_for(&app, ".conv-row").await?;
        let pid = app_pid()?;
        // The first frame painted with a row on screen, on the page's wall clock.
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
        let start = process_start_ms(pid)?;
        let driver_side = started.elapsed();
        // Idle: nothing to await but time itself.
        tokio::time::sleep(idle).await;
        let rss = rss_mib(pid)?;
        let helpers = webkit_children_rss_mib(pid);
        println!(
            "run {run}: cold start to first paint of the list {:.0} ms (process start → frame with a row){}; \
             seen by WebDriver after {:.0} ms; app RSS open and idle ({}s) {rss:.0} MiB, WebKit helper processes {helpers:.0} MiB",
            painted - start,
            fcp.map(|f| format!(", first contentful paint {:.0} ms", f - start))
                .unwrap_or_default(),
            driver_side.as_secs_f64() * 1000.0,
            idle.as_secs(),
        );
        app.close().await?;
        drop(driver);
    }
    Ok(())
}
