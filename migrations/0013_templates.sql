-- Plantillas (issue 12): the templates table of 0006 (filled by template webhooks) gains what a
-- sync from Meta lists and what the app needs to send them; each variable is mapped to the
-- context field that fills it.
ALTER TABLE templates ADD COLUMN components TEXT;          -- JSON array, as Meta lists them
ALTER TABLE templates ADD COLUMN parameter_format TEXT;    -- POSITIONAL | NAMED
ALTER TABLE templates ADD COLUMN synced_at TEXT;           -- last seen in a sync from Meta

-- Variable → context field (customer_name, date, invoice_number…); a variable without a row is
-- filled by hand in the picker.
CREATE TABLE template_variables (
    org_id    TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    language  TEXT NOT NULL,
    component TEXT NOT NULL CHECK (component IN ('header', 'body', 'button')),
    variable  TEXT NOT NULL,                              -- `1`, `2`… or the parameter name
    field     TEXT NOT NULL,
    PRIMARY KEY (org_id, name, language, component, variable)
) STRICT;
