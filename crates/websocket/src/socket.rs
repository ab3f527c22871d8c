//! An accepted WebSocket on its TCP stream: a reader that yields whole messages and a writer
//! that several tasks of one connection may share.
//!
//! Memory is the point: an idle socket holds no read buffer (one is taken only while bytes are
//! arriving) and no write buffer (each frame is written whole, then freed).

use std::any::Any;
use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use super::assembler::{Assembler, CloseFrame, Message, ReadError};
use super::frame;

/// How much one read may take from the kernel at most.
const READ_CHUNK: usize = 4096;

/// Sockets whose writer is still alive, in the whole process.
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// How many accepted WebSockets can still send; shutdown waits for this to reach zero.
pub fn open_sockets() -> usize {
    OPEN.load(Ordering::Acquire)
}

/// The writer was closed, or the connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// Any byte stream a WebSocket can run on other than plain TCP (a TLS stream).
pub trait Duplex: AsyncRead + AsyncWrite + Unpin {}

impl<T: AsyncRead + AsyncWrite + Unpin> Duplex for T {}

/// The stream under a socket: plain TCP keeps its buffer-free idle reads; any other stream
/// (TLS) is read through a buffer.
enum Stream {
    Tcp(TcpStream),
    Other(Box<dyn Duplex>),
}

/// An accepted WebSocket, handed over by the HTTP server after the 101 answer.
pub struct Socket {
    io: Stream,
    /// Bytes the client sent right behind its handshake.
    early: BytesMut,
    /// What the server keeps alive as long as the connection (its place under a cap).
    held: Option<Box<dyn Any + Send>>,
}

impl Socket {
    /// A socket on `io`; `early` holds bytes already read past the handshake.
    pub fn new(io: TcpStream, early: BytesMut) -> Socket {
        Socket {
            io: Stream::Tcp(io),
            early,
            held: None,
        }
    }

    /// A socket on another stream (TLS); `early` as for [`Socket::new`].
    pub fn on(io: Box<dyn Duplex>, early: BytesMut) -> Socket {
        Socket {
            io: Stream::Other(io),
            early,
            held: None,
        }
    }

    /// Keeps `value` alive until the connection's writer is gone.
    pub fn holding(mut self, value: Box<dyn Any + Send>) -> Socket {
        self.held = Some(value);
        self
    }

    /// Splits the socket; messages over `max_message` bytes end the reader with
    /// [`ReadError::TooBig`].
    pub fn split(self, max_message: usize) -> (Reader, Writer) {
        let (read, write) = match self.io {
            Stream::Tcp(io) => {
                let (r, w) = io.into_split();
                (ReadIo::Tcp(r), WriteIo::Tcp(w))
            }
            Stream::Other(io) => {
                let (r, w) = tokio::io::split(io);
                (ReadIo::Other(r), WriteIo::Other(w))
            }
        };
        let reader = Reader {
            io: read,
            frames: Assembler::new(self.early, max_message),
            done: false,
        };
        OPEN.fetch_add(1, Ordering::AcqRel);
        let writer = Writer(Rc::new(WriterState {
            io: Mutex::new(write),
            closed: Cell::new(false),
            torn: Cell::new(false),
            _held: self.held,
        }));
        (reader, writer)
    }
}

enum ReadIo {
    Tcp(OwnedReadHalf),
    Other(ReadHalf<Box<dyn Duplex>>),
}

enum WriteIo {
    Tcp(OwnedWriteHalf),
    Other(WriteHalf<Box<dyn Duplex>>),
}

impl WriteIo {
    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            WriteIo::Tcp(w) => w.write_all(bytes).await,
            WriteIo::Other(w) => {
                w.write_all(bytes).await?;
                // A TLS stream keeps written bytes in its own buffer until flushed.
                w.flush().await
            }
        }
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            WriteIo::Tcp(w) => w.shutdown().await,
            WriteIo::Other(w) => w.shutdown().await,
        }
    }
}

/// The receiving half.
pub struct Reader {
    io: ReadIo,
    frames: Assembler,
    done: bool,
}

impl Reader {
    /// Changes the largest message accepted from now on.
    pub fn set_max_message(&mut self, max_message: usize) {
        self.frames.set_max_message(max_message);
    }

    /// The next message; `None` once the connection ended (after a close frame, an error or
    /// the end of the stream).
    pub async fn recv(&mut self) -> Option<Result<Message, ReadError>> {
        if self.done {
            return None;
        }
        let r = self.next().await;
        if !matches!(r, Some(Ok(ref m)) if !matches!(m, Message::Close(_))) {
            self.done = true;
        }
        r
    }

    async fn next(&mut self) -> Option<Result<Message, ReadError>> {
        loop {
            match self.frames.next_message() {
                Ok(Some(m)) => return Some(Ok(m)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
            self.frames.release_if_empty();
            let read = match &mut self.io {
                ReadIo::Tcp(io) => match wait_readable(io).await {
                    Ok(()) => io.try_read_buf(self.frames.buffer(READ_CHUNK)),
                    Err(e) => return Some(Err(ReadError::Io(e))),
                },
                // A TLS record must be read whole to decrypt it: this read holds a buffer
                // while it waits.
                ReadIo::Other(io) => io.read_buf(self.frames.buffer(READ_CHUNK)).await,
            };
            match read {
                Ok(0) if !self.frames.mid_message() => return None,
                Ok(0) => {
                    return Some(Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into())));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Some(Err(ReadError::Io(e))),
            }
        }
    }
}

/// Waits until bytes (or the end of the stream) can be read, without a buffer.
///
/// Peeking registers this task as the stream's reader, which drops the waker the HTTP
/// connection's task left there; `readable()` would only queue a second waiter, and that
/// stale waker would keep the finished connection task's memory (2.8 KB) alive.
async fn wait_readable(io: &mut OwnedReadHalf) -> io::Result<()> {
    let mut probe = [0u8; 1];
    std::future::poll_fn(|cx| io.poll_peek(cx, &mut ReadBuf::new(&mut probe)))
        .await
        .map(|_| ())
}

struct WriterState {
    io: Mutex<WriteIo>,
    /// A close frame was sent, or a write failed.
    closed: Cell<bool>,
    /// A write was abandoned halfway: the stream is mid-frame, so nothing more may be sent.
    torn: Cell<bool>,
    /// Released with the writer, when the connection is done.
    _held: Option<Box<dyn Any + Send>>,
}

impl Drop for WriterState {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The sending half; clones share one connection, and each frame goes out whole.
#[derive(Clone)]
pub struct Writer(Rc<WriterState>);

impl Writer {
    /// Sends a text message.
    pub async fn text(&self, text: &str) -> Result<(), Closed> {
        self.send(frame::OP_TEXT, &[text.as_bytes()]).await
    }

    /// Sends a binary message.
    pub async fn binary(&self, data: &[u8]) -> Result<(), Closed> {
        self.send(frame::OP_BINARY, &[data]).await
    }

    /// Answers a ping.
    pub async fn pong(&self, payload: &[u8]) -> Result<(), Closed> {
        self.send(frame::OP_PONG, &[payload]).await
    }

    /// Sends a close frame (with a code and reason, or none), then ends the stream's sending
    /// side. Later sends fail; a second close does nothing.
    pub async fn close(&self, reason: Option<CloseFrame>) -> Result<(), Closed> {
        let mut payload = Vec::new();
        if let Some(c) = reason {
            payload.extend_from_slice(&c.code.to_be_bytes());
            payload.extend_from_slice(truncate(&c.reason, 123).as_bytes());
        }
        let sent = self.send(frame::OP_CLOSE, &[&payload]).await;
        self.0.closed.set(true);
        let _ = self.0.io.lock().await.shutdown().await;
        sent
    }

    /// Sends every frame of a batch with one write.
    pub async fn send_batch(&self, batch: &Batch) -> Result<(), Closed> {
        self.write(&batch.0).await
    }

    async fn send(&self, opcode: u8, payload: &[&[u8]]) -> Result<(), Closed> {
        let mut bytes = Vec::new();
        frame::encode(opcode, payload, &mut bytes);
        self.write(&bytes).await
    }

    async fn write(&self, bytes: &[u8]) -> Result<(), Closed> {
        let state = &self.0;
        let mut io = state.io.lock().await;
        if state.closed.get() || state.torn.get() {
            return Err(Closed);
        }
        // Dropped halfway (a timeout, a select), a frame would be cut: remember that.
        state.torn.set(true);
        let r = io.write_all(bytes).await;
        state.torn.set(false);
        r.map_err(|_| {
            state.closed.set(true);
            Closed
        })
    }
}

/// Frames encoded back to back, for [`Writer::send_batch`]: a socket that has several frames
/// waiting sends them with one system call instead of one each.
#[derive(Default)]
pub struct Batch(Vec<u8>);

impl Batch {
    /// Adds a text message.
    pub fn text(&mut self, text: &str) {
        frame::encode(frame::OP_TEXT, &[text.as_bytes()], &mut self.0);
    }

    /// Adds one text message made of `prefix` and `text`.
    pub fn text_prefixed(&mut self, prefix: &str, text: &str) {
        frame::encode(
            frame::OP_TEXT,
            &[prefix.as_bytes(), text.as_bytes()],
            &mut self.0,
        );
    }

    /// Adds a binary message.
    pub fn binary(&mut self, data: &[u8]) {
        frame::encode(frame::OP_BINARY, &[data], &mut self.0);
    }

    /// Adds a pong.
    pub fn pong(&mut self, payload: &[u8]) {
        frame::encode(frame::OP_PONG, &[payload], &mut self.0);
    }

    /// Bytes encoded so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The longest prefix of `s` within `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::client_frame;
    use bytes::Bytes;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// A connected pair on 127.0.0.1: the client's stream and the server's socket.
    async fn pair(early: &[u8], max: usize) -> (TcpStream, Reader, Writer) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (r, w) = Socket::new(server, BytesMut::from(early)).split(max);
        (client, r, w)
    }

    const M: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

    #[tokio::test]
    async fn fragments_join_around_a_ping_and_early_bytes_come_first() {
        let early = client_frame(0x82, &[1, 2], M);
        let (mut client, mut r, _w) = pair(&early, 100).await;
        let mut wire = client_frame(0x01, b"hel", M);
        wire.extend(client_frame(0x89, b"p", M));
        wire.extend(client_frame(0x80, b"lo", M));
        // Byte by byte: frames split across reads must still be assembled.
        for b in wire {
            client.write_all(&[b]).await.unwrap();
        }
        assert_eq!(
            r.recv().await.unwrap().unwrap(),
            Message::Binary(Bytes::from_static(&[1, 2]))
        );
        assert_eq!(
            r.recv().await.unwrap().unwrap(),
            Message::Ping(Bytes::from_static(b"p"))
        );
        assert_eq!(
            r.recv().await.unwrap().unwrap(),
            Message::Text("hello".into())
        );
        client
            .write_all(&client_frame(0x88, &[0x0F, 0xA0, b'b', b'y', b'e'], M))
            .await
            .unwrap();
        assert_eq!(
            r.recv().await.unwrap().unwrap(),
            Message::Close(Some(CloseFrame {
                code: 4000,
                reason: "bye".into()
            }))
        );
        assert!(r.recv().await.is_none(), "nothing after the close frame");
    }

    #[tokio::test]
    async fn the_limit_counts_a_whole_fragmented_message() {
        let (mut client, mut r, _w) = pair(&[], 10).await;
        let mut wire = client_frame(0x01, b"123456", M);
        wire.extend(client_frame(0x80, b"12345", M));
        client.write_all(&wire).await.unwrap();
        assert!(matches!(
            r.recv().await,
            Some(Err(ReadError::TooBig { .. }))
        ));
        assert!(r.recv().await.is_none());
    }

    #[tokio::test]
    async fn protocol_breaches_end_the_reader() {
        type Expected = fn(&ReadError) -> bool;
        let cases: [(Vec<u8>, Expected); 3] = [
            (client_frame(0x81, &[0xC3, 0x28], M), |e| {
                matches!(e, ReadError::InvalidUtf8)
            }),
            (client_frame(0x80, b"x", M), |e| {
                matches!(e, ReadError::Protocol("continuation without a message"))
            }),
            (
                [client_frame(0x01, b"a", M), client_frame(0x81, b"b", M)].concat(),
                |e| {
                    matches!(
                        e,
                        ReadError::Protocol("new message inside a fragmented one")
                    )
                },
            ),
        ];
        for (wire, expected) in cases {
            let (mut client, mut r, _w) = pair(&[], 100).await;
            client.write_all(&wire).await.unwrap();
            match r.recv().await {
                Some(Err(e)) => assert!(expected(&e), "{e}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn writes_are_whole_frames_and_close_ends_the_stream() {
        let (mut client, _r, w) = pair(&[], 100).await;
        w.text("4abc").await.unwrap();
        let mut batch = Batch::default();
        batch.text_prefixed("x", "");
        batch.binary(&[9]);
        w.send_batch(&batch).await.unwrap();
        w.close(Some(CloseFrame {
            code: 1001,
            reason: "bye".into(),
        }))
        .await
        .unwrap();
        assert_eq!(w.text("late").await, Err(Closed));
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(
            got,
            [
                &[0x81, 4][..],
                b"4abc",
                &[0x81, 1, b'x', 0x82, 1, 9],
                &[0x88, 5, 0x03, 0xE9],
                b"bye"
            ]
            .concat()
        );
    }

    #[test]
    fn reasons_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("abc", 123), "abc");
        let s = "é".repeat(100); // 200 bytes
        assert_eq!(truncate(&s, 123).len(), 122);
    }
}
