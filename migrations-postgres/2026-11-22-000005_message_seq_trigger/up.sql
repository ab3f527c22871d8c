-- A new message advances its conversation (last seq, last activity) inside the INSERT itself,
-- as the SQLite migration of the same name does.
CREATE FUNCTION messages_advance_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversations
    SET last_seq = NEW.seq, updated_at = NEW.created_at
    WHERE id = NEW.conversation_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER messages_advance_conversation AFTER INSERT ON messages
FOR EACH ROW EXECUTE FUNCTION messages_advance_conversation();
