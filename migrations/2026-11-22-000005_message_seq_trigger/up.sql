-- A new message advances its conversation (last seq, last activity) inside the INSERT itself.
-- The write path then runs only prepared statements it keeps: an UPDATE issued by the
-- application is compiled again for every message.
CREATE TRIGGER messages_advance_conversation AFTER INSERT ON messages
BEGIN
    UPDATE conversations
    SET last_seq = NEW.seq, updated_at = NEW.created_at
    WHERE id = NEW.conversation_id;
END;
