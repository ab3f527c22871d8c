//! Engine.IO v4 packet codec: text packets, binary messages and the polling
//! payload format (`\x1e`-separated, binary as `b` + base64).

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use bytes::Bytes;
use std::fmt;

/// Record separator between packets of one polling payload.
pub const SEPARATOR: char = '\x1e';

/// Node's `Buffer.from(s, "base64")` accepts missing padding, so we do too.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One Engine.IO `message` payload: text or raw bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A text message (sent as `4<text>`).
    Text(String),
    /// A binary message (a WS binary frame, or `b<base64>` in polling).
    Binary(Bytes),
}

impl AsRef<[Frame]> for Frame {
    fn as_ref(&self) -> &[Frame] {
        std::slice::from_ref(self)
    }
}

/// An Engine.IO v4 packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnginePacket {
    /// `0` + handshake JSON.
    Open(String),
    /// `1`.
    Close,
    /// `2` with optional data (`probe`).
    Ping(String),
    /// `3` with optional data (`probe`).
    Pong(String),
    /// `4` + text, or a binary message.
    Message(Frame),
    /// `5`.
    Upgrade,
    /// `6`.
    Noop,
}

/// A packet that does not follow the Engine.IO v4 grammar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineParseError(pub &'static str);

impl fmt::Display for EngineParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "engine.io parse error: {}", self.0)
    }
}

impl std::error::Error for EngineParseError {}

impl EnginePacket {
    /// Decodes one text packet (a WS text frame or one polling record without `b`).
    pub fn decode_text(s: &str) -> Result<EnginePacket, EngineParseError> {
        let mut chars = s.chars();
        let kind = chars.next().ok_or(EngineParseError("empty packet"))?;
        let rest = chars.as_str();
        Ok(match kind {
            '0' => EnginePacket::Open(rest.to_owned()),
            '1' => EnginePacket::Close,
            '2' => EnginePacket::Ping(rest.to_owned()),
            '3' => EnginePacket::Pong(rest.to_owned()),
            '4' => EnginePacket::Message(Frame::Text(rest.to_owned())),
            '5' => EnginePacket::Upgrade,
            '6' => EnginePacket::Noop,
            _ => return Err(EngineParseError("unknown packet type")),
        })
    }

    /// Encodes a non-binary packet as text; `None` for a binary message.
    pub fn encode_text(&self) -> Option<String> {
        Some(match self {
            EnginePacket::Open(d) => format!("0{d}"),
            EnginePacket::Close => "1".to_owned(),
            EnginePacket::Ping(d) => format!("2{d}"),
            EnginePacket::Pong(d) => format!("3{d}"),
            EnginePacket::Message(Frame::Text(t)) => format!("4{t}"),
            EnginePacket::Message(Frame::Binary(_)) => return None,
            EnginePacket::Upgrade => "5".to_owned(),
            EnginePacket::Noop => "6".to_owned(),
        })
    }
}

/// Appends one packet to a polling payload under construction.
pub fn push_payload_packet(out: &mut String, packet: &EnginePacket) {
    if !out.is_empty() {
        out.push(SEPARATOR);
    }
    match packet {
        EnginePacket::Message(frame) => push_payload_frame_inner(out, frame),
        other => {
            if let Some(t) = other.encode_text() {
                out.push_str(&t);
            }
        }
    }
}

/// Appends one message frame to a polling payload under construction.
pub fn push_payload_frame(out: &mut String, frame: &Frame) {
    if !out.is_empty() {
        out.push(SEPARATOR);
    }
    push_payload_frame_inner(out, frame);
}

fn push_payload_frame_inner(out: &mut String, frame: &Frame) {
    match frame {
        Frame::Text(t) => {
            out.push('4');
            out.push_str(t);
        }
        Frame::Binary(b) => {
            out.push('b');
            STANDARD.encode_string(b, out);
        }
    }
}

/// Encodes packets as one polling payload (`\x1e` between packets).
pub fn encode_payload(packets: &[EnginePacket]) -> String {
    let mut out = String::new();
    for p in packets {
        push_payload_packet(&mut out, p);
    }
    out
}

/// Decodes a polling payload; any bad record fails the whole payload.
pub fn decode_payload(body: &str) -> Result<Vec<EnginePacket>, EngineParseError> {
    body.split(SEPARATOR)
        .map(|record| {
            if let Some(b64) = record.strip_prefix('b') {
                // In v4 a leading `b` always means base64 binary, never a type char.
                LENIENT_B64
                    .decode(b64)
                    .map(|v| EnginePacket::Message(Frame::Binary(Bytes::from(v))))
                    .map_err(|_| EngineParseError("invalid base64"))
            } else {
                EnginePacket::decode_text(record)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> EnginePacket {
        EnginePacket::Message(Frame::Text(s.to_owned()))
    }

    #[test]
    fn decodes_every_type() {
        assert_eq!(
            EnginePacket::decode_text("0{\"sid\":\"x\"}").unwrap(),
            EnginePacket::Open("{\"sid\":\"x\"}".into())
        );
        assert_eq!(EnginePacket::decode_text("1").unwrap(), EnginePacket::Close);
        assert_eq!(
            EnginePacket::decode_text("2").unwrap(),
            EnginePacket::Ping(String::new())
        );
        assert_eq!(
            EnginePacket::decode_text("2probe").unwrap(),
            EnginePacket::Ping("probe".into())
        );
        assert_eq!(
            EnginePacket::decode_text("3probe").unwrap(),
            EnginePacket::Pong("probe".into())
        );
        assert_eq!(EnginePacket::decode_text("4hello").unwrap(), text("hello"));
        assert_eq!(EnginePacket::decode_text("4").unwrap(), text(""));
        assert_eq!(
            EnginePacket::decode_text("5").unwrap(),
            EnginePacket::Upgrade
        );
        assert_eq!(EnginePacket::decode_text("6").unwrap(), EnginePacket::Noop);
    }

    #[test]
    fn encodes_every_type() {
        assert_eq!(
            EnginePacket::Open("{}".into()).encode_text().unwrap(),
            "0{}"
        );
        assert_eq!(EnginePacket::Close.encode_text().unwrap(), "1");
        assert_eq!(
            EnginePacket::Ping(String::new()).encode_text().unwrap(),
            "2"
        );
        assert_eq!(
            EnginePacket::Pong("probe".into()).encode_text().unwrap(),
            "3probe"
        );
        assert_eq!(text("héllo").encode_text().unwrap(), "4héllo");
        assert_eq!(EnginePacket::Upgrade.encode_text().unwrap(), "5");
        assert_eq!(EnginePacket::Noop.encode_text().unwrap(), "6");
        assert_eq!(
            EnginePacket::Message(Frame::Binary(Bytes::from_static(b"x"))).encode_text(),
            None
        );
    }

    #[test]
    fn rejects_malformed_text() {
        assert!(EnginePacket::decode_text("").is_err());
        assert!(EnginePacket::decode_text("abc").is_err());
        assert!(EnginePacket::decode_text("7").is_err());
        assert!(EnginePacket::decode_text("b").is_err());
        assert!(EnginePacket::decode_text("é").is_err());
    }

    #[test]
    fn payload_round_trip_with_binary() {
        let packets = vec![
            text("hello"),
            EnginePacket::Message(Frame::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
            EnginePacket::Ping(String::new()),
        ];
        let encoded = encode_payload(&packets);
        assert_eq!(encoded, "4hello\x1ebAQIDBA==\x1e2");
        assert_eq!(decode_payload(&encoded).unwrap(), packets);
    }

    #[test]
    fn payload_batching() {
        let decoded = decode_payload("4test1\x1e4test2\x1e4test3").unwrap();
        assert_eq!(decoded, vec![text("test1"), text("test2"), text("test3")]);
        let mut out = String::new();
        push_payload_frame(&mut out, &Frame::Text("a".into()));
        push_payload_packet(&mut out, &EnginePacket::Noop);
        push_payload_frame(&mut out, &Frame::Binary(Bytes::from_static(b"\x00")));
        assert_eq!(out, "4a\x1e6\x1ebAA==");
    }

    #[test]
    fn payload_binary_starting_like_a_type_char() {
        // "4" base64-encodes as "NA=="; the `b` prefix must win over the type char.
        let decoded = decode_payload("bNA==").unwrap();
        assert_eq!(
            decoded,
            vec![EnginePacket::Message(Frame::Binary(Bytes::from_static(
                b"4"
            )))]
        );
        // Missing padding is accepted like Node's decoder does.
        assert_eq!(
            decode_payload("bAQIDBA").unwrap(),
            vec![EnginePacket::Message(Frame::Binary(Bytes::from_static(&[
                1, 2, 3, 4
            ])))]
        );
    }

    #[test]
    fn payload_rejects_malformed() {
        assert!(decode_payload("").is_err());
        assert!(decode_payload("abc").is_err());
        assert!(decode_payload("4a\x1e").is_err());
        assert!(decode_payload("b!!!").is_err());
        assert!(decode_payload("4ok\x1e9").is_err());
    }
}
