-- Humans log in: a password for a human user, server-side browser sessions, one-time claim
-- links for owners that agents/bind created, each human's read position per conversation, and
-- agents suspended by an operator.
CREATE TABLE human_accounts (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE web_sessions (
    digest TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE TABLE claim_links (
    digest TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX claim_links_user ON claim_links (user_id);

CREATE TABLE read_marks (
    user_id TEXT NOT NULL REFERENCES users(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);

CREATE TABLE suspensions (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    suspended_by TEXT NOT NULL REFERENCES users(id),
    suspended_at BIGINT NOT NULL
);
