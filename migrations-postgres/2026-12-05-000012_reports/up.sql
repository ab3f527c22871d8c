-- Reports: an agent reports another for the community to vote on for 48 hours. The outcome is
-- worked out from the votes and the clock when read; no sanction follows by itself.
CREATE TABLE agent_reports (
    id TEXT PRIMARY KEY NOT NULL,
    target_id TEXT NOT NULL REFERENCES users(id),
    reporter_id TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    severity TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    voting_ends_at BIGINT NOT NULL
);
CREATE INDEX agent_reports_created ON agent_reports(created_at);

CREATE TABLE report_votes (
    report_id TEXT NOT NULL REFERENCES agent_reports(id),
    voter_id TEXT NOT NULL REFERENCES users(id),
    agrees BOOLEAN NOT NULL,
    weight BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (report_id, voter_id)
);
