//! Leases and fencing, rescue at boot, retries and the dead letter, expiry, pruning, enqueue in a
//! caller's transaction, owner actions, wake-ups.

mod common;

use std::time::Duration as StdDuration;

use chrono::Duration;
use common::db;
use mostrador_queue::{
    BootId, ClaimFilter, Enqueued, JobError, JobState, ListQuery, NewJob, QueueConfig, QueueError,
    RetryOutcome,
};
use serde_json::json;

fn send(org: uuid::Uuid, n: i64) -> NewJob {
    NewJob::new(org, "whatsapp.send", &json!({ "n": n })).unwrap()
}

fn wa(org: uuid::Uuid) -> ClaimFilter {
    ClaimFilter::new(10).group(org, "whatsapp", None)
}

fn err(class: &str) -> JobError {
    JobError::new(class, Some("http_503".into()), "Servicio no disponible")
}

#[tokio::test]
async fn a_stale_worker_cannot_finalize_a_job_rescued_and_reclaimed_by_its_own_boot() {
    let db = db().await;
    let config = QueueConfig {
        lease: StdDuration::from_secs(60),
        ..QueueConfig::default()
    };
    let q = db.queue_with(BootId::new(), config);
    let id = q.enqueue(&send(db.org, 1)).await.unwrap().id();
    let stale = q.claim(&wa(db.org)).await.unwrap().remove(0);

    // The handler hangs past its lease; maintenance takes the job back, and it is claimed again.
    db.clock.advance(Duration::seconds(61));
    let rescued = q.rescue().await.unwrap();
    assert_eq!(rescued.retryable, vec![id]);
    let fresh = q.claim(&wa(db.org)).await.unwrap().remove(0);
    assert_eq!(fresh.job.id, id);
    assert_eq!(fresh.lease.owner, stale.lease.owner, "same boot");

    // Every fenced call of the stale worker is refused...
    for r in [
        q.mark_send_started(&stale.lease).await,
        q.complete(&stale.lease).await,
        q.discard(&stale.lease, &err("permanent")).await,
        q.in_doubt(&stale.lease, &err("maybe_sent")).await,
        q.retry_at(&stale.lease, q.now(), &err("transient"))
            .await
            .map(|_| ()),
        q.snooze(&stale.lease, q.now()).await,
    ] {
        assert!(
            matches!(r, Err(QueueError::LeaseLost { job_id }) if job_id == id),
            "{r:?}"
        );
    }
    assert_eq!(q.complete_many(&[stale.lease]).await.unwrap(), vec![id]);
    assert_eq!(
        q.mark_send_started_many(&[stale.lease]).await.unwrap(),
        vec![id]
    );
    // ...and the current one is unaffected.
    assert_eq!(db.state_of(id).await, "running");
    assert!(q
        .mark_send_started_many(&[fresh.lease])
        .await
        .unwrap()
        .is_empty());
    assert!(q.get(id).await.unwrap().unwrap().send_started_at.is_some());
    q.complete(&fresh.lease).await.unwrap();
    assert_eq!(db.state_of(id).await, "completed");
}

#[tokio::test]
async fn a_worker_of_a_previous_boot_cannot_finalize_after_the_restart_rescue() {
    let db = db().await;
    let old = db.queue(BootId::new());
    old.enqueue(&send(db.org, 1)).await.unwrap();
    let stale = old.claim(&wa(db.org)).await.unwrap().remove(0);
    let new = db.queue(BootId::new());
    new.rescue().await.unwrap();
    assert!(matches!(
        old.complete(&stale.lease).await,
        Err(QueueError::LeaseLost { .. })
    ));
    // Even the new boot cannot use a lease it did not get.
    assert!(matches!(
        new.complete(&stale.lease).await,
        Err(QueueError::LeaseLost { .. })
    ));
}

#[tokio::test]
async fn rescue_at_boot_makes_started_sends_in_doubt_and_gives_back_unstarted_attempts() {
    let db = db().await;
    let before = db.queue(BootId::new());
    let started = before.enqueue(&send(db.org, 1)).await.unwrap().id();
    let unstarted = before.enqueue(&send(db.org, 2)).await.unwrap().id();
    let waiting = before
        .enqueue(&send(db.org, 3).run_at(before.now() + Duration::hours(1)))
        .await
        .unwrap()
        .id();
    let claimed = before
        .claim(&ClaimFilter::new(2).group(db.org, "whatsapp", None))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    before.mark_send_started(&claimed[0].lease).await.unwrap();
    // The process is killed here. A new boot starts on the same file.
    let after = db.queue(BootId::new());
    let report = after.rescue().await.unwrap();
    assert_eq!(report.in_doubt, vec![started]);
    assert_eq!(report.retryable, vec![unstarted]);

    let s = after.get(started).await.unwrap().unwrap();
    assert_eq!((s.state, s.attempts), (JobState::InDoubt, 1));
    assert!(s.send_started_at.is_some() && s.lease_owner.is_none());
    assert_eq!(s.errors.last().unwrap().class, "interrupted_in_send");
    let u = after.get(unstarted).await.unwrap().unwrap();
    assert_eq!((u.state, u.attempts), (JobState::Retryable, 0));
    assert_eq!(u.errors.last().unwrap().class, "interrupted");
    assert_eq!(db.state_of(waiting).await, "scheduled");

    // The in-doubt one is never claimed again by itself; the other one is, at once.
    let again = after.claim(&wa(db.org)).await.unwrap();
    assert_eq!(
        again.iter().map(|c| c.job.id).collect::<Vec<_>>(),
        vec![unstarted]
    );
    assert_eq!(again[0].job.attempts, 1);
    // A second rescue of the same boot finds nothing of its own to take.
    assert_eq!(after.rescue().await.unwrap(), Default::default());
}

#[tokio::test]
async fn retries_record_every_attempt_and_exhaustion_goes_to_the_dead_letter() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let id = q
        .enqueue(&send(db.org, 1).max_attempts(3))
        .await
        .unwrap()
        .id();
    for attempt in 1..=3u32 {
        let c = q.claim(&wa(db.org)).await.unwrap().remove(0);
        assert_eq!(c.job.attempts, attempt);
        let out = q
            .retry_at(&c.lease, q.now() + Duration::seconds(10), &err("transient"))
            .await
            .unwrap();
        let expected = if attempt < 3 {
            RetryOutcome::Scheduled
        } else {
            RetryOutcome::Exhausted
        };
        assert_eq!(out, expected);
        db.clock.advance(Duration::seconds(10));
    }
    let job = q.get(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Discarded);
    assert!(job.finished_at.is_some());
    assert_eq!(
        job.errors.iter().map(|e| e.attempt).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(job
        .errors
        .iter()
        .all(|e| e.class == "transient" && e.code.as_deref() == Some("http_503")));
    let dead = q
        .list(&ListQuery {
            state: JobState::Discarded,
            org_id: Some(db.org),
            before: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(dead.jobs.len(), 1);

    // "Reintentar": a fresh series, history kept.
    q.retry_dead(id, None).await.unwrap();
    let job = q.get(id).await.unwrap().unwrap();
    assert_eq!(
        (job.state, job.attempts, job.errors.len()),
        (JobState::Available, 0, 3)
    );
    let c = q.claim(&wa(db.org)).await.unwrap().remove(0);
    q.complete(&c.lease).await.unwrap();
    assert!(matches!(
        q.retry_dead(id, None).await,
        Err(QueueError::InvalidState { .. })
    ));
}

#[tokio::test]
async fn snooze_does_not_consume_the_attempt_and_is_refused_once_the_send_started() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let id = q.enqueue(&send(db.org, 1)).await.unwrap().id();
    let c = q.claim(&wa(db.org)).await.unwrap().remove(0);
    q.snooze(&c.lease, q.now() + Duration::minutes(1))
        .await
        .unwrap();
    let job = q.get(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Scheduled, 0));
    db.clock.advance(Duration::minutes(1));
    let c = q.claim(&wa(db.org)).await.unwrap().remove(0);
    assert_eq!(c.job.attempts, 1);
    q.mark_send_started(&c.lease).await.unwrap();
    assert!(matches!(
        q.snooze(&c.lease, q.now()).await,
        Err(QueueError::InvalidState { .. })
    ));
}

#[tokio::test]
async fn expire_moves_expired_waiting_jobs_to_the_dead_letter_and_returns_them() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let soon = q
        .enqueue(&send(db.org, 1).expires_at(q.now() + Duration::minutes(1)))
        .await
        .unwrap()
        .id();
    let later = q
        .enqueue(&send(db.org, 2).expires_at(q.now() + Duration::hours(1)))
        .await
        .unwrap()
        .id();
    assert!(q.expire(100).await.unwrap().is_empty());
    db.clock.advance(Duration::minutes(2));
    let expired = q.expire(100).await.unwrap();
    assert_eq!(expired.iter().map(|j| j.id).collect::<Vec<_>>(), vec![soon]);
    assert_eq!(expired[0].state, JobState::Discarded);
    assert_eq!(expired[0].errors.last().unwrap().class, "expired");
    assert_eq!(db.state_of(later).await, "available");
    // A fallback child in the same transaction as the expiry.
    let mut tx = q.writer().begin_with("BEGIN IMMEDIATE").await.unwrap();
    db.clock.advance(Duration::hours(1));
    let expired = q.expire_in(&mut tx, 100).await.unwrap();
    let (child, wake) = q
        .enqueue_in(
            &mut tx,
            &NewJob::new(db.org, "sms.send", &json!({}))
                .unwrap()
                .parent(expired[0].id),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    wake.after_commit();
    assert_eq!(
        q.get(child.id()).await.unwrap().unwrap().parent_id,
        Some(later)
    );
}

#[tokio::test]
async fn pruning_deletes_only_old_finished_jobs() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let done = q.enqueue(&send(db.org, 1)).await.unwrap().id();
    let dead = q.enqueue(&send(db.org, 2)).await.unwrap().id();
    let doubt = q.enqueue(&send(db.org, 3)).await.unwrap().id();
    let waiting = q
        .enqueue(&send(db.org, 4).run_at(q.now() + Duration::days(60)))
        .await
        .unwrap()
        .id();
    let c = q
        .claim(&ClaimFilter::new(3).group(db.org, "whatsapp", None))
        .await
        .unwrap();
    q.complete(&c[0].lease).await.unwrap();
    q.discard(&c[1].lease, &err("permanent")).await.unwrap();
    q.in_doubt(&c[2].lease, &err("maybe_sent")).await.unwrap();

    db.clock.advance(Duration::hours(23));
    assert_eq!(q.prune().await.unwrap().completed, 0);
    db.clock.advance(Duration::hours(2));
    let r = q.prune().await.unwrap();
    assert_eq!((r.completed, r.discarded), (1, 0));
    assert!(q.get(done).await.unwrap().is_none());
    db.clock.advance(Duration::days(30));
    let r = q.prune().await.unwrap();
    assert_eq!((r.completed, r.discarded), (0, 1));
    assert!(q.get(dead).await.unwrap().is_none());
    // Unfinished jobs and other tables stay.
    assert_eq!(db.state_of(doubt).await, "in_doubt");
    assert_eq!(db.state_of(waiting).await, "scheduled");
    let orgs: i64 = sqlx::query_scalar("SELECT count(*) FROM organizations")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(orgs, 1);
    // Ids are never reused after pruning (late evidence must not hit a new job).
    let next = q.enqueue(&send(db.org, 5)).await.unwrap().id();
    assert!(next.0 > waiting.0);
}

#[tokio::test]
async fn pruning_works_in_batches() {
    let db = db().await;
    let q = db.queue_with(
        BootId::new(),
        QueueConfig {
            prune_batch: 2,
            ..QueueConfig::default()
        },
    );
    for n in 0..5 {
        q.enqueue(&send(db.org, n)).await.unwrap();
    }
    let c = q.claim(&wa(db.org)).await.unwrap();
    assert!(q
        .complete_many(&c.iter().map(|c| c.lease).collect::<Vec<_>>())
        .await
        .unwrap()
        .is_empty());
    // A newer job, so the newest-row rule does not hold any of the five back.
    q.enqueue(&send(db.org, 6)).await.unwrap();
    db.clock.advance(Duration::hours(25));
    assert_eq!(q.prune().await.unwrap().completed, 5);
}

#[tokio::test]
async fn enqueue_in_a_rolled_back_transaction_leaves_no_job() {
    let db = db().await;
    let q = db.queue(BootId::new());
    sqlx::query("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();

    let mut tx = q.writer().begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("INSERT INTO messages (body) VALUES ('hola')")
        .execute(&mut *tx)
        .await
        .unwrap();
    let (out, wake) = q
        .enqueue_in(&mut tx, &send(db.org, 1).unique_key("m1"))
        .await
        .unwrap();
    assert!(matches!(out, Enqueued::Inserted(_)));
    tx.rollback().await.unwrap();
    drop(wake);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let msgs: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!((jobs, msgs), (0, 0));

    let mut tx = q.writer().begin_with("BEGIN IMMEDIATE").await.unwrap();
    sqlx::query("INSERT INTO messages (body) VALUES ('hola')")
        .execute(&mut *tx)
        .await
        .unwrap();
    let (out, wake) = q
        .enqueue_in(&mut tx, &send(db.org, 1).unique_key("m1"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    wake.after_commit();
    assert!(matches!(out, Enqueued::Inserted(_)));
    assert_eq!(q.claim(&wa(db.org)).await.unwrap().len(), 1);
}

#[tokio::test]
async fn enqueue_wakes_a_waiting_dispatcher_long_before_the_backstop_poll() {
    let db = db().await;
    let q = db.queue_with(
        BootId::new(),
        QueueConfig {
            backstop_poll: StdDuration::from_secs(3600),
            ..QueueConfig::default()
        },
    );
    let waiter = tokio::spawn({
        let q = q.clone();
        async move { q.wait_for_work().await }
    });
    tokio::task::yield_now().await;
    q.enqueue(&send(db.org, 1)).await.unwrap();
    tokio::time::timeout(StdDuration::from_secs(10), waiter)
        .await
        .expect("woken")
        .unwrap();

    // In a transaction: the wake comes from the guard after commit.
    let mut tx = q.writer().begin_with("BEGIN IMMEDIATE").await.unwrap();
    let (_, wake) = q.enqueue_in(&mut tx, &send(db.org, 2)).await.unwrap();
    tx.commit().await.unwrap();
    wake.after_commit();
    tokio::time::timeout(StdDuration::from_secs(10), q.wait_for_work())
        .await
        .expect("woken");
}

#[tokio::test]
async fn owner_actions_cancel_resolve_and_list() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let a = q.enqueue(&send(db.org, 1)).await.unwrap().id();
    let b = q.enqueue(&send(db.org, 2)).await.unwrap().id();
    let c = q
        .claim(&ClaimFilter::new(1).group(db.org, "whatsapp", None))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(c.job.id, a);
    assert!(matches!(
        q.cancel(a).await,
        Err(QueueError::InvalidState {
            state: JobState::Running,
            ..
        })
    ));
    q.cancel(b).await.unwrap();
    assert_eq!(db.state_of(b).await, "cancelled");
    assert!(matches!(
        q.cancel(mostrador_queue::JobId(999)).await,
        Err(QueueError::NotFound { .. })
    ));

    q.mark_send_started(&c.lease).await.unwrap();
    q.in_doubt(&c.lease, &err("maybe_sent")).await.unwrap();
    assert!(q
        .resolve_sent(a, "estado 'sent' por webhook")
        .await
        .unwrap());
    assert!(!q.resolve_sent(a, "again").await.unwrap());
    let job = q.get(a).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.errors.last().unwrap().class, "resolved_sent");

    for n in 0..5 {
        let id = q.enqueue(&send(db.org, 10 + n)).await.unwrap().id();
        q.cancel(id).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = q
            .list(&ListQuery {
                state: JobState::Cancelled,
                org_id: None,
                before,
                limit: 2,
            })
            .await
            .unwrap();
        seen.extend(page.jobs.iter().map(|j| j.id.0));
        match page.next {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );
}

#[tokio::test]
async fn counts_and_oldest_waiting_per_org_and_lane() {
    let db = db().await;
    let q = db.queue(BootId::new());
    q.enqueue(&send(db.org, 1)).await.unwrap();
    db.clock.advance(Duration::seconds(30));
    q.enqueue(&send(db.org, 2)).await.unwrap();
    q.enqueue(&NewJob::new(db.org, "afip.submit", &json!({})).unwrap())
        .await
        .unwrap();
    q.enqueue(&send(db.org, 3).run_at(q.now() + Duration::hours(1)))
        .await
        .unwrap();
    db.clock.advance(Duration::seconds(30));

    let counts = q.counts().await.unwrap();
    let get = |lane: &str, st: JobState| {
        counts
            .iter()
            .find(|d| d.lane == lane && d.state == st)
            .map_or(0, |d| d.count)
    };
    assert_eq!(get("whatsapp", JobState::Available), 2);
    assert_eq!(get("whatsapp", JobState::Scheduled), 1);
    assert_eq!(get("afip", JobState::Available), 1);

    let oldest = q.oldest_waiting().await.unwrap();
    let wa = oldest.iter().find(|o| o.lane == "whatsapp").unwrap();
    assert_eq!(wa.age, Duration::seconds(60));
    let afip = oldest.iter().find(|o| o.lane == "afip").unwrap();
    assert_eq!(afip.age, Duration::seconds(30));
}

#[tokio::test]
async fn complete_with_stores_the_result_and_a_definite_refusal_gives_the_attempt_back() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let id = q.enqueue(&send(db.org, 1)).await.unwrap().id();
    let c = q.claim(&wa(db.org)).await.unwrap().remove(0);
    q.mark_send_started(&c.lease).await.unwrap();
    let throttled = JobError::new("rate_limited", Some("130429".into()), "Límite de envíos");
    q.snooze_refused(&c.lease, q.now() + Duration::seconds(30), &throttled)
        .await
        .unwrap();
    let job = q.get(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Scheduled, 0));
    assert!(job.send_started_at.is_none());
    assert_eq!(job.errors.len(), 1);
    assert!(matches!(
        q.snooze_refused(&c.lease, q.now(), &throttled).await,
        Err(QueueError::LeaseLost { .. })
    ));

    db.clock.advance(Duration::seconds(30));
    let c = q.claim(&wa(db.org)).await.unwrap().remove(0);
    q.mark_send_started(&c.lease).await.unwrap();
    q.complete_with(&c.lease, &json!({ "wamid": "wamid.ABC" }))
        .await
        .unwrap();
    let job = q.get(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(job.result.as_deref().unwrap()).unwrap(),
        json!({ "wamid": "wamid.ABC" })
    );
}

#[tokio::test]
async fn a_read_only_database_is_reported_as_a_storage_failure() {
    let db = db().await;
    let q = db.queue(BootId::new());
    sqlx::query("PRAGMA query_only = ON")
        .execute(&db.pool)
        .await
        .unwrap();
    let e = q.enqueue(&send(db.org, 1)).await.unwrap_err();
    assert_eq!(
        e.storage_failure(),
        Some(mostrador_queue::StorageFailure::ReadOnly),
        "{e}"
    );
    assert_eq!(
        QueueError::NotFound {
            job_id: mostrador_queue::JobId(1)
        }
        .storage_failure(),
        None
    );
}

#[tokio::test]
async fn ids_are_never_reused_even_when_every_job_was_pruned() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let mut last = mostrador_queue::JobId(0);
    for n in 0..3 {
        last = q.enqueue(&send(db.org, n)).await.unwrap().id();
    }
    let c = q.claim(&wa(db.org)).await.unwrap();
    q.complete_many(&c.iter().map(|c| c.lease).collect::<Vec<_>>())
        .await
        .unwrap();
    db.clock.advance(Duration::days(2));
    // The newest row stays (it is what keeps max(id) from going back).
    assert_eq!(q.prune().await.unwrap().completed, 2);
    assert!(q.get(last).await.unwrap().is_some());
    let next = q.enqueue(&send(db.org, 9)).await.unwrap().id();
    assert!(next > last, "{next} must be above {last}");
}

#[tokio::test]
async fn listing_the_dead_letter_of_one_org_pages_through_it() {
    let db = db().await;
    let org2 = common::add_org(&db.pool).await;
    let q = db.queue(BootId::new());
    for n in 0..5 {
        for org in [db.org, org2] {
            let id = q.enqueue(&send(org, n)).await.unwrap().id();
            q.cancel(id).await.unwrap();
        }
    }
    let mut before = None;
    let mut seen = Vec::new();
    loop {
        let page = q
            .list(&ListQuery {
                state: JobState::Cancelled,
                org_id: Some(org2),
                before,
                limit: 2,
            })
            .await
            .unwrap();
        assert!(page.jobs.iter().all(|j| j.org_id == org2));
        seen.extend(page.jobs.iter().map(|j| j.id));
        match page.next {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let waiting = q
        .list(&ListQuery {
            state: JobState::Available,
            org_id: None,
            before: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(waiting.jobs.is_empty() && waiting.next.is_none());
}
