//! The server's own TLS (rustls): the certificate chain and key from PEM files, checked at
//! start-up so a wrong file stops the server with a clear error.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::ring::default_provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

/// A TLS server configuration from a PEM certificate chain and a PEM private key.
pub fn load(cert: &Path, key: &Path) -> Result<ServerConfig, String> {
    let read_err = |what: &str, p: &Path, e: &dyn std::fmt::Display| {
        format!("TLS {what} {}: {e}", p.display())
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| read_err("certificate", cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read_err("certificate", cert, &e))?;
    if certs.is_empty() {
        return Err(format!(
            "TLS certificate {}: no PEM certificate in it",
            cert.display()
        ));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| read_err("key", key, &e))?;
    let provider = Arc::new(default_provider());
    let config = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth();
    // Checks that the key is the certificate's: a mismatch must stop start-up, not every
    // handshake.
    let signing = provider
        .key_provider
        .load_private_key(key_der.clone_key())
        .map_err(|e| read_err("key", key, &e))?;
    rustls::sign::CertifiedKey::new(certs.clone(), signing)
        .keys_match()
        .map_err(|e| {
            format!(
                "TLS key {} does not belong to certificate {}: {e}",
                key.display(),
                cert.display()
            )
        })?;
    config
        .with_single_cert(certs, key_der)
        .map_err(|e| format!("TLS certificate {}: {e}", cert.display()))
}
