//! Client frames in, whole messages out: the protocol half of the WebSocket reader, without
//! I/O. Fragments are joined, control frames pass through between them, and every rule a
//! server must enforce on client frames is checked here.

use std::io;

use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

use super::frame::{self, HeaderError};

/// One message from the client; fragments are already joined.
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message (checked UTF-8).
    Text(ByteString),
    /// A binary message.
    Binary(Bytes),
    /// A ping; the owner answers it with [`Writer::pong`].
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The client's close frame; the reader yields nothing after it.
    Close(Option<CloseFrame>),
}

/// The code and reason of a close frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code (RFC 6455 §7.4).
    pub code: u16,
    /// The reason; at most 123 bytes are sent.
    pub reason: String,
}

/// Why reading stopped.
#[derive(Debug)]
pub enum ReadError {
    /// A message longer than the limit (close code 1009).
    TooBig,
    /// The client broke RFC 6455; the text names the rule (close code 1002).
    Protocol(&'static str),
    /// A text message that is not UTF-8 (close code 1007).
    InvalidUtf8,
    /// The connection failed.
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooBig => f.write_str("message over the size limit"),
            ReadError::Protocol(rule) => write!(f, "protocol error: {rule}"),
            ReadError::InvalidUtf8 => f.write_str("text message is not UTF-8"),
            ReadError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

/// A message being assembled from fragments.
struct Partial {
    text: bool,
    data: BytesMut,
}

/// Buffered client bytes and the message being assembled from them.
pub struct Assembler {
    buf: BytesMut,
    max_message: usize,
    partial: Option<Partial>,
}

impl Assembler {
    /// An assembler holding `early` bytes; messages over `max_message` bytes are refused.
    pub fn new(early: BytesMut, max_message: usize) -> Assembler {
        Assembler {
            buf: early,
            max_message,
            partial: None,
        }
    }

    /// Changes the largest message accepted from now on (a peer that has proven who it is may
    /// be allowed more than one that has not).
    pub fn set_max_message(&mut self, max_message: usize) {
        self.max_message = max_message;
    }

    /// Appends bytes as they arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The buffer to read into, reserving `chunk` bytes of room.
    pub(crate) fn buffer(&mut self, chunk: usize) -> &mut BytesMut {
        self.buf.reserve(chunk);
        &mut self.buf
    }

    /// Lets go of the buffer's memory when nothing is buffered: idle sockets keep no buffer.
    pub(crate) fn release_if_empty(&mut self) {
        if self.buf.is_empty() {
            self.buf = BytesMut::new();
        }
    }

    /// Whether the stream ending now would cut a frame or a message.
    pub fn mid_message(&self) -> bool {
        !self.buf.is_empty() || self.partial.is_some()
    }

    /// Takes whole frames off the buffer until one completes a message: `Ok(None)` until
    /// more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Message>, ReadError> {
        loop {
            let assembled = self.partial.as_ref().map_or(0, |p| p.data.len());
            let room = self.max_message.saturating_sub(assembled);
            let header = match frame::parse_header(&self.buf, self.max_message) {
                Ok(Some(h)) => h,
                Ok(None) => return Ok(None),
                Err(HeaderError::TooBig) => return Err(ReadError::TooBig),
                Err(HeaderError::Protocol(rule)) => return Err(ReadError::Protocol(rule)),
            };
            if !frame::is_control(header.opcode) && header.len > room {
                return Err(ReadError::TooBig);
            }
            if self.buf.len() < header.header_len + header.len {
                return Ok(None);
            }
            let _ = self.buf.split_to(header.header_len);
            let mut payload = self.buf.split_to(header.len);
            frame::unmask(&mut payload, header.mask);
            if let Some(m) = self.take_frame(header.fin, header.opcode, payload)? {
                return Ok(Some(m));
            }
        }
    }

    /// One unmasked frame: a control message, a whole message, or a fragment to keep.
    fn take_frame(
        &mut self,
        fin: bool,
        opcode: u8,
        payload: BytesMut,
    ) -> Result<Option<Message>, ReadError> {
        let (text, data) = match opcode {
            frame::OP_PING => return Ok(Some(Message::Ping(payload.freeze()))),
            frame::OP_PONG => return Ok(Some(Message::Pong(payload.freeze()))),
            frame::OP_CLOSE => return close_frame(&payload).map(|c| Some(Message::Close(c))),
            frame::OP_CONTINUATION => match self.partial.as_mut() {
                None => return Err(ReadError::Protocol("continuation without a message")),
                Some(p) => {
                    p.data.extend_from_slice(&payload);
                    if !fin {
                        return Ok(None);
                    }
                    let p = self.partial.take().map(|p| (p.text, p.data));
                    p.unwrap_or_default()
                }
            },
            _ if self.partial.is_some() => {
                return Err(ReadError::Protocol("new message inside a fragmented one"))
            }
            op if !fin => {
                self.partial = Some(Partial {
                    text: op == frame::OP_TEXT,
                    data: payload,
                });
                return Ok(None);
            }
            op => (op == frame::OP_TEXT, payload),
        };
        let data = data.freeze();
        if text {
            ByteString::try_from(data)
                .map(|t| Some(Message::Text(t)))
                .map_err(|_| ReadError::InvalidUtf8)
        } else {
            Ok(Some(Message::Binary(data)))
        }
    }
}

/// The code and reason of a client's close frame.
fn close_frame(payload: &[u8]) -> Result<Option<CloseFrame>, ReadError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ReadError::Protocol("close frame of one byte")),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            let reason = std::str::from_utf8(reason).map_err(|_| ReadError::InvalidUtf8)?;
            Ok(Some(CloseFrame {
                code,
                reason: reason.to_string(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::websocket::frame::client_frame;

    #[test]
    fn close_payloads() {
        assert!(matches!(close_frame(&[]), Ok(None)));
        assert!(matches!(close_frame(&[3]), Err(ReadError::Protocol(_))));
        let c = close_frame(&[0x0F, 0xA0, b'b', b'y', b'e'])
            .unwrap()
            .unwrap();
        assert_eq!((c.code, c.reason.as_str()), (4000, "bye"));
        assert!(matches!(
            close_frame(&[3, 232, 0xFF]),
            Err(ReadError::InvalidUtf8)
        ));
    }

    #[test]
    fn fragments_may_arrive_in_any_pieces() {
        const M: [u8; 4] = [1, 2, 3, 4];
        let mut wire = client_frame(0x01, b"hel", M);
        wire.extend(client_frame(0x8A, b"", M));
        wire.extend(client_frame(0x80, b"lo", M));
        for cut in 0..wire.len() {
            let mut a = Assembler::new(BytesMut::new(), 100);
            a.push(&wire[..cut]);
            let mut got = Vec::new();
            while let Some(m) = a.next_message().unwrap() {
                got.push(m);
            }
            a.push(&wire[cut..]);
            while let Some(m) = a.next_message().unwrap() {
                got.push(m);
            }
            assert_eq!(
                got,
                vec![Message::Pong(Bytes::new()), Message::Text("hello".into())],
                "cut at {cut}"
            );
            assert!(!a.mid_message());
        }
    }
}
