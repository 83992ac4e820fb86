-- Issues 12 + 13: a notice can carry files (the invoice PDF, attached by the e-mail step), is sent
-- once per intent, and knows up front what its WhatsApp step shows or why it cannot be used.
--
-- Attachments are a JSON list on the notice, not a child table: they are part of the notice,
-- written once with it, read whole with it and copied into the e-mail job's payload; nothing
-- queries one attachment. Each item is {"filename", "content_type", "path", "sha256"}: the file
-- lives content-addressed on disk (<data>/documents/<sha256>.pdf) and the job checks the sha256.
ALTER TABLE notices ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(attachments) AND json_type(attachments) = 'array');
-- Chosen by the caller once per intent (`invoice:<id>:customer:<id>`): a double click or a retried
-- command finds the notice already there and sends nothing new.
ALTER TABLE notices ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX notices_idempotency ON notices (org_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- The WhatsApp step's text in the thread when it is a template (its filled body).
ALTER TABLE notices ADD COLUMN whatsapp_preview TEXT;
-- Why the WhatsApp step cannot carry this notice (the template is not approved, the customer has
-- no WhatsApp…), in Spanish: the step is skipped with this reason and the chain moves on.
ALTER TABLE notices ADD COLUMN whatsapp_unusable TEXT;

-- Plantillas (issue 12): when Meta re-categorizes a template (template_category_update), the
-- category it had before and when it changed, so the page can say why it is Marketing now.
ALTER TABLE templates ADD COLUMN previous_category TEXT;
ALTER TABLE templates ADD COLUMN category_changed_at TEXT;
