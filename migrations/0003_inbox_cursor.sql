-- Relay cursor identity, gaps and quarantine (issue 15).

-- The cursor names the stream it belongs to: the event_id stored at each position, checked by the
-- relay. `epoch` counts resets of this organization's cursor (the relay's stream changed): a write
-- or an ack from an older epoch is stale and is dropped; within an epoch cursors only move forward.
ALTER TABLE relay_cursors ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE relay_cursors ADD COLUMN committed_event_id TEXT;
ALTER TABLE relay_cursors ADD COLUMN acked_event_id TEXT;
-- The relay tenant this organization is bound to (its /v1/status tenant_id). One tenant feeds one
-- business: a second organization on the same tenant would split its events.
ALTER TABLE relay_cursors ADD COLUMN relay_tenant_id TEXT;
CREATE UNIQUE INDEX relay_cursors_tenant ON relay_cursors (relay_tenant_id)
    WHERE relay_tenant_id IS NOT NULL;

-- A quarantined event (status = 'quarantined') keeps the envelope exactly as the relay sent it
-- (JSON), since its body or timestamp could not be read.
ALTER TABLE inbox_raw ADD COLUMN raw_envelope TEXT;

-- Holes in the relay's sequence: events the relay dropped (tenant cap, unacknowledged retention)
-- before this desktop fetched them.
CREATE TABLE relay_gaps (
    id            INTEGER PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    from_seq      INTEGER NOT NULL,            -- first missing seq
    to_seq        INTEGER NOT NULL,            -- last missing seq (inclusive)
    dropped_total INTEGER NOT NULL,            -- the relay's dropped_total when the gap was seen
    detected_at   TEXT NOT NULL                -- RFC 3339 UTC, desktop clock
) STRICT;

CREATE INDEX relay_gaps_org ON relay_gaps (org_id, id);
