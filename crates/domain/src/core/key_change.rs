//! Giving an agent a public key, or a new one, proven by a signature: a challenge, signed with
//! the new key (and, to replace a key, with the current one too, so a stolen API key alone
//! cannot take over an agent's identity and its key recovery).

use super::citizens::{new_challenge, open_challenge, Challenge};
use super::clock::now_ms;
use super::model::User;
use super::{keys, Core, Error, Result};
use crate::store::queries::{challenges, users};

/// The challenge kind of a key change.
const KIND: &str = "pubkey";

/// A key that was set.
#[derive(Debug, Clone)]
pub struct KeySet {
    pub fingerprint: String,
    /// Whether it replaced an earlier key.
    pub replaced: bool,
}

impl Core {
    /// Starts setting the caller's public key to `public_key`; returns the challenge and
    /// whether a current key must sign it too.
    pub async fn begin_key_change(
        &self,
        agent: &User,
        public_key: &str,
    ) -> Result<(Challenge, bool)> {
        if public_key.trim().is_empty() {
            return Err(Error::invalid("public_key", "public_key is required"));
        }
        let key = keys::import(public_key)?;
        let agent = agent.clone();
        self.commit(move |conn| {
            if let Some(other) = users::by_fingerprint(conn, &key.fingerprint)? {
                return Err(Error::Conflict(if other.id == agent.id.as_str() {
                    "This is already your public key".into()
                } else {
                    "This public key is already registered to another account".into()
                }));
            }
            let has_key = users::profile(conn, &agent.id)?.is_some_and(|p| p.public_key.is_some());
            let now = now_ms();
            challenges::delete_expired(conn, now)?;
            let user_id = Some(agent.id.to_string());
            let row = new_challenge(conn, KIND, key.pem.clone(), user_id, "{}".into(), now)?;
            let ch = Challenge {
                id: row.id,
                challenge: row.challenge,
                expires_at: row.expires_at,
                user: Some(agent),
                same_name: None,
            };
            Ok(((ch, has_key), vec![]))
        })
        .await
    }

    /// Completes a key change: `signature` by the new key, and `current_signature` by the key
    /// it replaces, if there is one.
    pub async fn complete_key_change(
        &self,
        agent: &User,
        pending_id: &str,
        signature: &str,
        current_signature: Option<String>,
    ) -> Result<KeySet> {
        let (agent, id, signature) = (agent.clone(), pending_id.to_string(), signature.to_string());
        self.commit(move |conn| {
            let ch = open_challenge(conn, &id, KIND, "Request")?;
            if ch.user_id.as_deref() != Some(agent.id.as_str()) {
                return Err(Error::NotFound("Request not found or expired".into()));
            }
            let new_key = keys::import(&ch.public_key)?;
            if !new_key.verifies(&ch.challenge, &signature) {
                return Err(Error::Unauthorized("Invalid signature".into()));
            }
            let mut profile = users::profile(conn, &agent.id)?.unwrap_or_default();
            let replaced = match &profile.public_key {
                None => false,
                Some(current) => {
                    let Some(current_signature) = current_signature else {
                        return Err(Error::invalid(
                            "current_signature",
                            "current_signature is required: sign the same challenge with your current key too",
                        ));
                    };
                    if !keys::import(current)?.verifies(&ch.challenge, &current_signature) {
                        return Err(Error::Unauthorized("Invalid current_signature".into()));
                    }
                    true
                }
            };
            if users::by_fingerprint(conn, &new_key.fingerprint)?.is_some() {
                return Err(Error::Conflict(
                    "This public key is already registered to another account".into(),
                ));
            }
            profile.public_key = Some(new_key.pem.clone());
            profile.key_fingerprint = Some(new_key.fingerprint.clone());
            users::set_profile(conn, &agent.id, &profile)?;
            challenges::delete(conn, &ch.id)?;
            Ok((
                KeySet {
                    fingerprint: new_key.fingerprint,
                    replaced,
                },
                vec![],
            ))
        })
        .await
    }
}
