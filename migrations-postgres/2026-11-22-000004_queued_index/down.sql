DROP INDEX notifications_queued;
