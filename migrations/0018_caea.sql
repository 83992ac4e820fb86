-- CAEA contingency (issue 13, afip.md §5, RG 5782/2025). The fortnight's CAEA is stored ahead of
-- time; invoices issued offline with it get local numbers per contingency point of sale and type
-- (allocated in the same transaction as the row, so a sequence never has a gap) and stay
-- 'pending' until FECAEARegInformativo accepts them; unused contingency points of sale are
-- declared with FECAEASinMovimientoInformar once per CAEA.

CREATE TABLE afip_caeas (
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    period       INTEGER NOT NULL,                 -- yyyymm
    half         INTEGER NOT NULL CHECK (half IN (1, 2)),
    caea         TEXT NOT NULL CHECK (length(caea) = 14),
    valid_from   TEXT NOT NULL,                    -- YYYY-MM-DD
    valid_to     TEXT NOT NULL,
    report_by    TEXT NOT NULL,                    -- FchTopeInf as AFIP returned it
    obtained_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, period, half)
) STRICT;

-- The contingency points of sale (CAEA type, separate from the CAE one).
CREATE TABLE caea_points_of_sale (
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    point_of_sale INTEGER NOT NULL CHECK (point_of_sale BETWEEN 1 AND 99998),
    PRIMARY KEY (org_id, point_of_sale)
) STRICT;

CREATE TABLE caea_invoices (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    point_of_sale INTEGER NOT NULL,
    voucher_type  INTEGER NOT NULL,
    number        INTEGER NOT NULL CHECK (number > 0),
    caea          TEXT NOT NULL CHECK (length(caea) = 14),
    date          TEXT NOT NULL,                   -- CbteFch, YYYY-MM-DD (Argentina)
    generated_at  TEXT NOT NULL,                   -- CbteFchHsGen, Argentine local time
    draft_json    TEXT NOT NULL,                   -- the validated mostrador_afip InvoiceDraft
    total_cents   INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'informed', 'rejected')),
    reject_reason TEXT,
    informed_at   TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (org_id, point_of_sale, voucher_type, number)
) STRICT;
CREATE INDEX caea_invoices_pending ON caea_invoices (org_id, state, point_of_sale, voucher_type, number);

CREATE TABLE caea_no_activity (
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    caea          TEXT NOT NULL,
    point_of_sale INTEGER NOT NULL,
    declared_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, caea, point_of_sale)
) STRICT;
