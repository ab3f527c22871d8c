DROP TRIGGER messages_advance_conversation ON messages;
DROP FUNCTION messages_advance_conversation();
