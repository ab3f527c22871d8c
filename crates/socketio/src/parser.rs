//! Parser selection per connection (sniffed from the client's first packet), the stateful
//! decoder (binary attachments), and pre-encoded packets shared across sockets.

use super::engine_packet::Frame;
use super::packet::{Packet, PacketType, ParseError, Payload};
use super::{parser_json, parser_msgpack};
use std::sync::Arc;

/// Which Socket.IO parser a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParserKind {
    /// The default text parser (socket.io-parser).
    Json,
    /// socket.io-msgpack-parser.
    Msgpack,
}

impl ParserKind {
    /// Encodes a packet into the messages this parser sends.
    pub fn encode(self, packet: &Packet) -> Vec<Frame> {
        match self {
            ParserKind::Json => parser_json::encode(packet),
            ParserKind::Msgpack => vec![parser_msgpack::encode(packet)],
        }
    }
}

/// A packet encoded once for one parser and namespace, shareable by any number of sockets.
#[derive(Debug)]
pub struct Encoded {
    parser: ParserKind,
    nsp: String,
    frames: Vec<Frame>,
}

impl Encoded {
    /// Encodes `packet` for `parser`.
    pub fn new(parser: ParserKind, packet: &Packet) -> Encoded {
        Encoded {
            parser,
            nsp: packet.nsp.clone(),
            frames: parser.encode(packet),
        }
    }

    /// The parser these bytes are for.
    pub fn parser(&self) -> ParserKind {
        self.parser
    }

    /// The namespace these bytes address.
    pub fn nsp(&self) -> &str {
        &self.nsp
    }

    /// The Engine.IO messages (header first, then attachments).
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }
}

impl AsRef<[Frame]> for Encoded {
    fn as_ref(&self) -> &[Frame] {
        &self.frames
    }
}

/// Encodes an EVENT once, to be sent with `Socket::send_encoded` to many sockets.
pub fn encode_event(parser: ParserKind, nsp: &str, event: &str, data: &Payload) -> Arc<Encoded> {
    Arc::new(Encoded::new(parser, &Packet::event(nsp, event, data, None)))
}

/// Attachment bytes one packet may have pending unless [`Decoder::with_attachment_bytes`]
/// says otherwise (the reference's default `maxHttpBufferSize`).
pub const DEFAULT_ATTACHMENT_BYTES: usize = 1_000_000;

/// A default-parser packet waiting for its attachments.
#[derive(Debug)]
struct Pending {
    packet: Packet,
    expected: usize,
    bytes: usize,
}

/// Per-connection decoder: locks the parser on the first packet and reassembles
/// default-parser packets with binary attachments.
#[derive(Debug)]
pub struct Decoder {
    kind: Option<ParserKind>,
    max_attachments: usize,
    max_attachment_bytes: usize,
    pending: Option<Pending>,
}

impl Decoder {
    /// A decoder for a new connection, accepting at most `max_attachments` per packet.
    pub fn new(max_attachments: usize) -> Decoder {
        Decoder {
            kind: None,
            max_attachments,
            max_attachment_bytes: DEFAULT_ATTACHMENT_BYTES,
            pending: None,
        }
    }

    /// Limits the bytes of one packet's attachments (only one packet is pending at a time, so
    /// this bounds what the connection holds in attachments).
    pub fn with_attachment_bytes(mut self, max: usize) -> Decoder {
        self.max_attachment_bytes = max;
        self
    }

    /// The parser, once the first packet decided it.
    pub fn kind(&self) -> Option<ParserKind> {
        self.kind
    }

    /// Whether a packet is waiting for attachments.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Attachment bytes held for the pending packet.
    pub fn pending_bytes(&self) -> usize {
        self.pending.as_ref().map_or(0, |p| p.bytes)
    }

    /// Feeds one Engine.IO message; returns a packet once it is complete.
    pub fn feed(&mut self, frame: Frame) -> Result<Option<Packet>, ParseError> {
        self.feed_for(frame, |_| true)
    }

    /// Like [`feed`](Self::feed), but a packet announcing attachments for a namespace where
    /// `joined` is false is refused at its header, before any attachment is kept.
    pub fn feed_for(
        &mut self,
        frame: Frame,
        joined: impl Fn(&str) -> bool,
    ) -> Result<Option<Packet>, ParseError> {
        // A client's first packet is always CONNECT: text with the default parser, binary
        // with msgpack. That is the only way to tell them apart.
        let kind = *self.kind.get_or_insert(match frame {
            Frame::Text(_) => ParserKind::Json,
            Frame::Binary(_) => ParserKind::Msgpack,
        });
        match (kind, frame) {
            (ParserKind::Msgpack, Frame::Binary(b)) => parser_msgpack::decode(&b).map(Some),
            (ParserKind::Msgpack, Frame::Text(_)) => {
                Err(ParseError("text on a msgpack connection"))
            }
            (ParserKind::Json, Frame::Text(t)) => {
                if self.pending.is_some() {
                    return Err(ParseError("text while attachments are pending"));
                }
                let (packet, n) = parser_json::decode(&t, self.max_attachments)?;
                if n == 0 {
                    // Placeholders only mean something in BINARY_* packets (as in the reference).
                    if matches!(packet.kind, PacketType::BinaryEvent | PacketType::BinaryAck) {
                        parser_json::check_placeholders(&packet)?;
                    }
                    return Ok(Some(packet));
                }
                if !joined(&packet.nsp) {
                    return Err(ParseError("attachments for a namespace not joined"));
                }
                self.pending = Some(Pending {
                    packet,
                    expected: n,
                    bytes: 0,
                });
                Ok(None)
            }
            (ParserKind::Json, Frame::Binary(b)) => {
                let Some(mut p) = self.pending.take() else {
                    return Err(ParseError("attachment without a header"));
                };
                p.bytes = p.bytes.saturating_add(b.len());
                if p.bytes > self.max_attachment_bytes {
                    return Err(ParseError("attachments over the byte limit"));
                }
                p.packet.attachments.push(b);
                if p.packet.attachments.len() < p.expected {
                    self.pending = Some(p);
                    return Ok(None);
                }
                parser_json::check_placeholders(&p.packet)?;
                Ok(Some(p.packet))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::json;

    #[test]
    fn sniffs_json_and_reassembles_attachments() {
        let mut d = Decoder::new(10);
        let p = d.feed(Frame::Text("0".into())).unwrap().unwrap();
        assert_eq!(p.kind, PacketType::Connect);
        assert_eq!(d.kind(), Some(ParserKind::Json));
        assert!(d
            .feed(Frame::Text(
                "52-[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"
                    .into()
            ))
            .unwrap()
            .is_none());
        assert!(d
            .feed(Frame::Binary(Bytes::from_static(&[1])))
            .unwrap()
            .is_none());
        let p = d
            .feed(Frame::Binary(Bytes::from_static(&[2])))
            .unwrap()
            .unwrap();
        assert_eq!(p.attachments.len(), 2);
        // Zero attachments complete at once.
        assert!(d.feed(Frame::Text("50-[\"m\"]".into())).unwrap().is_some());
    }

    #[test]
    fn json_attachment_errors() {
        let mut d = Decoder::new(10);
        d.feed(Frame::Text("0".into())).unwrap();
        assert!(d.feed(Frame::Binary(Bytes::from_static(&[1]))).is_err());
        let mut d = Decoder::new(10);
        d.feed(Frame::Text(
            "51-[\"m\",{\"_placeholder\":true,\"num\":0}]".into(),
        ))
        .unwrap();
        assert!(d.feed(Frame::Text("2[\"x\"]".into())).is_err());
        let mut d = Decoder::new(10);
        assert!(d
            .feed(Frame::Text(
                "50-[\"m\",{\"_placeholder\":true,\"num\":0}]".into()
            ))
            .is_err());
        // In a plain EVENT a placeholder-shaped object is just data.
        let mut d = Decoder::new(10);
        assert!(d
            .feed(Frame::Text(
                "2[\"m\",{\"_placeholder\":true,\"num\":0}]".into()
            ))
            .unwrap()
            .is_some());
    }

    #[test]
    fn attachments_are_refused_past_the_byte_limit_and_for_unjoined_namespaces() {
        let header =
            "52-[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]";
        let mut d = Decoder::new(10).with_attachment_bytes(100);
        assert!(d.feed(Frame::Text(header.into())).unwrap().is_none());
        assert!(d.is_pending());
        assert!(d
            .feed(Frame::Binary(Bytes::from(vec![0u8; 60])))
            .unwrap()
            .is_none());
        assert_eq!(d.pending_bytes(), 60);
        let e = d
            .feed(Frame::Binary(Bytes::from(vec![0u8; 41])))
            .unwrap_err();
        assert_eq!(e, ParseError("attachments over the byte limit"));
        assert!(!d.is_pending());
        // Exactly the limit is fine.
        let mut d = Decoder::new(10).with_attachment_bytes(100);
        d.feed(Frame::Text(header.into())).unwrap();
        d.feed(Frame::Binary(Bytes::from(vec![0u8; 50]))).unwrap();
        let p = d.feed(Frame::Binary(Bytes::from(vec![0u8; 50]))).unwrap();
        assert_eq!(p.map(|p| p.attachments.len()), Some(2));
        // A header for a namespace not joined is refused before any attachment.
        let mut d = Decoder::new(10);
        let e = d
            .feed_for(Frame::Text(format!("51-/admin,{}", &header[3..])), |n| {
                n == "/"
            })
            .unwrap_err();
        assert_eq!(e, ParseError("attachments for a namespace not joined"));
        assert!(!d.is_pending());
        // Joined: accepted; packets without attachments are not checked here.
        assert!(d
            .feed_for(Frame::Text("2/admin,[\"x\"]".into()), |_| false)
            .unwrap()
            .is_some());
    }

    #[test]
    fn sniffs_msgpack_and_refuses_text_afterwards() {
        let mut d = Decoder::new(10);
        let connect = parser_msgpack::encode(&Packet {
            kind: PacketType::Connect,
            nsp: "/".into(),
            id: None,
            data: Some(json!({"token": "t"})),
            attachments: vec![],
        });
        let p = d.feed(connect).unwrap().unwrap();
        assert_eq!(p.data, Some(json!({"token": "t"})));
        assert_eq!(d.kind(), Some(ParserKind::Msgpack));
        assert!(d.feed(Frame::Text("2[\"x\"]".into())).is_err());
    }

    #[test]
    fn encode_event_once_per_parser() {
        let payload = Payload::new(vec![json!({"a": 1})]);
        let j = encode_event(ParserKind::Json, "/", "ev", &payload);
        assert_eq!(j.frames(), &[Frame::Text("2[\"ev\",{\"a\":1}]".into())]);
        let m = encode_event(ParserKind::Msgpack, "/", "ev", &payload);
        assert_eq!(m.parser(), ParserKind::Msgpack);
        let Frame::Binary(b) = &m.frames()[0] else {
            panic!("binary expected")
        };
        let p = parser_msgpack::decode(b).unwrap();
        assert_eq!(p.data, Some(json!(["ev", {"a": 1}])));
    }

    /// Deterministic pseudo-random inputs built from grammar fragments: every decoder must
    /// return (Ok or Err) and never panic, loop or overflow.
    #[test]
    fn fuzz_decoders_never_panic() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let pieces = [
            "0",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "7",
            "b",
            "-",
            "/",
            ",",
            "/ns",
            "12",
            "99999",
            "[",
            "]",
            "{",
            "}",
            "\"",
            "\"a\"",
            "null",
            "true",
            "1.5",
            "{\"_placeholder\":true,\"num\":0}",
            "\u{1e}",
            "é",
            "AQID",
            "=",
            ":",
            "\\",
        ];
        for _ in 0..20_000 {
            let n = (next() % 12) as usize;
            let text: String = (0..n)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            let _ = parser_json::decode(&text, 10);
            let _ = crate::engine_packet::decode_payload(&text);
            let mut d = Decoder::new(10);
            let _ = d.feed(Frame::Text(text.clone()));
            let _ = d.feed(Frame::Binary(Bytes::from(text.clone().into_bytes())));
            let len = (next() % 24) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| (next() & 0xff) as u8).collect();
            let _ = parser_msgpack::decode(&bytes);
            // Valid prefix + random tail exercises the map walker.
            let mut framed = vec![0x84, 0xa4, b't', b'y', b'p', b'e', 0x02];
            framed.extend_from_slice(&bytes);
            let _ = parser_msgpack::decode(&framed);
        }
    }
}
