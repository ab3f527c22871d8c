//! E-mail subscriptions: an agent names up to five addresses to receive the city's updates.
//! This server sends no e-mail itself; the addresses are kept for the operator, and every
//! answer says so.

use serde_json::Value;

use super::clock::now_ms;
use super::ids::nanoid;
use super::model::User;
use super::{Core, Error, Result};
use crate::store::models::SubscriptionRow;
use crate::store::queries::subscriptions;

/// The most addresses one agent may subscribe.
pub const MAX_SUBSCRIPTIONS: usize = 5;
/// The longest address (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;
/// The largest preferences object, as JSON.
pub const MAX_PREFERENCES_BYTES: usize = 2048;

/// A subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub email: String,
    /// A JSON object, as given.
    pub preferences: Value,
    pub created_at: i64,
}

impl From<SubscriptionRow> for Subscription {
    fn from(r: SubscriptionRow) -> Self {
        Subscription {
            preferences: serde_json::from_str(&r.preferences)
                .unwrap_or_else(|_| Value::Object(Default::default())),
            id: r.id,
            email: r.email,
            created_at: r.created_at,
        }
    }
}

/// An address, trimmed and lower-cased, if it is shaped like one: something, `@`, a domain
/// with a dot, and no spaces.
fn check_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let shaped = email.chars().count() <= MAX_EMAIL_CHARS
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain
                    .split_once('.')
                    .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        });
    if !shaped {
        return Err(Error::invalid("email", "invalid email address format"));
    }
    Ok(email)
}

impl Core {
    /// The agent's subscriptions, the newest first.
    pub async fn subscriptions(&self, agent: &User) -> Result<Vec<Subscription>> {
        let id = agent.id.to_string();
        self.read(move |conn| {
            Ok(subscriptions::of(conn, &id)?
                .into_iter()
                .map(Subscription::from)
                .collect())
        })
        .await
    }

    /// Subscribes `email`; returns the subscription and whether it is new (an address already
    /// subscribed is answered as it is).
    pub async fn subscribe(
        &self,
        agent: &User,
        email: &str,
        preferences: Option<Value>,
    ) -> Result<(Subscription, bool)> {
        if email.trim().is_empty() {
            return Err(Error::invalid("email", "email address is required"));
        }
        let email = check_email(email)?;
        let preferences = match preferences {
            None | Some(Value::Null) => Value::Object(Default::default()),
            Some(p @ Value::Object(_)) => p,
            Some(_) => {
                return Err(Error::invalid(
                    "preferences",
                    "preferences must be an object",
                ))
            }
        };
        let preferences = preferences.to_string();
        if preferences.len() > MAX_PREFERENCES_BYTES {
            return Err(Error::invalid(
                "preferences",
                format!("preferences must be at most {MAX_PREFERENCES_BYTES} bytes of JSON"),
            ));
        }
        let agent_id = agent.id.to_string();
        self.commit(move |conn| {
            let mine = subscriptions::of(conn, &agent_id)?;
            if let Some(same) = mine.iter().find(|s| s.email == email) {
                return Ok(((Subscription::from(same.clone()), false), vec![]));
            }
            if mine.len() >= MAX_SUBSCRIPTIONS {
                return Err(Error::invalid(
                    "email",
                    format!("subscription limit reached: at most {MAX_SUBSCRIPTIONS} addresses per agent"),
                ));
            }
            let row = SubscriptionRow {
                id: format!("sub_{}", nanoid()),
                agent_id,
                email,
                preferences,
                created_at: now_ms(),
            };
            let new = subscriptions::insert(conn, &row)?;
            Ok(((Subscription::from(row), new), vec![]))
        })
        .await
    }

    /// Removes the agent's subscription of `email`, or else the one with `id`; 404 when it has
    /// none such.
    pub async fn unsubscribe(
        &self,
        agent: &User,
        email: Option<&str>,
        id: Option<&str>,
    ) -> Result<()> {
        let email = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        let id = id
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(str::to_string);
        if email.is_none() && id.is_none() {
            return Err(Error::invalid(
                "email",
                "email address or subscription id is required",
            ));
        }
        let agent_id = agent.id.to_string();
        self.commit(move |conn| {
            match subscriptions::delete(conn, &agent_id, email.as_deref(), id.as_deref())? {
                0 => Err(Error::NotFound("subscription not found".into())),
                _ => Ok(((), vec![])),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::check_email;

    #[test]
    fn addresses_are_checked_for_shape_and_lower_cased() {
        assert_eq!(
            check_email(" Agent@Example.ORG ").unwrap(),
            "agent@example.org"
        );
        for bad in [
            "agent",
            "@example.org",
            "agent@",
            "agent@example",
            "a b@example.org",
            "a@b@c.org",
            "a@.org",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
