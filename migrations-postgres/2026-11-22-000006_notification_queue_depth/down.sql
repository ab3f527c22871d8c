DROP TRIGGER notifications_queue_depth ON notifications;
DROP FUNCTION notifications_queue_depth();
DROP TABLE notification_queues;
