//! Human passwords: argon2id in the PHC string format, hashed and verified off the async
//! workers. Parameters are OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane); the cost
//! of one verify is measured in docs/PERFORMANCE.md.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::{Error, Result};

/// Memory cost in KiB.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const PASSES: u32 = 2;
/// Lanes.
pub const LANES: u32 = 1;
/// Shortest password, in characters.
pub const MIN_CHARS: usize = 8;
/// Longest password, in bytes.
pub const MAX_BYTES: usize = 1024;

fn hasher() -> Argon2<'static> {
    // The parameters are constants inside argon2's accepted ranges.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password: at least 8 characters, at most 1,024 bytes, nothing else.
pub fn check(field: &str, password: &str) -> Result<()> {
    if password.chars().count() < MIN_CHARS {
        return Err(Error::invalid(
            field,
            format!("the password must be at least {MIN_CHARS} characters long"),
        ));
    }
    if password.len() > MAX_BYTES {
        return Err(Error::invalid(
            field,
            format!("the password must be at most {MAX_BYTES} bytes long"),
        ));
    }
    Ok(())
}

/// Hashes a password on a blocking thread.
pub async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))?
}

fn hash_now(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Error::Internal(format!("password salt: {e}")))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

/// A hash of no one's password, verified against when the email is unknown, so that an
/// unknown email and a wrong password take the same time.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_now("decoy password of no account").unwrap_or_default())
}

/// Verifies a password against a stored PHC string (or the decoy when `stored` is `None`) on
/// a blocking thread. A stored hash with other parameters still verifies: they are in it.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let stored = stored.unwrap_or_else(|| decoy().to_string());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let ok = hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && real
    })
    .await
    .map_err(|e| Error::Internal(format!("password check failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_carry_the_parameters() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(
            h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "PHC string: {h}"
        );
        assert!(verify("correct horse".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify("correct hors".into(), Some(h)).await.unwrap());
        assert!(!verify("decoy password of no account".into(), None)
            .await
            .unwrap());
    }

    #[test]
    fn length_rules_only() {
        assert!(check("password", "1234567").is_err());
        assert!(check("password", "12345678").is_ok());
        assert!(check("password", "ééééééé").is_err(), "7 characters");
        assert!(check("password", &"x".repeat(1024)).is_ok());
        assert!(check("password", &"x".repeat(1025)).is_err());
    }
}
