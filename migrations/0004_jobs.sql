-- The durable job queue (design §5): every outbound or asynchronous piece of work is one row here.
-- Owned by crates/queue (mostrador-queue); business rows (messages, invoices) live elsewhere and are
-- never pruned with their jobs. Timestamps are RFC 3339 UTC with milliseconds and a trailing `Z`
-- ("2026-11-29T13:35:34.123Z"): fixed width, so text order is time order and the claim can compare them.
CREATE TABLE jobs (
    -- Never reused, so late evidence (a status webhook carrying an old job id) cannot resolve a newer
    -- job: SQLite gives max(id) + 1, and pruning never deletes the newest row (cheaper per insert
    -- than AUTOINCREMENT's sqlite_sequence write).
    id              INTEGER PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (length(kind) > 0),   -- "whatsapp.send", "afip.submit", ...
    -- The integration a job belongs to: the kind's first dot-separated segment. Claim filters,
    -- breakers, panic mode and rate limits group by (org_id, lane).
    lane            TEXT NOT NULL GENERATED ALWAYS AS (substr(kind, 1, instr(kind || '.', '.') - 1)) VIRTUAL,
    payload         TEXT NOT NULL,                            -- JSON, parsed by the job's handler
    -- scheduled → available → running → completed | retryable | discarded | cancelled, plus in_doubt.
    -- scheduled/available/retryable with run_at <= now are all claimable (no stager step).
    state           TEXT NOT NULL CHECK (state IN ('scheduled', 'available', 'running', 'completed',
                                                   'retryable', 'discarded', 'cancelled', 'in_doubt')),
    priority        INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 9),   -- lower runs first
    run_at          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts    INTEGER NOT NULL CHECK (max_attempts >= 1),
    -- Times claimed, never decremented: the fencing token of a lease (attempts can go back down
    -- when a rescue or a snooze does not consume the attempt).
    claims          INTEGER NOT NULL DEFAULT 0,
    expires_at      TEXT,                                     -- never claimed after this
    unique_key      TEXT,                                     -- idempotency key, unique per org
    serial_key      TEXT,                                     -- one at a time, in id order (a conversation)
    parent_id       INTEGER,                                  -- no FK: the parent may be pruned first
    lease_owner     TEXT,                                     -- boot id of the process running it
    lease_until     TEXT,
    send_started_at TEXT,                                     -- set (fenced) before the provider call
    errors          TEXT NOT NULL DEFAULT '[]',               -- JSON array, one entry per failed attempt
    result          TEXT,                                     -- JSON the handler stored on completion (e.g. wamid)
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    attempted_at    TEXT,                                     -- last claim
    finished_at     TEXT,                                     -- set exactly in the terminal states
    CHECK ((state IN ('completed', 'discarded', 'cancelled')) = (finished_at IS NOT NULL)),
    CHECK ((state = 'running') = (lease_owner IS NOT NULL))
) STRICT;

-- The claim: per (org, lane) group, in priority, run_at, id order, over claimable rows only.
CREATE INDEX jobs_claim ON jobs (org_id, lane, priority, run_at, id)
    WHERE state IN ('scheduled', 'available', 'retryable');

-- "Has this serial_key an earlier unfinished job?" is one seek here.
CREATE INDEX jobs_serial ON jobs (serial_key, id)
    WHERE serial_key IS NOT NULL
      AND state IN ('scheduled', 'available', 'running', 'retryable', 'in_doubt');

-- Idempotent enqueue: INSERT ... ON CONFLICT DO NOTHING. Every state counts, so a message that was
-- already sent is not sent again (until its row is pruned).
CREATE UNIQUE INDEX jobs_unique ON jobs (org_id, unique_key) WHERE unique_key IS NOT NULL;

-- Expiry sweep over jobs that could still be claimed.
CREATE INDEX jobs_expiry ON jobs (expires_at)
    WHERE expires_at IS NOT NULL AND state IN ('scheduled', 'available', 'retryable');

-- Listing by state (keyset on id) and rescue of running rows. Waiting rows are left out so an
-- enqueue writes no page here (queries repeat this exact IN term so SQLite can use the index).
CREATE INDEX jobs_settled ON jobs (state, org_id, id)
    WHERE state IN ('running', 'completed', 'discarded', 'cancelled', 'in_doubt');

-- Pruning by age.
CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE finished_at IS NOT NULL;
