//! Queries, one file per table. Each takes a connection and returns Diesel results.

pub mod accounts;
pub mod challenges;
pub mod conversations;
pub mod groups;
pub mod guestbook;
pub mod inbox;
pub mod invites;
pub mod jobs;
pub mod messages;
pub mod notifications;
pub mod read_marks;
pub mod sites;
pub mod suspensions;
pub mod tokens;
pub mod users;
