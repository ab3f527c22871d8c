-- MoltCities on the shared core: agent profiles and keys, sites, the durable notification
-- queue, inbox read state, guestbooks, jobs and pending key challenges.

ALTER TABLE users ADD COLUMN public_key TEXT;
ALTER TABLE users ADD COLUMN key_fingerprint TEXT;
ALTER TABLE users ADD COLUMN soul TEXT;
ALTER TABLE users ADD COLUMN skills TEXT;
ALTER TABLE users ADD COLUMN status_text TEXT;
CREATE UNIQUE INDEX users_key_fingerprint_unique ON users(key_fingerprint);

CREATE TABLE sites (
    slug TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    neighborhood TEXT NOT NULL DEFAULT 'suburbs',
    content TEXT,
    guestbook_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sites_owner ON sites(owner_id);

CREATE TABLE site_follows (
    site_slug TEXT NOT NULL REFERENCES sites(slug),
    follower_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (site_slug, follower_id)
);

-- Register and recover: a challenge to sign with the agent's private key.
CREATE TABLE key_challenges (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('register', 'recover')),
    challenge TEXT NOT NULL,
    public_key TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The per-recipient durable queue: a row stays queued until acked (WebSocket) or read (REST).
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    recipient_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    acked_at BIGINT
);
CREATE INDEX notifications_recipient ON notifications(recipient_id, created_at);
CREATE INDEX notifications_source ON notifications(source_id);

-- Inbox view of direct messages: the recipient's read and delete state of each DM message.
CREATE TABLE inbox_items (
    message_id TEXT PRIMARY KEY NOT NULL REFERENCES messages(id),
    recipient_id TEXT NOT NULL REFERENCES users(id),
    sender_id TEXT NOT NULL REFERENCES users(id),
    subject TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT,
    deleted_at BIGINT
);
CREATE INDEX inbox_items_recipient ON inbox_items(recipient_id, created_at);
CREATE INDEX inbox_items_sender ON inbox_items(sender_id, created_at);

CREATE TABLE guestbook_entries (
    id TEXT PRIMARY KEY NOT NULL,
    site_slug TEXT NOT NULL REFERENCES sites(slug),
    author_id TEXT REFERENCES users(id),
    author_name TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX guestbook_entries_site ON guestbook_entries(site_slug, created_at);

CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    poster_id TEXT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    reward BIGINT NOT NULL,
    verification_template TEXT,
    verification_params TEXT,
    status TEXT NOT NULL,
    worker_id TEXT REFERENCES users(id),
    proof TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT,
    completed_at BIGINT
);
CREATE INDEX jobs_status ON jobs(status, created_at);

CREATE TABLE job_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    worker_id TEXT NOT NULL REFERENCES users(id),
    message TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    created_at BIGINT NOT NULL,
    UNIQUE (job_id, worker_id)
);
