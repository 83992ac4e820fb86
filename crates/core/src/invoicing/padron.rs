//! Receiver lookup by CUIT in AFIP's padrón, cached in `padron_cache`. A lookup is a convenience:
//! it answers from the cache when it is fresh, gives up after a short timeout, and when AFIP is
//! down it returns what the cache has (or "unavailable") so the sale goes on with typed data.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_afip::padron::{PadronClient, PadronError, Persona};
use mostrador_afip::transport::HttpClient;
use mostrador_queue::Clock;
use mostrador_types::{Cuit, IvaCondition};
use serde::Serialize;
use sqlx::Row;

use super::session::{AfipSetups, Tickets};
use crate::org::{self, OrgId};
use crate::store::{timestamp, Store};

/// A cached answer younger than this is used without asking AFIP.
pub const FRESH_FOR: chrono::Duration = chrono::Duration::days(30);

/// A receiver as the form fills it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Taxpayer {
    pub cuit: Cuit,
    pub name: String,
    pub address: Option<String>,
    pub iva_condition: IvaCondition,
    pub active: bool,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub fetched_at: DateTime<Utc>,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lookup {
    /// From AFIP now, or from a fresh cache.
    Found {
        taxpayer: Taxpayer,
        from_cache: bool,
    },
    /// AFIP has no such CUIT.
    NotFound,
    /// AFIP did not answer: the last known data (possibly old), if any. Type the rest by hand.
    Unavailable {
        cached: Option<Taxpayer>,
        reason: String,
    },
}

pub struct PadronLookup {
    store: Store,
    setups: AfipSetups,
    tickets: Arc<Tickets>,
    clock: Arc<dyn Clock>,
    timeout: Duration,
}

impl PadronLookup {
    pub fn new(
        store: Store,
        setups: AfipSetups,
        tickets: Arc<Tickets>,
        clock: Arc<dyn Clock>,
        timeout: Duration,
    ) -> Self {
        PadronLookup {
            store,
            setups,
            tickets,
            clock,
            timeout,
        }
    }

    async fn cached(&self, cuit: Cuit) -> Result<Option<Taxpayer>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT name, address, iva_condition, active, fetched_at FROM padron_cache WHERE cuit = ?",
        )
        .bind(cuit.digits())
        .fetch_optional(self.store.reader())
        .await?;
        Ok(row.and_then(|r| {
            let cond: String = r.get("iva_condition");
            let at: String = r.get("fetched_at");
            Some(Taxpayer {
                cuit,
                name: r.get("name"),
                address: r.get("address"),
                iva_condition: cond.parse().ok()?,
                active: r.get::<i64, _>("active") == 1,
                fetched_at: at.parse().ok()?,
            })
        }))
    }

    async fn store_persona(&self, p: &Persona, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO padron_cache (cuit, name, address, iva_condition, active, fetched_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (cuit) DO UPDATE SET name = excluded.name, address = excluded.address,
                iva_condition = excluded.iva_condition, active = excluded.active,
                fetched_at = excluded.fetched_at",
        )
        .bind(p.cuit.digits())
        .bind(&p.name)
        .bind(&p.address)
        .bind(p.iva_condition.as_str())
        .bind(p.active as i64)
        .bind(timestamp::to_text(at))
        .execute(self.store.writer())
        .await?;
        Ok(())
    }

    /// Looks `cuit` up for `org`. Never takes longer than about twice the timeout.
    pub async fn lookup(&self, org: OrgId, cuit: Cuit) -> Result<Lookup, sqlx::Error> {
        let now = self.clock.now();
        let cached = self.cached(cuit).await?;
        if let Some(c) = cached.as_ref().filter(|c| now - c.fetched_at < FRESH_FOR) {
            return Ok(Lookup::Found {
                taxpayer: c.clone(),
                from_cache: true,
            });
        }
        let unavailable = |reason: String| Lookup::Unavailable {
            cached: cached.clone(),
            reason,
        };
        let Some(conn) = self.setups.get(org) else {
            return Ok(unavailable("AFIP no está configurado".into()));
        };
        let Some(url) = conn.setup.padron.clone() else {
            return Ok(unavailable("consulta al padrón no configurada".into()));
        };
        let represented = match org::get(&self.store, org).await {
            Ok(o) => o.cuit,
            Err(e) => return Ok(unavailable(e.to_string())),
        };
        let client = PadronClient::new(HttpClient::default(), url).with_timeout(self.timeout);
        let attempt = async {
            let ticket = match self.tickets.get(org, &conn, now).await {
                Ok(t) => t,
                Err(e) => return Err(e.to_string()),
            };
            let r = client.get_persona(&ticket, represented, cuit).await;
            if let Err(e) = &r {
                if e.is_auth() {
                    self.tickets.invalidate(org, conn.setup.environment).await;
                    return Err(e.to_string());
                }
            }
            Ok(r)
        };
        // The login and the lookup together are bounded: a sale never waits on AFIP.
        let answer = match tokio::time::timeout(self.timeout * 2, attempt).await {
            Err(_) => return Ok(unavailable("AFIP no respondió a tiempo".into())),
            Ok(Err(reason)) => return Ok(unavailable(reason)),
            Ok(Ok(a)) => a,
        };
        match answer {
            Ok(p) => {
                self.store_persona(&p, now).await?;
                Ok(Lookup::Found {
                    taxpayer: Taxpayer {
                        cuit,
                        name: p.name,
                        address: p.address,
                        iva_condition: p.iva_condition,
                        active: p.active,
                        fetched_at: timestamp::to_text(now).parse().unwrap_or(now),
                    },
                    from_cache: false,
                })
            }
            Err(PadronError::NotFound(_)) => Ok(Lookup::NotFound),
            Err(e) => Ok(unavailable(e.to_string())),
        }
    }
}
