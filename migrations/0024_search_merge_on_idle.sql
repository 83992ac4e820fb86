-- Message search: no FTS5 merging inside the processor's batches (issue 10: on the 1M-message
-- database, merging segments after every batch's commit was about a fifth of the ingest's CPU;
-- 10,000 webhooks went from 1,229 to 1,486 events/s with new senders, 2,222 to 2,679 with names
-- changing). A batch's segment is searchable as soon as it commits; the processor merges when it
-- is idle (intake::Processor::merge_search), and crisismerge (16 segments on a level) still bounds
-- the segments between idle moments.
INSERT INTO message_search (message_search, rank) VALUES ('automerge', 0);
