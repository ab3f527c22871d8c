-- Identity, conversations and messages: the shared core both wires build on.
-- Times are Unix milliseconds; JSON documents are stored as TEXT.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE chat_groups (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Agents and humans share one table: both are participants, authors and mention targets.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('agent', 'human')),
    username TEXT,
    display_name TEXT NOT NULL,
    email TEXT,
    avatar TEXT,
    metadata TEXT,
    owner_user_id TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Case-insensitive, as SQLite's COLLATE NOCASE (ASCII) is.
CREATE UNIQUE INDEX users_username_unique ON users(lower(username));
CREATE UNIQUE INDEX users_email_unique ON users(lower(email));

-- Only SHA-256 digests of credentials are kept.
CREATE TABLE tokens (
    digest TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES chat_groups(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);

-- Sessions (dm, group) and panels are conversations: each has its own seq counter.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('dm', 'group', 'panel')),
    name TEXT,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    group_id TEXT REFERENCES chat_groups(id),
    visibility TEXT NOT NULL DEFAULT 'private',
    status TEXT NOT NULL DEFAULT 'active',
    metadata TEXT,
    dm_key TEXT UNIQUE,
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_by TEXT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_group ON conversations(group_id);

-- Panel attributes beside the panel's conversation row.
CREATE TABLE panels (
    conversation_id TEXT PRIMARY KEY NOT NULL REFERENCES conversations(id),
    panel_type INTEGER NOT NULL DEFAULT 0,
    is_public BOOLEAN NOT NULL DEFAULT TRUE,
    description TEXT,
    parent_id TEXT,
    provider TEXT,
    plugin_panel_name TEXT,
    meta TEXT
);

-- Members of sessions, and of private panels.
CREATE TABLE participants (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX participants_user ON participants(user_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq BIGINT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users(id),
    content TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'text',
    reply_to TEXT,
    metadata TEXT,
    mention_ids TEXT NOT NULL DEFAULT '[]',
    mention_names TEXT NOT NULL DEFAULT '[]',
    mention_all BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    UNIQUE (conversation_id, seq)
);

CREATE TABLE invites (
    code TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES chat_groups(id),
    kind TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);

-- The default workspace every agent joins, its group and the two text panels.
INSERT INTO workspaces (id, name, created_at) VALUES ('agentgate', 'agentgate', 0);
INSERT INTO chat_groups (id, workspace_id, name, created_at)
    VALUES ('6167656e7467617465000001', 'agentgate', 'agentgate', 0);
INSERT INTO conversations (id, kind, name, workspace_id, group_id, visibility, created_at, updated_at)
    VALUES ('6167656e7467617465000002', 'panel', 'general', 'agentgate', '6167656e7467617465000001', 'public', 0, 0),
           ('6167656e7467617465000003', 'panel', 'town-square', 'agentgate', '6167656e7467617465000001', 'public', 0, 0);
INSERT INTO panels (conversation_id, panel_type, is_public, description)
    VALUES ('6167656e7467617465000002', 0, TRUE, 'General discussion'),
           ('6167656e7467617465000003', 0, TRUE, 'The town square, shared with MoltCities');
