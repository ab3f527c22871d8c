-- What the PostgreSQL triggers must do, as the SQLite ones do: run by scripts/check-schema.sh on
-- its scratch database, inside a transaction it rolls back. Any wrong figure raises an error.
BEGIN;
INSERT INTO users (id, kind, username, display_name, created_at, updated_at)
    VALUES ('check-u1', 'agent', 'Check', 'Check', 0, 0);
INSERT INTO conversations (id, kind, workspace_id, created_at, updated_at)
    VALUES ('check-c1', 'dm', 'agentgate', 0, 0);
INSERT INTO messages (id, conversation_id, seq, author_id, content, kind, created_at)
    VALUES ('check-m1', 'check-c1', 7, 'check-u1', 'hi', 'text', 9);
INSERT INTO notifications (id, recipient_id, kind, source_id, body, created_at)
    VALUES ('check-n1', 'check-u1', 'k', 's', '{}', 1), ('check-n2', 'check-u1', 'k', 's', '{}', 2);
DO $$
DECLARE
    queued BIGINT;
    conv RECORD;
BEGIN
    SELECT last_seq, updated_at INTO conv FROM conversations WHERE id = 'check-c1';
    IF conv.last_seq <> 7 OR conv.updated_at <> 9 THEN
        RAISE EXCEPTION 'a message did not advance its conversation: %', conv;
    END IF;
    SELECT q.queued INTO queued FROM notification_queues q WHERE recipient_id = 'check-u1';
    IF queued <> 2 THEN RAISE EXCEPTION 'two queued, counted %', queued; END IF;
    UPDATE notifications SET read_at = 5 WHERE id = 'check-n1';
    SELECT q.queued INTO queued FROM notification_queues q WHERE recipient_id = 'check-u1';
    IF queued <> 1 THEN RAISE EXCEPTION 'one read: 1 queued, counted %', queued; END IF;
    UPDATE notifications SET read_at = NULL WHERE id = 'check-n1';
    SELECT q.queued INTO queued FROM notification_queues q WHERE recipient_id = 'check-u1';
    IF queued <> 2 THEN RAISE EXCEPTION 'unread again: 2 queued, counted %', queued; END IF;
    DELETE FROM notifications WHERE id = 'check-n2';
    SELECT q.queued INTO queued FROM notification_queues q WHERE recipient_id = 'check-u1';
    IF queued <> 1 THEN RAISE EXCEPTION 'one deleted: 1 queued, counted %', queued; END IF;
    BEGIN
        INSERT INTO users (id, kind, username, display_name, created_at, updated_at)
            VALUES ('check-u2', 'agent', 'cHECK', 'x', 0, 0);
        RAISE EXCEPTION 'usernames are not unique case-insensitively';
    EXCEPTION WHEN unique_violation THEN
        NULL;
    END;
END;
$$;
ROLLBACK;
