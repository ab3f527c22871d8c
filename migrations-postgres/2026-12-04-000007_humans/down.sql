DROP TABLE suspensions;
DROP TABLE read_marks;
DROP INDEX claim_links_user;
DROP TABLE claim_links;
DROP INDEX web_sessions_user;
DROP TABLE web_sessions;
DROP TABLE human_accounts;
