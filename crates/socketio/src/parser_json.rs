//! The default Socket.IO parser (socket.io-parser): text packets
//! `<type>[<n>-][<nsp>,][<id>][<json>]`, binary buffers sent as separate attachments.

use super::engine_packet::Frame;
use super::packet::{for_each_placeholder, Packet, PacketType, ParseError, RESERVED_EVENTS};
use serde_json::Value;
use std::fmt::Write as _;

/// Encodes a packet: one text message, then one binary message per attachment.
pub fn encode(p: &Packet) -> Vec<Frame> {
    let kind = match (p.kind, p.attachments.is_empty()) {
        (PacketType::Event | PacketType::BinaryEvent, false) => PacketType::BinaryEvent,
        (PacketType::Ack | PacketType::BinaryAck, false) => PacketType::BinaryAck,
        (PacketType::BinaryEvent, true) => PacketType::Event,
        (PacketType::BinaryAck, true) => PacketType::Ack,
        (k, _) => k,
    };
    let mut s = String::new();
    s.push(char::from(b'0' + kind.code()));
    if matches!(kind, PacketType::BinaryEvent | PacketType::BinaryAck) {
        let _ = write!(s, "{}-", p.attachments.len());
    }
    if !p.nsp.is_empty() && p.nsp != "/" {
        s.push_str(&p.nsp);
        s.push(',');
    }
    if let Some(id) = p.id {
        let _ = write!(s, "{id}");
    }
    if let Some(data) = &p.data {
        let _ = write!(s, "{data}");
    }
    let mut frames = Vec::with_capacity(1 + p.attachments.len());
    frames.push(Frame::Text(s));
    frames.extend(p.attachments.iter().cloned().map(Frame::Binary));
    frames
}

/// Decodes a text packet; returns it with the number of binary attachments still to come.
pub fn decode(s: &str, max_attachments: usize) -> Result<(Packet, usize), ParseError> {
    let b = s.as_bytes();
    let kind = match b.first() {
        Some(c @ b'0'..=b'6') => {
            PacketType::from_code(u64::from(c - b'0')).ok_or(ParseError("unknown packet type"))?
        }
        _ => return Err(ParseError("unknown packet type")),
    };
    let mut i = 1;
    let mut attachments = 0usize;
    if matches!(kind, PacketType::BinaryEvent | PacketType::BinaryAck) {
        let start = i;
        while i < b.len() && b[i] != b'-' {
            if !b[i].is_ascii_digit() {
                return Err(ParseError("illegal attachments"));
            }
            i += 1;
        }
        if i >= b.len() || i == start {
            return Err(ParseError("illegal attachments"));
        }
        attachments = s[start..i]
            .parse::<usize>()
            .map_err(|_| ParseError("illegal attachments"))?;
        if attachments > max_attachments {
            return Err(ParseError("too many attachments"));
        }
        i += 1;
    }
    let mut nsp = "/";
    if b.get(i) == Some(&b'/') {
        // The namespace runs to the comma, or to the end (`40/custom` is valid).
        match s[i..].find(',') {
            Some(off) => {
                nsp = &s[i..i + off];
                i += off + 1;
            }
            None => {
                nsp = &s[i..];
                i = b.len();
            }
        }
    }
    let mut id = None;
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i > start {
        id = Some(
            s[start..i]
                .parse::<u64>()
                .map_err(|_| ParseError("invalid ack id"))?,
        );
    }
    let mut data = None;
    if i < b.len() {
        let v: Value = serde_json::from_str(&s[i..]).map_err(|_| ParseError("invalid payload"))?;
        if !payload_valid(kind, &v) {
            return Err(ParseError("invalid payload"));
        }
        data = Some(v);
    }
    Ok((
        Packet {
            kind,
            nsp: nsp.to_owned(),
            id,
            data,
            attachments: Vec::new(),
        },
        attachments,
    ))
}

/// The reference decoder's `isPayloadValid`.
fn payload_valid(kind: PacketType, v: &Value) -> bool {
    match kind {
        PacketType::Connect => v.is_object(),
        PacketType::Disconnect => false,
        PacketType::ConnectError => v.is_string() || v.is_object(),
        PacketType::Event | PacketType::BinaryEvent => match v.as_array().and_then(|a| a.first()) {
            Some(Value::Number(_)) => true,
            Some(Value::String(name)) => !RESERVED_EVENTS.contains(&name.as_str()),
            _ => false,
        },
        PacketType::Ack | PacketType::BinaryAck => v.is_array(),
    }
}

/// Checks that every placeholder refers to a received attachment.
pub fn check_placeholders(p: &Packet) -> Result<(), ParseError> {
    let mut ok = true;
    if let Some(data) = &p.data {
        for_each_placeholder(data, &mut |n| ok &= n < p.attachments.len());
    }
    if ok {
        Ok(())
    } else {
        Err(ParseError("illegal attachments"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{placeholder, Payload};
    use bytes::Bytes;
    use serde_json::json;

    fn dec(s: &str) -> Result<(Packet, usize), ParseError> {
        decode(s, 10)
    }

    fn text(frames: &[Frame]) -> &str {
        match &frames[0] {
            Frame::Text(t) => t,
            Frame::Binary(_) => panic!("expected text"),
        }
    }

    fn round_trip(s: &str) {
        let (p, n) = dec(s).unwrap();
        assert_eq!(n, 0);
        assert_eq!(text(&encode(&p)), s, "round trip of {s}");
    }

    #[test]
    fn spec_examples_round_trip() {
        for s in [
            "0",
            "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
            "4{\"message\":\"Not authorized\"}",
            "2[\"foo\"]",
            "2/admin,[\"bar\"]",
            "212[\"foo\"]",
            "3/admin,13[\"bar\"]",
            "1/admin,",
            "1",
            "3456[1,\"2\",{\"3\":[false]}]",
            "4/custom,\"plain string\"",
        ] {
            round_trip(s);
        }
    }

    #[test]
    fn decodes_fields() {
        let (p, _) = dec("0{\"token\":\"123\"}").unwrap();
        assert_eq!(p.kind, PacketType::Connect);
        assert_eq!(p.nsp, "/");
        assert_eq!(p.data, Some(json!({"token": "123"})));
        let (p, _) = dec("0/custom").unwrap();
        assert_eq!(
            (p.kind, p.nsp.as_str(), p.data),
            (PacketType::Connect, "/custom", None)
        );
        let (p, _) = dec("1/custom").unwrap();
        assert_eq!(
            (p.kind, p.nsp.as_str()),
            (PacketType::Disconnect, "/custom")
        );
        let (p, _) = dec("20[\"a\"]").unwrap();
        assert_eq!(p.id, Some(0), "ack id 0 is an id");
        let (p, _) = dec("3/admin,13[\"bar\"]").unwrap();
        assert_eq!(
            (p.kind, p.nsp.as_str(), p.id, p.data),
            (PacketType::Ack, "/admin", Some(13), Some(json!(["bar"])))
        );
        let (p, _) = dec("3/é,1[]").unwrap();
        assert_eq!(p.nsp, "/é");
    }

    #[test]
    fn binary_event_and_ack_headers() {
        let (p, n) = dec("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]").unwrap();
        assert_eq!((p.kind, n), (PacketType::BinaryEvent, 1));
        let (p, n) = dec("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]").unwrap();
        assert_eq!((p.kind, n, p.id), (PacketType::BinaryAck, 1, Some(15)));
        let (p, n) = dec("52-/admin,7[\"x\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]").unwrap();
        assert_eq!((n, p.nsp.as_str(), p.id), (2, "/admin", Some(7)));
        let (_, n) = dec("50-[\"x\"]").unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn encodes_binary_with_attachments() {
        let mut payload = Payload::new(vec![]);
        let a = payload.attach(Bytes::from_static(&[1, 2, 3]));
        let b = payload.attach(Bytes::from_static(&[4, 5, 6]));
        payload.args = vec![a, b];
        let frames = encode(&Packet::event("/", "message-back", &payload, None));
        assert_eq!(
            frames,
            vec![
                Frame::Text("52-[\"message-back\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]".into()),
                Frame::Binary(Bytes::from_static(&[1, 2, 3])),
                Frame::Binary(Bytes::from_static(&[4, 5, 6])),
            ]
        );
        let frames = encode(&Packet::ack("/x", 789, payload));
        assert_eq!(
            text(&frames),
            "62-/x,789[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"
        );
    }

    #[test]
    fn encodes_server_packets() {
        assert_eq!(
            text(&encode(&Packet::connect("/", "abc"))),
            "0{\"sid\":\"abc\"}"
        );
        assert_eq!(
            text(&encode(&Packet::connect_error(
                "/random",
                json!({"message": "Invalid namespace"})
            ))),
            "4/random,{\"message\":\"Invalid namespace\"}"
        );
        assert_eq!(text(&encode(&Packet::disconnect("/custom"))), "1/custom,");
        assert_eq!(
            text(&encode(&Packet::event(
                "/",
                "auth",
                &json!({}).into(),
                Some(1)
            ))),
            "21[\"auth\",{}]"
        );
        assert_eq!(
            text(&encode(&Packet::ack(
                "/",
                456,
                Payload::new(vec![json!(1), json!("2")])
            ))),
            "3456[1,\"2\"]"
        );
    }

    #[test]
    fn placeholder_check() {
        let (mut p, n) = dec("51-[\"x\",{\"_placeholder\":true,\"num\":1}]").unwrap();
        assert_eq!(n, 1);
        p.attachments.push(Bytes::from_static(b"a"));
        assert!(check_placeholders(&p).is_err());
        p.data = Some(json!(["x", placeholder(0)]));
        assert!(check_placeholders(&p).is_ok());
    }

    #[test]
    fn rejects_malformed() {
        let huge = format!("2{}[\"a\"]", "9".repeat(400));
        let many = format!("5{}-[\"a\"]", "9".repeat(400));
        for s in [
            "",
            "abc",
            "7",
            "9[]",
            "5",
            "5-",
            "5a-[\"a\"]",
            "51[\"a\"]",
            "6",
            "511-[\"a\"]",
            "2abc[\"a\"]",
            "2{}",
            "2[]",
            "2[null]",
            "2[\"connect\"]",
            "2[\"disconnect\"]",
            "2\"a\"",
            "0[]",
            "0\"x\"",
            "1{}",
            "1/a,{}",
            "4[]",
            "3{}",
            "2[\"a\"",
            "2/ns,abc[",
            huge.as_str(),
            many.as_str(),
        ] {
            assert!(dec(s).is_err(), "{s:?} must not decode");
        }
    }

    #[test]
    fn connect_error_with_id_digits_is_grammatical() {
        // `45` is CONNECT_ERROR with ack id 5 at this level; the EIO message `45`
        // (SIO text `5`) is the malformed binary header, covered above.
        let (p, _) = dec("45").unwrap();
        assert_eq!((p.kind, p.id), (PacketType::ConnectError, Some(5)));
    }

    /// Found by the `sio_json` fuzz target: without correctly rounded float parsing,
    /// `3.3333333333353333e+44` read back one ulp off, so a relayed number changed.
    #[test]
    fn fuzz_regression_floats_round_trip_exactly() {
        let (p, _) = dec("3[333333333333533333333333333333333333333333333]   ").unwrap();
        let (again, _) = dec(text(&encode(&p))).unwrap();
        assert_eq!(again, p);
        for s in ["3.3333333333353333e+44", "3.333333333335333e44"] {
            let (p, _) = dec(&format!("3[{s}]")).unwrap();
            let got = p.data.unwrap()[0].as_f64();
            assert_eq!(got, Some(s.parse::<f64>().unwrap()), "{s}");
        }
    }

    #[test]
    fn never_panics_on_prefixes_of_valid_packets() {
        let src = "52-/admin,789[\"message\",{\"_placeholder\":true,\"num\":0},\"é\",{\"_placeholder\":true,\"num\":1}]";
        for (i, _) in src.char_indices() {
            let _ = dec(&src[..i]);
            let _ = dec(&src[i..]);
        }
    }
}
