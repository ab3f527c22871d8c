//! The msgpack Socket.IO parser: decoding never panics; whatever decodes re-encodes to a
//! packet with the same type, namespace, id and data (binary compared by content, since
//! attachment numbers follow the encoder's key order), and a second round trip changes
//! nothing at all.
#![no_main]

use agentgate::socketio::engine_packet::Frame;
use agentgate::socketio::packet::{Packet, PacketType};
use agentgate::socketio::parser_msgpack::{decode, encode};
use libfuzzer_sys::fuzz_target;

#[path = "shared/attachments.rs"]
mod attachments;
use attachments::resolved;

fn round_trip(p: &Packet) -> Packet {
    let Frame::Binary(b) = encode(p) else {
        panic!("msgpack packets are binary")
    };
    decode(&b).unwrap_or_else(|e| panic!("{p:?} re-encoded does not decode: {e}"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(p) = decode(data) else { return };
    // The msgpack format has no BINARY_* types; binary travels inline.
    assert!(!matches!(
        p.kind,
        PacketType::BinaryEvent | PacketType::BinaryAck
    ));

    let once = round_trip(&p);
    assert_eq!((once.kind, &once.nsp, once.id), (p.kind, &p.nsp, p.id));
    assert_eq!(
        once.data.as_ref().map(|d| resolved(d, &once.attachments)),
        p.data.as_ref().map(|d| resolved(d, &p.attachments)),
    );
    // After one trip the packet is in the encoder's canonical form.
    assert_eq!(round_trip(&once), once);
});
