//! Launching Mostrador while it is already open hands over to the running window and exits,
//! so two processes never write the same database. Needs a display (scripts/test runs Xvfb).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

fn launch(data: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mostrador"))
        .env("MOSTRADOR_DATA_DIR", data)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("launching the app")
}

fn log_text(data: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(data.join("logs")) else {
        return String::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect()
}

/// Polls the log file (written by the app itself) until it contains `needle`.
fn wait_for_log(data: &Path, needle: &str, first: &mut Child) {
    let deadline = Instant::now() + TIMEOUT;
    while !log_text(data).contains(needle) {
        if let Some(status) = first.try_wait().unwrap() {
            panic!(
                "the app exited ({status}) before logging {needle:?}; log: {}",
                log_text(data)
            );
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in the log: {}",
            log_text(data)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn second_launch_hands_over_and_exits() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no DISPLAY: run this under Xvfb and dbus (scripts/test does)"
    );
    let data = tempfile::tempdir().unwrap();
    let mut first = launch(data.path());
    wait_for_log(data.path(), "database open", &mut first);

    let mut second = launch(data.path());
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the second launch did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "second launch exited with {status}");
    wait_for_log(data.path(), "second launch handed over", &mut first);
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first window must keep running"
    );

    first.kill().unwrap();
    first.wait().unwrap();
}
