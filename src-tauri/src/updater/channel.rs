//! Release channels and the manifest endpoints each one reads.
//!
//! `plugins.updater.endpoints` in `tauri.conf.json` lists the manifest URLs with a `{{channel}}`
//! placeholder (`https://…/{{channel}}/latest.json`): each channel gets the same hosts, in order,
//! with its own name filled in. `MOSTRADOR_UPDATE_ENDPOINT` replaces them all with one URL, for
//! testing and staging (on release builds it must be `https`; the signature is checked either way).

use serde::{Deserialize, Serialize};
use tauri::Url;

use super::error::UpdateError;

/// Testing/staging override: one manifest URL used instead of the configured endpoints.
pub const ENDPOINT_ENV: &str = "MOSTRADOR_UPDATE_ENDPOINT";

/// The placeholder replaced by the channel name in configured endpoints.
const CHANNEL_PLACEHOLDER: &str = "{{channel}}";

/// Which releases this install follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum UpdateChannel {
    /// Releases for everyone.
    #[default]
    Stable,
    /// Releases published for early testers before they reach `stable`.
    Beta,
}

impl UpdateChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateChannel::Stable => "stable",
            UpdateChannel::Beta => "beta",
        }
    }

    pub fn parse(value: &str) -> Option<UpdateChannel> {
        match value {
            "stable" => Some(UpdateChannel::Stable),
            "beta" => Some(UpdateChannel::Beta),
            _ => None,
        }
    }
}

/// The endpoints configured in `plugins.updater.endpoints`, as written (placeholders intact).
pub fn configured(plugin_config: Option<&serde_json::Value>) -> Vec<String> {
    plugin_config
        .and_then(|c| c.get("endpoints"))
        .and_then(|e| e.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The manifest URLs for `channel`: the override if set, else the configured ones.
pub fn endpoints(
    configured: &[String],
    channel: UpdateChannel,
    override_url: Option<&str>,
) -> Result<Vec<Url>, UpdateError> {
    let templates: Vec<&str> = match override_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => vec![url.trim()],
        None => configured.iter().map(String::as_str).collect(),
    };
    if templates.is_empty() {
        return Err(UpdateError::Misconfigured(
            "no update endpoint: set plugins.updater.endpoints in tauri.conf.json".into(),
        ));
    }
    templates
        .into_iter()
        .map(|t| {
            let url = t.replace(CHANNEL_PLACEHOLDER, channel.as_str());
            Url::parse(&url)
                .map_err(|e| UpdateError::Misconfigured(format!("update endpoint {url}: {e}")))
        })
        .collect()
}

/// The override, when set (shown in Acerca de so a staging build is recognizable).
pub fn override_from_env() -> Option<String> {
    std::env::var(ENDPOINT_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_fills_the_placeholder_in_every_configured_endpoint() {
        let configured = vec![
            "https://a.example/{{channel}}/latest.json".to_string(),
            "https://b.example/mostrador/{{channel}}.json?t={{target}}".to_string(),
        ];
        let urls = endpoints(&configured, UpdateChannel::Beta, None).unwrap();
        assert_eq!(urls[0].as_str(), "https://a.example/beta/latest.json");
        assert_eq!(
            urls[1].as_str(),
            "https://b.example/mostrador/beta.json?t={{target}}"
        );
    }

    #[test]
    fn the_override_replaces_every_endpoint() {
        let configured = vec!["https://a.example/{{channel}}/latest.json".to_string()];
        let urls = endpoints(
            &configured,
            UpdateChannel::Stable,
            Some("http://127.0.0.1:9/latest.json"),
        )
        .unwrap();
        assert_eq!(
            urls.iter().map(Url::as_str).collect::<Vec<_>>(),
            ["http://127.0.0.1:9/latest.json"]
        );
    }

    #[test]
    fn missing_or_broken_endpoints_are_a_configuration_error() {
        assert!(matches!(
            endpoints(&[], UpdateChannel::Stable, None),
            Err(UpdateError::Misconfigured(_))
        ));
        assert!(matches!(
            endpoints(&["not a url".into()], UpdateChannel::Stable, None),
            Err(UpdateError::Misconfigured(_))
        ));
    }

    #[test]
    fn reads_endpoints_from_the_plugin_config() {
        let config = serde_json::json!({ "pubkey": "x", "endpoints": ["https://a/{{channel}}"] });
        assert_eq!(configured(Some(&config)), ["https://a/{{channel}}"]);
        assert!(configured(None).is_empty());
    }

    #[test]
    fn channel_names_round_trip() {
        for c in [UpdateChannel::Stable, UpdateChannel::Beta] {
            assert_eq!(UpdateChannel::parse(c.as_str()), Some(c));
        }
        assert_eq!(UpdateChannel::parse("nightly"), None);
    }
}
