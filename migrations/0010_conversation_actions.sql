-- Conversation actions from the inbox (issue 11): sends from the composer carry a client-generated
-- idempotency key, so a double click, a retried command or a restart finds the message it already
-- created instead of making a second one. Internal notes are messages of type `note` (never sent).

ALTER TABLE messages ADD COLUMN client_key TEXT;

CREATE UNIQUE INDEX messages_org_client_key ON messages (org_id, client_key) WHERE client_key IS NOT NULL;

-- Respuestas rápidas: "/" in the composer; managed in Ajustes.
CREATE TABLE quick_replies (
    id         INTEGER PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    shortcut   TEXT NOT NULL CHECK (length(trim(shortcut)) > 0),
    body       TEXT NOT NULL CHECK (length(trim(body)) > 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (org_id, shortcut)
) STRICT;

-- The name the owner gave a customer in the customer panel. Kept apart from `name` (the WhatsApp
-- profile name, refreshed by every webhook) so an edit is not overwritten by the next message.
ALTER TABLE customers ADD COLUMN owner_name TEXT;

-- Customer search finds both names.
DROP TRIGGER customers_search_insert;
DROP TRIGGER customers_search_update;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
BEGIN
    INSERT INTO customer_search (rowid, name, numbers)
    VALUES (new.id, trim(coalesce(new.owner_name, '') || ' ' || coalesce(new.name, '') || ' ' || coalesce(new.username, '')),
            trim(coalesce(new.wa_id, '') || ' ' || coalesce(new.phone, '')));
END;

CREATE TRIGGER customers_search_update AFTER UPDATE OF owner_name, name, username, wa_id, phone ON customers
BEGIN
    DELETE FROM customer_search WHERE rowid = old.id;
    INSERT INTO customer_search (rowid, name, numbers)
    VALUES (new.id, trim(coalesce(new.owner_name, '') || ' ' || coalesce(new.name, '') || ' ' || coalesce(new.username, '')),
            trim(coalesce(new.wa_id, '') || ' ' || coalesce(new.phone, '')));
END;
