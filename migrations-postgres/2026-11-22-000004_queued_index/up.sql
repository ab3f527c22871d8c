-- The replay queue: notifications neither acknowledged nor read. Every DM and mention counts
-- the recipient's queue (the cap) and replay reads it; this index holds only queued rows, so
-- both touch the queue alone, not the whole history, and never the table.
CREATE INDEX notifications_queued ON notifications(recipient_id, created_at)
    WHERE read_at IS NULL AND acked_at IS NULL;
