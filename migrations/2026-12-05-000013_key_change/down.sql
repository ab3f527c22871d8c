DELETE FROM key_challenges WHERE kind = 'pubkey';
CREATE TABLE key_challenges_old (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('register', 'recover')),
    challenge TEXT NOT NULL,
    public_key TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO key_challenges_old SELECT * FROM key_challenges;
DROP TABLE key_challenges;
ALTER TABLE key_challenges_old RENAME TO key_challenges;
