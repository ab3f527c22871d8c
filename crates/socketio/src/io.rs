//! `SocketIo`: the Socket.IO server (namespaces, live sockets) on top of one engine.

use super::admission::Inbound;
use super::client;
use super::config::SocketIoConfig;
use super::engine::{Conversation, Engine, EngineApp};
use super::handler::NamespaceHandler;
use super::routes::configure_engine;
use super::session::{read, write, EngineSession};
use super::socket::Socket;
use actix_web::web;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// State shared by every connection of one Socket.IO server.
pub(crate) struct IoInner {
    pub(crate) config: Arc<SocketIoConfig>,
    namespaces: RwLock<HashMap<String, Arc<dyn NamespaceHandler>>>,
    sockets: RwLock<HashMap<String, Socket>>,
}

impl IoInner {
    pub(crate) fn namespace(&self, nsp: &str) -> Option<Arc<dyn NamespaceHandler>> {
        read(&self.namespaces).get(nsp).cloned()
    }

    pub(crate) fn add_socket(&self, socket: Socket) {
        write(&self.sockets).insert(socket.id().to_owned(), socket);
    }

    pub(crate) fn remove_socket(&self, id: &str) {
        write(&self.sockets).remove(id);
    }
}

struct SocketIoApp(Arc<IoInner>);

impl EngineApp for SocketIoApp {
    fn on_open(&self, session: Arc<EngineSession>, inbound: Inbound) {
        tokio::spawn(client::run(Arc::clone(&self.0), session, inbound));
    }

    fn converse(&self, session: &Arc<EngineSession>) -> Option<Box<dyn Conversation>> {
        Some(Box::new(client::Client::new(
            Arc::clone(&self.0),
            Arc::clone(session),
        )))
    }
}

/// A Socket.IO server. Cheap to clone; build it once, outside the per-worker app factory.
#[derive(Clone)]
pub struct SocketIo {
    inner: Arc<IoInner>,
    engine: Arc<Engine>,
}

impl SocketIo {
    /// Creates a server with no namespace registered.
    pub fn new(config: SocketIoConfig) -> SocketIo {
        let inner = Arc::new(IoInner {
            config: Arc::new(config.clone()),
            namespaces: RwLock::new(HashMap::new()),
            sockets: RwLock::new(HashMap::new()),
        });
        let engine = Engine::new(config, Arc::new(SocketIoApp(Arc::clone(&inner))));
        SocketIo { inner, engine }
    }

    /// Registers (or replaces) the handler of namespace `nsp` (e.g. `/`).
    pub fn ns(&self, nsp: &str, handler: Arc<dyn NamespaceHandler>) {
        write(&self.inner.namespaces).insert(nsp.to_owned(), handler);
    }

    /// Unregisters a namespace; later CONNECTs to it are refused. Joined sockets stay.
    pub fn remove_ns(&self, nsp: &str) {
        write(&self.inner.namespaces).remove(nsp);
    }

    /// The settings.
    pub fn config(&self) -> &SocketIoConfig {
        &self.inner.config
    }

    /// The underlying Engine.IO server.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// A connected socket by id.
    pub fn socket(&self, id: &str) -> Option<Socket> {
        read(&self.inner.sockets).get(id).cloned()
    }

    /// All connected sockets (a snapshot).
    pub fn sockets(&self) -> Vec<Socket> {
        read(&self.inner.sockets).values().cloned().collect()
    }

    /// Number of connected sockets (all namespaces).
    pub fn socket_count(&self) -> usize {
        read(&self.inner.sockets).len()
    }

    /// Number of open Engine.IO connections.
    pub fn connection_count(&self) -> usize {
        self.engine.sessions().len()
    }

    /// Disconnects a socket from its namespace (DISCONNECT; no auto-reconnect). False if unknown.
    pub fn disconnect_socket(&self, id: &str) -> bool {
        match self.socket(id) {
            Some(s) => {
                s.disconnect();
                true
            }
            None => false,
        }
    }

    /// Closes the connection carrying a socket (the client reconnects). False if unknown.
    pub fn close_connection(&self, socket_id: &str) -> bool {
        match self.socket(socket_id) {
            Some(s) => {
                s.close_connection();
                true
            }
            None => false,
        }
    }

    /// An actix configuration mounting this server at `path` (e.g. `/socket.io/`):
    /// `App::new().configure(io.configure("/socket.io/"))`.
    pub fn configure(&self, path: &str) -> impl FnOnce(&mut web::ServiceConfig) + 'static {
        let engine = Arc::clone(&self.engine);
        let path = path.to_owned();
        move |cfg| configure_engine(cfg, &path, engine)
    }
}
