//! The default Socket.IO parser: `parser_json::decode` on one text packet, and the
//! per-connection `Decoder` fed a sequence of text and binary messages. Nothing panics, the
//! attachment limit holds, and every complete packet survives encode → decode.
#![no_main]

use agentgate::socketio::engine_packet::Frame;
use agentgate::socketio::packet::{Packet, PacketType};
use agentgate::socketio::parser::{Decoder, ParserKind};
use agentgate::socketio::{parser_json, parser_msgpack};
use arbitrary::Arbitrary;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

#[path = "shared/attachments.rs"]
mod attachments;
use attachments::resolved;

#[derive(Arbitrary, Debug)]
enum Message {
    Text(String),
    Binary(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    max_attachments: u8,
    header: String,
    messages: Vec<Message>,
}

/// The packet as the JSON encoder will send it: BINARY_* without attachments goes out as
/// the plain type.
fn normalised(mut p: Packet) -> Packet {
    if p.attachments.is_empty() {
        p.kind = match p.kind {
            PacketType::BinaryEvent => PacketType::Event,
            PacketType::BinaryAck => PacketType::Ack,
            k => k,
        };
    }
    p
}

/// Feeds `frames` to a fresh decoder; the last one must complete exactly one packet.
fn decode_all(frames: Vec<Frame>, max_attachments: usize) -> Packet {
    let mut d = Decoder::new(max_attachments);
    let n = frames.len();
    let mut out = None;
    for (i, f) in frames.into_iter().enumerate() {
        let r = d.feed(f);
        match r {
            Ok(Some(p)) if i + 1 == n => out = Some(p),
            Ok(None) if i + 1 < n => {}
            other => panic!("frame {i} of {n}: {other:?}"),
        }
    }
    out.unwrap_or_else(|| panic!("no packet from {n} frames"))
}

fn check_round_trip(kind: ParserKind, p: &Packet, max_attachments: usize) {
    let again = decode_all(kind.encode(p), max_attachments);
    match kind {
        ParserKind::Json => assert_eq!(again, normalised(p.clone())),
        ParserKind::Msgpack => {
            assert_eq!((again.kind, &again.nsp, again.id), (p.kind, &p.nsp, p.id));
            let a = again.data.as_ref().map(|d| resolved(d, &again.attachments));
            let b = p.data.as_ref().map(|d| resolved(d, &p.attachments));
            assert_eq!(a, b);
        }
    }
}

fn check_header(header: &str, max: usize) {
    let Ok((p, n)) = parser_json::decode(header, max) else {
        return;
    };
    assert!(n <= max);
    assert!(p.attachments.is_empty());
    assert!(p.nsp.starts_with('/'));
    if !matches!(p.kind, PacketType::BinaryEvent | PacketType::BinaryAck) {
        assert_eq!(n, 0);
    }
    // With the announced number of attachments the header encodes back to itself.
    let mut full = p.clone();
    full.attachments = vec![Bytes::new(); n];
    let frames = parser_json::encode(&full);
    assert_eq!(frames.len(), 1 + n);
    let Some(Frame::Text(text)) = frames.first() else {
        panic!("the header is text")
    };
    let (p2, n2) = parser_json::decode(text, max).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(n2, n);
    let mut expected = normalised(full);
    expected.attachments.clear();
    assert_eq!(p2, expected);
}

fuzz_target!(|input: Input| {
    let max = usize::from(input.max_attachments % 16);
    check_header(&input.header, max);

    let mut d = Decoder::new(max);
    let frames = std::iter::once(Frame::Text(input.header)).chain(input.messages.into_iter().map(
        |m| match m {
            Message::Text(t) => Frame::Text(t),
            Message::Binary(b) => Frame::Binary(Bytes::from(b)),
        },
    ));
    for f in frames {
        if let Frame::Binary(b) = &f {
            // The msgpack decoder on its own, whatever the connection's parser is.
            if let Ok(p) = parser_msgpack::decode(b) {
                check_round_trip(ParserKind::Msgpack, &p, max);
            }
        }
        let Ok(Some(p)) = d.feed(f) else { continue };
        let Some(kind) = d.kind() else {
            panic!("a packet was decoded before the parser was chosen")
        };
        if kind == ParserKind::Json {
            assert!(p.attachments.len() <= max);
            if matches!(p.kind, PacketType::BinaryEvent | PacketType::BinaryAck) {
                assert!(parser_json::check_placeholders(&p).is_ok());
            } else {
                assert!(p.attachments.is_empty());
            }
        }
        check_round_trip(kind, &p, max);
    }
});
