//! The claim: one `UPDATE … WHERE id IN (SELECT …) RETURNING` that leases the next jobs.

use std::fmt::Write as _;

use sqlx::SqliteConnection;
use uuid::Uuid;

use crate::clock::ts;
use crate::job::{Claimed, Job, Lease, COLUMNS};
use crate::{Queue, QueueError};

/// Which jobs a claim may take, and how many.
///
/// It is an allow-list of (org, lane) groups, each with an optional cap: a dispatcher must only claim
/// kinds it has handlers for, and an allow-list keeps every group's part of the statement an indexed
/// range (`jobs_claim`), however large another group's backlog is. A group the engine must skip
/// (breaker open, panic mode) is simply not listed, or listed with [`ClaimFilter::skip`]; a
/// half-open breaker's probe is a cap of 1; a rate limiter's "n sends allowed now" is a cap of n.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimFilter {
    limit: u32,
    groups: Vec<ClaimGroup>,
}

/// One (org, lane) a claim may take jobs from, and at most how many this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimGroup {
    pub org_id: Uuid,
    pub lane: String,
    /// `None`: no cap beyond the claim's limit. `Some(0)`: skip the group.
    pub max: Option<u32>,
}

impl ClaimFilter {
    /// Claims at most `limit` jobs in all (the dispatcher's free concurrency slots).
    pub fn new(limit: u32) -> Self {
        ClaimFilter {
            limit,
            groups: Vec::new(),
        }
    }

    /// Allows (org, lane), at most `max` jobs of it this claim. Listing a group twice keeps the
    /// smaller cap.
    pub fn group(mut self, org_id: Uuid, lane: impl Into<String>, max: Option<u32>) -> Self {
        let lane = lane.into();
        match self
            .groups
            .iter_mut()
            .find(|g| g.org_id == org_id && g.lane == lane)
        {
            Some(g) => {
                g.max = match (g.max, max) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            None => self.groups.push(ClaimGroup { org_id, lane, max }),
        }
        self
    }

    /// Never claims (org, lane) this time, whatever else allowed it.
    pub fn skip(self, org_id: Uuid, lane: impl Into<String>) -> Self {
        self.group(org_id, lane, Some(0))
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    pub fn groups(&self) -> &[ClaimGroup] {
        &self.groups
    }

    fn active_groups(&self) -> impl Iterator<Item = &ClaimGroup> {
        self.groups.iter().filter(|g| g.max != Some(0))
    }
}

/// One group's candidates: due, unexpired, head of their serial_key, best first.
/// `{o}`, `{l}`, `{c}` are the group's parameter numbers; ?1 is now.
const GROUP_SQL: &str = "SELECT j.id, j.priority, j.run_at FROM jobs AS j \
    WHERE j.org_id = ?{o} AND j.lane = ?{l} \
      AND j.state IN ('scheduled', 'available', 'retryable') \
      AND j.run_at <= ?1 \
      AND (j.expires_at IS NULL OR j.expires_at > ?1) \
      AND (j.serial_key IS NULL OR NOT EXISTS ( \
            SELECT 1 FROM jobs AS e \
            WHERE e.serial_key = j.serial_key AND e.id < j.id \
              AND e.state IN ('scheduled', 'available', 'running', 'retryable', 'in_doubt') \
              AND (e.expires_at IS NULL OR e.expires_at > ?1 OR e.state IN ('running', 'in_doubt')))) \
    ORDER BY j.priority, j.run_at, j.id LIMIT ?{c}";

pub(crate) fn claim_sql(groups: usize) -> String {
    let mut sql = String::from(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, claims = claims + 1, \
             lease_owner = ?2, lease_until = ?3, attempted_at = ?1, updated_at = ?1, \
             send_started_at = NULL \
         WHERE id IN (SELECT id FROM (",
    );
    for g in 0..groups {
        if g > 0 {
            sql.push_str(" UNION ALL ");
        }
        let base = 5 + 3 * g;
        let part = GROUP_SQL
            .replace("{o}", &base.to_string())
            .replace("{l}", &(base + 1).to_string())
            .replace("{c}", &(base + 2).to_string());
        let _ = write!(sql, "SELECT * FROM ({part})");
    }
    let _ = write!(
        sql,
        ") ORDER BY priority, run_at, id LIMIT ?4) RETURNING {COLUMNS}"
    );
    sql
}

impl Queue {
    /// Leases up to `filter.limit()` claimable jobs in one statement on the write pool, best first
    /// (priority, then run_at, then id). See [`ClaimFilter`] for which jobs qualify.
    pub async fn claim(&self, filter: &ClaimFilter) -> Result<Vec<Claimed>, QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        self.claim_in(&mut conn, filter).await
    }

    /// [`Queue::claim`] on the caller's connection or transaction.
    pub async fn claim_in(
        &self,
        conn: &mut SqliteConnection,
        filter: &ClaimFilter,
    ) -> Result<Vec<Claimed>, QueueError> {
        let groups: Vec<&ClaimGroup> = filter.active_groups().collect();
        if filter.limit == 0 || groups.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.now();
        let lease =
            chrono::Duration::from_std(self.inner.config.lease).unwrap_or(chrono::Duration::MAX);
        let owner = self.inner.boot_id;
        let sql = claim_sql(groups.len());
        let mut q = sqlx::query(&sql)
            .bind(ts(now))
            .bind(owner.to_string())
            .bind(ts(now.checked_add_signed(lease).unwrap_or(now)))
            .bind(i64::from(filter.limit));
        for g in &groups {
            q = q
                .bind(g.org_id.hyphenated().to_string())
                .bind(&g.lane)
                .bind(g.max.map_or(i64::from(filter.limit), i64::from));
        }
        let rows = q.fetch_all(&mut *conn).await?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                let job = Job::from_row(row)?;
                let lease = Lease {
                    job_id: job.id,
                    owner,
                    token: job.claims,
                };
                Ok(Claimed { job, lease })
            })
            .collect::<Result<Vec<_>, QueueError>>()?;
        // RETURNING gives no order guarantee; hand jobs out best first.
        claimed.sort_by(|a, b| {
            (a.job.priority, a.job.run_at, a.job.id).cmp(&(b.job.priority, b.job.run_at, b.job.id))
        });
        tracing::debug!(count = claimed.len(), "claimed jobs");
        Ok(claimed)
    }
}

impl Queue {
    /// How many jobs a claim of (org, lane) would take now, at most `up_to` (same conditions as the
    /// claim: due, unexpired, head of its serial_key). Ask the rate limiter for exactly that many:
    /// a GCRA limiter cannot refund permits the claim then leaves unused. Runs on the reader pool.
    pub async fn claimable(&self, org_id: Uuid, lane: &str, up_to: u32) -> Result<u32, QueueError> {
        let part = GROUP_SQL
            .replace("{o}", "2")
            .replace("{l}", "3")
            .replace("{c}", "4");
        let sql = format!("SELECT count(*) FROM ({part})");
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(ts(self.now()))
            .bind(org_id.hyphenated().to_string())
            .bind(lane)
            .bind(i64::from(up_to))
            .fetch_one(&self.inner.reader)
            .await?;
        Ok(n as u32)
    }

    /// The earliest future `run_at` among the filter's groups' waiting jobs, so the dispatcher can
    /// sleep until then (or until notified) instead of polling. `None`: nothing is scheduled.
    pub async fn next_run_at(
        &self,
        filter: &ClaimFilter,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, QueueError> {
        let groups: Vec<&ClaimGroup> = filter.active_groups().collect();
        if groups.is_empty() {
            return Ok(None);
        }
        let parts: Vec<String> = (0..groups.len())
            .map(|g| {
                format!(
                    "SELECT min(run_at) AS m FROM jobs WHERE org_id = ?{} AND lane = ?{} \
                       AND state IN ('scheduled', 'available', 'retryable') AND run_at > ?1 \
                       AND (expires_at IS NULL OR expires_at > run_at)",
                    2 + 2 * g,
                    3 + 2 * g
                )
            })
            .collect();
        let sql = format!("SELECT min(m) FROM ({})", parts.join(" UNION ALL "));
        let mut q = sqlx::query_scalar::<_, Option<String>>(&sql).bind(ts(self.now()));
        for g in &groups {
            q = q.bind(g.org_id.hyphenated().to_string()).bind(&g.lane);
        }
        q.fetch_one(&self.inner.reader)
            .await?
            .map(|s| crate::clock::parse_ts("run_at", &s))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_keeps_the_smaller_cap_and_skip_wins() {
        let org = Uuid::nil();
        let f = ClaimFilter::new(10)
            .group(org, "whatsapp", None)
            .group(org, "whatsapp", Some(3))
            .group(org, "whatsapp", Some(7))
            .group(org, "afip", Some(2))
            .skip(org, "afip");
        assert_eq!(f.groups().len(), 2);
        assert_eq!(f.groups()[0].max, Some(3));
        assert_eq!(f.active_groups().count(), 1);
    }

    #[test]
    fn claim_sql_numbers_each_groups_parameters() {
        let sql = claim_sql(2);
        assert!(sql.contains("j.org_id = ?5 AND j.lane = ?6"));
        assert!(sql.contains("LIMIT ?7"));
        assert!(sql.contains("j.org_id = ?8 AND j.lane = ?9"));
        assert!(sql.contains("LIMIT ?10"));
        assert_eq!(sql.matches("UNION ALL").count(), 1);
    }

    /// The whole claim statement uses the claim index per group and the serial index for the
    /// conversation check, with no sort over the waiting rows.
    #[tokio::test]
    async fn claim_plan_is_indexed() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::migrate!("../../migrations").run(&pool).await.unwrap();
        let sql = format!("EXPLAIN QUERY PLAN {}", claim_sql(2));
        let mut q = sqlx::query(&sql)
            .bind("now")
            .bind("boot")
            .bind("until")
            .bind(10);
        for _ in 0..2 {
            q = q.bind("org").bind("whatsapp").bind(10);
        }
        let rows = q.fetch_all(&pool).await.unwrap();
        let plan: Vec<String> = rows
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
            .collect();
        let plan = plan.join("\n");
        assert_eq!(plan.matches("USING INDEX jobs_claim").count(), 2, "{plan}");
        assert!(plan.contains("jobs_serial"), "{plan}");
        // The only sort allowed is the final merge of the groups' few candidates.
        assert_eq!(plan.matches("TEMP B-TREE").count(), 1, "{plan}");
    }
}
