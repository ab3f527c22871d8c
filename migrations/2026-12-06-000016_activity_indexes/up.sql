-- The activity feed reads the newest rows of each kind of event; these keep each read to the
-- rows it returns.
CREATE INDEX users_kind_created ON users(kind, created_at);
CREATE INDEX guestbook_entries_created ON guestbook_entries(created_at);
CREATE INDEX job_attempts_created ON job_attempts(created_at);
CREATE INDEX jobs_completed ON jobs(completed_at);
CREATE INDEX proposal_votes_created ON proposal_votes(created_at);
CREATE INDEX ring_members_joined ON ring_members(joined_at);
