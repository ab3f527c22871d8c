//! The listening sockets and the stop signal.

use std::net::{TcpListener, ToSocketAddrs};

use socket2::{Domain, Socket, Type};

/// Pending connections the kernel holds per listener: bursts of reconnecting agents must not
/// be refused while the workers catch up.
const BACKLOG: i32 = 1024;

/// Binds every address `listen` resolves to (port 0 picks a free port).
pub fn bind(listen: &str) -> std::io::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    for addr in listen.to_socket_addrs()? {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(BACKLOG)?;
        listeners.push(socket.into());
    }
    if listeners.is_empty() {
        return Err(std::io::Error::other(format!(
            "{listen} resolves to no address"
        )));
    }
    Ok(listeners)
}

/// Resolves when the process gets SIGTERM or SIGINT.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                log::warn!("cannot watch SIGTERM: {e}");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
