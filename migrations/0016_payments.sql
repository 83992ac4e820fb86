-- Payments (issue 14): MercadoPago links and counter QRs ("Cobrar"), the payments MercadoPago
-- reports (always fetched from its API, never taken from a webhook body), their state history,
-- refunds, chargebacks, and what each invoice has been paid. Amounts in integer cents.

-- One "Cobrar": a Checkout Pro preference (link) or a dynamic QR, for an invoice or an amount.
-- `reference` is the external_reference sent to MercadoPago: a payment is attached only through
-- it, never by guessing from the amount or the payer.
CREATE TABLE payment_links (
    id               INTEGER PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('link', 'qr')),
    reference        TEXT NOT NULL,
    invoice_id       INTEGER REFERENCES invoices (id) ON DELETE SET NULL,
    customer_id      INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    conversation_id  INTEGER REFERENCES conversations (id) ON DELETE SET NULL,
    title            TEXT NOT NULL,
    amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
    currency         TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,            -- X-Idempotency-Key of the creating call, fixed
    -- creating → ready | failed; ready → cancelled (a new Cobrar for the invoice after that)
    state            TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'failed', 'cancelled')),
    preference_id    TEXT,
    url              TEXT,                     -- init_point
    qr_data          TEXT,
    error            TEXT,
    send_to_customer INTEGER NOT NULL DEFAULT 1 CHECK (send_to_customer IN (0, 1)),
    job_id           INTEGER,
    message_id       INTEGER,                  -- the message that carried the link
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX payment_links_reference ON payment_links (org_id, reference);
CREATE UNIQUE INDEX payment_links_key ON payment_links (org_id, idempotency_key);
-- A preference belongs to one link, so to one invoice.
CREATE UNIQUE INDEX payment_links_preference ON payment_links (org_id, preference_id)
    WHERE preference_id IS NOT NULL;
-- One open link (and one open QR) per invoice: a double click gets the same one.
CREATE UNIQUE INDEX payment_links_open_invoice ON payment_links (org_id, invoice_id, kind)
    WHERE invoice_id IS NOT NULL AND state IN ('creating', 'ready');

-- A payment as MercadoPago last reported it.
CREATE TABLE payments (
    id                  INTEGER PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider            TEXT NOT NULL DEFAULT 'mercadopago',
    provider_payment_id TEXT NOT NULL,
    link_id             INTEGER REFERENCES payment_links (id) ON DELETE SET NULL,
    invoice_id          INTEGER REFERENCES invoices (id) ON DELETE SET NULL,
    customer_id         INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    conversation_id     INTEGER REFERENCES conversations (id) ON DELETE SET NULL,
    external_reference  TEXT,
    -- 1: no link of ours has this external_reference: shown, never attached by guess.
    unsolicited         INTEGER NOT NULL DEFAULT 0 CHECK (unsolicited IN (0, 1)),
    status              TEXT NOT NULL,          -- MercadoPago's status, as sent
    status_detail       TEXT,
    amount_cents        INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    refunded_cents      INTEGER NOT NULL DEFAULT 0,
    fee_cents           INTEGER,
    net_cents           INTEGER,
    method              TEXT,                   -- payment_method_id (visa, account_money…)
    payment_type        TEXT,                   -- credit_card, account_money…
    installments        INTEGER,
    provider_created_at TEXT,
    provider_updated_at TEXT,                   -- date_last_updated: only newer states apply
    approved_at         TEXT,
    -- The one "pago recibido" notice (its message), set once.
    thanked_message_id  INTEGER,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX payments_provider_id ON payments (org_id, provider, provider_payment_id);
CREATE INDEX payments_org_list ON payments (org_id, id DESC);
CREATE INDEX payments_invoice ON payments (invoice_id) WHERE invoice_id IS NOT NULL;

-- Every state a payment went through.
CREATE TABLE payment_history (
    id                  INTEGER PRIMARY KEY,
    payment_id          INTEGER NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    status              TEXT NOT NULL,
    status_detail       TEXT,
    refunded_cents      INTEGER NOT NULL,
    provider_updated_at TEXT,
    at                  TEXT NOT NULL
) STRICT;

CREATE INDEX payment_history_payment ON payment_history (payment_id, id);

-- Notifications already turned into a fetch: dedupe on (resource, action, notification id).
CREATE TABLE payment_notifications (
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    event_id   TEXT NOT NULL,                   -- the inbox_raw row
    at         TEXT NOT NULL,
    PRIMARY KEY (org_id, provider, dedupe_key)
) STRICT;

CREATE TABLE payment_refunds (
    id                 INTEGER PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    payment_id         INTEGER NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    amount_cents       INTEGER NOT NULL CHECK (amount_cents > 0),
    idempotency_key    TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('requested', 'done', 'failed')),
    provider_refund_id TEXT,
    error              TEXT,
    job_id             INTEGER,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX payment_refunds_key ON payment_refunds (org_id, idempotency_key);

-- Chargebacks and disputes, tracked until MercadoPago decides.
CREATE TABLE payment_chargebacks (
    id                     INTEGER PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_chargeback_id TEXT NOT NULL,
    payment_id             INTEGER REFERENCES payments (id) ON DELETE SET NULL,
    provider_payment_id    TEXT,
    state                  TEXT NOT NULL CHECK (state IN ('open', 'won', 'lost')),
    amount_cents           INTEGER,
    currency               TEXT,
    documentation_status   TEXT,
    documentation_deadline TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    resolved_at            TEXT
) STRICT;

CREATE UNIQUE INDEX payment_chargebacks_provider_id ON payment_chargebacks (org_id, provider_chargeback_id);

-- What an invoice has been paid (recomputed from its payments on every change).
CREATE TABLE invoice_payment_status (
    invoice_id   INTEGER PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- unpaid | partial | paid | overpaid | currency_mismatch
    state        TEXT NOT NULL,
    paid_cents   INTEGER NOT NULL,
    due_cents    INTEGER NOT NULL,
    -- 1 while a chargeback or dispute is open or was lost on one of its payments.
    flagged      INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    flag_reason  TEXT,
    updated_at   TEXT NOT NULL
) STRICT;
