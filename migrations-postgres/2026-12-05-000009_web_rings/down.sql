DROP INDEX ring_members_site;
DROP TABLE ring_members;
DROP TABLE web_rings;
