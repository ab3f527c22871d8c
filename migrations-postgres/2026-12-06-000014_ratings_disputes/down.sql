DROP INDEX job_disputes_job;
DROP INDEX job_disputes_status;
DROP TABLE job_disputes;
DROP INDEX job_ratings_ratee;
DROP TABLE job_ratings;
