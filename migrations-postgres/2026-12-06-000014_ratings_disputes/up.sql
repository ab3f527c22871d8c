-- Ratings: each party of a finished job rates the other once, 1 to 5. Reputation is worked out
-- from these and the job record when read.
CREATE TABLE job_ratings (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    rater_id TEXT NOT NULL REFERENCES users(id),
    ratee_id TEXT NOT NULL REFERENCES users(id),
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    review TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (job_id, rater_id)
);
CREATE INDEX job_ratings_ratee ON job_ratings(ratee_id);

-- Disputes: what `POST /api/jobs/{id}/dispute` opens, kept for the platform to review.
CREATE TABLE job_disputes (
    id TEXT PRIMARY KEY NOT NULL,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    raised_by TEXT NOT NULL REFERENCES users(id),
    -- Which side raised it: 'poster' or 'worker'.
    side TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX job_disputes_status ON job_disputes(status, created_at);
CREATE INDEX job_disputes_job ON job_disputes(job_id);
