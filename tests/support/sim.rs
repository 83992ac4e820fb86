//! The Graph simulator of a demo running inside the app, driven over its HTTP control API
//! (`/_sandbox/…`): the test process does not own it, the app does. Its address is the demo
//! business's `whatsapp.base_url` setting, read from the demo's database.
#![allow(dead_code)] // not every test binary uses every call

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use mostrador_sandbox::whatsapp::{sign, to_meta_json, ConfigPatch, Fault};
use serde_json::{json, Value};

pub struct DemoSim {
    /// `http://127.0.0.1:port/graph`.
    graph: String,
}

impl DemoSim {
    /// The simulator of the demo that runs on the app data dir `data`.
    pub async fn of_demo(data: &Path) -> Result<DemoSim> {
        let db = mostrador_core::demo::db_path(data);
        let url = format!("sqlite://{}", db.display());
        let pool = sqlx::SqlitePool::connect(&url)
            .await
            .with_context(|| format!("opening {}", db.display()))?;
        let graph: Option<String> =
            sqlx::query_scalar("SELECT value FROM settings WHERE key = 'whatsapp.base_url'")
                .fetch_optional(&pool)
                .await?;
        pool.close().await;
        Ok(DemoSim {
            graph: graph.context("the demo has no simulator URL")?,
        })
    }

    /// `POST` with a JSON body, or `GET` without.
    async fn call(&self, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}/_sandbox/{path}", self.graph);
        let http = mostrador_testkit::http();
        let req = match body {
            Some(b) => http.post(url).json(&b),
            None => http.get(url),
        };
        let r = req
            .send()
            .await
            .with_context(|| format!("simulator {path}"))?;
        let status = r.status();
        let text = r.text().await?;
        if !status.is_success() {
            bail!("simulator {path}: {status} {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    /// The customer writes (Meta's message object without from/id/timestamp); returns the wamid.
    pub async fn customer_sends(&self, wa_id: &str, message: Value) -> Result<String> {
        let r = self
            .call(&format!("customers/{wa_id}/messages"), Some(message))
            .await?;
        Ok(r["id"].as_str().unwrap_or_default().to_owned())
    }

    pub async fn configure(&self, patch: &ConfigPatch) -> Result<()> {
        self.call("config", Some(serde_json::to_value(patch)?))
            .await
            .map(drop)
    }

    pub async fn inject(&self, fault: &Fault) -> Result<()> {
        self.call("faults", Some(serde_json::to_value(fault)?))
            .await
            .map(drop)
    }

    pub async fn account(&self) -> Result<Value> {
        self.call("account", None).await
    }

    /// The calls the simulator accepted of one kind (`send_message`, `mark_read`…).
    pub async fn log_of(&self, kind: &str) -> Result<Vec<Value>> {
        let all = self.call("log", None).await?;
        Ok(all
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["kind"] == kind)
            .collect())
    }

    /// Accepted sends whose request has `type` = `kind` (`text`, `reaction`, `image`, `template`).
    pub async fn sends_of_type(&self, kind: &str) -> Result<Vec<Value>> {
        Ok(self
            .log_of("send_message")
            .await?
            .into_iter()
            .filter(|e| e["request"]["type"] == kind)
            .collect())
    }

    /// Waits (bounded) until `f` holds for the simulator's accepted calls of `kind`.
    pub async fn wait_log(
        &self,
        kind: &str,
        what: &str,
        f: impl Fn(&[Value]) -> bool,
    ) -> Result<Vec<Value>> {
        let deadline = std::time::Instant::now() + super::STEP_TIMEOUT;
        loop {
            let log = self.log_of(kind).await?;
            if f(&log) {
                return Ok(log);
            }
            if std::time::Instant::now() > deadline {
                bail!("the simulator never logged {what}: {log:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (bounded) until the simulator emitted a webhook for which `f` holds.
    pub async fn wait_webhook(&self, what: &str, f: impl Fn(&Value) -> bool) -> Result<Value> {
        let deadline = std::time::Instant::now() + super::STEP_TIMEOUT;
        loop {
            let all = self.call("webhooks", None).await?;
            if let Some(w) = all.as_array().and_then(|a| a.iter().find(|w| f(w))) {
                return Ok(w.clone());
            }
            if std::time::Instant::now() > deadline {
                bail!("the simulator never emitted {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A customer's text dated `age` ago, signed like Meta and posted where the simulator's
    /// webhooks go (the demo's relay): the simulator itself always stamps "now".
    pub async fn old_message(
        &self,
        wa_id: &str,
        name: &str,
        wamid: &str,
        body: &str,
        age: Duration,
    ) -> Result<()> {
        let account = self.account().await?;
        let at = (SystemTime::now() - age)
            .duration_since(UNIX_EPOCH)?
            .as_secs();
        post_dated(
            &account,
            &OldMessage {
                wa_id,
                name,
                wamid,
                body,
                at,
            },
        )
        .await
    }
}

pub struct OldMessage<'a> {
    pub wa_id: &'a str,
    pub name: &'a str,
    pub wamid: &'a str,
    pub body: &'a str,
    /// Unix seconds.
    pub at: u64,
}

/// Posts a signed `messages` webhook with `m` to `account["webhook_url"]`, as the simulator's
/// account (`/_sandbox/account`, or the same fields of an in-process simulator) would.
pub async fn post_dated(account: &Value, m: &OldMessage<'_>) -> Result<()> {
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "5491150000000", "phone_number_id": account["phone_number_id"] },
        "contacts": [{ "profile": { "name": m.name }, "wa_id": m.wa_id }],
        "messages": [{ "from": m.wa_id, "id": m.wamid, "timestamp": m.at.to_string(),
                       "type": "text", "text": { "body": m.body } }]
    });
    let body = to_meta_json(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": account["waba_id"], "changes": [{ "field": "messages", "value": value }] }]
    }));
    let secret = account["app_secret"].as_str().context("no app secret")?;
    let url = account["webhook_url"].as_str().context("no webhook URL")?;
    let r = mostrador_testkit::http()
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(secret, &body))
        .body(body)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("the relay refused the webhook: {}", r.status());
    }
    Ok(())
}
