-- Relay storage, SQLite flavour. Times are Unix milliseconds. Tokens are stored as SHA-256 hex only.
CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    ingress_hash  TEXT NOT NULL UNIQUE,
    device_hash   TEXT NOT NULL UNIQUE,
    verify_hash   TEXT NOT NULL,
    last_seq      INTEGER NOT NULL DEFAULT 0,
    acked_seq     INTEGER NOT NULL DEFAULT 0,
    dropped_total INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE events (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    event_id    TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    method      TEXT NOT NULL,
    public_url  TEXT NOT NULL,
    headers     TEXT NOT NULL,
    body        BLOB NOT NULL,
    acked_at    INTEGER,
    PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;

CREATE INDEX events_received_at ON events (received_at);
