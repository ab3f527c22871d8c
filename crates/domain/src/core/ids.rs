//! Identifiers and credentials: ObjectId-style ids, tokens and their digests.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// Random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS random source failing is unrecoverable; fall back to uuid's generator rather
    // than panicking.
    if getrandom::fill(&mut buf).is_err() {
        for chunk in buf.chunks_mut(16) {
            let u = uuid::Uuid::new_v4();
            chunk.copy_from_slice(&u.as_bytes()[..chunk.len()]);
        }
    }
    buf
}

/// A 24-hex id laid out like a MongoDB ObjectId: 4 bytes of seconds, 5 random bytes drawn once
/// per process, and a 3-byte counter from a random start. Ids of one process grow, so every
/// table keyed by them (messages, inbox items, notification sources) appends to its index
/// instead of dirtying a random page per row; the random middle keeps processes apart.
pub fn object_id() -> String {
    static PROCESS: OnceLock<[u8; 5]> = OnceLock::new();
    static COUNTER: OnceLock<AtomicU32> = OnceLock::new();
    let process = PROCESS.get_or_init(random_bytes::<5>);
    let counter = COUNTER.get_or_init(|| AtomicU32::new(u32::from_be_bytes(random_bytes::<4>())));
    let secs = (crate::core::clock::now_ms() / 1000) as u32;
    let n = counter.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    bytes[4..9].copy_from_slice(process);
    bytes[9..].copy_from_slice(&n.to_be_bytes()[1..]);
    hex::encode(bytes)
}

/// A 24-hex id shaped like [`object_id`] (4 bytes of seconds first, so ids still sort by
/// creation) whose other 8 bytes are random for every id: a conversation id (session, DM,
/// panel) cannot be guessed from another one, so answers that tell "not yours" from "no such
/// id" reveal nothing to an outsider (64 random bits against a throttled guesser).
pub fn unguessable_object_id() -> String {
    let secs = (crate::core::clock::now_ms() / 1000) as u32;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    bytes[4..].copy_from_slice(&random_bytes::<8>());
    hex::encode(bytes)
}

/// A new MoChat credential: `claw_` + 48 hex characters.
pub fn claw_token() -> String {
    format!("claw_{}", hex::encode(random_bytes::<24>()))
}

/// A short random code for invites.
pub fn invite_code() -> String {
    hex::encode(random_bytes::<6>())
}

/// 21 random characters of `[0-9A-Za-z_-]` (126 bits), as MoltCities ids look.
pub fn nanoid() -> String {
    const ALPHABET: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";
    random_bytes::<21>()
        .iter()
        .map(|b| ALPHABET[(*b & 63) as usize] as char)
        .collect()
}

/// A nanoid-shaped id (21 characters of the same alphabet) whose first 8 characters are the
/// creation time in milliseconds, in an ASCII-ordered alphabet: ids created later sort later, so
/// a busy table's primary-key index grows at its end instead of dirtying a random page per row
/// (every page dirtied is written and synced at COMMIT). 3 characters of a counter of this
/// process follow, so its ids of one millisecond sort in creation order too, then 60 random
/// bits.
pub fn sortable_nanoid() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    const ORDERED: &[u8; 64] = b"-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let ms = crate::core::clock::now_ms().max(0) as u64;
    let n = u64::from(COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut out = String::with_capacity(21);
    for i in (0..8).rev() {
        out.push(ORDERED[((ms >> (6 * i)) & 63) as usize] as char);
    }
    for i in (0..3).rev() {
        out.push(ORDERED[((n >> (6 * i)) & 63) as usize] as char);
    }
    out.extend(
        random_bytes::<10>()
            .iter()
            .map(|b| ORDERED[(*b & 63) as usize] as char),
    );
    out
}

/// The SHA-256 digest of a credential, as stored.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A browser session or claim-link secret: 32 random bytes, hex (stored only as a digest).
pub fn web_secret() -> String {
    hex::encode(random_bytes::<32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sortable_nanoids_look_like_nanoids_and_sort_by_time() {
        let a = sortable_nanoid();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = sortable_nanoid();
        for id in [&a, &b] {
            assert_eq!(id.len(), 21, "{id}");
            assert!(
                id.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'),
                "{id}"
            );
        }
        assert!(a < b, "{a} then {b}");
        assert_ne!(a[8..], b[8..]);
    }

    #[test]
    fn object_ids_are_24_hex_and_distinct() {
        let a = object_id();
        let b = object_id();
        assert_eq!(a.len(), 24);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn conversation_ids_share_nothing_but_the_time() {
        let a = unguessable_object_id();
        let b = unguessable_object_id();
        assert_eq!((a.len(), b.len()), (24, 24));
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        // The random 16 hex digits differ (a collision has odds of 2^-64).
        assert_ne!(a[8..], b[8..]);
        assert_ne!(a[8..18], b[8..18], "no shared process part to guess from");
    }

    #[test]
    fn object_ids_of_one_process_grow() {
        let ids: Vec<String> = (0..1000).map(|_| object_id()).collect();
        // The 3-byte counter may wrap once (from its random start) inside one second.
        let descents = ids.windows(2).filter(|w| w[1] <= w[0]).count();
        assert!(descents <= 1, "{descents} descents");
        assert_eq!(ids[0][8..18], ids[999][8..18], "one process part");
    }

    #[test]
    fn claw_tokens_have_the_documented_shape() {
        let t = claw_token();
        assert!(t.starts_with("claw_"));
        assert_eq!(t.len(), 5 + 48);
        assert!(t[5..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

/// A typed id: the string a table keys its rows by, which cannot be passed where another kind
/// of id is expected. It reads as a `&str` (`Deref`), prints and serializes as the bare string;
/// the wire forms built from it (MoChat's `session_` prefix) live in each wire's `ids` module.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

typed_id!(
    /// A user's id (agent or human): 24 hex digits, ObjectId-shaped.
    UserId
);
typed_id!(
    /// A conversation's id (a session, a DM, a panel's conversation, an inbox thread).
    ConversationId
);
typed_id!(
    /// A message's id.
    MessageId
);
typed_id!(
    /// A group's id.
    GroupId
);
typed_id!(
    /// A workspace's id.
    WorkspaceId
);
typed_id!(
    /// A job's id (MoltCities).
    JobId
);
typed_id!(
    /// A queued notification's id.
    NotificationId
);
