-- The outbound engine's own state (design §5): breakers and panic mode are rows, not memory, so
-- a restart keeps them and the UI shows them. The jobs themselves live in the queue's table.

-- Circuit breaker per (organization, integration). No row = closed with no recent failures.
CREATE TABLE outbound_breakers (
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration TEXT NOT NULL,                 -- whatsapp | mercadopago | afip | openai
    state       TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
    failures    INTEGER NOT NULL DEFAULT 0,    -- consecutive provider-health failures (closed)
    successes   INTEGER NOT NULL DEFAULT 0,    -- consecutive successful probes (half_open)
    opened_at   TEXT,                          -- RFC 3339 UTC
    open_until  TEXT,                          -- RFC 3339 UTC; then one probe goes through
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, integration)
) STRICT;

-- Panic mode per (organization, integration): a row exists only while it is on.
CREATE TABLE outbound_panic (
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration  TEXT NOT NULL,
    reason_code  TEXT NOT NULL,                -- 190, 368, failure_rate, rate_limited, token_missing…
    reason_es    TEXT NOT NULL,                -- shown in the red banner
    triggered_at TEXT NOT NULL,
    resume_at    TEXT NOT NULL,                -- then one probe goes through
    PRIMARY KEY (org_id, integration)
) STRICT;

-- Every trigger, failed probe and resolution, with its reason and who resolved it.
CREATE TABLE outbound_panic_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration TEXT NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('triggered', 'probe_failed', 'resolved')),
    reason_code TEXT,
    reason_es   TEXT,
    actor       TEXT CHECK (actor IN ('auto', 'owner')),  -- resolutions only
    at          TEXT NOT NULL
) STRICT;

CREATE INDEX outbound_panic_history_org ON outbound_panic_history (org_id, integration, id);

-- Last success and last error per (organization, integration), for the health card.
CREATE TABLE outbound_health (
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration     TEXT NOT NULL,
    last_success_at TEXT,
    last_error_at   TEXT,
    last_error_code TEXT,
    last_error_es   TEXT,
    PRIMARY KEY (org_id, integration)
) STRICT;

-- Evidence that a send reached the provider, by job: the provider's answer (`response`, written in
-- the same transaction that completes the job) or a status webhook whose biz_opaque_callback_data
-- names the job (`webhook`). A webhook may arrive before its job is in doubt (a crash not yet
-- rescued): it is kept, and the in-doubt resolution finds it. The first evidence wins.
CREATE TABLE outbound_evidence (
    job_id      INTEGER PRIMARY KEY NOT NULL,  -- jobs.id (no FK: jobs are pruned first)
    org_id      TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('response', 'webhook')),
    provider_id TEXT NOT NULL,                 -- the wamid
    status      TEXT NOT NULL,                 -- accepted | sent | delivered | read | failed
    at          TEXT NOT NULL
) STRICT;

CREATE INDEX outbound_evidence_at ON outbound_evidence (at);
