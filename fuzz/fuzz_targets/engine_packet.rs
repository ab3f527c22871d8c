//! Engine.IO v4 text packets and polling payloads: decoding never panics, and whatever
//! decodes re-encodes to text that decodes to the same packets.
#![no_main]

use agentgate::socketio::engine_packet::{
    decode_payload, encode_payload, EnginePacket, Frame, SEPARATOR,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);

    if let Ok(p) = EnginePacket::decode_text(&s) {
        assert!(matches!(s.chars().next(), Some('0'..='6')));
        // A text packet never decodes to a binary message, so it always has a text form.
        let Some(text) = p.encode_text() else {
            panic!("{p:?} has no text encoding")
        };
        assert_eq!(EnginePacket::decode_text(&text), Ok(p));
    }

    if let Ok(packets) = decode_payload(&s) {
        // One packet per record, and no text packet can hold the separator.
        assert_eq!(packets.len(), s.split(SEPARATOR).count());
        for p in &packets {
            if let EnginePacket::Message(Frame::Text(t)) = p {
                assert!(!t.contains(SEPARATOR));
            }
        }
        let again = decode_payload(&encode_payload(&packets));
        assert_eq!(again.as_ref(), Ok(&packets));
    }
});
