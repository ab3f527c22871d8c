//! Client frames in, whole messages out: the protocol half of the WebSocket reader, without
//! I/O. Fragments are joined, control frames pass through between them, and every rule a
//! server must enforce on client frames is checked here.
//!
//! A data frame's payload is taken as its bytes arrive, not once the frame is whole, so a text
//! message that stops being UTF-8 is refused at the first bad byte (RFC 6455 §8.1 fail-fast),
//! even in the middle of a frame.

use std::io;

use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

use super::frame::{self, Header, HeaderError};

/// The most frames one message may have. Each non-empty frame adds at least one byte, so the
/// byte limit already bounds a 64 KiB message to 65,536 frames; this bounds large limits too.
/// 131,072 is twice what the most fragmented legitimate sender we know of needs (Autobahn 9.3.1
/// and 9.4.1: a 4 MiB message in 64-byte fragments), while browsers send one frame a message.
pub const MAX_FRAMES_PER_MESSAGE: usize = 131_072;

/// The most empty (zero-length) continuation frames one message may have. They add nothing to
/// the message, so neither the byte limit nor the message rate limit ever sees them: without
/// this cap one socket could keep a core busy with them forever. Legitimate senders emit at
/// most one (an empty final fragment); 16 leaves ample room.
pub const MAX_EMPTY_CONTINUATIONS: usize = 16;

/// One message from the client; fragments are already joined.
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message (checked UTF-8).
    Text(ByteString),
    /// A binary message.
    Binary(Bytes),
    /// A ping; the owner answers it with [`Writer::pong`](super::Writer::pong).
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The client's close frame (its code already checked); the reader yields nothing after it.
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

impl CloseFrame {
    /// The close frame that answers a client's close: its code echoed (RFC 6455 §5.5.1) without
    /// a reason, or no code when the client gave none. The assembler has refused every code that
    /// may not be sent, so echoing is always valid.
    pub fn reply_to(client: Option<&CloseFrame>) -> Option<CloseFrame> {
        client.map(|c| CloseFrame {
            code: c.code,
            reason: String::new(),
        })
    }
}

/// Whether a close code may appear in a close frame (RFC 6455 §7.4.1–§7.4.2 and the IANA
/// registry): 1000–1003 and 1007–1014 are registered for use on the wire, 3000–4999 belong to
/// libraries and applications. 1004 is reserved, 1005, 1006 and 1015 must never be sent, and the
/// rest of 1000–2999 is unassigned.
pub fn close_code_allowed(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Why reading stopped.
#[derive(Debug)]
pub enum ReadError {
    /// A message longer than the limit, in bytes (close code 1009).
    TooBig {
        /// The limit the message went over.
        limit: usize,
    },
    /// A message of more than [`MAX_FRAMES_PER_MESSAGE`] frames (close code 1009).
    TooManyFrames,
    /// A message with more than [`MAX_EMPTY_CONTINUATIONS`] empty continuations (close code 1008).
    TooManyEmptyFrames,
    /// The client broke RFC 6455; the text names the rule (close code 1002).
    Protocol(&'static str),
    /// A text message that is not UTF-8 (close code 1007).
    InvalidUtf8,
    /// The connection failed.
    Io(io::Error),
}

impl ReadError {
    /// The close frame that answers this error; `None` when the connection itself failed.
    pub fn close_frame(&self) -> Option<CloseFrame> {
        let (code, reason) = match self {
            ReadError::TooBig { limit } => (1009, format!("Message over {limit} bytes")),
            ReadError::TooManyFrames => (
                1009,
                format!("Message of more than {MAX_FRAMES_PER_MESSAGE} frames"),
            ),
            ReadError::TooManyEmptyFrames => (
                1008,
                format!("More than {MAX_EMPTY_CONTINUATIONS} empty continuation frames"),
            ),
            ReadError::Protocol(rule) => (1002, format!("Protocol error: {rule}")),
            ReadError::InvalidUtf8 => (1007, "Invalid UTF-8".to_string()),
            ReadError::Io(_) => return None,
        };
        Some(CloseFrame { code, reason })
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooBig { limit } => write!(f, "message over {limit} bytes"),
            ReadError::TooManyFrames => {
                write!(f, "message of more than {MAX_FRAMES_PER_MESSAGE} frames")
            }
            ReadError::TooManyEmptyFrames => write!(
                f,
                "more than {MAX_EMPTY_CONTINUATIONS} empty continuation frames in a message"
            ),
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
    /// How many leading bytes of `data` are known to be UTF-8 (text only); the rest, at most
    /// three bytes, is the start of a code point whose remaining bytes have not arrived.
    checked: usize,
    /// Frames so far.
    frames: usize,
    /// Empty continuation frames so far.
    empty: usize,
}

impl Partial {
    /// Appends payload bytes, checking text as far as it can be checked.
    fn extend(&mut self, bytes: BytesMut) -> Result<(), ReadError> {
        if self.data.is_empty() {
            // The common case, a message of one frame that arrived whole, copies nothing.
            self.data = bytes;
        } else {
            self.data.extend_from_slice(&bytes);
        }
        if self.text {
            match std::str::from_utf8(&self.data[self.checked..]) {
                Ok(_) => self.checked = self.data.len(),
                // Cut short, not wrong: the code point may be completed by the next bytes.
                Err(e) if e.error_len().is_none() => self.checked += e.valid_up_to(),
                Err(_) => return Err(ReadError::InvalidUtf8),
            }
        }
        Ok(())
    }

    /// The finished message.
    fn finish(self) -> Result<Message, ReadError> {
        let data = self.data.freeze();
        if !self.text {
            return Ok(Message::Binary(data));
        }
        if self.checked != data.len() {
            return Err(ReadError::InvalidUtf8);
        }
        ByteString::try_from(data)
            .map(Message::Text)
            .map_err(|_| ReadError::InvalidUtf8)
    }
}

/// A data frame whose payload is still arriving.
struct Current {
    fin: bool,
    mask: [u8; 4],
    /// Payload bytes not yet taken.
    remaining: usize,
    /// Payload bytes taken so far (where the mask continues).
    taken: usize,
}

/// Buffered client bytes and the message being assembled from them.
pub struct Assembler {
    buf: BytesMut,
    max_message: usize,
    partial: Option<Partial>,
    current: Option<Current>,
}

impl Assembler {
    /// An assembler holding `early` bytes; messages over `max_message` bytes are refused.
    pub fn new(early: BytesMut, max_message: usize) -> Assembler {
        Assembler {
            buf: early,
            max_message,
            partial: None,
            current: None,
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

    /// Takes client bytes off the buffer until a message is complete: `Ok(None)` until more
    /// bytes are needed. Data frames are consumed as far as their bytes have arrived.
    pub fn next_message(&mut self) -> Result<Option<Message>, ReadError> {
        loop {
            if self.current.is_some() {
                match self.take_payload()? {
                    Progress::Message(m) => return Ok(Some(m)),
                    Progress::More => continue,
                    Progress::Wait => return Ok(None),
                }
            }
            let header = match frame::parse_header(&self.buf, self.max_message) {
                Ok(Some(h)) => h,
                Ok(None) => return Ok(None),
                Err(HeaderError::TooBig) => {
                    return Err(ReadError::TooBig {
                        limit: self.max_message,
                    })
                }
                Err(HeaderError::Protocol(rule)) => return Err(ReadError::Protocol(rule)),
            };
            if frame::is_control(header.opcode) {
                // At most 125 bytes: taken whole.
                if self.buf.len() < header.header_len + header.len {
                    return Ok(None);
                }
                let _ = self.buf.split_to(header.header_len);
                let mut payload = self.buf.split_to(header.len);
                frame::unmask(&mut payload, header.mask);
                return control(header.opcode, payload).map(Some);
            }
            self.start_data_frame(&header)?;
            let _ = self.buf.split_to(header.header_len);
        }
    }

    /// Checks a data frame's header against the message it starts or continues.
    fn start_data_frame(&mut self, h: &Header) -> Result<(), ReadError> {
        match (h.opcode, self.partial.as_mut()) {
            (frame::OP_CONTINUATION, None) => {
                return Err(ReadError::Protocol("continuation without a message"))
            }
            (frame::OP_CONTINUATION, Some(p)) => {
                p.frames += 1;
                if p.frames > MAX_FRAMES_PER_MESSAGE {
                    return Err(ReadError::TooManyFrames);
                }
                if h.len == 0 {
                    p.empty += 1;
                    if p.empty > MAX_EMPTY_CONTINUATIONS {
                        return Err(ReadError::TooManyEmptyFrames);
                    }
                }
                if h.len > self.max_message.saturating_sub(p.data.len()) {
                    return Err(ReadError::TooBig {
                        limit: self.max_message,
                    });
                }
            }
            (_, Some(_)) => return Err(ReadError::Protocol("new message inside a fragmented one")),
            (opcode, None) => {
                self.partial = Some(Partial {
                    text: opcode == frame::OP_TEXT,
                    data: BytesMut::new(),
                    checked: 0,
                    frames: 1,
                    empty: 0,
                });
            }
        }
        self.current = Some(Current {
            fin: h.fin,
            mask: h.mask,
            remaining: h.len,
            taken: 0,
        });
        Ok(())
    }

    /// Moves what has arrived of the current data frame's payload into the message.
    fn take_payload(&mut self) -> Result<Progress, ReadError> {
        let (Some(cur), Some(p)) = (self.current.as_mut(), self.partial.as_mut()) else {
            // A data frame always belongs to a message; nothing to take otherwise.
            self.current = None;
            return Ok(Progress::More);
        };
        let n = cur.remaining.min(self.buf.len());
        if n > 0 {
            let mut chunk = self.buf.split_to(n);
            frame::unmask(&mut chunk, mask_at(cur.mask, cur.taken));
            cur.taken += n;
            cur.remaining -= n;
            p.extend(chunk)?;
        }
        if cur.remaining > 0 {
            return Ok(Progress::Wait);
        }
        let fin = cur.fin;
        self.current = None;
        if !fin {
            return Ok(Progress::More);
        }
        match self.partial.take() {
            Some(p) => p.finish().map(Progress::Message),
            None => Ok(Progress::More),
        }
    }
}

/// What taking a data frame's payload came to.
enum Progress {
    /// A message is complete.
    Message(Message),
    /// The frame is complete but its message is not: read the next frame.
    More,
    /// The frame needs more bytes.
    Wait,
}

/// The masking key as it continues `offset` bytes into a payload.
fn mask_at(mask: [u8; 4], offset: usize) -> [u8; 4] {
    let mut m = mask;
    m.rotate_left(offset % 4);
    m
}

/// A whole, unmasked control frame as a message.
fn control(opcode: u8, payload: BytesMut) -> Result<Message, ReadError> {
    match opcode {
        frame::OP_PING => Ok(Message::Ping(payload.freeze())),
        frame::OP_PONG => Ok(Message::Pong(payload.freeze())),
        _ => close_frame(&payload).map(Message::Close),
    }
}

/// The code and reason of a client's close frame; a code that may not be sent is a protocol
/// error (RFC 6455 §7.4), answered with 1002 rather than echoed.
fn close_frame(payload: &[u8]) -> Result<Option<CloseFrame>, ReadError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ReadError::Protocol("close frame of one byte")),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !close_code_allowed(code) {
                return Err(ReadError::Protocol("close code not allowed on the wire"));
            }
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
    use crate::frame::client_frame;

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

    /// Feeds `wire` and collects every message until the first error.
    fn run(a: &mut Assembler, wire: &[u8]) -> Result<Vec<Message>, ReadError> {
        a.push(wire);
        let mut got = Vec::new();
        while let Some(m) = a.next_message()? {
            got.push(m);
        }
        Ok(got)
    }

    const K: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

    #[test]
    fn close_codes_follow_rfc_6455_section_7_4() {
        // (code, may be sent): the edges of every range, and Autobahn 7.7.x / 7.9.x.
        let table: &[(u16, bool)] = &[
            (0, false),
            (999, false),
            (1000, true),
            (1001, true),
            (1002, true),
            (1003, true),
            (1004, false),
            (1005, false),
            (1006, false),
            (1007, true),
            (1008, true),
            (1009, true),
            (1010, true),
            (1011, true),
            (1012, true),
            (1013, true),
            (1014, true),
            (1015, false),
            (1016, false),
            (1100, false),
            (2000, false),
            (2999, false),
            (3000, true),
            (3999, true),
            (4000, true),
            (4999, true),
            (5000, false),
            (u16::MAX, false),
        ];
        for &(code, allowed) in table {
            assert_eq!(close_code_allowed(code), allowed, "code {code}");
            let mut a = Assembler::new(BytesMut::new(), 100);
            let wire = client_frame(0x88, &[&code.to_be_bytes()[..], b"x"].concat(), K);
            match run(&mut a, &wire) {
                Ok(got) if allowed => assert_eq!(
                    got,
                    vec![Message::Close(Some(CloseFrame {
                        code,
                        reason: "x".into()
                    }))]
                ),
                Err(e) if !allowed => {
                    assert!(matches!(e, ReadError::Protocol(_)), "{e}");
                    assert_eq!(e.close_frame().map(|c| c.code), Some(1002));
                }
                other => panic!("code {code}: {other:?}"),
            }
        }
        let allowed = (0..=u16::MAX).filter(|&c| close_code_allowed(c)).count();
        assert_eq!(allowed, 4 + 8 + 2000);
        // The reply echoes a valid code without the reason, and sends none for none.
        let c = CloseFrame {
            code: 4001,
            reason: "bye".into(),
        };
        assert_eq!(
            CloseFrame::reply_to(Some(&c)).map(|r| (r.code, r.reason)),
            Some((4001, String::new()))
        );
        assert_eq!(CloseFrame::reply_to(None), None);
    }

    #[test]
    fn each_error_has_its_close_code_and_names_its_limit() {
        let codes: Vec<_> = [
            ReadError::TooBig { limit: 10 },
            ReadError::TooManyFrames,
            ReadError::TooManyEmptyFrames,
            ReadError::Protocol("x"),
            ReadError::InvalidUtf8,
        ]
        .iter()
        .map(|e| e.close_frame().unwrap())
        .collect();
        let nums: Vec<u16> = codes.iter().map(|c| c.code).collect();
        assert_eq!(nums, [1009, 1009, 1008, 1002, 1007]);
        assert_eq!(codes[0].reason, "Message over 10 bytes");
        assert_eq!(codes[3].reason, "Protocol error: x");
        assert_eq!(codes[1].reason, "Message of more than 131072 frames");
        assert_eq!(codes[2].reason, "More than 16 empty continuation frames");
        assert!(ReadError::Io(io::ErrorKind::BrokenPipe.into())
            .close_frame()
            .is_none());
    }

    #[test]
    fn invalid_utf8_fails_at_the_fragment_that_brings_it() {
        let mut a = Assembler::new(BytesMut::new(), 1000);
        // "κόσμε" then a fragment with U+110000's encoding: refused before any FIN arrives.
        assert!(run(&mut a, &client_frame(0x01, "κόσμε".as_bytes(), K))
            .unwrap()
            .is_empty());
        let e = run(&mut a, &client_frame(0x00, &[0xF4, 0x90, 0x80, 0x80], K)).unwrap_err();
        assert!(matches!(e, ReadError::InvalidUtf8), "{e}");
        assert_eq!(e.close_frame().map(|c| c.code), Some(1007));
    }

    #[test]
    fn invalid_utf8_fails_in_the_middle_of_a_frame() {
        // One frame of 40 bytes of which only the first 12 arrived, the bad byte among them.
        let mut payload = b"hello".to_vec();
        payload.push(0xFF);
        payload.resize(40, b'a');
        let wire = client_frame(0x81, &payload, K);
        let mut a = Assembler::new(BytesMut::new(), 1000);
        assert!(matches!(run(&mut a, &wire[..6 + 5]), Ok(v) if v.is_empty()));
        assert!(matches!(
            run(&mut a, &wire[11..12]),
            Err(ReadError::InvalidUtf8)
        ));
        // A prefix that can start no code point (F4 90 is above U+10FFFF) fails at once too.
        let mut a = Assembler::new(BytesMut::new(), 1000);
        let e = run(&mut a, &client_frame(0x01, &[b'a', 0xF4, 0x90], K)).unwrap_err();
        assert!(matches!(e, ReadError::InvalidUtf8));
    }

    #[test]
    fn a_code_point_may_be_split_between_fragments() {
        // "€" (E2 82 AC) cut after each byte, "é" (C3 A9) across three frames with an empty one.
        let euro = "a€b".as_bytes();
        for cut in 1..euro.len() {
            let mut wire = client_frame(0x01, &euro[..cut], K);
            wire.extend(client_frame(0x80, &euro[cut..], K));
            for piece in 1..wire.len() {
                let mut a = Assembler::new(BytesMut::new(), 100);
                let mut got = run(&mut a, &wire[..piece]).unwrap();
                got.extend(run(&mut a, &wire[piece..]).unwrap());
                assert_eq!(
                    got,
                    vec![Message::Text("a€b".into())],
                    "cut {cut} piece {piece}"
                );
            }
        }
        let mut wire = client_frame(0x01, &[0xC3], K);
        wire.extend(client_frame(0x00, b"", K));
        wire.extend(client_frame(0x80, &[0xA9], K));
        let mut a = Assembler::new(BytesMut::new(), 100);
        assert_eq!(run(&mut a, &wire).unwrap(), vec![Message::Text("é".into())]);
        // The second half is wrong: refused when it arrives.
        let mut a = Assembler::new(BytesMut::new(), 100);
        assert!(run(&mut a, &client_frame(0x01, &[0xC3], K))
            .unwrap()
            .is_empty());
        assert!(matches!(
            run(&mut a, &client_frame(0x00, b"(", K)),
            Err(ReadError::InvalidUtf8)
        ));
        // A message that ends inside a code point is refused at its last frame.
        let mut a = Assembler::new(BytesMut::new(), 100);
        assert!(run(&mut a, &client_frame(0x01, b"ok", K))
            .unwrap()
            .is_empty());
        assert!(matches!(
            run(&mut a, &client_frame(0x80, &[0xE2, 0x82], K)),
            Err(ReadError::InvalidUtf8)
        ));
    }

    #[test]
    fn empty_continuations_are_capped() {
        let mut wire = client_frame(0x02, b"x", K);
        for _ in 0..MAX_EMPTY_CONTINUATIONS - 1 {
            wire.extend(client_frame(0x00, b"", K));
        }
        wire.extend(client_frame(0x80, b"", K));
        let mut a = Assembler::new(BytesMut::new(), 100);
        assert_eq!(
            run(&mut a, &wire).unwrap(),
            vec![Message::Binary(Bytes::from_static(b"x"))]
        );
        // One more empty frame is refused as soon as its header has arrived.
        let mut wire = client_frame(0x01, b"", K);
        for _ in 0..MAX_EMPTY_CONTINUATIONS {
            wire.extend(client_frame(0x00, b"", K));
        }
        let mut a = Assembler::new(BytesMut::new(), 100);
        assert!(run(&mut a, &wire).unwrap().is_empty());
        let more = client_frame(0x00, b"", K);
        assert!(matches!(
            run(&mut a, &more),
            Err(ReadError::TooManyEmptyFrames)
        ));
    }

    #[test]
    fn frames_per_message_are_capped() {
        let mut wire = client_frame(0x02, b"a", K);
        for _ in 1..MAX_FRAMES_PER_MESSAGE - 1 {
            wire.extend(client_frame(0x00, b"a", K));
        }
        let last = client_frame(0x80, b"a", K);
        let mut a = Assembler::new(BytesMut::new(), 1 << 20);
        assert!(run(&mut a, &wire).unwrap().is_empty());
        let mut b = Assembler::new(BytesMut::new(), 1 << 20);
        assert!(run(&mut b, &wire).unwrap().is_empty());
        match run(&mut a, &last).unwrap().as_slice() {
            [Message::Binary(m)] => assert_eq!(m.len(), MAX_FRAMES_PER_MESSAGE),
            other => panic!("{other:?}"),
        }
        // The same message with one frame more is refused.
        assert!(run(&mut b, &client_frame(0x00, b"a", K))
            .unwrap()
            .is_empty());
        assert!(matches!(run(&mut b, &last), Err(ReadError::TooManyFrames)));
    }
}
