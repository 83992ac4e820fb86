-- The inbox on a big database (1,000,000 messages in 50,000 conversations; issues 10 and 11).

-- No leídas: usually a handful among thousands, so walking the list's index for them would read
-- most of it. Also the unread total and the start-up unread counts (covering). Only unread
-- conversations have an entry, so the processor's writes to read ones do not pay for it.
CREATE INDEX conversations_unread ON conversations (org_id, last_activity_at DESC, id DESC, unread_count)
    WHERE unread_count > 0;

-- Search: every word the owner types is a prefix ("yerb" finds "yerba"). Without a prefix index
-- FTS5 answers a prefix by merging the whole doclist of every term that starts with it before the
-- first row: "de"* reads "de", "del"… of every message (~30 ms of CPU on the 1M database, "a"*
-- the same). With prefix indexes of 1 to 3 characters the short prefixes, which match the most,
-- are walked newest first like any term and stop at the page (~4 ms, ~0.3 ms); longer prefixes
-- match few terms. Rebuilt from the messages, as the triggers of 0006 keep it.
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5 (
    body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
INSERT INTO message_search (rowid, body)
SELECT id, trim(coalesce(text, '') || ' ' || coalesce(filename, ''))
FROM messages
WHERE type <> 'reaction' AND (coalesce(text, '') <> '' OR coalesce(filename, '') <> '');
