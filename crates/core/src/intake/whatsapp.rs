//! Applies a parsed WhatsApp webhook: every entry, change, message and status, in order, each
//! item in its own savepoint so that one broken item never stops the others.

use chrono::{DateTime, Utc};
use mostrador_whatsapp::webhook::{
    Change, Contact, InboundMedia, InboundMessage, MessageKind, Notification, Status, StatusKind,
};
use serde_json::{json, Value};
use sqlx::{Connection as _, SqliteConnection};

use super::evidence::{job_id_from_callback, JobStatusEvidence};
use std::collections::{HashMap, HashSet};

use crate::conversations::write::{self, NewMessage, StatusInput};
use crate::conversations::{
    ConversationSummary, MessageRow, MessageStatus, SummaryRow, MESSAGE_SELECT, SUMMARY_SELECT,
};
use crate::customers::{self, WhatsAppIdentity};
use crate::events::ConversationEvent;
use crate::org::OrgId;

/// Who the webhook must be for.
#[derive(Debug, Clone)]
pub struct Route {
    pub phone_number_id: String,
    /// When known, template updates for another WABA are ignored.
    pub waba_id: Option<String>,
}

/// What applying one webhook did.
#[derive(Debug, Default)]
pub struct Applied {
    pub events: Vec<ConversationEvent>,
    pub evidence: Vec<JobStatusEvidence>,
    /// Messages/statuses applied (duplicates excluded).
    pub applied: u32,
    pub duplicates: u32,
    /// Changes for a phone number that is not this business's (skipped).
    pub foreign: u32,
    /// Changes for this business's number.
    pub ours: u32,
    /// Items that failed to apply (our bug): `path: error`.
    pub errors: Vec<String>,
    /// Media ids of newly stored messages: each gets a download job in the same transaction.
    pub media: Vec<String>,
    /// Newly stored messages (message id, conversation id): their events are loaded once per
    /// batch ([`load_new_message_events`]). In the fast pass a message whose insert was put off
    /// has the id `-(n + 1)` (the batch's n-th put-off message) until
    /// [`BatchState::resolve_ids`] replaces it after the last flush.
    pub new_messages: Vec<(i64, i64)>,
}

impl Applied {
    /// Adds another event's results (the batch's totals).
    pub fn merge(&mut self, o: Applied) {
        self.events.extend(o.events);
        self.evidence.extend(o.evidence);
        self.applied += o.applied;
        self.duplicates += o.duplicates;
        self.foreign += o.foreign;
        self.ours += o.ours;
        self.errors.extend(o.errors);
        self.media.extend(o.media);
        self.new_messages.extend(o.new_messages);
    }
}

/// What a batch remembers between its events, to save a lookup per message.
#[derive(Debug, Default)]
pub struct BatchState {
    /// The wamids a pending reaction may be waiting for: those of the batch's messages that
    /// had one at its start plus every target of the batch's reactions so far. `None` (a pass
    /// with savepoints): any message may have one, look it up.
    reaction_targets: Option<HashSet<String>>,
    /// Customer ⇒ conversation, found or created in this transaction. Only when nothing is
    /// rolled back inside it (the fast pass): a savepoint rollback could undo a creation.
    conversations: Option<HashMap<i64, i64>>,
    /// The batch's message ids (wamids) already stored: those stored before the batch (one
    /// lookup for the whole batch) plus those it inserted. Fast pass only, like
    /// `conversations`; without it each message is looked up.
    stored: Option<HashSet<String>>,
    /// The batch's customers by number (see [`customers::ByNumber`]); fast pass only, dropped
    /// after a number change.
    customers: Option<customers::ByNumber>,
    /// Writes put off to the end of the batch (or to the first item that reads what they
    /// change): one statement each for the batch instead of one per message. Fast pass only.
    deferred: Option<Deferred>,
}

/// What [`BatchState::flush`] writes.
#[derive(Debug, Default)]
struct Deferred {
    /// Plain inbound messages not inserted yet, in arrival order (inserted in that order, so
    /// their ids are what one insert per message gives).
    messages: Vec<PendingMessage>,
    /// The ids of the messages put off and flushed so far, by the order they were put off.
    ids: Vec<i64>,
    /// Customers created by the batch, their profile changes.
    profiles: customers::PendingProfiles,
    /// WhatsApp conversations of customers the batch created, not inserted yet: (id, customer
    /// id), ids given in advance as SQLite would give them.
    conversations: Vec<(i64, i64)>,
    /// The id of the next conversation created (`None`: look it up). Forgotten at every flush:
    /// after one, a conversation may be inserted some other way.
    next_conversation: Option<i64>,
    /// The list rows the batch's new messages move, in the order first touched.
    touches: Vec<Touch>,
    /// Conversation id ⇒ index in `touches`.
    index: HashMap<i64, usize>,
}

/// An inbound message whose insert is put off to the next flush. Only messages nothing else
/// in the batch needs to find before then: not a reaction (it looks its target up at once), not
/// one a pending reaction may wait for.
#[derive(Debug)]
struct PendingMessage {
    conversation_id: i64,
    provider_id: String,
    kind: &'static str,
    text: Option<String>,
    filename: Option<String>,
    media_id: Option<i64>,
    reply_to_provider_id: Option<String>,
    data: Option<String>,
    raw: Option<String>,
    at: String,
}

/// A conversation's list row after the batch's inbound messages, as
/// [`write::touch_conversation`] once per message would leave it.
#[derive(Debug)]
struct Touch {
    conversation_id: i64,
    /// The first message (the list row's if it had none and no message is newer than its
    /// activity time).
    first: (i64, String),
    /// The newest message (the latest of equals) and its time.
    newest: (i64, String),
    newest_at: String,
    unread: i64,
}

impl Deferred {
    fn touch(
        &mut self,
        conversation_id: i64,
        message_id: i64,
        preview: &str,
        at: &str,
        unread: bool,
    ) {
        let unread = i64::from(unread);
        match self.index.get(&conversation_id) {
            Some(&i) => {
                let t = &mut self.touches[i];
                if at >= t.newest_at.as_str() {
                    t.newest = (message_id, preview.to_owned());
                    t.newest_at = at.to_owned();
                }
                t.unread += unread;
            }
            None => {
                self.index.insert(conversation_id, self.touches.len());
                self.touches.push(Touch {
                    conversation_id,
                    first: (message_id, preview.to_owned()),
                    newest: (message_id, preview.to_owned()),
                    newest_at: at.to_owned(),
                    unread,
                });
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.messages.is_empty()
            && self.touches.is_empty()
            && self.profiles.is_empty()
            && self.conversations.is_empty()
    }

    /// A conversation for a customer the batch created (who has none): its id now, the row at
    /// the next flush.
    async fn new_conversation(
        &mut self,
        conn: &mut SqliteConnection,
        customer_id: i64,
    ) -> Result<i64, sqlx::Error> {
        let id = match self.next_conversation {
            Some(id) => id,
            None => {
                sqlx::query_scalar("SELECT coalesce(max(id), 0) + 1 FROM conversations")
                    .fetch_one(&mut *conn)
                    .await?
            }
        };
        self.next_conversation = Some(id + 1);
        self.conversations.push((id, customer_id));
        Ok(id)
    }

    /// Inserts the conversations put off (one statement), as [`write::conversation_for`]
    /// creates them.
    async fn insert_conversations(
        &mut self,
        conn: &mut SqliteConnection,
        org: OrgId,
        now: &str,
    ) -> Result<(), sqlx::Error> {
        if self.conversations.is_empty() {
            return Ok(());
        }
        let rows: Vec<Value> = self
            .conversations
            .drain(..)
            .map(|(id, customer)| json!([id, customer]))
            .collect();
        sqlx::query(
            "INSERT INTO conversations (id, org_id, customer_id, channel, last_activity_at, created_at, updated_at)
             SELECT json_extract(value, '$[0]'), ?1, json_extract(value, '$[1]'), 'whatsapp', '', ?2, ?2
             FROM json_each(?3) ORDER BY key",
        )
        .bind(org.to_string())
        .bind(now)
        .bind(Value::Array(rows).to_string())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// A message id as stored: a put-off message's placeholder `-(n + 1)` resolved (once it is
    /// flushed).
    fn resolve(&self, id: i64) -> i64 {
        if id < 0 {
            self.ids[(-id - 1) as usize]
        } else {
            id
        }
    }

    /// Inserts the put-off messages in one statement (the search triggers run per row).
    async fn insert_messages(
        &mut self,
        conn: &mut SqliteConnection,
        org: OrgId,
        now: &str,
    ) -> Result<(), sqlx::Error> {
        if self.messages.is_empty() {
            return Ok(());
        }
        let rows: Vec<Value> = self
            .messages
            .iter()
            .map(|m| {
                json!([
                    m.conversation_id,
                    m.provider_id,
                    m.kind,
                    m.text,
                    m.filename,
                    m.media_id,
                    m.reply_to_provider_id,
                    m.data,
                    m.raw,
                    m.at
                ])
            })
            .collect();
        let status = MessageStatus::Received;
        // `WHERE true`: without it SQLite would read ON CONFLICT as a join's ON. Rows are
        // inserted in array order (ids as one insert per message); RETURNING's order is not
        // guaranteed, hence the provider id.
        let inserted: Vec<(i64, String)> = sqlx::query_as(
            "INSERT INTO messages (org_id, conversation_id, provider_id, direction, type, text, filename,
                                   media_id, reply_to_provider_id, data, raw, status, status_rank, at,
                                   created_at)
             SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'in',
                    json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'),
                    json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'),
                    json_extract(value, '$[8]'), ?2, ?3, json_extract(value, '$[9]'), ?4
             FROM json_each(?5) WHERE true ORDER BY key
             ON CONFLICT (org_id, provider_id) WHERE provider_id IS NOT NULL DO NOTHING
             RETURNING id, provider_id",
        )
        .bind(org.to_string())
        .bind(status.as_str())
        .bind(status.rank().max(0))
        .bind(now)
        .bind(Value::Array(rows).to_string())
        .fetch_all(&mut *conn)
        .await?;
        if inserted.len() != self.messages.len() {
            // The batch's view of what is stored was wrong: the pass gives up and the batch is
            // redone one item at a time.
            return Err(sqlx::Error::Protocol(format!(
                "{} of {} put-off messages were already stored",
                self.messages.len() - inserted.len(),
                self.messages.len()
            )));
        }
        let by_wamid: HashMap<String, i64> = inserted.into_iter().map(|(id, p)| (p, id)).collect();
        for m in self.messages.drain(..) {
            let id = by_wamid.get(&m.provider_id).copied().ok_or_else(|| {
                sqlx::Error::Protocol("a put-off message was not returned".to_owned())
            })?;
            self.ids.push(id);
        }
        Ok(())
    }
}

impl BatchState {
    /// At the start of a batch of `notifications`. `cache: false` for a pass that uses
    /// savepoints.
    pub async fn load(
        conn: &mut SqliteConnection,
        org: OrgId,
        cache: bool,
        notifications: &[&Notification],
    ) -> Result<BatchState, sqlx::Error> {
        let org_id = org.to_string();
        let (stored, reaction_targets) = if cache {
            let ids: Vec<&str> = notifications
                .iter()
                .flat_map(|n| &n.entries)
                .flat_map(|e| &e.changes)
                .filter_map(|c| match c {
                    Change::Messages(v) => Some(v.messages.iter().map(|m| m.id.as_str())),
                    _ => None,
                })
                .flatten()
                .collect();
            if ids.is_empty() {
                (Some(HashSet::new()), Some(HashSet::new()))
            } else {
                let ids = serde_json::to_string(&ids).expect("strings");
                let found: Vec<String> = sqlx::query_scalar(
                    "SELECT provider_id FROM messages
                     WHERE org_id = ? AND provider_id IN (SELECT value FROM json_each(?))",
                )
                .bind(&org_id)
                .bind(&ids)
                .fetch_all(&mut *conn)
                .await?;
                let waited: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT target_provider_id FROM pending_reactions
                     WHERE org_id = ? AND target_provider_id IN (SELECT value FROM json_each(?))",
                )
                .bind(&org_id)
                .bind(&ids)
                .fetch_all(&mut *conn)
                .await?;
                (
                    Some(found.into_iter().collect()),
                    Some(waited.into_iter().collect()),
                )
            }
        } else {
            (None, None)
        };
        let (customers, conversations) = if cache {
            // Every number the batch's messages and contacts name, and their conversations.
            let mut numbers: Vec<&str> = notifications
                .iter()
                .flat_map(|n| &n.entries)
                .flat_map(|e| &e.changes)
                .filter_map(|c| match c {
                    Change::Messages(v) => Some(
                        v.messages
                            .iter()
                            .filter_map(|m| m.from.as_ref())
                            .chain(v.contacts.iter().filter_map(|c| c.wa_id.as_ref()))
                            .map(|w| w.as_str()),
                    ),
                    _ => None,
                })
                .flatten()
                .collect();
            numbers.sort_unstable();
            numbers.dedup();
            let (by_number, convs) = customers::find_by_wa_ids(conn, org, &numbers).await?;
            (Some(by_number), Some(convs.into_iter().collect()))
        } else {
            (None, None)
        };
        Ok(BatchState {
            reaction_targets,
            conversations,
            stored,
            customers,
            deferred: cache.then(Deferred::default),
        })
    }

    /// Writes what the batch put off (messages, customers' profiles, conversations' list rows).
    /// Called before anything reads those rows or inserts a message itself, and before the
    /// batch's events are loaded.
    pub async fn flush(
        &mut self,
        conn: &mut SqliteConnection,
        org: OrgId,
        now: &str,
    ) -> Result<(), sqlx::Error> {
        let Some(d) = self.deferred.as_mut() else {
            return Ok(());
        };
        // Whoever called may insert a customer or conversation itself next.
        d.next_conversation = None;
        d.profiles.forget_next_id();
        if d.is_empty() {
            return Ok(());
        }
        // Customers, their conversations, then the messages that point at them.
        customers::write_profiles(conn, org, &mut d.profiles, now).await?;
        d.insert_conversations(conn, org, now).await?;
        d.insert_messages(conn, org, now).await?;
        if d.touches.is_empty() {
            return Ok(());
        }
        let touches = std::mem::take(&mut d.touches);
        let rows: Vec<Value> = touches
            .into_iter()
            .map(|t| {
                json!([
                    t.conversation_id,
                    d.resolve(t.first.0),
                    t.first.1,
                    d.resolve(t.newest.0),
                    t.newest.1,
                    t.newest_at,
                    t.unread
                ])
            })
            .collect();
        d.index.clear();
        // As `touch_conversation` once per message, in order: the newest message becomes the
        // row's last unless it is older than the row's activity; a row without a last message
        // gets the first. Inbound: the window opens, the conversation reopens.
        sqlx::query(
            "UPDATE conversations SET
               last_message_id = CASE WHEN t.newest_at >= conversations.last_activity_at THEN t.newest_id
                                      WHEN conversations.last_message_id IS NULL THEN t.first_id
                                      ELSE conversations.last_message_id END,
               last_message_preview = CASE WHEN t.newest_at >= conversations.last_activity_at THEN t.newest_preview
                                           WHEN conversations.last_message_id IS NULL THEN t.first_preview
                                           ELSE conversations.last_message_preview END,
               last_activity_at = max(conversations.last_activity_at, t.newest_at),
               last_inbound_at = max(coalesce(conversations.last_inbound_at, ''), t.newest_at),
               unread_count = conversations.unread_count + t.unread,
               status = 'abierta',
               updated_at = ?2
             FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS first_id,
                          json_extract(value, '$[2]') AS first_preview, json_extract(value, '$[3]') AS newest_id,
                          json_extract(value, '$[4]') AS newest_preview, json_extract(value, '$[5]') AS newest_at,
                          json_extract(value, '$[6]') AS unread
                   FROM json_each(?1)) AS t
             WHERE conversations.id = t.id",
        )
        .bind(Value::Array(rows).to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Replaces the placeholders of put-off messages in `new_messages` by their ids. After
    /// the batch's last [`BatchState::flush`].
    pub fn resolve_ids(&self, new_messages: &mut [(i64, i64)]) {
        if let Some(d) = &self.deferred {
            debug_assert!(d.messages.is_empty(), "resolve after the last flush");
            for m in new_messages {
                m.0 = d.resolve(m.0);
            }
        }
    }

    /// Whether a pending reaction may wait for the message with this wamid.
    fn may_have_reactions(&self, provider_id: &str) -> bool {
        self.reaction_targets
            .as_ref()
            .is_none_or(|t| t.contains(provider_id))
    }

    /// Whether a message with this wamid is stored (`None`: not known here, look it up).
    fn is_stored(&self, provider_id: &str) -> Option<bool> {
        self.stored.as_ref().map(|s| s.contains(provider_id))
    }
}

/// The events of the batch's new messages: each message's view, then each touched
/// conversation's list row once (its state after the whole batch). Two queries for the batch.
pub async fn load_new_message_events(
    conn: &mut SqliteConnection,
    org: OrgId,
    new_messages: &[(i64, i64)],
    events: &mut Vec<ConversationEvent>,
) -> Result<(), sqlx::Error> {
    if new_messages.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = new_messages.iter().map(|m| m.0).collect();
    let rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "{MESSAGE_SELECT} WHERE m.id IN (SELECT value FROM json_each(?)) ORDER BY m.id"
    ))
    .bind(serde_json::to_string(&ids).expect("integers"))
    .fetch_all(&mut *conn)
    .await?;
    events.extend(rows.into_iter().map(|r| ConversationEvent::NewMessage {
        org_id: org,
        message: r.into_view(),
    }));
    let mut convs: Vec<i64> = Vec::new();
    for (_, c) in new_messages {
        if !convs.contains(c) {
            convs.push(*c);
        }
    }
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "{SUMMARY_SELECT} WHERE v.id IN (SELECT value FROM json_each(?))"
    ))
    .bind(serde_json::to_string(&convs).expect("integers"))
    .fetch_all(&mut *conn)
    .await?;
    let now = Utc::now();
    let mut by_id: HashMap<i64, ConversationSummary> = rows
        .into_iter()
        .map(|r| {
            let v = r.into_view(now);
            (v.id, v)
        })
        .collect();
    // In the order the batch touched them.
    for c in convs {
        if let Some(conversation) = by_id.remove(&c) {
            events.push(ConversationEvent::ConversationUpdated {
                org_id: org,
                conversation,
            });
        }
    }
    Ok(())
}

fn ts(unix: Option<i64>, fallback: &str) -> String {
    unix.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map(crate::store::timestamp::to_text)
        .unwrap_or_else(|| fallback.to_owned())
}

/// Applies every change of `n` for `org` inside the caller's transaction.
///
/// With `isolate` each item runs in its own savepoint and a failing item is reported in
/// [`Applied::errors`] while the others apply; without it (the fast path) the first error is
/// returned and the caller rolls the event back and retries it isolated.
pub async fn apply(
    conn: &mut SqliteConnection,
    org: OrgId,
    route: &Route,
    n: &Notification,
    now: &str,
    isolate: bool,
    state: &mut BatchState,
) -> Result<Applied, sqlx::Error> {
    let mut out = Applied::default();
    for (i, entry) in n.entries.iter().enumerate() {
        for (j, change) in entry.changes.iter().enumerate() {
            let path = format!("entry[{i}].changes[{j}]");
            match change {
                Change::Messages(v) => {
                    if v.metadata.phone_number_id.as_deref() != Some(route.phone_number_id.as_str())
                    {
                        out.foreign += 1;
                        tracing::warn!(%path, "change for a phone number id that is not this business's: skipped");
                        continue;
                    }
                    out.ours += 1;
                    for (k, m) in v.messages.iter().enumerate() {
                        let contact = find_contact(&v.contacts, m);
                        if !isolate {
                            apply_message(conn, org, m, contact, now, &mut out, state).await?;
                            continue;
                        }
                        let mut sp = conn.begin().await?;
                        match apply_message(&mut sp, org, m, contact, now, &mut out, state).await {
                            Ok(()) => sp.commit().await?,
                            Err(e) => {
                                sp.rollback().await?;
                                out.errors.push(format!("{path}.value.messages[{k}]: {e}"));
                            }
                        }
                    }
                    if !v.statuses.is_empty() {
                        // A status can reload its conversation's row (opt-out): up to date.
                        state.flush(conn, org, now).await?;
                    }
                    for (k, s) in v.statuses.iter().enumerate() {
                        if !isolate {
                            apply_status(conn, org, s, now, &mut out).await?;
                            continue;
                        }
                        let mut sp = conn.begin().await?;
                        match apply_status(&mut sp, org, s, now, &mut out).await {
                            Ok(()) => sp.commit().await?,
                            Err(e) => {
                                sp.rollback().await?;
                                out.errors.push(format!("{path}.value.statuses[{k}]: {e}"));
                            }
                        }
                    }
                }
                Change::TemplateStatus(_)
                | Change::TemplateCategory(_)
                | Change::TemplateQuality(_) => {
                    if let (Some(ours), Some(id)) = (&route.waba_id, &entry.id) {
                        if ours != id {
                            out.foreign += 1;
                            continue;
                        }
                    }
                    out.ours += 1;
                    let at = ts(entry.time, now);
                    let mut sp = conn.begin().await?;
                    match apply_template(&mut sp, org, change, &at).await {
                        Ok(changed) => {
                            sp.commit().await?;
                            out.applied += 1;
                            // The Plantillas page follows it live (after the batch commits).
                            if let Some((name, language)) = changed {
                                out.events.push(ConversationEvent::TemplateChanged {
                                    org_id: org,
                                    name,
                                    language,
                                });
                            }
                        }
                        Err(e) => {
                            sp.rollback().await?;
                            out.errors.push(format!("{path}: {e}"));
                        }
                    }
                }
                Change::Other { field, .. } => {
                    tracing::debug!(%field, "webhook field not handled yet; kept in inbox_raw");
                }
            }
        }
    }
    Ok(out)
}

fn find_contact<'a>(contacts: &'a [Contact], m: &InboundMessage) -> Option<&'a Contact> {
    contacts
        .iter()
        .find(|c| {
            (m.from_user_id.is_some() && c.user_id == m.from_user_id)
                || (m.from.is_some() && c.wa_id == m.from)
        })
        .or(if contacts.len() == 1 {
            contacts.first()
        } else {
            None
        })
}

fn media_json(m: &InboundMedia) -> Value {
    json!({ "media_id": m.id.as_str(), "mime_type": m.mime_type, "voice": m.voice, "animated": m.animated })
}

/// The stored shape of a message kind: (type, text, filename, media, data, raw).
struct Shape<'a> {
    kind: &'static str,
    text: Option<String>,
    filename: Option<&'a str>,
    media: Option<&'a InboundMedia>,
    data: Option<Value>,
    raw: Option<&'a str>,
}

fn shape(m: &InboundMessage) -> Shape<'_> {
    let mut s = Shape {
        kind: "unsupported",
        text: None,
        filename: None,
        media: None,
        data: None,
        raw: None,
    };
    match &m.kind {
        MessageKind::Text { body } => {
            s.kind = "text";
            s.text = Some(body.clone());
        }
        MessageKind::Image(x)
        | MessageKind::Video(x)
        | MessageKind::Audio(x)
        | MessageKind::Document(x)
        | MessageKind::Sticker(x) => {
            s.kind = match &m.kind {
                MessageKind::Image(_) => "image",
                MessageKind::Video(_) => "video",
                MessageKind::Audio(a) if a.voice == Some(true) => "voice",
                MessageKind::Audio(_) => "audio",
                MessageKind::Document(_) => "document",
                _ => "sticker",
            };
            s.text = x.caption.clone();
            s.filename = x.filename.as_deref();
            s.media = Some(x);
            s.data = Some(media_json(x));
        }
        MessageKind::Location(l) => {
            s.kind = "location";
            s.text = l.name.clone().or_else(|| l.address.clone());
            s.data = Some(json!({
                "latitude": l.latitude, "longitude": l.longitude, "name": l.name,
                "address": l.address, "url": l.url,
                "map_url": format!("https://www.google.com/maps/search/?api=1&query={},{}", l.latitude, l.longitude),
            }));
        }
        MessageKind::Contacts(cs) => {
            s.kind = "contacts";
            let names: Vec<String> = cs
                .iter()
                .filter_map(|c| {
                    c.name
                        .formatted_name
                        .clone()
                        .or_else(|| c.name.first_name.clone())
                })
                .collect();
            s.text = (!names.is_empty()).then(|| names.join(", "));
            s.data = Some(json!({ "contacts": cs.iter().map(|c| json!({
                "name": c.name.formatted_name, "first_name": c.name.first_name, "last_name": c.name.last_name,
                "phones": c.phones.iter().map(|p| json!({"phone": p.phone, "wa_id": p.wa_id, "type": p.kind})).collect::<Vec<_>>(),
                "emails": c.emails.iter().map(|e| json!({"email": e.email, "type": e.kind})).collect::<Vec<_>>(),
                "org": c.org.as_ref().map(|o| json!({"company": o.company, "department": o.department, "title": o.title})),
            })).collect::<Vec<_>>() }));
        }
        MessageKind::Reaction { message_id, emoji } => {
            s.kind = "reaction";
            s.text = emoji.clone();
            s.data = Some(json!({ "target": message_id.as_str() }));
        }
        MessageKind::ButtonReply { id, title } => {
            s.kind = "button_reply";
            s.text = Some(title.clone());
            s.data = Some(json!({ "id": id }));
        }
        MessageKind::ListReply {
            id,
            title,
            description,
        } => {
            s.kind = "list_reply";
            s.text = Some(title.clone());
            s.data = Some(json!({ "id": id, "description": description }));
        }
        MessageKind::FlowReply {
            name,
            body,
            response_json,
        } => {
            s.kind = "flow_reply";
            s.text = body.clone();
            s.data = Some(json!({ "name": name, "response_json": response_json }));
        }
        MessageKind::Button { payload, text } => {
            s.kind = "template_button";
            s.text = text.clone();
            s.data = Some(json!({ "payload": payload }));
        }
        MessageKind::Order {
            catalog_id,
            text,
            product_items,
        } => {
            s.kind = "order";
            s.text = text.clone();
            s.data = Some(
                json!({ "catalog_id": catalog_id, "items": product_items.iter().map(|i| json!({
                "product_retailer_id": i.product_retailer_id, "quantity": i.quantity,
                "item_price": i.item_price, "currency": i.currency,
            })).collect::<Vec<_>>() }),
            );
        }
        MessageKind::System {
            kind,
            body,
            new_wa_id,
        } => {
            s.kind = "system";
            s.text = body.clone();
            s.data = Some(json!({ "type": kind, "new_wa_id": new_wa_id }));
        }
        MessageKind::RequestWelcome => {
            s.kind = "request_welcome";
        }
        MessageKind::Unsupported => {
            s.kind = "unsupported";
            s.data = Some(json!({ "errors": m.errors.iter().map(|e| json!({
                "code": e.code, "title": e.title, "details": e.details() })).collect::<Vec<_>>() }));
        }
        MessageKind::Unknown { type_name, raw } => {
            s.kind = "unsupported";
            s.data = Some(json!({ "type": type_name }));
            s.raw = Some(raw.get());
        }
    }
    if let Some(r) = &m.referral {
        let d = s.data.get_or_insert_with(|| json!({}));
        d["referral"] = json!({ "source_url": r.source_url, "source_type": r.source_type,
            "headline": r.headline, "body": r.body, "ctwa_clid": r.ctwa_clid });
    }
    s
}

async fn apply_message(
    conn: &mut SqliteConnection,
    org: OrgId,
    m: &InboundMessage,
    contact: Option<&Contact>,
    now: &str,
    out: &mut Applied,
    state: &mut BatchState,
) -> Result<(), sqlx::Error> {
    let org_id = org.to_string();
    let dup = match state.is_stored(m.id.as_str()) {
        Some(stored) => stored,
        None => sqlx::query_scalar::<_, i64>(
            "SELECT id FROM messages WHERE org_id = ? AND provider_id = ?",
        )
        .bind(&org_id)
        .bind(m.id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .is_some(),
    };
    if dup {
        out.duplicates += 1;
        return Ok(());
    }
    let at = ts(m.timestamp, now);
    let who = WhatsAppIdentity {
        wa_id: m
            .from
            .as_ref()
            .or(contact.and_then(|c| c.wa_id.as_ref()))
            .map(|w| w.as_str()),
        bsuid: m
            .from_user_id
            .as_ref()
            .or(contact.and_then(|c| c.user_id.as_ref()))
            .map(|b| b.as_str()),
        parent_bsuid: m
            .from_parent_user_id
            .as_ref()
            .or(contact.and_then(|c| c.parent_user_id.as_ref()))
            .map(|b| b.as_str()),
        username: contact.and_then(|c| c.profile.username.as_deref()),
        name: contact.and_then(|c| c.profile.name.as_deref()),
    };
    // A number change moves the customer before the notice is filed under them.
    let customer_id = match &m.kind {
        MessageKind::System {
            kind: Some(k),
            new_wa_id: Some(new),
            ..
        } if k == "user_changed_number" => {
            // Numbers move: the batch's view of who has which is stale from here on.
            state.customers = None;
            state.flush(conn, org, now).await?;
            match customers::change_number(conn, org, &who, new, now).await? {
                Some(id) => id,
                None => {
                    let moved = WhatsAppIdentity {
                        wa_id: Some(new),
                        ..Default::default()
                    };
                    customers::upsert_whatsapp(conn, org, &moved, now).await?
                }
            }
        }
        _ => {
            customers::upsert_whatsapp_cached(
                conn,
                org,
                &who,
                now,
                state.customers.as_mut(),
                state.deferred.as_mut().map(|d| &mut d.profiles),
            )
            .await?
        }
    };
    let cached = state
        .conversations
        .as_ref()
        .and_then(|c| c.get(&customer_id).copied());
    let conversation_id = match cached {
        Some(id) => id,
        None => {
            let created = state
                .deferred
                .as_ref()
                .is_some_and(|d| d.profiles.created(customer_id));
            let id = match state.deferred.as_mut().filter(|_| created) {
                Some(d) => d.new_conversation(conn, customer_id).await?,
                None => {
                    // Ids as SQLite gives them: what was put off goes in first.
                    state.flush(conn, org, now).await?;
                    write::conversation_for(conn, org, customer_id, "whatsapp", now).await?
                }
            };
            if let Some(c) = state.conversations.as_mut() {
                c.insert(customer_id, id);
            }
            id
        }
    };
    let s = shape(m);
    let media_id = match s.media {
        Some(x) => Some(
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO media (org_id, provider_media_id, mime_type, provider_sha256, filename, created_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (org_id, provider_media_id) DO UPDATE SET mime_type = coalesce(media.mime_type, excluded.mime_type)
                 RETURNING id",
            )
            .bind(&org_id)
            .bind(x.id.as_str())
            .bind(&x.mime_type)
            .bind(&x.sha256)
            .bind(&x.filename)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?,
        ),
        None => None,
    };
    let reaction = match &m.kind {
        MessageKind::Reaction { message_id, emoji } => {
            Some((message_id.as_str(), emoji.as_deref()))
        }
        _ => None,
    };
    let reply_to = m
        .context
        .as_ref()
        .and_then(|c| c.id.as_ref())
        .map(|i| i.as_str());
    let preview = write::preview(s.kind, s.text.as_deref(), s.filename);
    // Put off to the next flush (one insert for the batch): a message nothing needs to find
    // before then. A reaction looks its target up at once; a message a pending reaction may
    // wait for is looked up by it.
    let defer =
        state.deferred.is_some() && reaction.is_none() && !state.may_have_reactions(m.id.as_str());
    let message_id = match state.deferred.as_mut().filter(|_| defer) {
        Some(d) => {
            let placeholder = -((d.ids.len() + d.messages.len()) as i64 + 1);
            d.messages.push(PendingMessage {
                conversation_id,
                provider_id: m.id.as_str().to_owned(),
                kind: s.kind,
                text: s.text.clone(),
                filename: s.filename.map(str::to_owned),
                media_id,
                reply_to_provider_id: reply_to.map(str::to_owned),
                data: s.data.as_ref().map(|d| d.to_string()),
                raw: s.raw.map(str::to_owned),
                at: at.clone(),
            });
            placeholder
        }
        None => {
            // The messages put off go in first: ids in arrival order, and whatever reads them
            // after this message (its reaction's target, list rows) finds them.
            state.flush(conn, org, now).await?;
            let new = NewMessage {
                conversation_id,
                provider_id: Some(m.id.as_str()),
                direction: "in",
                kind: s.kind,
                text: s.text.as_deref(),
                filename: s.filename,
                media_id,
                reply_to_provider_id: reply_to,
                reaction_to_provider_id: reaction.map(|r| r.0),
                data: s.data.as_ref().map(|d| d.to_string()),
                raw: s.raw,
                status: Some(MessageStatus::Received),
                job_id: None,
                at: &at,
            };
            let Some(id) = write::insert_message(conn, org, &new, now).await? else {
                out.duplicates += 1;
                return Ok(());
            };
            id
        }
    };
    if let Some(stored) = state.stored.as_mut() {
        stored.insert(m.id.as_str().to_owned());
    }
    out.applied += 1;
    if let Some(x) = s.media {
        out.media.push(x.id.as_str().to_owned());
    }
    if let Some((target, emoji)) = reaction {
        // A pending reaction may now wait for its target, later in this batch.
        if let Some(t) = state.reaction_targets.as_mut() {
            t.insert(target.to_owned());
        }
        // Its target and its conversation's row (reloaded below) are up to date: the batch
        // flushed before inserting it.
        write::apply_reaction(
            conn,
            org,
            target,
            "customer",
            emoji,
            Some(m.id.as_str()),
            &at,
            &mut out.events,
        )
        .await?;
        // A reaction is activity (opens the window) but not a new line in the list.
        sqlx::query(
            "UPDATE conversations SET last_inbound_at = max(coalesce(last_inbound_at, ''), ?), updated_at = ? WHERE id = ?",
        )
        .bind(&at)
        .bind(now)
        .bind(conversation_id)
        .execute(&mut *conn)
        .await?;
        write::conversation_event(conn, org, conversation_id, &mut out.events).await?;
        return Ok(());
    }
    let unread = s.kind != "request_welcome";
    match state.deferred.as_mut() {
        Some(_) => {
            if customers::opt_out_keyword(&preview).is_some() {
                // Reads the conversation and writes its customer: both in the database first.
                state.flush(conn, org, now).await?;
                write::opt_out_keyword(conn, conversation_id, &preview, now).await?;
            }
            if let Some(d) = state.deferred.as_mut() {
                d.touch(conversation_id, message_id, &preview, &at, unread);
            }
        }
        None => {
            write::touch_conversation(
                conn,
                conversation_id,
                message_id,
                &preview,
                &at,
                true,
                unread,
                now,
            )
            .await?
        }
    }
    if !defer && state.may_have_reactions(m.id.as_str()) {
        write::apply_pending_reactions(conn, org, m.id.as_str(), &mut out.events).await?;
    }
    out.new_messages.push((message_id, conversation_id));
    Ok(())
}

fn status_of(kind: &StatusKind) -> Option<MessageStatus> {
    Some(match kind {
        StatusKind::Sent => MessageStatus::Sent,
        StatusKind::Delivered => MessageStatus::Delivered,
        StatusKind::Read => MessageStatus::Read,
        StatusKind::Played => MessageStatus::Played,
        StatusKind::Failed => MessageStatus::Failed,
        StatusKind::Other(_) => return None,
    })
}

async fn apply_status(
    conn: &mut SqliteConnection,
    org: OrgId,
    s: &Status,
    now: &str,
    out: &mut Applied,
) -> Result<(), sqlx::Error> {
    let Some(status) = status_of(&s.status) else {
        tracing::debug!(status = s.status.as_str(), "unknown status value: ignored");
        return Ok(());
    };
    let at = ts(s.timestamp, now);
    let err = s.errors.first();
    let input = StatusInput {
        provider_id: s.id.as_str(),
        status,
        at: &at,
        error_code: err.and_then(|e| e.code),
        error_title: err.and_then(|e| e.title.as_deref()),
        error_details: err.and_then(|e| e.details()),
        callback_data: s.callback_data.as_deref(),
    };
    match write::apply_status(conn, org, &input, now, &mut out.events).await? {
        write::StatusOutcome::Duplicate => {
            out.duplicates += 1;
            return Ok(());
        }
        _ => out.applied += 1,
    }
    if let Some(job_id) = s.callback_data.as_deref().and_then(job_id_from_callback) {
        sqlx::query(
            "UPDATE messages SET job_id = coalesce(job_id, ?) WHERE org_id = ? AND provider_id = ?",
        )
        .bind(job_id)
        .bind(org.to_string())
        .bind(s.id.as_str())
        .execute(&mut *conn)
        .await?;
        out.evidence.push(JobStatusEvidence {
            job_id,
            provider_id: s.id.as_str().to_owned(),
            status: s.status.as_str().to_owned(),
        });
    }
    Ok(())
}

/// Applies a template webhook; the template it changed, if any.
async fn apply_template(
    conn: &mut SqliteConnection,
    org: OrgId,
    change: &Change,
    at: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    // (name, language, id, status, category, quality, reason)
    type Row<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let r: Row<'_> = match change {
        Change::TemplateStatus(t) => (
            t.message_template_name.as_deref(),
            t.message_template_language.as_deref(),
            t.message_template_id.as_deref(),
            Some(t.event.as_str()),
            t.message_template_category.as_deref(),
            None,
            t.reason.as_deref().filter(|r| *r != "NONE"),
        ),
        Change::TemplateCategory(t) => (
            t.message_template_name.as_deref(),
            t.message_template_language.as_deref(),
            t.message_template_id.as_deref(),
            None,
            t.new_category.as_deref().or(t.correct_category.as_deref()),
            None,
            None,
        ),
        Change::TemplateQuality(t) => (
            t.message_template_name.as_deref(),
            t.message_template_language.as_deref(),
            t.message_template_id.as_deref(),
            None,
            None,
            t.new_quality_score.as_deref(),
            None,
        ),
        _ => return Ok(None),
    };
    let (Some(name), language) = (r.0, r.1) else {
        tracing::warn!("template update without a name: ignored");
        return Ok(None);
    };
    // Meta re-categorized it: keep what it was and when, so the owner sees why it changed.
    let previous = match change {
        Change::TemplateCategory(t) => Some(t.previous_category.as_deref().unwrap_or("")),
        _ => None,
    };
    let written = sqlx::query(
        "INSERT INTO templates (org_id, name, language, provider_id, status, category, quality, reason, updated_at,
                               previous_category, category_changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, nullif(?10, ''), CASE WHEN ?10 IS NOT NULL THEN ?9 END)
         ON CONFLICT (org_id, name, language) DO UPDATE SET
           provider_id = coalesce(excluded.provider_id, provider_id),
           status = coalesce(excluded.status, status),
           category = coalesce(excluded.category, category),
           quality = coalesce(excluded.quality, quality),
           reason = CASE WHEN excluded.status IS NOT NULL THEN excluded.reason ELSE reason END,
           previous_category = CASE
               WHEN ?10 IS NOT NULL AND excluded.category IS NOT category
               THEN coalesce(nullif(?10, ''), category) ELSE previous_category END,
           category_changed_at = CASE
               WHEN ?10 IS NOT NULL AND excluded.category IS NOT category
               THEN excluded.updated_at ELSE category_changed_at END,
           updated_at = excluded.updated_at
         WHERE excluded.updated_at >= templates.updated_at",
    )
    .bind(org.to_string())
    .bind(name)
    .bind(language.unwrap_or(""))
    .bind(r.2)
    .bind(r.3)
    .bind(r.4)
    .bind(r.5)
    .bind(r.6)
    .bind(at)
    .bind(previous)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((written > 0).then(|| (name.to_owned(), language.unwrap_or("").to_owned())))
}
