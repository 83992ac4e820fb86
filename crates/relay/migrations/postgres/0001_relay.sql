-- Relay storage, PostgreSQL flavour. Times are Unix milliseconds. Tokens are stored as SHA-256 hex only.
CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    ingress_hash  TEXT NOT NULL UNIQUE,
    device_hash   TEXT NOT NULL UNIQUE,
    verify_hash   TEXT NOT NULL,
    last_seq      BIGINT NOT NULL DEFAULT 0,
    acked_seq     BIGINT NOT NULL DEFAULT 0,
    dropped_total BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE events (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    event_id    TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    method      TEXT NOT NULL,
    public_url  TEXT NOT NULL,
    headers     TEXT NOT NULL,
    body        BYTEA NOT NULL,
    acked_at    BIGINT,
    PRIMARY KEY (tenant_id, seq)
);

CREATE INDEX events_received_at ON events (received_at);
