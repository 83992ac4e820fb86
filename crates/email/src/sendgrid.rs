//! SendGrid v3 `POST /v3/mail/send`: Bearer key, JSON body with plain text and HTML content and
//! base64 attachments; 202 + `X-Message-Id` means queued. Reference §3.1.

use std::time::Duration;

use base64::Engine as _;
use mostrador_types::Secret;
use serde_json::json;

use crate::error::Error;
use crate::message::Email;
use crate::Accepted;

pub const DEFAULT_BASE_URL: &str = "https://api.sendgrid.com";

#[derive(Debug, Clone)]
pub struct SendGridConfig {
    pub base_url: String,
    pub api_key: Secret,
    pub timeout: Duration,
}

impl SendGridConfig {
    pub fn new(api_key: Secret) -> Self {
        SendGridConfig {
            base_url: DEFAULT_BASE_URL.into(),
            api_key,
            timeout: Duration::from_secs(20),
        }
    }

    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }
}

#[derive(Clone)]
pub struct SendGridSender {
    http: reqwest::Client,
    url: url::Url,
    key: Secret,
}

/// The request body (pure, for tests).
pub fn body(email: &Email) -> serde_json::Value {
    let mut to = json!({ "email": email.to.as_str() });
    if let Some(n) = &email.to_name {
        to["name"] = json!(n);
    }
    let mut b = json!({
        "personalizations": [{ "to": [to], "custom_args": { "mostrador_ref": email.reference } }],
        "from": { "email": email.from.as_str(), "name": email.from_name },
        "subject": email.subject,
        "content": [
            { "type": "text/plain", "value": email.text },
            { "type": "text/html", "value": email.html }
        ],
    });
    if !email.attachments.is_empty() {
        b["attachments"] = email
            .attachments
            .iter()
            .map(|a| {
                json!({
                    "content": base64::engine::general_purpose::STANDARD.encode(a.bytes()),
                    "filename": a.filename(),
                    "type": a.content_type(),
                    "disposition": "attachment",
                })
            })
            .collect();
    }
    b
}

impl SendGridSender {
    pub fn new(cfg: &SendGridConfig) -> Result<Self, Error> {
        let base = url::Url::parse(cfg.base_url.trim_end_matches('/'))
            .map_err(|e| Error::Config(format!("SendGrid URL {:?}: {e}", cfg.base_url)))?;
        let url = url::Url::parse(&format!(
            "{}/v3/mail/send",
            base.as_str().trim_end_matches('/')
        ))
        .map_err(|e| Error::Config(e.to_string()))?;
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(e.to_string()))?;
        Ok(SendGridSender {
            http,
            url,
            key: cfg.api_key.clone(),
        })
    }

    pub async fn send(&self, email: &Email) -> Result<Accepted, Error> {
        email.check_attachments()?;
        let res = self
            .http
            .post(self.url.clone())
            .bearer_auth(self.key.expose())
            .json(&body(email))
            .send()
            .await;
        let res = match res {
            Ok(r) => r,
            Err(e) if e.is_connect() => return Err(Error::SendGridConnect(e.to_string())),
            Err(e) => return Err(Error::SendGridMaybeSent(e.to_string())),
        };
        let status = res.status().as_u16();
        let id = res
            .headers()
            .get("x-message-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = res
            .headers()
            .get("x-ratelimit-reset")
            .or_else(|| res.headers().get("retry-after"))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(|v| {
                // X-RateLimit-Reset is an epoch; Retry-After is seconds.
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                Duration::from_secs(if v > 1_000_000_000 {
                    v.saturating_sub(now)
                } else {
                    v
                })
            });
        if status == 202 || status == 200 {
            return match id {
                Some(id) if !id.is_empty() => Ok(Accepted { provider_id: id }),
                // Accepted but unnamed: sent, and we cannot say which message it is.
                _ => Err(Error::SendGridMaybeSent(format!(
                    "HTTP {status} without X-Message-Id"
                ))),
            };
        }
        let text = res.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v["errors"].as_array().map(|es| {
                    es.iter()
                        .filter_map(|e| e["message"].as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
            })
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| text.chars().take(200).collect());
        Err(Error::SendGrid {
            status,
            message,
            retry_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::attachment::Attachment;
    use crate::error::ErrorClass;

    #[test]
    fn body_has_both_parts_and_base64_attachments() {
        let e = Email {
            from: Address::parse("avisos@kiosco.example.com").unwrap(),
            from_name: "Kiosco".into(),
            to: Address::parse("ana@example.com").unwrap(),
            to_name: None,
            subject: "Factura".into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
            attachments: vec![Attachment::new("f.pdf", "application/pdf", b"PDF".to_vec()).unwrap()],
            reference: "7".into(),
        };
        let b = body(&e);
        assert_eq!(
            b["personalizations"][0]["to"][0]["email"],
            "ana@example.com"
        );
        assert_eq!(b["content"][0]["type"], "text/plain");
        assert_eq!(b["content"][1]["type"], "text/html");
        assert_eq!(b["attachments"][0]["content"], "UERG");
        assert_eq!(
            b["personalizations"][0]["custom_args"]["mostrador_ref"],
            "7"
        );
        let class = |status| {
            Error::SendGrid {
                status,
                message: String::new(),
                retry_after: None,
            }
            .class()
        };
        assert_eq!(class(403), ErrorClass::Auth);
        assert_eq!(class(429), ErrorClass::RateLimited);
        assert_eq!(class(400), ErrorClass::Permanent);
        assert_eq!(class(503), ErrorClass::Transient);
    }
}
