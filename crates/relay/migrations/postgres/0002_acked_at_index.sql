-- Retention pruning looks acknowledged events up by ack time.
CREATE INDEX events_acked_at ON events (acked_at) WHERE acked_at IS NOT NULL;
