//! The WABA's webhook subscription (`subscribed_apps`): list, and subscribe with an optional
//! per-WABA callback override (one relay URL per shop).

use mostrador_types::Secret;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::{expect_success, Client, Effect};
use crate::error::Error;

/// One app subscribed to the WABA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribedApp {
    pub app_id: Option<String>,
    pub name: Option<String>,
    pub link: Option<String>,
    pub override_callback_uri: Option<String>,
}

/// A callback override: where this WABA's webhooks go, and the verify token for the handshake.
#[derive(Debug, Clone)]
pub struct CallbackOverride {
    pub callback_uri: url::Url,
    pub verify_token: Secret,
}

impl Client {
    pub async fn subscribed_apps(&self) -> Result<Vec<SubscribedApp>, Error> {
        #[derive(Deserialize)]
        struct Resp {
            #[serde(default)]
            data: Vec<Item>,
        }
        #[derive(Deserialize)]
        struct Item {
            whatsapp_business_api_data: Option<AppData>,
            override_callback_uri: Option<String>,
        }
        #[derive(Deserialize)]
        struct AppData {
            id: Option<String>,
            name: Option<String>,
            link: Option<String>,
        }
        let url = self.url(&[self.cfg.waba_id.as_str(), "subscribed_apps"]);
        let r: Resp = self
            .execute_json(
                "list subscribed apps",
                Effect::Safe,
                self.request(Method::GET, url),
            )
            .await?;
        Ok(r.data
            .into_iter()
            .map(|i| {
                let d = i.whatsapp_business_api_data;
                SubscribedApp {
                    app_id: d.as_ref().and_then(|d| d.id.clone()),
                    name: d.as_ref().and_then(|d| d.name.clone()),
                    link: d.and_then(|d| d.link),
                    override_callback_uri: i.override_callback_uri,
                }
            })
            .collect())
    }

    /// Subscribes our app to the WABA. Subscribe once without an override before overriding:
    /// Meta refuses an override from an app that is not subscribed yet (error 100).
    pub async fn subscribe_app(&self, callback: Option<&CallbackOverride>) -> Result<(), Error> {
        let url = self.url(&[self.cfg.waba_id.as_str(), "subscribed_apps"]);
        let mut req = self.request(Method::POST, url);
        if let Some(c) = callback {
            req = req.json(&json!({
                "override_callback_uri": c.callback_uri.as_str(),
                "verify_token": c.verify_token.expose(),
            }));
        }
        let v: Value = self
            .execute_json("subscribe app", Effect::Safe, req)
            .await?;
        expect_success("subscribe app", &v)
    }
}
