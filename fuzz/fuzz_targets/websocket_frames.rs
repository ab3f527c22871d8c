//! WebSocket client frames: assembling any bytes never panics and never yields a message over
//! the limit, and messages framed by a conforming client come out as they went in, however the
//! frames are fragmented and the bytes cut.
#![no_main]

use agentgate::websocket::{frame, Assembler, Message};
use arbitrary::Arbitrary;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

const MAX: usize = 1024;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Arbitrary bytes from a client.
    raw: Vec<u8>,
    /// Sizes of the pieces the bytes arrive in (cycled; 0 reads as 1).
    cuts: Vec<u8>,
    /// What a conforming client sends: binary or text, payload, fragment size, masking key.
    messages: Vec<(bool, Vec<u8>, u8, [u8; 4])>,
}

/// A client frame: masked, FIN set only on the last fragment.
fn push_client_frame(out: &mut Vec<u8>, opcode: u8, fin: bool, payload: &[u8], mask: [u8; 4]) {
    let start = out.len();
    frame::encode(opcode, &[payload], out);
    if !fin {
        out[start] &= 0x7F;
    }
    out[start + 1] |= 0x80;
    let at = out.len() - payload.len();
    out.splice(at..at, mask);
    frame::unmask(&mut out[at + 4..], mask);
}

/// Feeds `wire` in pieces and collects (binary, payload) of every data message until an error.
fn assemble(wire: &[u8], cuts: &[u8]) -> Result<Vec<(bool, Vec<u8>)>, String> {
    let mut a = Assembler::new(BytesMut::new(), MAX);
    let mut sizes = cuts.iter().map(|&c| usize::from(c).max(1)).cycle();
    let mut rest = wire;
    let mut got = Vec::new();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        a.push(&rest[..n]);
        rest = &rest[n..];
        loop {
            match a.next_message() {
                Ok(Some(Message::Text(t))) => {
                    assert!(t.len() <= MAX);
                    got.push((false, t.as_bytes().to_vec()));
                }
                Ok(Some(Message::Binary(b))) => {
                    assert!(b.len() <= MAX);
                    got.push((true, b.to_vec()));
                }
                Ok(Some(Message::Ping(p) | Message::Pong(p))) => assert!(p.len() <= 125),
                Ok(Some(Message::Close(_))) => {}
                Ok(None) => break,
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    Ok(got)
}

fuzz_target!(|input: Input| {
    let _ = assemble(&input.raw, &input.cuts);

    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for (binary, payload, fragment, mask) in input.messages {
        let payload = if binary {
            payload
        } else {
            String::from_utf8_lossy(&payload).into_owned().into_bytes()
        };
        if payload.len() > MAX {
            continue;
        }
        let pieces: Vec<&[u8]> = if payload.is_empty() {
            vec![&[]]
        } else {
            payload.chunks(usize::from(fragment).max(1)).collect()
        };
        for (i, piece) in pieces.iter().enumerate() {
            let opcode = match (i, binary) {
                (0, true) => frame::OP_BINARY,
                (0, false) => frame::OP_TEXT,
                _ => frame::OP_CONTINUATION,
            };
            push_client_frame(&mut wire, opcode, i + 1 == pieces.len(), piece, mask);
        }
        expected.push((binary, payload));
    }
    assert_eq!(assemble(&wire, &input.cuts), Ok(expected));
});
