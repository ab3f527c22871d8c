DROP INDEX ring_members_joined;
DROP INDEX proposal_votes_created;
DROP INDEX jobs_completed;
DROP INDEX job_attempts_created;
DROP INDEX guestbook_entries_created;
DROP INDEX users_kind_created;
