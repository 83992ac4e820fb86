-- Webhook events collected from the relay (design §4), stored raw: the processor (a later issue)
-- verifies provider signatures from exactly these bytes, dedupes on provider ids and applies them.
CREATE TABLE inbox_raw (
    event_id    TEXT PRIMARY KEY NOT NULL,   -- the relay's event id (UUID v7): envelope-level dedupe
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    relay_seq   INTEGER NOT NULL,            -- the relay's per-tenant sequence number
    provider    TEXT NOT NULL,               -- whatsapp | twilio | mercadopago
    received_at TEXT NOT NULL,               -- RFC 3339 UTC, relay clock (use it for replay windows)
    method      TEXT NOT NULL,
    public_url  TEXT NOT NULL,               -- exactly the URL the provider called, query included
    headers     TEXT NOT NULL,               -- JSON array of {"name","value"} as received
    body        BLOB NOT NULL,               -- the raw request body bytes
    body_sha256 TEXT NOT NULL,               -- lower-case hex
    -- new → processed | quarantined (with status_reason). Only the processor moves it.
    status        TEXT NOT NULL DEFAULT 'new',
    status_reason TEXT,
    fetched_at    TEXT NOT NULL,             -- RFC 3339 UTC, desktop clock
    processed_at  TEXT
) STRICT;

CREATE INDEX inbox_raw_org_status_seq ON inbox_raw (org_id, status, relay_seq);

-- Where each organization's relay poll stands.
CREATE TABLE relay_cursors (
    org_id        TEXT PRIMARY KEY NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    committed_seq INTEGER NOT NULL DEFAULT 0,  -- highest seq stored in inbox_raw (same transaction)
    acked_seq     INTEGER NOT NULL DEFAULT 0,  -- highest seq the relay confirmed as acknowledged
    updated_at    TEXT NOT NULL
) STRICT;
