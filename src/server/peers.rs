//! A cap on concurrent TCP connections per client address, enforced when a connection is
//! accepted and before any HTTP parsing, so one address cannot use up the process's descriptors.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_service::{Service, ServiceFactory};
use futures_util::future::LocalBoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::net::{AddressCounts, AddressSlot, TrustedProxies};

/// The answer a connection over the cap gets before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\n\
content-type: application/json\r\n\
connection: close\r\n\
retry-after: 1\r\n\
content-length: 107\r\n\r\n\
{\"success\":false,\"code\":429,\"error\":\"Too Many Requests\",\"message\":\"too many connections from this address\"}";

/// How long a refused connection may still send before it is closed: closing with unread
/// bytes would reset it and the client might never read the refusal.
const REFUSAL_DRAIN: Duration = Duration::from_millis(500);

/// Open connections per address, shared by every worker.
#[derive(Debug)]
pub struct PeerTable {
    cap: usize,
    /// Trusted proxies: each carries the connections of many clients, so none is capped.
    uncapped: TrustedProxies,
    open: Arc<AddressCounts>,
}

impl PeerTable {
    /// A table allowing `cap` connections per address (0 = no cap), except from `uncapped`.
    pub fn new(cap: usize, uncapped: TrustedProxies) -> Arc<PeerTable> {
        Arc::new(PeerTable {
            cap,
            uncapped,
            open: Arc::default(),
        })
    }

    /// Whether connections from `ip` are counted at all.
    fn counts(&self, ip: IpAddr) -> bool {
        self.cap > 0 && !self.uncapped.trusts(ip)
    }

    /// Counts a connection from `ip`, or `None` when the address is at its cap.
    fn enter(&self, ip: IpAddr) -> Option<PeerGuard> {
        if !self.counts(ip) {
            return Some(PeerGuard { _slot: None });
        }
        self.open
            .reserve(ip, self.cap)
            .map(|s| PeerGuard { _slot: Some(s) })
    }

    /// Counts one more connection from `ip` whatever the cap: a WebSocket taking over a
    /// connection that was already counted (the HTTP connection's place ends at the handoff).
    pub(crate) fn hold(&self, ip: IpAddr) -> PeerGuard {
        PeerGuard {
            _slot: self.counts(ip).then(|| self.open.hold(ip)),
        }
    }
}

/// One counted connection (or an uncounted one); dropping it frees its place.
#[derive(Debug)]
pub struct PeerGuard {
    /// Held for its drop.
    _slot: Option<AddressSlot>,
}

/// Wraps the per-connection service factory `inner` with the cap.
pub struct PerPeer<F> {
    inner: F,
    table: Arc<PeerTable>,
}

impl<F> PerPeer<F> {
    /// `inner` behind `table`'s cap.
    pub fn new(table: Arc<PeerTable>, inner: F) -> PerPeer<F> {
        PerPeer { inner, table }
    }
}

impl<F> ServiceFactory<TcpStream> for PerPeer<F>
where
    F: ServiceFactory<TcpStream, Config = (), Response = ()>,
    F::Service: 'static,
    F::Future: 'static,
{
    type Response = ();
    type Error = F::Error;
    type Config = ();
    type Service = PerPeerService<F::Service>;
    type InitError = F::InitError;
    type Future = LocalBoxFuture<'static, Result<Self::Service, F::InitError>>;

    fn new_service(&self, _: ()) -> Self::Future {
        let inner = self.inner.new_service(());
        let table = Arc::clone(&self.table);
        Box::pin(async move {
            Ok(PerPeerService {
                inner: inner.await?,
                table,
            })
        })
    }
}

/// Counts each connection for its address while the inner service serves it.
pub struct PerPeerService<S> {
    inner: S,
    table: Arc<PeerTable>,
}

impl<S> Service<TcpStream> for PerPeerService<S>
where
    S: Service<TcpStream, Response = ()>,
    S::Future: 'static,
{
    type Response = ();
    type Error = S::Error;
    type Future = LocalBoxFuture<'static, Result<(), S::Error>>;

    actix_service::forward_ready!(inner);

    fn call(&self, io: TcpStream) -> Self::Future {
        let Ok(peer) = io.peer_addr() else {
            // The peer is already gone.
            return Box::pin(async { Ok(()) });
        };
        match self.table.enter(peer.ip()) {
            Some(guard) => {
                let served = self.inner.call(io);
                Box::pin(async move {
                    let r = served.await;
                    drop(guard);
                    r
                })
            }
            None => {
                log::debug!(
                    "refused a connection from {}: over the per-address cap",
                    peer.ip()
                );
                Box::pin(async move {
                    refuse(io).await;
                    Ok(())
                })
            }
        }
    }
}

/// Writes the refusal and closes, holding the connection no longer than [`REFUSAL_DRAIN`].
async fn refuse(mut io: TcpStream) {
    let mut sink = [0u8; 1024];
    let _ = tokio::time::timeout(REFUSAL_DRAIN, async {
        // A fresh connection's send buffer has room for these few bytes: this does not wait
        // on the client.
        io.write_all(REFUSAL).await?;
        io.shutdown().await?;
        while io.read(&mut sink).await? > 0 {}
        std::io::Result::Ok(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_per_address_and_guards_free_their_place() {
        let table = PeerTable::new(2, TrustedProxies::default());
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let g1 = table.enter(a).unwrap();
        let _g2 = table.enter(a).unwrap();
        assert!(table.enter(a).is_none());
        assert!(table.enter(b).is_some());
        drop(g1);
        assert!(table.enter(a).is_some());
        assert_eq!(
            REFUSAL.len() - REFUSAL.iter().position(|&c| c == b'{').unwrap(),
            107
        );
    }

    #[test]
    fn zero_means_no_cap() {
        let table = PeerTable::new(0, TrustedProxies::default());
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let guards: Vec<_> = (0..1000).map(|_| table.enter(a).unwrap()).collect();
        assert_eq!(guards.len(), 1000);
        assert_eq!(table.open.keys(), 0);
    }

    #[test]
    fn trusted_proxies_are_not_capped() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let table = PeerTable::new(1, proxies);
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let guards: Vec<_> = (0..100).map(|_| table.enter(proxy).unwrap()).collect();
        assert_eq!(guards.len(), 100);
        let other: IpAddr = "192.0.2.1".parse().unwrap();
        let _g = table.enter(other).unwrap();
        assert!(table.enter(other).is_none(), "everyone else keeps the cap");
    }
}
