//! Channels and the per-type chain (ordered list) a notice goes through.

use sqlx::SqliteConnection;

use crate::org::OrgId;
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[serde(rename = "whatsapp")]
    WhatsApp,
    Sms,
    Email,
}

/// WhatsApp → SMS → e-mail.
pub const DEFAULT_CHAIN: [Channel; 3] = [Channel::WhatsApp, Channel::Sms, Channel::Email];

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WhatsApp => "whatsapp",
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    /// As the thread names it: "enviado por SMS porque WhatsApp falló".
    pub fn display_es(self) -> &'static str {
        match self {
            Channel::WhatsApp => "WhatsApp",
            Channel::Sms => "SMS",
            Channel::Email => "correo",
        }
    }

    /// The channel of a job kind (`sms.send` ⇒ SMS).
    pub fn of_kind(kind: &str) -> Option<Channel> {
        match kind.split('.').next()? {
            "whatsapp" => Some(Channel::WhatsApp),
            "sms" => Some(Channel::Sms),
            "email" => Some(Channel::Email),
            _ => None,
        }
    }
}

/// The chain of a notification type (the default when none is stored).
pub async fn chain_for(
    conn: &mut SqliteConnection,
    org: OrgId,
    kind: &str,
) -> Result<Vec<Channel>, sqlx::Error> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT chain FROM notification_chains WHERE org_id = ? AND kind = ?")
            .bind(org.to_string())
            .bind(kind)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(
        v.and_then(|v| serde_json::from_str::<Vec<Channel>>(&v).ok())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| DEFAULT_CHAIN.to_vec()),
    )
}

/// Stores a type's chain (deduplicated, order kept; empty = back to the default).
pub async fn set_chain(
    store: &Store,
    org: OrgId,
    kind: &str,
    chain: &[Channel],
) -> Result<(), StoreError> {
    let mut seen = Vec::new();
    for c in chain {
        if !seen.contains(c) {
            seen.push(*c);
        }
    }
    if seen.is_empty() {
        sqlx::query("DELETE FROM notification_chains WHERE org_id = ? AND kind = ?")
            .bind(org.to_string())
            .bind(kind)
            .execute(store.writer())
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO notification_chains (org_id, kind, chain) VALUES (?, ?, ?)
             ON CONFLICT (org_id, kind) DO UPDATE SET chain = excluded.chain",
        )
        .bind(org.to_string())
        .bind(kind)
        .bind(serde_json::to_string(&seen).expect("channels serialize"))
        .execute(store.writer())
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_have_wire_names_and_kinds() {
        assert_eq!(
            serde_json::to_string(&DEFAULT_CHAIN).unwrap(),
            r#"["whatsapp","sms","email"]"#
        );
        assert_eq!(Channel::of_kind("sms.send"), Some(Channel::Sms));
        assert_eq!(Channel::of_kind("afip.submit"), None);
        assert_eq!(Channel::Email.display_es(), "correo");
    }
}
