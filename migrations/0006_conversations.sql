-- Customers, conversations and messages, filled by the inbox processor from `inbox_raw` (issue 10).
-- Times are RFC 3339 UTC TEXT with milliseconds and `Z` (`2026-03-01T12:00:00.000Z`): fixed width,
-- so they sort as text and keyset pagination can compare them directly.

-- The processor's bookkeeping on raw events: `failed` (our bug: retried after a fix, never dropped)
-- joins new | processed | quarantined; attempts counts tries.
ALTER TABLE inbox_raw ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- A person who writes to the shop. WhatsApp identifies them by wa_id (their number, may be missing
-- for users with a username) and/or BSUID (business-scoped user id): both are kept.
CREATE TABLE customers (
    id               INTEGER PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    wa_id            TEXT,                 -- exactly as WhatsApp sent it
    bsuid            TEXT,
    parent_bsuid     TEXT,
    username         TEXT,
    name             TEXT,                 -- WhatsApp profile name
    phone            TEXT,                 -- normalized E.164 digits (mostrador_types::Phone)
    first_contact_at TEXT NOT NULL,
    notes            TEXT NOT NULL DEFAULT '',
    opted_out        INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),   -- all messages
    opted_out_marketing INTEGER NOT NULL DEFAULT 0 CHECK (opted_out_marketing IN (0, 1)),
    opted_out_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX customers_org_wa_id ON customers (org_id, wa_id) WHERE wa_id IS NOT NULL;
CREATE UNIQUE INDEX customers_org_bsuid ON customers (org_id, bsuid) WHERE bsuid IS NOT NULL;

-- One per organization + customer + channel.
CREATE TABLE conversations (
    id                   INTEGER PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id          INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel              TEXT NOT NULL DEFAULT 'whatsapp',
    status               TEXT NOT NULL DEFAULT 'abierta' CHECK (status IN ('abierta', 'resuelta')),
    notes                TEXT NOT NULL DEFAULT '',
    unread_count         INTEGER NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    last_message_id      INTEGER,          -- messages.id (no FK: circular)
    last_message_preview TEXT,             -- short, for the list
    last_activity_at     TEXT NOT NULL,    -- the list's order
    last_inbound_at      TEXT,             -- the 24 h window starts here
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX conversations_org_customer_channel ON conversations (org_id, customer_id, channel);
-- The list page: newest activity first, keyset on (last_activity_at, id).
CREATE INDEX conversations_list ON conversations (org_id, last_activity_at DESC, id DESC);

CREATE TABLE conversation_labels (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    org_id          TEXT NOT NULL,
    label           TEXT NOT NULL CHECK (length(trim(label)) > 0),
    PRIMARY KEY (conversation_id, label)
) STRICT;

CREATE INDEX conversation_labels_org_label ON conversation_labels (org_id, label, conversation_id);

-- Files of inbound (and later outbound) media: content-addressed on disk by sha256; the original
-- filename is metadata only, never part of a path.
CREATE TABLE media (
    id                INTEGER PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_media_id TEXT NOT NULL,        -- WhatsApp media id (valid 7 days for inbound)
    mime_type         TEXT,
    provider_sha256   TEXT,                 -- as the webhook gave it (base64 or hex)
    sha256            TEXT,                 -- hex of the stored bytes, once downloaded
    size_bytes        INTEGER,
    path              TEXT,                 -- relative to the data dir: media/ab/abcdef…
    filename          TEXT,                 -- the sender's name for it: display only
    state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'downloaded', 'failed')),
    error             TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    downloaded_at     TEXT
) STRICT;

CREATE UNIQUE INDEX media_org_provider ON media (org_id, provider_media_id);
CREATE INDEX media_pending ON media (state, id) WHERE state = 'pending';

CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    conversation_id     INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    provider_id         TEXT,               -- the wamid; NULL for an outbound not yet accepted
    direction           TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    -- text image video audio voice document sticker location contacts reaction button_reply
    -- list_reply flow_reply template_button order system request_welcome unsupported
    type                TEXT NOT NULL,
    text                TEXT,               -- body, or the media caption
    filename            TEXT,               -- documents: metadata only
    media_id            INTEGER REFERENCES media (id),
    reply_to_provider_id TEXT,              -- context.id: the quoted message
    reaction_to_provider_id TEXT,           -- reactions: their target
    data                TEXT,               -- JSON: location, contacts, interactive, order, referral…
    raw                 TEXT,               -- unknown/unsupported types: the JSON as received
    status              TEXT NOT NULL,      -- received | pending queued sent delivered read played | failed
    status_rank         INTEGER NOT NULL DEFAULT 0,   -- design §6: pending 0 … played 5
    error_code          INTEGER,
    error_title         TEXT,
    error_reason        TEXT,               -- Spanish, for people
    job_id              INTEGER,            -- the outbound job that sent it
    at                  TEXT NOT NULL,      -- when it was sent (provider timestamp)
    created_at          TEXT NOT NULL
) STRICT;

-- Dedupe of Meta's redeliveries and lookups by wamid.
CREATE UNIQUE INDEX messages_org_provider ON messages (org_id, provider_id) WHERE provider_id IS NOT NULL;
-- The thread page: keyset on (at, id) within a conversation.
CREATE INDEX messages_thread ON messages (conversation_id, at, id);
CREATE INDEX messages_job ON messages (job_id) WHERE job_id IS NOT NULL;

-- Every status a message went through, as received (the dedupe key is message id + status).
CREATE TABLE message_status_history (
    id           INTEGER PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    provider_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    at           TEXT NOT NULL,             -- provider timestamp
    error_code   INTEGER,
    callback_data TEXT,
    received_at  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX message_status_history_key ON message_status_history (org_id, provider_id, status);
CREATE INDEX message_status_history_message ON message_status_history (message_id, id);

-- Statuses that arrived before their message is known (e.g. before the send's answer was stored):
-- applied, in arrival order, when the message appears.
CREATE TABLE pending_statuses (
    id           INTEGER PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    at           TEXT NOT NULL,
    error_code   INTEGER,
    error_title  TEXT,
    error_details TEXT,
    callback_data TEXT,
    received_at  TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX pending_statuses_key ON pending_statuses (org_id, provider_id, status);

-- Current reactions on messages: one per (message, who). An empty emoji removes it.
CREATE TABLE reactions (
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL,
    reactor      TEXT NOT NULL CHECK (reactor IN ('customer', 'business')),
    emoji        TEXT NOT NULL,
    provider_id  TEXT,                      -- the reaction message's wamid
    at           TEXT NOT NULL,
    PRIMARY KEY (message_id, reactor)
) STRICT;

-- Reactions whose target is not (yet) known: applied when it is.
CREATE TABLE pending_reactions (
    org_id             TEXT NOT NULL,
    target_provider_id TEXT NOT NULL,
    reactor            TEXT NOT NULL,
    emoji              TEXT NOT NULL,       -- '' = removed
    provider_id        TEXT,
    at                 TEXT NOT NULL,
    PRIMARY KEY (org_id, target_provider_id, reactor)
) STRICT;

-- Message templates as Meta last reported them (the notifications issue adds the rest).
CREATE TABLE templates (
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    language     TEXT NOT NULL,
    provider_id  TEXT,
    status       TEXT,                      -- APPROVED REJECTED PAUSED DISABLED …
    category     TEXT,                      -- MARKETING UTILITY AUTHENTICATION
    quality      TEXT,                      -- GREEN YELLOW RED UNKNOWN
    reason       TEXT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, name, language)
) STRICT;

-- Full-text search (FTS5). Kept in the same transactions by triggers. Messages: text, caption and
-- filename, accents folded. Customers: trigram so part of a name or number matches.
CREATE VIRTUAL TABLE message_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE VIRTUAL TABLE customer_search USING fts5 (
    name,
    numbers,
    tokenize = 'trigram remove_diacritics 1'
);

-- Reactions show on their target; their emoji is not searchable text.
CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN new.type <> 'reaction' AND (coalesce(new.text, '') <> '' OR coalesce(new.filename, '') <> '')
BEGIN
    INSERT INTO message_search (rowid, body)
    VALUES (new.id, trim(coalesce(new.text, '') || ' ' || coalesce(new.filename, '')));
END;

CREATE TRIGGER messages_search_update AFTER UPDATE OF text, filename ON messages
BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    INSERT INTO message_search (rowid, body)
    SELECT new.id, trim(coalesce(new.text, '') || ' ' || coalesce(new.filename, ''))
    WHERE new.type <> 'reaction' AND (coalesce(new.text, '') <> '' OR coalesce(new.filename, '') <> '');
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
END;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
BEGIN
    INSERT INTO customer_search (rowid, name, numbers)
    VALUES (new.id, trim(coalesce(new.name, '') || ' ' || coalesce(new.username, '')),
            trim(coalesce(new.wa_id, '') || ' ' || coalesce(new.phone, '')));
END;

CREATE TRIGGER customers_search_update AFTER UPDATE OF name, username, wa_id, phone ON customers
BEGIN
    DELETE FROM customer_search WHERE rowid = old.id;
    INSERT INTO customer_search (rowid, name, numbers)
    VALUES (new.id, trim(coalesce(new.name, '') || ' ' || coalesce(new.username, '')),
            trim(coalesce(new.wa_id, '') || ' ' || coalesce(new.phone, '')));
END;

CREATE TRIGGER customers_search_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM customer_search WHERE rowid = old.id;
END;
