//! The providers the engine sends to. Breakers, panic mode, rate limits and health are kept per
//! (organization, integration); a job's integration is the part of its kind before the dot
//! (`whatsapp.send` ⇒ WhatsApp).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::breaker::BreakerConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Integration {
    WhatsApp,
    MercadoPago,
    Afip,
    OpenAi,
    /// SMS through Twilio (`sms.send`).
    Sms,
    /// E-mail by SMTP or SendGrid (`email.send`).
    Email,
    /// Card payments abroad (`stripe.checkout`, `stripe.sync`, `stripe.refund`).
    Stripe,
}

impl Integration {
    pub const ALL: [Integration; 7] = [
        Integration::WhatsApp,
        Integration::MercadoPago,
        Integration::Afip,
        Integration::OpenAi,
        Integration::Sms,
        Integration::Email,
        Integration::Stripe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Integration::WhatsApp => "whatsapp",
            Integration::MercadoPago => "mercadopago",
            Integration::Afip => "afip",
            Integration::OpenAi => "openai",
            Integration::Sms => "sms",
            Integration::Email => "email",
            Integration::Stripe => "stripe",
        }
    }

    /// The integration a job kind belongs to (`whatsapp.send` ⇒ WhatsApp).
    pub fn of_kind(kind: &str) -> Option<Integration> {
        kind.split('.').next()?.parse().ok()
    }

    /// The seeds' thresholds: failures to open, successes to close, how long it stays open.
    pub fn breaker_config(self) -> BreakerConfig {
        let (failures, successes, secs) = match self {
            Integration::WhatsApp => (5, 2, 30),
            Integration::MercadoPago => (3, 2, 60),
            Integration::Afip => (3, 1, 120),
            Integration::OpenAi => (5, 2, 30),
            Integration::Sms => (5, 2, 30),
            Integration::Email => (5, 2, 60),
            Integration::Stripe => (3, 2, 60),
        };
        BreakerConfig {
            failure_threshold: failures,
            success_threshold: successes,
            open_for: Duration::from_secs(secs),
        }
    }

    /// The name people see.
    pub fn display_es(self) -> &'static str {
        match self {
            Integration::WhatsApp => "WhatsApp",
            Integration::MercadoPago => "Mercado Pago",
            Integration::Afip => "ARCA (AFIP)",
            Integration::OpenAi => "OpenAI",
            Integration::Sms => "SMS (Twilio)",
            Integration::Email => "Correo",
            Integration::Stripe => "Stripe",
        }
    }
}

impl fmt::Display for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown integration {0:?}")]
pub struct UnknownIntegration(pub String);

impl FromStr for Integration {
    type Err = UnknownIntegration;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Integration::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .ok_or_else(|| UnknownIntegration(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_integrations_and_names_round_trip() {
        assert_eq!(
            Integration::of_kind("whatsapp.send"),
            Some(Integration::WhatsApp)
        );
        assert_eq!(Integration::of_kind("afip.submit"), Some(Integration::Afip));
        assert_eq!(Integration::of_kind("sms.send"), Some(Integration::Sms));
        assert_eq!(
            Integration::of_kind("stripe.checkout"),
            Some(Integration::Stripe)
        );
        assert_eq!(Integration::of_kind("fax.send"), None);
        for i in Integration::ALL {
            assert_eq!(i.as_str().parse::<Integration>().unwrap(), i);
        }
        let w = Integration::WhatsApp.breaker_config();
        assert_eq!((w.failure_threshold, w.success_threshold), (5, 2));
        assert_eq!(Integration::Afip.breaker_config().open_for.as_secs(), 120);
    }
}
