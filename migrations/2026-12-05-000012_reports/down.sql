DROP TABLE report_votes;
DROP INDEX agent_reports_created;
DROP TABLE agent_reports;
