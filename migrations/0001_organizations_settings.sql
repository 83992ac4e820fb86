-- A business profile: who issues invoices and owns the WhatsApp number.
CREATE TABLE organizations (
    id            TEXT PRIMARY KEY NOT NULL,          -- UUID v7, also the keychain account prefix
    name          TEXT NOT NULL CHECK (length(trim(name)) > 0),
    cuit          TEXT NOT NULL CHECK (length(cuit) = 11),  -- 11 digits, check digit verified in Rust
    iva_condition TEXT NOT NULL,
    created_at    TEXT NOT NULL,                      -- RFC 3339, UTC
    updated_at    TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX organizations_cuit_name ON organizations (cuit, name COLLATE NOCASE);

-- Key/value settings, either global (org_id NULL) or of one organization.
CREATE TABLE settings (
    org_id     TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX settings_scope_key ON settings (coalesce(org_id, ''), key);
