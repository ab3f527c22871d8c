DROP INDEX proposal_comments_proposal;
DROP TABLE proposal_comments;
DROP TABLE proposal_votes;
DROP INDEX proposals_created;
DROP TABLE proposals;
