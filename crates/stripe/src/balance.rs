//! The account balance (`GET /v1/balance`): what "Probar" calls to prove a key works.

use serde::Deserialize;

use crate::money::Currency;

/// One currency's amount in the balance (minor units).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BalanceAmount {
    pub amount: i64,
    pub currency: Currency,
}

/// The balance (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Balance {
    #[serde(default)]
    pub available: Vec<BalanceAmount>,
    #[serde(default)]
    pub pending: Vec<BalanceAmount>,
    #[serde(default)]
    pub livemode: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_balance() {
        let b: Balance = serde_json::from_str(r#"{"object":"balance","available":[{"amount":1250,"currency":"usd","source_types":{"card":1250}}],"pending":[],"livemode":false}"#).unwrap();
        assert_eq!(b.available[0].amount, 1250);
        assert_eq!(b.available[0].currency.as_str(), "usd");
        assert!(!b.livemode);
    }
}
