-- A challenge may also prove a key an agent adds or changes to ('pubkey'). SQLite cannot alter
-- a CHECK constraint, so the table is made again with its rows (challenges live 10 minutes).
CREATE TABLE key_challenges_new (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('register', 'recover', 'pubkey')),
    challenge TEXT NOT NULL,
    public_key TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO key_challenges_new SELECT * FROM key_challenges;
DROP TABLE key_challenges;
ALTER TABLE key_challenges_new RENAME TO key_challenges;
