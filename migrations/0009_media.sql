-- Media downloads as jobs (`whatsapp.media_download`): a file over the size limit is kept as
-- metadata only (`too_large`, with the size Meta announced), never downloaded.
--
-- SQLite cannot change a CHECK in place and sqlx runs every migration inside a transaction, where
-- `PRAGMA foreign_keys = OFF` does nothing. So the table is rebuilt under the same name with
-- foreign keys deferred: dropping `media` counts one violation per message pointing at it, and
-- inserting the rows back into the new `media` (same ids) takes each one off again, so the check
-- at commit passes exactly when every message still finds its file row. `messages.media_id` and
-- its REFERENCES stay untouched (they name the table, not its storage).
PRAGMA defer_foreign_keys = ON;

-- Those counts look children up by media id; also what a download's event looks up.
CREATE INDEX messages_media ON messages (media_id) WHERE media_id IS NOT NULL;

CREATE TEMP TABLE media_copy AS SELECT * FROM main.media;
DROP TABLE main.media;

CREATE TABLE main.media (
    id                INTEGER PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_media_id TEXT NOT NULL,        -- WhatsApp media id (valid 7 days for inbound)
    mime_type         TEXT,
    provider_sha256   TEXT,                 -- as the webhook gave it (base64 or hex)
    sha256            TEXT,                 -- hex of the stored bytes, once downloaded
    size_bytes        INTEGER,              -- of the stored file
    announced_size    INTEGER,              -- what the media lookup said (before downloading)
    path              TEXT,                 -- relative to the data dir: media/ab/abcdef…
    filename          TEXT,                 -- the sender's name for it: display only
    -- pending → downloaded | failed (retries exhausted, or gone at Meta) | too_large (kept as
    -- metadata, over the size limit).
    state             TEXT NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'downloaded', 'failed', 'too_large')),
    error             TEXT,                 -- Spanish, for people; never a token
    attempts          INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    downloaded_at     TEXT
) STRICT;

INSERT INTO main.media (id, org_id, provider_media_id, mime_type, provider_sha256, sha256,
                        size_bytes, path, filename, state, error, attempts, created_at,
                        downloaded_at)
SELECT id, org_id, provider_media_id, mime_type, provider_sha256, sha256, size_bytes, path,
       filename, state, error, attempts, created_at, downloaded_at
FROM temp.media_copy;

DROP TABLE temp.media_copy;

CREATE UNIQUE INDEX main.media_org_provider ON media (org_id, provider_media_id);
CREATE INDEX main.media_pending ON media (state, id) WHERE state = 'pending';
