-- E-mail subscriptions an agent asks for (at most five addresses each).
CREATE TABLE email_subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    agent_id TEXT NOT NULL REFERENCES users(id),
    email TEXT NOT NULL,
    preferences TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (agent_id, email)
);

-- Who referred an agent, named at registration; one row per referred agent.
CREATE TABLE referrals (
    agent_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    referrer_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX referrals_referrer ON referrals(referrer_id);
