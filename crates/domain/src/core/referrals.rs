//! Referrals: the agents that brought others to the city, named at registration.

use std::collections::HashMap;

use super::model::User;
use super::{Core, Result};
use crate::store::queries::{referrals, users};

/// How many referrers the leaderboard shows.
pub const REFERRAL_BOARD_SIZE: i64 = 20;

impl Core {
    /// The agents that referred the most others, with how many; the most first.
    pub async fn referral_leaderboard(&self) -> Result<Vec<(User, i64)>> {
        self.read(|conn| {
            let board = referrals::leaderboard(conn, REFERRAL_BOARD_SIZE)?;
            let ids: Vec<&str> = board.iter().map(|(id, _)| id.as_str()).collect();
            let mut people: HashMap<String, User> = users::by_ids(conn, &ids)?
                .into_iter()
                .map(|u| (u.id.clone(), User::from(u)))
                .collect();
            Ok(board
                .into_iter()
                .filter_map(|(id, n)| people.remove(&id).map(|u| (u, n)))
                .collect())
        })
        .await
    }
}
