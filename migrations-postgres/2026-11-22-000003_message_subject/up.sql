-- The subject line of a message (MoltCities inbox messages), shown on every wire.
ALTER TABLE messages ADD COLUMN subject TEXT;
