//! Network policy shared by every wire and by Socket.IO: who the client is behind proxies,
//! which browser origins may open live connections, connections and failures counted per
//! address. Knows
//! neither protocol.

pub mod address_counts;
pub mod client_addr;
pub mod failures;
pub mod origin;

use actix_web::{web, HttpRequest};

pub use address_counts::{AddressCounts, AddressSlot, Counts, Slot};
pub use client_addr::{client_ip, TrustedProxies};
pub use failures::FailureWindow;

/// The network policy in force, parsed once at start-up and reachable from every request.
#[derive(Debug, Clone, Default)]
pub struct NetPolicy {
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// Browser origins allowed to open live connections.
    pub origins: origin::AllowedOrigins,
}

impl NetPolicy {
    /// Parses the two settings; a bad entry is named in the error.
    pub fn parse(trusted_proxies: &str, allowed_origins: &str) -> Result<NetPolicy, String> {
        Ok(NetPolicy {
            trusted_proxies: TrustedProxies::parse(trusted_proxies)?,
            origins: origin::AllowedOrigins::parse(allowed_origins)?,
        })
    }

    /// The policy a request runs under (the default, trusting no proxy, if none was installed).
    pub fn of(req: &HttpRequest) -> NetPolicy {
        req.app_data::<web::Data<NetPolicy>>()
            .map(|p| p.get_ref().clone())
            .unwrap_or_default()
    }
}

/// The client address of a request as a string for rate-limit keys and logs ("" if unknown).
pub fn client_key(req: &HttpRequest) -> String {
    client_ip(req).map(|ip| ip.to_string()).unwrap_or_default()
}
