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

CREATE TRIGGER notifications_enter_queue AFTER INSERT ON notifications
WHEN NEW.read_at IS NULL AND NEW.acked_at IS NULL
BEGIN
    INSERT INTO notification_queues (recipient_id, queued) VALUES (NEW.recipient_id, 1)
        ON CONFLICT (recipient_id) DO UPDATE SET queued = queued + 1;
END;

CREATE TRIGGER notifications_leave_queue AFTER UPDATE OF read_at, acked_at ON notifications
WHEN OLD.read_at IS NULL AND OLD.acked_at IS NULL
    AND (NEW.read_at IS NOT NULL OR NEW.acked_at IS NOT NULL)
BEGIN
    UPDATE notification_queues SET queued = queued - 1 WHERE recipient_id = OLD.recipient_id;
END;

CREATE TRIGGER notifications_reenter_queue AFTER UPDATE OF read_at, acked_at ON notifications
WHEN (OLD.read_at IS NOT NULL OR OLD.acked_at IS NOT NULL)
    AND NEW.read_at IS NULL AND NEW.acked_at IS NULL
BEGIN
    INSERT INTO notification_queues (recipient_id, queued) VALUES (NEW.recipient_id, 1)
        ON CONFLICT (recipient_id) DO UPDATE SET queued = queued + 1;
END;

CREATE TRIGGER notifications_deleted_from_queue AFTER DELETE ON notifications
WHEN OLD.read_at IS NULL AND OLD.acked_at IS NULL
BEGIN
    UPDATE notification_queues SET queued = queued - 1 WHERE recipient_id = OLD.recipient_id;
END;
