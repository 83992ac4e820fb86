-- CAEA contingency in the app (issue 13). A CAEA invoice is the SAME `invoices` row as any other
-- (so Facturas lists, shows, prints and sends it like any invoice): `emission` says which code
-- authorized it, and `caea_invoices.invoice_id` links the row FECAEARegInformativo reports
-- (its inform state and AFIP's rejection). The unique index makes "one sale, one CAEA invoice"
-- a database rule; the fenced switch (only a queued invoice without a number) keeps CAE and CAEA
-- from both issuing one sale.

ALTER TABLE invoices ADD COLUMN emission TEXT NOT NULL DEFAULT 'CAE' CHECK (emission IN ('CAE', 'CAEA'));

ALTER TABLE caea_invoices ADD COLUMN invoice_id INTEGER REFERENCES invoices (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX caea_invoices_invoice ON caea_invoices (invoice_id) WHERE invoice_id IS NOT NULL;
