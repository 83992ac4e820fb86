-- Invoices (issue 13, design §6): draft → queued → submitting → authorized | rejected, and
-- in_doubt. The number is taken (FECompUltimoAutorizado + 1) and stored together with the exact
-- FECAEDetRequest BEFORE the HTTP call; it never changes on retry. Only a foreign invoice found
-- under it (recorded in afip_foreign_invoices) frees ours to take another one.

CREATE TABLE invoices (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    issuer_cuit           TEXT NOT NULL CHECK (length(issuer_cuit) = 11),
    point_of_sale         INTEGER NOT NULL CHECK (point_of_sale BETWEEN 1 AND 99998),
    voucher_type          INTEGER NOT NULL,             -- CbteTipo (1, 6, 11, notes 2/3/7/8/12/13)
    state                 TEXT NOT NULL CHECK (state IN
                              ('draft', 'queued', 'submitting', 'in_doubt', 'authorized', 'rejected')),
    number                INTEGER,                      -- CbteDesde, set with payload_xml
    date                  TEXT NOT NULL,                -- CbteFch, YYYY-MM-DD (Argentina)
    concept               INTEGER NOT NULL CHECK (concept IN (1, 2, 3)),
    receiver_doc_type     INTEGER NOT NULL,
    receiver_doc_number   INTEGER NOT NULL,
    receiver_condition    TEXT NOT NULL,                -- IvaCondition (snake_case)
    receiver_name         TEXT,
    receiver_address      TEXT,
    customer_id           TEXT,
    currency              TEXT NOT NULL,
    currency_rate         INTEGER NOT NULL,             -- millionths
    net_cents             INTEGER NOT NULL,
    not_taxed_cents       INTEGER NOT NULL,
    exempt_cents          INTEGER NOT NULL,
    iva_cents             INTEGER NOT NULL,
    tributes_cents        INTEGER NOT NULL,
    total_cents           INTEGER NOT NULL,
    draft_json            TEXT NOT NULL,                -- the validated mostrador_afip InvoiceDraft
    payload_xml           TEXT,                         -- FECAEDetRequest as sent (with number)
    payload_sha256        TEXT,
    cae                   TEXT,
    cae_due               TEXT,                         -- YYYY-MM-DD
    authorized_at         TEXT,
    reject_reason         TEXT,                         -- codes and AFIP's texts
    hold                  TEXT,                         -- date_window | date_before_last: owner decides
    warning               TEXT,                         -- shown in the list (e.g. date window ageing)
    associated_invoice_id INTEGER REFERENCES invoices (id),
    submit_job_id         INTEGER,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CHECK (state <> 'authorized' OR (cae IS NOT NULL AND number IS NOT NULL)),
    CHECK (number IS NULL OR payload_xml IS NOT NULL)
) STRICT;

-- One invoice per number and sequence, ever.
CREATE UNIQUE INDEX invoices_number ON invoices (issuer_cuit, point_of_sale, voucher_type, number)
    WHERE number IS NOT NULL;
CREATE INDEX invoices_org_state ON invoices (org_id, state, id);
CREATE INDEX invoices_org_date ON invoices (org_id, date);
CREATE INDEX invoices_associated ON invoices (associated_invoice_id) WHERE associated_invoice_id IS NOT NULL;

CREATE TABLE invoice_items (
    invoice_id          INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL,
    description         TEXT NOT NULL,
    quantity_hundredths INTEGER NOT NULL CHECK (quantity_hundredths > 0),
    unit_price_cents    INTEGER NOT NULL CHECK (unit_price_cents > 0),
    discount_cents      INTEGER NOT NULL CHECK (discount_cents >= 0),
    iva                 TEXT NOT NULL,                  -- 0 | 2.5 | 5 | 10.5 | 21 | 27 | exento | no_gravado | none
    amount_cents        INTEGER NOT NULL,               -- quantity × price − discount (net)
    PRIMARY KEY (invoice_id, position)
) STRICT;

CREATE TABLE invoice_iva_lines (
    invoice_id   INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    afip_id      INTEGER NOT NULL,
    base_cents   INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (invoice_id, afip_id)
) STRICT;

-- CbtesAsoc of notes.
CREATE TABLE invoice_associated (
    invoice_id    INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    voucher_type  INTEGER NOT NULL,
    point_of_sale INTEGER NOT NULL,
    number        INTEGER NOT NULL,
    cuit          TEXT,
    date          TEXT,
    PRIMARY KEY (invoice_id, voucher_type, point_of_sale, number)
) STRICT;

CREATE TABLE invoice_state_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    number     INTEGER,
    note       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX invoice_state_history_invoice ON invoice_state_history (invoice_id, id);

-- Invoices AFIP holds on our sequences that we did not issue (a shared point of sale): found by
-- gap walks and by FECompConsultar of a number we had taken. Their numbers are never reused.
CREATE TABLE afip_foreign_invoices (
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    issuer_cuit   TEXT NOT NULL,
    point_of_sale INTEGER NOT NULL,
    voucher_type  INTEGER NOT NULL,
    number        INTEGER NOT NULL,
    date          TEXT,
    total_cents   INTEGER,
    doc_type      INTEGER,
    doc_number    INTEGER,
    cae           TEXT,
    found_at      TEXT NOT NULL,
    displaced_invoice_id INTEGER REFERENCES invoices (id),  -- ours, when it had taken this number
    acknowledged_at TEXT,                                     -- the owner saw the alert
    PRIMARY KEY (issuer_cuit, point_of_sale, voucher_type, number)
) STRICT;

-- Padrón (ws_sr_constancia_inscripcion) answers, so a lookup never blocks a sale when AFIP is down.
CREATE TABLE padron_cache (
    cuit          TEXT PRIMARY KEY NOT NULL CHECK (length(cuit) = 11),
    name          TEXT NOT NULL,
    address       TEXT,
    iva_condition TEXT NOT NULL,
    active        INTEGER NOT NULL CHECK (active IN (0, 1)),
    fetched_at    TEXT NOT NULL
) STRICT;
