//! The msgpack Socket.IO parser: decoding never panics; whatever decodes re-encodes to a
//! packet with the same type, namespace, id and data (binary compared by content, since
//! attachment numbers follow the encoder's key order), and a second round trip changes
//! nothing at all.
#![no_main]

use agentgate::socketio::engine_packet::Frame;
use agentgate::socketio::packet::{placeholder_num, Packet, PacketType};
use agentgate::socketio::parser_msgpack::{decode, encode};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Placeholders replaced by the bytes they refer to.
fn resolved(v: &Value, attachments: &[Bytes]) -> Value {
    if let Some(b) = placeholder_num(v).and_then(|n| attachments.get(n)) {
        return Value::Array(vec![
            Value::from("$bin"),
            Value::from(b.iter().map(|x| u64::from(*x)).collect::<Vec<_>>()),
        ]);
    }
    match v {
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| resolved(i, attachments)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolved(v, attachments)))
                .collect(),
        ),
        other => other.clone(),
    }
}

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
