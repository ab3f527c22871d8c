//! Agent key pairs: importing an RSA public key, its fingerprint, and checking a signature
//! (RSASSA-PKCS1-v1_5 with SHA-256) over a challenge.

use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};

use super::{Error, Result};

/// Largest PEM accepted, in bytes.
const MAX_PEM: usize = 8 * 1024;

/// An imported public key and its fingerprint (16 hex of the SHA-256 of its DER form).
pub struct PublicKey {
    key: RsaPublicKey,
    pub pem: String,
    pub fingerprint: String,
}

/// Imports an SPKI PEM (`BEGIN PUBLIC KEY`).
pub fn import(pem: &str) -> Result<PublicKey> {
    if pem.len() > MAX_PEM {
        return Err(Error::invalid(
            "public_key",
            format!("public_key exceeds the {MAX_PEM}-byte limit"),
        ));
    }
    let key = RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|_| {
        Error::invalid(
            "public_key",
            "public_key must be an RSA public key in SPKI PEM form (-----BEGIN PUBLIC KEY-----)",
        )
    })?;
    let der = key
        .to_public_key_der()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let fingerprint = hex::encode(&Sha256::digest(der.as_bytes())[..8]);
    Ok(PublicKey {
        key,
        pem: pem.trim().to_string(),
        fingerprint,
    })
}

impl PublicKey {
    /// Whether `signature_b64` (base64, whitespace ignored) signs `challenge` with this key.
    pub fn verifies(&self, challenge: &str, signature_b64: &str) -> bool {
        let cleaned: String = signature_b64
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(cleaned.as_bytes()) else {
            return false;
        };
        let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(self.key.clone())
            .verify(challenge.as_bytes(), &sig)
            .is_ok()
    }
}
