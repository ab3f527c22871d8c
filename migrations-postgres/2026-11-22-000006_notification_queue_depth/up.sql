-- How many notifications each recipient has queued (neither acknowledged nor read). Every
-- notification checks its recipient's queue against the cap; counting the queue made that
-- check grow with the queue (up to the cap of 10,000 rows per notification). Triggers keep the
-- figure exact whichever statement changes a notification.
CREATE TABLE notification_queues (
    recipient_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    queued BIGINT NOT NULL
);

INSERT INTO notification_queues (recipient_id, queued)
    SELECT recipient_id, COUNT(*) FROM notifications
    WHERE read_at IS NULL AND acked_at IS NULL
    GROUP BY recipient_id;

-- The SQLite migration's four triggers, as one function: a notification enters its
-- recipient's queue while neither read nor acknowledged, and leaves it when either is set or
-- the row is deleted.
CREATE FUNCTION notifications_queue_depth() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_queued BOOLEAN := FALSE;
    is_queued BOOLEAN := FALSE;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was_queued := OLD.read_at IS NULL AND OLD.acked_at IS NULL;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        is_queued := NEW.read_at IS NULL AND NEW.acked_at IS NULL;
    END IF;
    IF is_queued AND NOT was_queued THEN
        INSERT INTO notification_queues (recipient_id, queued) VALUES (NEW.recipient_id, 1)
            ON CONFLICT (recipient_id) DO UPDATE SET queued = notification_queues.queued + 1;
    ELSIF was_queued AND NOT is_queued THEN
        UPDATE notification_queues SET queued = queued - 1 WHERE recipient_id = OLD.recipient_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER notifications_queue_depth
AFTER INSERT OR DELETE OR UPDATE OF read_at, acked_at ON notifications
FOR EACH ROW EXECUTE FUNCTION notifications_queue_depth();
