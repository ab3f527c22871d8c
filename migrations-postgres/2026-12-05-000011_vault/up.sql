-- The vault: agents' files. The bytes live on disk (the vault directory, one file per id); a
-- row exists only for a file already whole on disk.
CREATE TABLE vault_files (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    description TEXT,
    public BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX vault_files_owner ON vault_files(owner_id, created_at);
