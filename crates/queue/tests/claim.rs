//! The claim: order, serial keys, unique keys, groups (skips and caps), scheduling and expiry.

mod common;

use chrono::Duration;
use common::db;
use mostrador_queue::{
    BootId, ClaimFilter, Enqueued, JobError, JobId, JobState, NewJob, Priority, RetryOutcome,
};
use serde_json::json;

fn job(org: uuid::Uuid, kind: &str, n: i64) -> NewJob {
    NewJob::new(org, kind, &json!({ "n": n })).unwrap()
}

fn ids(claimed: &[mostrador_queue::Claimed]) -> Vec<JobId> {
    claimed.iter().map(|c| c.job.id).collect()
}

#[tokio::test]
async fn claims_by_priority_then_run_at_then_id() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let now = q.now();
    let bulk = q
        .enqueue(&job(db.org, "whatsapp.send", 1).priority(Priority::BULK))
        .await
        .unwrap()
        .id();
    let late = q
        .enqueue(&job(db.org, "whatsapp.send", 2).run_at(now - Duration::seconds(1)))
        .await
        .unwrap()
        .id();
    let early = q
        .enqueue(&job(db.org, "whatsapp.send", 3).run_at(now - Duration::seconds(5)))
        .await
        .unwrap()
        .id();
    let tie = q
        .enqueue(&job(db.org, "whatsapp.send", 4).run_at(now - Duration::seconds(5)))
        .await
        .unwrap()
        .id();
    let urgent = q
        .enqueue(&job(db.org, "whatsapp.send", 5).priority(Priority::URGENT))
        .await
        .unwrap()
        .id();

    let filter = ClaimFilter::new(3).group(db.org, "whatsapp", None);
    let first = q.claim(&filter).await.unwrap();
    assert_eq!(ids(&first), vec![urgent, early, tie]);
    let c = &first[0];
    assert_eq!(c.job.state, JobState::Running);
    assert_eq!(c.job.attempts, 1);
    assert_eq!(c.job.lease_owner, Some(q.boot_id()));
    assert_eq!(
        c.job.payload::<serde_json::Value>().unwrap(),
        json!({"n": 5})
    );

    let rest = q.claim(&filter).await.unwrap();
    assert_eq!(ids(&rest), vec![late, bulk]);
    assert!(q.claim(&filter).await.unwrap().is_empty());
}

#[tokio::test]
async fn serial_key_runs_one_at_a_time_in_enqueue_order() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let conv = "conversation-1";
    // The later jobs have better priority and earlier run_at: order must still be enqueue order.
    let a = q
        .enqueue(
            &job(db.org, "whatsapp.send", 1)
                .serial_key(conv)
                .priority(Priority::BULK),
        )
        .await
        .unwrap()
        .id();
    let b = q
        .enqueue(
            &job(db.org, "whatsapp.send", 2)
                .serial_key(conv)
                .priority(Priority::URGENT),
        )
        .await
        .unwrap()
        .id();
    let c = q
        .enqueue(
            &job(db.org, "whatsapp.send", 3)
                .serial_key(conv)
                .run_at(q.now() - Duration::hours(1)),
        )
        .await
        .unwrap()
        .id();
    let other = q
        .enqueue(&job(db.org, "whatsapp.send", 4).serial_key("conversation-2"))
        .await
        .unwrap()
        .id();
    let filter = ClaimFilter::new(10).group(db.org, "whatsapp", None);

    let got = q.claim(&filter).await.unwrap();
    assert_eq!(ids(&got), vec![other, a]);
    // While `a` runs, nothing else of its conversation is claimable.
    assert!(q.claim(&filter).await.unwrap().is_empty());
    q.complete(&got[1].lease).await.unwrap();

    let got = q.claim(&filter).await.unwrap();
    assert_eq!(ids(&got), vec![b]);
    // A retry waiting for its backoff still blocks the conversation.
    let retry = q
        .retry_at(
            &got[0].lease,
            q.now() + Duration::seconds(30),
            &JobError::new("transient", None, "503"),
        )
        .await
        .unwrap();
    assert_eq!(retry, RetryOutcome::Scheduled);
    assert!(q.claim(&filter).await.unwrap().is_empty());
    db.clock.advance(Duration::seconds(31));
    let got = q.claim(&filter).await.unwrap();
    assert_eq!(ids(&got), vec![b]);
    q.complete(&got[0].lease).await.unwrap();
    assert_eq!(ids(&q.claim(&filter).await.unwrap()), vec![c]);
}

#[tokio::test]
async fn in_doubt_head_blocks_its_conversation_but_an_expired_head_does_not() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let filter = ClaimFilter::new(10).group(db.org, "whatsapp", None);

    let a = q
        .enqueue(&job(db.org, "whatsapp.send", 1).serial_key("k1"))
        .await
        .unwrap()
        .id();
    let b = q
        .enqueue(&job(db.org, "whatsapp.send", 2).serial_key("k1"))
        .await
        .unwrap()
        .id();
    let got = q.claim(&filter).await.unwrap();
    assert_eq!(ids(&got), vec![a]);
    q.mark_send_started(&got[0].lease).await.unwrap();
    q.in_doubt(&got[0].lease, &JobError::new("maybe_sent", None, "timeout"))
        .await
        .unwrap();
    assert!(
        q.claim(&filter).await.unwrap().is_empty(),
        "b must wait for a's resolution"
    );
    assert!(q.resolve_sent(a, "status webhook sent").await.unwrap());
    assert_eq!(ids(&q.claim(&filter).await.unwrap()), vec![b]);

    let x = q
        .enqueue(
            &job(db.org, "whatsapp.send", 3)
                .serial_key("k2")
                .run_at(q.now() + Duration::hours(2))
                .expires_at(q.now() + Duration::hours(1)),
        )
        .await
        .unwrap()
        .id();
    let y = q
        .enqueue(&job(db.org, "whatsapp.send", 4).serial_key("k2"))
        .await
        .unwrap()
        .id();
    assert!(
        q.claim(&filter).await.unwrap().is_empty(),
        "y waits behind scheduled x"
    );
    db.clock.advance(Duration::minutes(61));
    // x expired (it will never run), so it no longer holds y back, and it is never claimed itself.
    assert_eq!(ids(&q.claim(&filter).await.unwrap()), vec![y]);
    assert_eq!(db.state_of(x).await, "scheduled");
}

#[tokio::test]
async fn unique_key_inserts_once_per_org_in_any_state() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let first = q
        .enqueue(&job(db.org, "whatsapp.send", 1).unique_key("msg-1"))
        .await
        .unwrap();
    let Enqueued::Inserted(id) = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        q.enqueue(&job(db.org, "whatsapp.send", 2).unique_key("msg-1"))
            .await
            .unwrap(),
        Enqueued::AlreadyExists(id)
    );
    // Same key in another org is another job.
    let org2 = common::add_org(&db.pool).await;
    assert!(matches!(
        q.enqueue(&job(org2, "whatsapp.send", 1).unique_key("msg-1"))
            .await
            .unwrap(),
        Enqueued::Inserted(_)
    ));
    // Still unique once completed: a sent message is not sent again.
    let c = q
        .claim(&ClaimFilter::new(1).group(db.org, "whatsapp", None))
        .await
        .unwrap();
    q.complete(&c[0].lease).await.unwrap();
    assert_eq!(
        q.enqueue(&job(db.org, "whatsapp.send", 3).unique_key("msg-1"))
            .await
            .unwrap(),
        Enqueued::AlreadyExists(id)
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn skipped_and_unlisted_groups_are_never_claimed() {
    let db = db().await;
    let org2 = common::add_org(&db.pool).await;
    let q = db.queue(BootId::new());
    let wa1 = q
        .enqueue(&job(db.org, "whatsapp.send", 1).priority(Priority::URGENT))
        .await
        .unwrap()
        .id();
    let afip1 = q
        .enqueue(&job(db.org, "afip.submit", 2))
        .await
        .unwrap()
        .id();
    let wa2 = q
        .enqueue(&job(org2, "whatsapp.send", 3))
        .await
        .unwrap()
        .id();
    let sms2 = q.enqueue(&job(org2, "sms.send", 4)).await.unwrap().id();

    // org1's WhatsApp breaker is open; org2's sms has no handler here (unlisted).
    let filter = ClaimFilter::new(10)
        .group(db.org, "whatsapp", None)
        .group(db.org, "afip", None)
        .group(org2, "whatsapp", None)
        .skip(db.org, "whatsapp");
    let got = q.claim(&filter).await.unwrap();
    assert_eq!(ids(&got), vec![afip1, wa2]);
    assert_eq!(db.state_of(wa1).await, "available");
    assert_eq!(db.state_of(sms2).await, "available");
    assert!(ClaimFilter::new(10)
        .skip(db.org, "whatsapp")
        .groups()
        .iter()
        .all(|g| g.max == Some(0)));
    assert!(q.claim(&ClaimFilter::new(10)).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_group_cap_limits_that_group_and_the_limit_bounds_the_total() {
    let db = db().await;
    let q = db.queue(BootId::new());
    for n in 0..5 {
        q.enqueue(&job(db.org, "whatsapp.send", n)).await.unwrap();
        q.enqueue(&job(db.org, "afip.submit", n)).await.unwrap();
    }
    // Rate limiter: 2 WhatsApp sends allowed now; AFIP unlimited; 6 free slots.
    let got = q
        .claim(
            &ClaimFilter::new(6)
                .group(db.org, "whatsapp", Some(2))
                .group(db.org, "afip", None),
        )
        .await
        .unwrap();
    let wa = got.iter().filter(|c| c.job.kind == "whatsapp.send").count();
    let afip = got.iter().filter(|c| c.job.kind == "afip.submit").count();
    assert_eq!((wa, afip), (2, 4));
    // Half-open breaker: one probe.
    let got = q
        .claim(&ClaimFilter::new(10).group(db.org, "whatsapp", Some(1)))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
}

#[tokio::test]
async fn scheduled_jobs_wait_for_run_at_and_expired_jobs_are_never_claimed() {
    let db = db().await;
    let q = db.queue(BootId::new());
    let filter = ClaimFilter::new(10).group(db.org, "whatsapp", None);
    let later = q
        .enqueue(&job(db.org, "whatsapp.send", 1).run_at(q.now() + Duration::minutes(10)))
        .await
        .unwrap()
        .id();
    let stale = q
        .enqueue(&job(db.org, "whatsapp.send", 2).expires_at(q.now() + Duration::minutes(5)))
        .await
        .unwrap()
        .id();
    assert_eq!(db.state_of(later).await, "scheduled");
    db.clock.advance(Duration::minutes(6));
    assert!(
        q.claim(&filter).await.unwrap().is_empty(),
        "stale expired, later not due"
    );
    db.clock.advance(Duration::minutes(5));
    assert_eq!(ids(&q.claim(&filter).await.unwrap()), vec![later]);
    assert_eq!(db.state_of(stale).await, "available");
}

#[tokio::test]
async fn claimable_counts_what_a_claim_would_take_and_next_run_at_says_when_to_wake() {
    let db = db().await;
    let q = db.queue(BootId::new());
    for n in 0..3 {
        q.enqueue(&job(db.org, "whatsapp.send", n).serial_key("c1"))
            .await
            .unwrap();
    }
    q.enqueue(&job(db.org, "whatsapp.send", 9)).await.unwrap();
    q.enqueue(&job(db.org, "whatsapp.send", 10).expires_at(q.now()))
        .await
        .unwrap();
    let in_10_min = q.now() + Duration::minutes(10);
    q.enqueue(&job(db.org, "whatsapp.send", 11).run_at(in_10_min))
        .await
        .unwrap();
    q.enqueue(&job(db.org, "whatsapp.send", 12).run_at(q.now() + Duration::minutes(20)))
        .await
        .unwrap();
    // Only the conversation's head, the plain job: not the blocked, expired or future ones.
    assert_eq!(q.claimable(db.org, "whatsapp", 100).await.unwrap(), 2);
    assert_eq!(q.claimable(db.org, "whatsapp", 1).await.unwrap(), 1);
    assert_eq!(q.claimable(db.org, "afip", 100).await.unwrap(), 0);
    let filter = ClaimFilter::new(100).group(db.org, "whatsapp", None);
    assert_eq!(q.claim(&filter).await.unwrap().len(), 2);
    assert_eq!(q.next_run_at(&filter).await.unwrap(), Some(in_10_min));
    assert_eq!(
        q.next_run_at(&ClaimFilter::new(1).group(db.org, "afip", None))
            .await
            .unwrap(),
        None
    );
}
