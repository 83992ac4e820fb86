//! Starting the real app under tauri-driver and talking WebDriver to it.

pub mod sim;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// How long a UI step may take before the test fails (a cold WebKit start is slow on 2 cores).
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The debug app binary built with the UI embedded (`scripts/test` builds it).
pub fn app_binary() -> Result<PathBuf> {
    let path = std::env::var_os("MOSTRADOR_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug/mostrador"));
    if !path.exists() {
        bail!(
            "the app binary {} does not exist: build it with `cargo build -p mostrador --features tauri/custom-protocol` after `npm --prefix ui run build` (scripts/test does both)",
            path.display()
        );
    }
    Ok(path)
}

fn tauri_driver() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(p));
    }
    let local = workspace_root().join(".ci/tools/bin/tauri-driver");
    if local.exists() {
        return Ok(local);
    }
    bail!("tauri-driver not found: run scripts/test, or `cargo install tauri-driver --locked --version 2.1.0 --root .ci/tools`")
}

/// Where screenshots go: `target/e2e/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = target_dir().join("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One app at a time per test binary: the single-instance plugin would make a second app (same
/// identifier, same session bus) hand over to the first and exit.
static ONE_APP_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A running tauri-driver; stopped with SIGTERM on drop so WebKitWebDriver stops too.
pub struct Driver {
    child: Child,
    port: u16,
    _exclusive: MutexGuard<'static, ()>,
}

impl Driver {
    /// Starts tauri-driver; the app it launches inherits `MOSTRADOR_DATA_DIR = data_dir`.
    pub fn start(data_dir: &Path) -> Result<Driver> {
        if std::env::var_os("DISPLAY").is_none() {
            bail!("no DISPLAY: run the e2e tests under Xvfb (scripts/test does)");
        }
        // A test that panicked while holding the lock leaves nothing running: its Driver was dropped.
        let exclusive = ONE_APP_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let port = free_port();
        let native = free_port();
        let child = Command::new(tauri_driver()?)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("MOSTRADOR_DATA_DIR", data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting tauri-driver")?;
        let driver = Driver {
            child,
            port,
            _exclusive: exclusive,
        };
        let deadline = Instant::now() + STEP_TIMEOUT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("tauri-driver did not listen on {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    /// Launches the app and opens a WebDriver session to its window.
    pub async fn launch(&self) -> Result<Client> {
        // The app this test closed a moment ago may still be exiting, holding the single-instance
        // name on the session bus: a new one would hand its arguments over to it and never open a
        // session. Wait until it is gone.
        let deadline = Instant::now() + STEP_TIMEOUT;
        while app_running()? {
            if Instant::now() > deadline {
                bail!("the previous app did not exit within {STEP_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let caps = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": app_binary()? },
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let connect = builder.connect(&url);
        tokio::time::timeout(2 * STEP_TIMEOUT, connect)
            .await
            .context("the app did not open a WebDriver session in time")?
            .context("opening a WebDriver session to the app")
    }
}

/// A `pgrep -f` / `pkill -f` pattern for this build's app: its full path, never another install.
fn app_pattern() -> Result<String> {
    Ok(format!("^{}( |$)", app_binary()?.display()))
}

/// The pid of this build's app started last, if one is running.
pub fn app_pid() -> Result<Option<u32>> {
    let out = Command::new("pgrep")
        .args(["-n", "-f", &app_pattern()?])
        .output()
        .context("running pgrep")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse().ok())
}

/// Whether an app of this build is running.
fn app_running() -> Result<bool> {
    Ok(app_pid()?.is_some())
}

/// Waits (at most `limit`) until no app of this build runs: the next test's app would otherwise
/// find it on the session bus and hand over to it (single instance).
#[allow(dead_code)] // not every test binary uses it
pub async fn wait_until_app_gone(limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    while app_running()? && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        // A test that failed midway leaves the app running (tauri-driver does not take it down),
        // and the next test's app would hand over to it (single instance) and never open a
        // session: end this build's app, matched by its full path, never another install.
        if let Ok(pattern) = app_pattern() {
            let _ = Command::new("pkill")
                .args(["-TERM", "-f", &pattern])
                .status();
        }
    }
}

pub async fn wait_for(client: &Client, css: &str) -> Result<Element> {
    client
        .wait()
        .at_most(STEP_TIMEOUT)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))
}

/// Waits until the element's text contains `needle`; returns the text.
pub async fn wait_for_text(client: &Client, css: &str, needle: &str) -> Result<String> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        if let Ok(el) = client.find(Locator::Css(css)).await {
            if let Ok(text) = el.text().await {
                if text.contains(needle) {
                    return Ok(text);
                }
            }
        }
        if Instant::now() > deadline {
            let _ = screenshot(client, "failed-wait").await;
            bail!(
                "{css} never contained {needle:?} (screenshot failed-wait.png); {}",
                what_is_shown(client).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// For a failed wait: the alerts on screen and the end of the page's text (the HTML head says
/// nothing useful).
async fn what_is_shown(client: &Client) -> String {
    let shown = client
        .execute(
            "const alerts = [...document.querySelectorAll('[role=alert], .field-error')].map(e => e.id + ': ' + e.innerText);\n\
             const text = document.body.innerText;\n\
             return 'alerts: ' + JSON.stringify(alerts) + '; text: …' + text.slice(-3000);",
            vec![],
        )
        .await;
    match shown {
        Ok(v) => v.as_str().unwrap_or_default().to_owned(),
        Err(e) => format!("(page unreadable: {e})"),
    }
}

pub async fn screenshot(client: &Client, name: &str) -> Result<()> {
    // WebKit captures the last painted frame: let two frames render first. Its screenshot also
    // waits for the page's next presentation update, which a page where nothing changes (the
    // fatal screen: no caret, no clock) may never have: one near-transparent pixel keeps
    // changing while the screenshot is taken, and goes away right after it.
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];\n\
             const dot = document.createElement('div');\n\
             dot.id = 'e2e-screenshot-dot';\n\
             dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0.01;pointer-events:none';\n\
             document.body.appendChild(dot);\n\
             let n = 0;\n\
             window.__e2eScreenshotTick = setInterval(() => { dot.style.background = n++ % 2 ? '#000' : '#fff'; }, 16);\n\
             requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
            vec![],
        )
        .await?;
    let png = client.screenshot().await;
    client
        .execute(
            "clearInterval(window.__e2eScreenshotTick); document.getElementById('e2e-screenshot-dot')?.remove();",
            vec![],
        )
        .await?;
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png?)?;
    Ok(())
}

#[allow(dead_code)] // not every test binary uses it
/// Waits until no element matches `css`.
pub async fn wait_for_gone(client: &Client, css: &str) -> Result<()> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    while client.find(Locator::Css(css)).await.is_ok() {
        if Instant::now() > deadline {
            bail!("{css} is still on screen");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[allow(dead_code)] // not every test binary uses it
/// Calls a command the way the window's code does, bypassing the UI: `Ok(result)` or
/// `Err(rejection)` (an `AppError` as JSON).
pub async fn invoke(
    client: &Client,
    command: &str,
    args: serde_json::Value,
) -> Result<std::result::Result<serde_json::Value, serde_json::Value>> {
    let answer = client
        .execute_async(
            "const [command, args, done] = arguments;\n\
             window.__TAURI_INTERNALS__.invoke(command, args).then(\n\
               (ok) => done({ ok: ok ?? null }),\n\
               (err) => done({ err: err ?? null }));",
            vec![command.into(), args],
        )
        .await
        .with_context(|| format!("invoking {command}"))?;
    Ok(match answer.get("err") {
        Some(err) => Err(err.clone()),
        None => Ok(answer.get("ok").cloned().unwrap_or_default()),
    })
}

/// Clicks an element after scrolling it to the middle of the window: the status bar is fixed at
/// the bottom and would take a click meant for a button scrolled just into view.
#[allow(dead_code)] // not every test binary uses it
pub async fn click(client: &Client, css: &str) -> Result<()> {
    let el = wait_for(client, css).await?;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&el)?],
        )
        .await?;
    el.click().await?;
    Ok(())
}

/// Waits (bounded) until `css` exists with attribute `attr` = `value`.
#[allow(dead_code)] // not every test binary uses it
pub async fn wait_attr(client: &Client, css: &str, attr: &str, value: &str) -> Result<()> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    let mut last = None;
    loop {
        if let Ok(e) = client.find(Locator::Css(css)).await {
            last = e.attr(attr).await?;
            if last.as_deref() == Some(value) {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("{css} never had {attr}={value} (last: {last:?})");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Replaces the value of a form field (React sees the keystrokes).
#[allow(dead_code)] // not every test binary uses it
pub async fn fill(client: &Client, css: &str, value: &str) -> Result<()> {
    let el = wait_for(client, css).await?;
    el.clear().await?;
    el.send_keys(value).await?;
    Ok(())
}

/// First run → "Probar con datos de ejemplo" → the demo shop, with the automatic trickle off
/// (only the test's customers write). Returns the demo business's id.
#[allow(dead_code)] // not every test binary uses it
pub async fn enter_demo(client: &Client) -> Result<String> {
    click(client, "#demo-enter").await?;
    wait_for_text(client, "#demo-band", "DEMO").await?;
    click(client, "#demo-trickle").await?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let status = invoke(client, "demo_status", serde_json::json!({}))
            .await?
            .map_err(|e| anyhow::anyhow!("demo_status failed: {e}"))?;
        if status["trickle"] == false {
            return Ok(status["org_id"].as_str().context("no demo org")?.to_owned());
        }
        if Instant::now() > deadline {
            bail!("the demo's trickle stayed on: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A fresh data folder → the app → "Probar con datos de ejemplo" (trickle off) → connected to
/// the demo's relay. Bind it in this order, `let (data, _driver, sim, app) = …`: bindings drop
/// last first, so the session ends, then the driver ends the app, then the folder goes.
#[allow(dead_code)] // not every test binary uses it
pub async fn demo_app() -> Result<(tempfile::TempDir, Driver, sim::DemoSim, Client)> {
    let data = tempfile::tempdir()?;
    let driver = Driver::start(data.path())?;
    let app = driver.launch().await?;
    enter_demo(&app).await?;
    // The demo's intake runs under the supervisor: the status bar says so.
    wait_for_text(&app, "#statusbar-text", "Conectado").await?;
    let sim = sim::DemoSim::of_demo(data.path()).await?;
    Ok((data, driver, sim, app))
}

/// Waits for the list row of the customer named `name` (names hold no quote: they fit in an
/// XPath literal). By the DOM, not by the list's WebDriver text: WebKitWebDriver's visible text
/// leaves out the names and previews (ellipsized, `overflow: hidden` spans) although they are on
/// screen, so `wait_for_text("#conv-list", name)` never matches.
#[allow(dead_code)] // not every test binary uses it
pub async fn wait_for_row(client: &Client, name: &str) -> Result<Element> {
    let row = format!(
        "//div[contains(@class,'conv-row')][.//span[@class='conv-name' and text()='{name}']]"
    );
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        match client.find(Locator::XPath(&row)).await {
            Ok(el) => return Ok(el),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => {
                let _ = screenshot(client, "failed-row").await;
                return Err(e).with_context(|| {
                    format!("no list row for {name} (screenshot failed-row.png)")
                });
            }
        }
    }
}

/// Opens the conversation of the customer named `name` from the list.
#[allow(dead_code)] // not every test binary uses it
pub async fn open_row(client: &Client, name: &str) -> Result<()> {
    wait_for_row(client, name).await?.click().await?;
    wait_for_text(client, "#thread-name", name).await.map(drop)
}
