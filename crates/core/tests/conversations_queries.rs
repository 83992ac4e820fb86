//! The list, thread and search queries on a generated database (the benchmarks' generator,
//! scaled down), checked against plain SQL that states what they must return: migration 0020's
//! indexes and the customer search's two plans change how rows are found, never which rows or
//! in what order.

use std::collections::HashSet;

use mostrador_core::conversations::{self, ListCursor, ListFilter, ThreadCursor};
use mostrador_core::org::{self, NewOrganization, OrgId};
use mostrador_core::store::Store;
use mostrador_testkit::conversations_db::{self, Shape};
use mostrador_types::IvaCondition;

async fn generated(shape: Shape) -> (tempfile::TempDir, Store, OrgId) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("m.sqlite3")).await.unwrap();
    let org = org::create(
        &store,
        NewOrganization {
            name: "Almacén".into(),
            cuit: "20-12345678-6".into(),
            iva_condition: IvaCondition::Monotributo,
        },
    )
    .await
    .unwrap()
    .id;
    conversations_db::generate(store.writer(), &org.to_string(), shape)
        .await
        .unwrap();
    (dir, store, org)
}

/// Every page of a filter, following the cursors: the conversation ids in list order.
async fn all_pages(store: &Store, org: OrgId, filter: &ListFilter) -> Vec<i64> {
    let mut out = Vec::new();
    let mut after: Option<ListCursor> = None;
    loop {
        let page = conversations::list_page(store, org, filter, after.as_ref(), 37)
            .await
            .unwrap();
        out.extend(page.conversations.iter().map(|c| c.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

async fn expected(store: &Store, cond: &str) -> Vec<i64> {
    sqlx::query_scalar(&format!(
        "SELECT id FROM conversations v WHERE 1 = 1 {cond} ORDER BY last_activity_at DESC, id DESC"
    ))
    .fetch_all(store.reader())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_and_thread_pages_return_what_plain_sql_does() {
    let (_dir, store, org) = generated(Shape {
        messages: 6_000,
        conversations: 700,
        big_thread: 300,
    })
    .await;
    // A realistic inbox: unread conversations are few (the generator makes three in four).
    sqlx::query("UPDATE conversations SET unread_count = 0 WHERE id % 50 <> 7")
        .execute(store.writer())
        .await
        .unwrap();
    for (filter, cond) in [
        (ListFilter::All, ""),
        (ListFilter::Unread, "AND unread_count > 0"),
        (ListFilter::Open, "AND status = 'abierta'"),
        (ListFilter::Resolved, "AND status = 'resuelta'"),
        (
            ListFilter::Label("mayorista".into()),
            "AND id IN (SELECT conversation_id FROM conversation_labels WHERE label = 'mayorista')",
        ),
    ] {
        let want = expected(&store, cond).await;
        assert!(!want.is_empty(), "{filter:?}");
        assert_eq!(all_pages(&store, org, &filter).await, want, "{filter:?}");
    }
    assert_eq!(
        conversations::unread_total(&store, org).await.unwrap(),
        sqlx::query_scalar::<_, i64>("SELECT sum(unread_count) FROM conversations")
            .fetch_one(store.reader())
            .await
            .unwrap()
    );

    // The long thread (conversation 1), page by page upward: every message once, in order.
    let want: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE conversation_id = 1 ORDER BY at DESC, id DESC",
    )
    .fetch_all(store.reader())
    .await
    .unwrap();
    assert!(want.len() > 300, "{}", want.len());
    let mut got = Vec::new();
    let mut before: Option<ThreadCursor> = None;
    loop {
        let page = conversations::thread_page(&store, org, 1, before.as_ref(), 50)
            .await
            .unwrap();
        got.extend(page.messages.iter().rev().map(|m| m.id));
        match page.older {
            Some(older) => before = Some(older),
            None => break,
        }
    }
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_customers_under_both_plans_and_messages_by_prefix_newest_first() {
    // 8,400 customers: "Pérez" names 1,200 of them (more than the looked-up-and-sorted plan
    // takes), "Juana Pérez" 200.
    let (_dir, store, org) = generated(Shape {
        messages: 20_000,
        conversations: 8_400,
        big_thread: 0,
    })
    .await;
    for (q, needle, many) in [
        ("Pérez", "Pérez", true),
        ("Juana Pérez", "Juana Pérez", false),
    ] {
        let matching: i64 =
            sqlx::query_scalar("SELECT count(*) FROM customers WHERE name LIKE '%' || ? || '%'")
                .bind(needle)
                .fetch_one(store.reader())
                .await
                .unwrap();
        assert_eq!(matching > 1_000, many, "{q}: {matching}");
        let want: Vec<i64> = sqlx::query_scalar(
            "SELECT v.id FROM conversations v JOIN customers c ON c.id = v.customer_id
             WHERE c.name LIKE '%' || ? || '%' ORDER BY v.last_activity_at DESC, v.id DESC LIMIT 50",
        )
        .bind(needle)
        .fetch_all(store.reader())
        .await
        .unwrap();
        let hits = conversations::search(&store, org, q, 50).await.unwrap();
        let got: Vec<i64> = hits
            .iter()
            .filter(|h| h.message_id.is_none())
            .map(|h| h.conversation_id)
            .collect();
        assert_eq!(got, want, "{q}");
    }

    // Every word a prefix, accents folded, short prefixes included; newest first.
    let hits = conversations::search(&store, org, "dul d lec", 200)
        .await
        .unwrap();
    let ids: Vec<i64> = hits.iter().filter_map(|h| h.message_id).collect();
    let want: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE text LIKE '%dulce de leche%' ORDER BY id DESC LIMIT 200",
    )
    .fetch_all(store.reader())
    .await
    .unwrap();
    assert_eq!(ids, want);
    let hits = conversations::search(&store, org, "turron", 50)
        .await
        .unwrap();
    assert_eq!(hits.len(), 50);
    assert!(hits
        .iter()
        .all(|h| h.snippet.as_deref().unwrap().contains("[turrón]")));
    let unique: HashSet<i64> = hits.iter().filter_map(|h| h.message_id).collect();
    assert_eq!(unique.len(), 50);
}
