//! Customers: who writes to the shop, matched by WhatsApp number (`wa_id`) or, when Meta sends no
//! number (users with a username), by BSUID. Both are kept, with the username, so a customer is
//! found whichever one a later webhook carries.

use mostrador_types::Phone;
use serde::Serialize;
use sqlx::SqliteConnection;
use std::collections::HashMap;

use crate::org::OrgId;

/// A customer's identifiers as a webhook gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WhatsAppIdentity<'a> {
    pub wa_id: Option<&'a str>,
    pub bsuid: Option<&'a str>,
    pub parent_bsuid: Option<&'a str>,
    pub username: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// A customer as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Customer {
    pub id: i64,
    pub wa_id: Option<String>,
    pub bsuid: Option<String>,
    pub username: Option<String>,
    /// The WhatsApp profile name.
    pub name: Option<String>,
    /// The name the owner gave them (wins over the profile name).
    pub owner_name: Option<String>,
    /// Normalized E.164 digits.
    pub phone: Option<String>,
    pub first_contact_at: String,
    pub notes: String,
    pub opted_out: bool,
    pub opted_out_marketing: bool,
    /// Their e-mail (checked at entry): the e-mail step of notices, invoices with the PDF.
    pub email: Option<String>,
}

impl Customer {
    /// What to call them: profile name, else username, else the number shown for people.
    pub fn display_name(&self) -> String {
        self.owner_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| self.name.clone().filter(|n| !n.trim().is_empty()))
            .or_else(|| self.username.as_ref().map(|u| format!("@{u}")))
            .or_else(|| {
                self.phone
                    .as_deref()
                    .and_then(|p| Phone::from_wa_id(p).ok())
                    .map(|p| p.display())
            })
            .unwrap_or_else(|| "Cliente".to_owned())
    }
}

/// Finds the customer by wa_id or BSUID, creating them when new; fills in whichever identifier or
/// profile field was missing. Returns the customer id.
pub async fn upsert_whatsapp(
    conn: &mut SqliteConnection,
    org: OrgId,
    who: &WhatsAppIdentity<'_>,
    now: &str,
) -> Result<i64, sqlx::Error> {
    upsert_whatsapp_cached(conn, org, who, now, None, None).await
}

/// What a batch put off about customers, kept by [`upsert_whatsapp_cached`] and written before
/// the batch commits ([`write_profiles`]) in one statement each instead of one per message: the
/// customers it created (their ids given in advance) and the profile fields (parent BSUID,
/// username, name) it learned about customers it knew by number.
#[derive(Debug, Default)]
pub(crate) struct PendingProfiles {
    profiles: HashMap<i64, Profile>,
    created: Vec<NewCustomer>,
    /// Ids of every customer created this way in the batch (written or not).
    created_ids: std::collections::HashSet<i64>,
    /// The id of the next customer created: one more than the largest, what SQLite gives a
    /// table without AUTOINCREMENT. `None`: look it up; forgotten whenever a customer may be
    /// inserted some other way.
    next_id: Option<i64>,
}

/// A customer created by a batch and not written yet.
#[derive(Debug)]
struct NewCustomer {
    id: i64,
    wa_id: String,
    bsuid: Option<String>,
    parent_bsuid: Option<String>,
    username: Option<String>,
    name: Option<String>,
    phone: Option<String>,
}

#[derive(Debug, Default)]
struct Profile {
    parent_bsuid: Option<String>,
    username: Option<String>,
    name: Option<String>,
}

impl PendingProfiles {
    pub(crate) fn is_empty(&self) -> bool {
        self.profiles.is_empty() && self.created.is_empty()
    }

    /// Whether the batch created this customer (so they have no conversation it did not make).
    pub(crate) fn created(&self, customer_id: i64) -> bool {
        self.created_ids.contains(&customer_id)
    }

    /// Forgets the next id: a customer may be inserted some other way from here on.
    pub(crate) fn forget_next_id(&mut self) {
        self.next_id = None;
    }
}

/// Inserts the customers the batch created and not written yet (one statement), with the ids
/// they were given.
async fn write_created(
    conn: &mut SqliteConnection,
    org_id: &str,
    pending: &mut PendingProfiles,
    now: &str,
) -> Result<(), sqlx::Error> {
    if pending.created.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = pending
        .created
        .drain(..)
        .map(|c| {
            serde_json::json!([
                c.id,
                c.wa_id,
                c.bsuid,
                c.parent_bsuid,
                c.username,
                c.name,
                c.phone
            ])
        })
        .collect();
    sqlx::query(
        "INSERT INTO customers (id, org_id, wa_id, bsuid, parent_bsuid, username, name, phone,
                                first_contact_at, created_at, updated_at)
         SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),
                json_extract(value, '$[6]'), ?2, ?2, ?2
         FROM json_each(?3) ORDER BY key",
    )
    .bind(org_id)
    .bind(now)
    .bind(serde_json::Value::Array(rows).to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes what is pending (the created customers, then the profiles: one statement each) and
/// forgets it. Only a profile field that differs from the stored one is written, as
/// [`upsert_whatsapp`] does.
pub(crate) async fn write_profiles(
    conn: &mut SqliteConnection,
    org: OrgId,
    pending: &mut PendingProfiles,
    now: &str,
) -> Result<(), sqlx::Error> {
    write_created(conn, &org.to_string(), pending, now).await?;
    if pending.profiles.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = pending
        .profiles
        .drain()
        .map(|(id, p)| serde_json::json!([id, p.parent_bsuid, p.username, p.name]))
        .collect();
    sqlx::query(
        "UPDATE customers SET
           parent_bsuid = coalesce(t.parent_bsuid, customers.parent_bsuid),
           username = coalesce(t.username, customers.username),
           name = coalesce(t.name, customers.name),
           updated_at = ?2
         FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS parent_bsuid,
                      json_extract(value, '$[2]') AS username, json_extract(value, '$[3]') AS name
               FROM json_each(?1)) AS t
         WHERE customers.id = t.id
           AND (t.parent_bsuid IS NOT NULL AND customers.parent_bsuid IS NOT t.parent_bsuid
                OR t.username IS NOT NULL AND customers.username IS NOT t.username
                OR t.name IS NOT NULL AND customers.name IS NOT t.name)",
    )
    .bind(serde_json::Value::Array(rows).to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Customers by number as a batch of webhooks knows them inside its transaction: `Some` is the
/// customer with that number, `None` that no customer has it; a number missing from the map is
/// looked up. Loaded once per batch ([`find_by_wa_ids`]) and kept up to date by
/// [`upsert_whatsapp_cached`], so a batch does one lookup instead of one per message.
pub(crate) type ByNumber = HashMap<String, Option<Found>>;

/// The customers with these numbers (those with none are `None`), each with their WhatsApp
/// conversation's id when they have one.
pub(crate) async fn find_by_wa_ids(
    conn: &mut SqliteConnection,
    org: OrgId,
    wa_ids: &[&str],
) -> Result<(ByNumber, Vec<(i64, i64)>), sqlx::Error> {
    let mut by_number: ByNumber = wa_ids.iter().map(|w| ((*w).to_owned(), None)).collect();
    let mut conversations = Vec::new();
    if wa_ids.is_empty() {
        return Ok((by_number, conversations));
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        found: Found,
        conversation_id: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.wa_id, c.bsuid, c.parent_bsuid, c.username, c.name, v.id AS conversation_id
         FROM customers c
         LEFT JOIN conversations v ON v.org_id = c.org_id AND v.customer_id = c.id AND v.channel = 'whatsapp'
         WHERE c.org_id = ? AND c.wa_id IN (SELECT value FROM json_each(?))",
    )
    .bind(org.to_string())
    .bind(serde_json::to_string(wa_ids).expect("strings"))
    .fetch_all(&mut *conn)
    .await?;
    for Row {
        found,
        conversation_id,
    } in rows
    {
        if let Some(c) = conversation_id {
            conversations.push((found.id, c));
        }
        if let Some(w) = found.wa_id.clone() {
            by_number.insert(w, Some(found));
        }
    }
    Ok((by_number, conversations))
}

/// [`upsert_whatsapp`], answering the lookup from `cache` when it can and keeping it up to date.
/// With `pending` (and `cache`), a profile change of a customer found by number, and a new
/// customer with a number, are kept there for [`write_profiles`] instead of written now; the
/// database is behind the cache until then (anything here that reads or writes customers
/// writes the created ones first).
pub(crate) async fn upsert_whatsapp_cached(
    conn: &mut SqliteConnection,
    org: OrgId,
    who: &WhatsAppIdentity<'_>,
    now: &str,
    mut cache: Option<&mut ByNumber>,
    mut pending: Option<&mut PendingProfiles>,
) -> Result<i64, sqlx::Error> {
    let org_id = org.to_string();
    // By number first, as `find`: a known customer with that number, or none (then `find`
    // would look the BSUID up, so only without one).
    let cached = match (cache.as_deref(), who.wa_id) {
        (Some(c), Some(w)) => match c.get(w) {
            Some(Some(f)) => Some(Some(f.clone())),
            Some(None) if who.bsuid.is_none() => Some(None),
            _ => None,
        },
        _ => None,
    };
    let existing = match cached {
        Some(found) => found,
        None => {
            if let Some(p) = pending.as_deref_mut() {
                write_created(conn, &org_id, p, now).await?;
            }
            find(conn, &org_id, who.wa_id, who.bsuid).await?
        }
    };
    let phone = who
        .wa_id
        .and_then(|w| Phone::from_wa_id(w).ok())
        .map(|p| p.digits().to_owned());
    match existing {
        Some(f)
            if f.wa_id.is_some()
                && f.wa_id.as_deref() == who.wa_id
                && who.bsuid.is_none_or(|b| f.bsuid.as_deref() == Some(b))
                && who
                    .parent_bsuid
                    .is_none_or(|b| f.parent_bsuid.as_deref() == Some(b))
                && who
                    .username
                    .is_none_or(|u| f.username.as_deref() == Some(u))
                && who.name.is_none_or(|n| f.name.as_deref() == Some(n)) =>
        {
            // Nothing new about them: no write.
            if let (Some(c), Some(w)) = (cache, f.wa_id.clone()) {
                c.insert(w, Some(f.clone()));
            }
            Ok(f.id)
        }
        Some(Found {
            id,
            wa_id,
            bsuid,
            parent_bsuid,
            username,
            name,
        }) => {
            // Fill what was missing; a BSUID only replaces one when the number matched (a new
            // BSUID is issued when the user changes number).
            let mut set_wa = wa_id.is_none() && who.wa_id.is_some();
            let set_bsuid = who.bsuid.is_some() && bsuid.as_deref() != who.bsuid;
            if pending.is_none() || cache.is_none() || set_wa || set_bsuid {
                // Reads or writes customers: the created ones first.
                if let Some(p) = pending.as_deref_mut() {
                    write_created(conn, &org_id, p, now).await?;
                }
            }
            if set_wa {
                let taken: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM customers WHERE org_id = ? AND wa_id = ?")
                        .bind(&org_id)
                        .bind(who.wa_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                set_wa = taken.is_none();
            }
            let deferred = match (pending, cache.is_some() && !set_wa && !set_bsuid) {
                (Some(p), true) => {
                    let e = p.profiles.entry(id).or_default();
                    if let Some(b) = who.parent_bsuid {
                        e.parent_bsuid = Some(b.to_owned());
                    }
                    if let Some(u) = who.username {
                        e.username = Some(u.to_owned());
                    }
                    if let Some(n) = who.name {
                        e.name = Some(n.to_owned());
                    }
                    true
                }
                _ => false,
            };
            if !deferred {
                sqlx::query(
                "UPDATE customers SET
                   wa_id = CASE WHEN ?2 THEN ?3 ELSE wa_id END,
                   phone = CASE WHEN ?2 THEN ?4 ELSE phone END,
                   bsuid = CASE WHEN ?5 AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.org_id = customers.org_id AND c.bsuid = ?6) THEN ?6 ELSE bsuid END,
                   parent_bsuid = coalesce(?7, parent_bsuid),
                   username = coalesce(?8, username),
                   name = coalesce(?9, name),
                   updated_at = ?10
                 WHERE id = ?1 AND (?2 OR ?5 OR ?7 IS NOT NULL AND parent_bsuid IS NOT ?7
                       OR ?8 IS NOT NULL AND username IS NOT ?8 OR ?9 IS NOT NULL AND name IS NOT ?9)",
            )
            .bind(id)
            .bind(set_wa)
            .bind(who.wa_id)
            .bind(&phone)
            .bind(set_bsuid)
            .bind(who.bsuid)
            .bind(who.parent_bsuid)
            .bind(who.username)
            .bind(who.name)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            }
            if let Some(c) = cache.as_deref_mut() {
                // What the UPDATE wrote, except a new BSUID, which it may have refused (taken):
                // then the customer is looked up again next time.
                let wa_id = if set_wa {
                    who.wa_id.map(str::to_owned)
                } else {
                    wa_id
                };
                let after = Found {
                    id,
                    wa_id: wa_id.clone(),
                    bsuid,
                    parent_bsuid: who.parent_bsuid.map(str::to_owned).or(parent_bsuid),
                    username: who.username.map(str::to_owned).or(username),
                    name: who.name.map(str::to_owned).or(name),
                };
                for w in [who.wa_id, wa_id.as_deref()].into_iter().flatten() {
                    c.remove(w);
                }
                if let (Some(w), false) = (wa_id, set_bsuid) {
                    c.insert(w, Some(after));
                }
            }
            Ok(id)
        }
        None => {
            if let (Some(p), Some(c), Some(w)) =
                (pending.as_deref_mut(), cache.as_deref_mut(), who.wa_id)
            {
                // Put off: the id SQLite would give it, the row with the batch's others.
                let id = match p.next_id {
                    Some(id) => id,
                    None => {
                        sqlx::query_scalar::<_, i64>(
                            "SELECT coalesce(max(id), 0) + 1 FROM customers",
                        )
                        .fetch_one(&mut *conn)
                        .await?
                    }
                };
                p.next_id = Some(id + 1);
                p.created_ids.insert(id);
                p.created.push(NewCustomer {
                    id,
                    wa_id: w.to_owned(),
                    bsuid: who.bsuid.map(str::to_owned),
                    parent_bsuid: who.parent_bsuid.map(str::to_owned),
                    username: who.username.map(str::to_owned),
                    name: who.name.map(str::to_owned),
                    phone,
                });
                c.insert(w.to_owned(), Some(Found::new_customer(id, w, who)));
                return Ok(id);
            }
            if let Some(p) = pending {
                write_created(conn, &org_id, p, now).await?;
                // Inserted here, not by the ids given in advance.
                p.forget_next_id();
            }
            let id = sqlx::query_scalar(
                "INSERT INTO customers (org_id, wa_id, bsuid, parent_bsuid, username, name, phone,
                                        first_contact_at, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(&org_id)
            .bind(who.wa_id)
            .bind(who.bsuid)
            .bind(who.parent_bsuid)
            .bind(who.username)
            .bind(who.name)
            .bind(&phone)
            .bind(now)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            if let (Some(c), Some(w)) = (cache, who.wa_id) {
                c.insert(w.to_owned(), Some(Found::new_customer(id, w, who)));
            }
            Ok(id)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct Found {
    id: i64,
    wa_id: Option<String>,
    bsuid: Option<String>,
    parent_bsuid: Option<String>,
    username: Option<String>,
    name: Option<String>,
}

impl Found {
    /// A customer just created with number `wa_id` from what `who` said.
    fn new_customer(id: i64, wa_id: &str, who: &WhatsAppIdentity<'_>) -> Found {
        Found {
            id,
            wa_id: Some(wa_id.to_owned()),
            bsuid: who.bsuid.map(str::to_owned),
            parent_bsuid: who.parent_bsuid.map(str::to_owned),
            username: who.username.map(str::to_owned),
            name: who.name.map(str::to_owned),
        }
    }
}

/// By number first, then by BSUID: two lookups, each on its own unique index.
async fn find(
    conn: &mut SqliteConnection,
    org_id: &str,
    wa_id: Option<&str>,
    bsuid: Option<&str>,
) -> Result<Option<Found>, sqlx::Error> {
    if let Some(w) = wa_id {
        let r = sqlx::query_as("SELECT id, wa_id, bsuid, parent_bsuid, username, name FROM customers WHERE org_id = ? AND wa_id = ?")
            .bind(org_id)
            .bind(w)
            .fetch_optional(&mut *conn)
            .await?;
        if r.is_some() {
            return Ok(r);
        }
    }
    match bsuid {
        Some(b) => {
            sqlx::query_as("SELECT id, wa_id, bsuid, parent_bsuid, username, name FROM customers WHERE org_id = ? AND bsuid = ?")
                .bind(org_id)
                .bind(b)
                .fetch_optional(&mut *conn)
                .await
        }
        None => Ok(None),
    }
}

/// A "user changed number" notice: the customer keeps their history under the new number. When
/// another customer already has the new number, that one stays as is and the move is skipped.
/// Returns the customer id that now owns the conversation, if the old one was known.
pub async fn change_number(
    conn: &mut SqliteConnection,
    org: OrgId,
    old: &WhatsAppIdentity<'_>,
    new_wa_id: &str,
    now: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let org_id = org.to_string();
    let id = find(conn, &org_id, old.wa_id, old.bsuid)
        .await?
        .map(|f| f.id);
    let Some(id) = id else { return Ok(None) };
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM customers WHERE org_id = ? AND wa_id = ? AND id <> ?")
            .bind(&org_id)
            .bind(new_wa_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    if taken.is_some() {
        tracing::warn!(
            customer = id,
            "number change to a number another customer has; kept both"
        );
        return Ok(Some(id));
    }
    let phone = Phone::from_wa_id(new_wa_id)
        .ok()
        .map(|p| p.digits().to_owned());
    sqlx::query("UPDATE customers SET wa_id = ?, phone = ?, updated_at = ? WHERE id = ?")
        .bind(new_wa_id)
        .bind(phone)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(id))
}

/// One customer.
pub async fn get(
    pool: &sqlx::SqlitePool,
    org: OrgId,
    id: i64,
) -> Result<Option<Customer>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, wa_id, bsuid, username, name, owner_name, phone, first_contact_at, notes,
                opted_out != 0 AS opted_out, opted_out_marketing != 0 AS opted_out_marketing, email
         FROM customers WHERE org_id = ? AND id = ?",
    )
    .bind(org.to_string())
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Every customer of an organization (tests, exports).
pub async fn list(pool: &sqlx::SqlitePool, org: OrgId) -> Result<Vec<Customer>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, wa_id, bsuid, username, name, owner_name, phone, first_contact_at, notes,
                opted_out != 0 AS opted_out, opted_out_marketing != 0 AS opted_out_marketing, email
         FROM customers WHERE org_id = ? ORDER BY id",
    )
    .bind(org.to_string())
    .fetch_all(pool)
    .await
}

/// What a customer's inbound text says about marketing: `Some(true)` for an opt-out word
/// (BAJA, STOP…), `Some(false)` for an opt-in (ALTA, START), `None` for anything else. Only a
/// message that is just the word counts: "no me den de baja" is a conversation, not a request.
pub fn opt_out_keyword(text: &str) -> Option<bool> {
    let word: String = text
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_uppercase();
    match word.as_str() {
        "BAJA" | "STOP" | "DESUSCRIBIR" | "UNSUBSCRIBE" => Some(true),
        "ALTA" | "START" => Some(false),
        _ => None,
    }
}

/// Marks (or clears) the marketing opt-out of the customer of a conversation.
pub(crate) async fn set_marketing_opt_out_by_conversation(
    conn: &mut SqliteConnection,
    conversation_id: i64,
    opted_out: bool,
    now: &str,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query(
        "UPDATE customers SET opted_out_marketing = ?1,
                opted_out_at = CASE WHEN ?1 THEN ?2 ELSE opted_out_at END, updated_at = ?2
         WHERE id = (SELECT customer_id FROM conversations WHERE id = ?3) AND opted_out_marketing <> ?1",
    )
    .bind(opted_out)
    .bind(now)
    .bind(conversation_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// Marketing sends (templates of category MARKETING) are refused to a customer who opted out of
/// them or of everything. For the templates/notifications senders, inside their transaction.
pub async fn marketing_allowed(
    conn: &mut SqliteConnection,
    org: OrgId,
    customer_id: i64,
) -> Result<bool, sqlx::Error> {
    let out: Option<bool> = sqlx::query_scalar(
        "SELECT opted_out != 0 OR opted_out_marketing != 0 FROM customers WHERE org_id = ? AND id = ?",
    )
    .bind(org.to_string())
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(out == Some(false))
}

/// The customer panel's edits: the owner's name for them (`None` or blank: back to the profile
/// name) and free notes. Announces the new list rows of their conversations.
pub async fn update(
    store: &crate::store::Store,
    events: &crate::events::EventBus,
    org: OrgId,
    customer_id: i64,
    owner_name: Option<&str>,
    notes: &str,
) -> Result<Option<Customer>, crate::store::StoreError> {
    let now = crate::store::timestamp::now_text();
    let name = owner_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(120).collect::<String>());
    let mut tx = store.begin_immediate().await?;
    let changed = sqlx::query(
        "UPDATE customers SET owner_name = ?, notes = ?, updated_at = ? WHERE org_id = ? AND id = ?",
    )
    .bind(&name)
    .bind(notes.chars().take(10_000).collect::<String>())
    .bind(&now)
    .bind(org.to_string())
    .bind(customer_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(None);
    }
    let conversations: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM conversations WHERE org_id = ? AND customer_id = ?")
            .bind(org.to_string())
            .bind(customer_id)
            .fetch_all(&mut *tx)
            .await?;
    let mut out = Vec::new();
    for c in conversations {
        crate::conversations::write::conversation_event(&mut tx, org, c, &mut out).await?;
    }
    tx.commit().await?;
    events.emit_all(out);
    Ok(get(store.reader(), org, customer_id).await?)
}

/// The customer panel's e-mail: checked as a shop owner means it (`None` or blank: removed).
/// `Ok(None)`: no such customer.
pub async fn set_email(
    store: &crate::store::Store,
    org: OrgId,
    customer_id: i64,
    email: Option<&str>,
) -> Result<Option<Customer>, crate::AppError> {
    let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => Some(
            mostrador_email::Address::parse(e)
                .map_err(|err| {
                    crate::AppError::new(crate::ErrorCode::InvalidRecipient, err.to_string())
                        .with_details(serde_json::json!({ "field": "email" }))
                })?
                .as_str()
                .to_owned(),
        ),
    };
    let changed =
        sqlx::query("UPDATE customers SET email = ?, updated_at = ? WHERE org_id = ? AND id = ?")
            .bind(&email)
            .bind(crate::store::timestamp::now_text())
            .bind(org.to_string())
            .bind(customer_id)
            .execute(store.writer())
            .await
            .map_err(crate::store::StoreError::Sqlx)?
            .rows_affected();
    if changed == 0 {
        return Ok(None);
    }
    Ok(get(store.reader(), org, customer_id)
        .await
        .map_err(crate::store::StoreError::Sqlx)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bare_word_is_an_opt_out() {
        assert_eq!(opt_out_keyword("BAJA"), Some(true));
        assert_eq!(opt_out_keyword("  stop. "), Some(true));
        assert_eq!(opt_out_keyword("Baja!"), Some(true));
        assert_eq!(opt_out_keyword("alta"), Some(false));
        assert_eq!(opt_out_keyword("no me den de baja"), None);
        assert_eq!(opt_out_keyword("bajá el precio"), None);
        assert_eq!(opt_out_keyword(""), None);
    }

    /// The batch's cache of customers by number says what the database says after every kind
    /// of upsert (new, unchanged, renamed, number filled in on a BSUID-only customer, new
    /// username), and what it answers from the cache matches the uncached upsert's ids.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_batch_cache_follows_the_database() {
        use crate::org::{self, NewOrganization};
        use crate::store::Store;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.sqlite3")).await.unwrap();
        let org = org::create(
            &store,
            NewOrganization {
                name: "Almacén".into(),
                cuit: "20-12345678-6".into(),
                iva_condition: mostrador_types::IvaCondition::Monotributo,
            },
        )
        .await
        .unwrap()
        .id;
        let org_id = org.to_string();
        let ana = "5491111111111";
        let beto = "5491122222222";
        let mut tx = store.begin_immediate().await.unwrap();
        let (mut cache, convs) = find_by_wa_ids(&mut tx, org, &[ana, beto]).await.unwrap();
        assert_eq!(cache.len(), 2);
        assert!(cache.values().all(Option::is_none) && convs.is_empty());
        // A BSUID-only customer first: Beto's number is filled in later.
        let beto_id = upsert_whatsapp(
            &mut tx,
            org,
            &WhatsAppIdentity {
                bsuid: Some("AR.123456789"),
                name: Some("Beto"),
                ..Default::default()
            },
            "2026-01-01T00:00:00.000Z",
        )
        .await
        .unwrap();
        let steps = [
            (Some(ana), None, None, Some("Ana")),
            (Some(ana), None, None, Some("Ana")),
            (Some(ana), None, None, Some("Ana María")),
            (Some(ana), None, Some("anita"), None),
            (Some(beto), Some("AR.123456789"), None, Some("Beto")),
            (Some(beto), None, None, Some("Roberto")),
        ];
        for (i, (wa_id, bsuid, username, name)) in steps.into_iter().enumerate() {
            let who = WhatsAppIdentity {
                wa_id,
                bsuid,
                username,
                name,
                ..Default::default()
            };
            let id = upsert_whatsapp_cached(
                &mut tx,
                org,
                &who,
                "2026-01-01T00:00:01.000Z",
                Some(&mut cache),
                None,
            )
            .await
            .unwrap();
            let stored = find(&mut tx, &org_id, wa_id, bsuid).await.unwrap().unwrap();
            assert_eq!(id, stored.id, "step {i}");
            if wa_id == Some(beto) {
                assert_eq!(id, beto_id, "step {i}: the BSUID's customer got the number");
            }
            for (number, cached) in &cache {
                let now = find(&mut tx, &org_id, Some(number), None).await.unwrap();
                assert_eq!(cached.as_ref(), now.as_ref(), "step {i}: {number}");
            }
        }
        assert_eq!(
            cache[ana]
                .as_ref()
                .map(|f| (f.name.as_deref(), f.username.as_deref())),
            Some((Some("Ana María"), Some("anita")))
        );
        tx.rollback().await.unwrap();
    }
}
