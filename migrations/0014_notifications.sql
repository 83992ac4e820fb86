-- Issue 12 part 2: SMS and e-mail channels, the fallback chain, scheduled notifications.
-- Times are RFC 3339 UTC TEXT with milliseconds and `Z` (crates/core/src/store/timestamp.rs).

-- Messages of every channel live in the customer's one conversation; each says how it travelled.
ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'whatsapp'
    CHECK (channel IN ('whatsapp', 'sms', 'email'));
-- "enviado por SMS porque WhatsApp falló: motivo" (Spanish, for people); NULL for first tries.
ALTER TABLE messages ADD COLUMN fallback_note TEXT;

-- The customer's e-mail (checked at entry) and their SMS opt-out (STOP/BAJA, or Twilio's 21610).
ALTER TABLE customers ADD COLUMN email TEXT;
ALTER TABLE customers ADD COLUMN sms_opted_out INTEGER NOT NULL DEFAULT 0 CHECK (sms_opted_out IN (0, 1));
ALTER TABLE customers ADD COLUMN sms_opted_out_at TEXT;

-- A notice (not a chat reply): what to say, to whom, through which channels in order. Its sends
-- are jobs; `notice_sends` says which job is which step, so the fallback engine knows what comes
-- next. A chat reply typed by the owner is never a notice and never falls back.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,               -- notification type: turno, factura, pago, recordatorio…
    subject     TEXT NOT NULL,               -- e-mail subject
    body        TEXT NOT NULL,               -- plain text; SMS and e-mail use it, WhatsApp its template
    whatsapp    TEXT,                        -- JSON WhatsAppContent for the WhatsApp step
    chain       TEXT NOT NULL,               -- JSON array of channels, e.g. ["whatsapp","sms","email"]
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE notice_sends (
    job_id      INTEGER PRIMARY KEY NOT NULL,   -- jobs.id (no FK: jobs are pruned)
    notice_id   INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    org_id      TEXT NOT NULL,
    step        INTEGER NOT NULL,               -- index into notices.chain
    channel     TEXT NOT NULL,
    -- Set once this step gave up and the next one was created (never twice).
    fell_back_at TEXT,
    reason      TEXT                            -- why it gave up (Spanish)
) STRICT;

CREATE UNIQUE INDEX notice_sends_step ON notice_sends (notice_id, step);

-- Per notification type, the ordered channels (absent = WhatsApp → SMS → e-mail).
CREATE TABLE notification_chains (
    org_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    chain   TEXT NOT NULL,
    PRIMARY KEY (org_id, kind)
) STRICT;

-- Recordatorios: a notice to send at a time. The job is only created when it is due (by the
-- scheduler), so an app closed at that time never sends a stale notice: past `valid_until` it is
-- marked `missed` ("no enviado: la app estaba cerrada").
CREATE TABLE scheduled_notices (
    id           INTEGER PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    send_at      TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    -- When relative ("24 h antes del turno"): the event time and the offset, for editing.
    event_at     TEXT,
    before_secs  INTEGER,
    state        TEXT NOT NULL DEFAULT 'scheduled'
                 CHECK (state IN ('scheduled', 'sent', 'cancelled', 'missed')),
    state_reason TEXT,
    notice_id    INTEGER REFERENCES notices (id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE INDEX scheduled_notices_due ON scheduled_notices (state, send_at) WHERE state = 'scheduled';
CREATE INDEX scheduled_notices_org ON scheduled_notices (org_id, send_at);
