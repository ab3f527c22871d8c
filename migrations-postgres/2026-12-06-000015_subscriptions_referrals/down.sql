DROP INDEX referrals_referrer;
DROP TABLE referrals;
DROP TABLE email_subscriptions;
