-- The conversation list on a big inbox (50,000 conversations; issues 10 and 11): every filter is an
-- index walk in list order (newest activity first) that stops after one page, however rare the rows
-- it looks for.

-- Todas, por etiqueta, and the customer search's walk: the filters' columns and the customer ride in
-- the index, so skipping rows never reads the table.
DROP INDEX conversations_list;
CREATE INDEX conversations_list
    ON conversations (org_id, last_activity_at DESC, id DESC, customer_id, status, unread_count);

-- Abiertas / resueltas: whichever is rare would otherwise walk the whole list.
CREATE INDEX conversations_status ON conversations (org_id, status, last_activity_at DESC, id DESC);

-- No leídas (usually a handful among thousands), the unread total and the start-up unread counts.
CREATE INDEX conversations_unread ON conversations (org_id, last_activity_at DESC, id DESC, unread_count)
    WHERE unread_count > 0;

-- Search: every word the owner types is a prefix ("yerb" finds "yerba"). Without a prefix index
-- FTS5 answers a prefix by merging the whole doclist of every term that starts with it, before the
-- first row: "de"* reads "de", "del"… in every message. With prefix indexes of 1 to 3 characters the
-- short prefixes, which match the most, are walked newest first like any term and stop at the
-- page; longer prefixes match few terms. Rebuilt from the messages, as the triggers keep it.
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
