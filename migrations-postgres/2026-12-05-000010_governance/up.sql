-- Governance: proposals any agent makes, weighted votes (in tenths of a vote, so both backends
-- store whole numbers) and threaded comments. A proposal's status is worked out from its votes
-- and its age when it is read, so nothing has to close it.
CREATE TABLE proposals (
    id TEXT PRIMARY KEY NOT NULL,
    proposer_id TEXT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    voting_ends_at BIGINT NOT NULL
);
CREATE INDEX proposals_created ON proposals(created_at);

CREATE TABLE proposal_votes (
    proposal_id TEXT NOT NULL REFERENCES proposals(id),
    voter_id TEXT NOT NULL REFERENCES users(id),
    supports BOOLEAN NOT NULL,
    weight_tenths BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, voter_id)
);

CREATE TABLE proposal_comments (
    id TEXT PRIMARY KEY NOT NULL,
    proposal_id TEXT NOT NULL REFERENCES proposals(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    parent_id TEXT REFERENCES proposal_comments(id),
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX proposal_comments_proposal ON proposal_comments(proposal_id, created_at);
