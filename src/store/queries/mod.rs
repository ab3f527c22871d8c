//! Queries, one file per table. Each takes a connection and returns Diesel results.

pub mod conversations;
pub mod groups;
pub mod invites;
pub mod messages;
pub mod tokens;
pub mod users;
