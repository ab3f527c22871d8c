//! The socket.io-msgpack-parser format: each packet is one msgpack map
//! `{type, nsp, data?, id?}` in one binary message. Absent keys are left out (never `nil`),
//! binary is native `bin`, and unknown client keys (`options`) are ignored.

use super::engine_packet::Frame;
use super::packet::{placeholder, placeholder_num, Packet, PacketType, ParseError};
use bytes::Bytes;
use rmpv::Value as Mp;
use serde_json::{Map, Number, Value};

/// Nesting limit for decoding (rmpv counts two levels per container).
const MAX_DEPTH: usize = 256;

/// Encodes a packet as one binary message. BINARY_* types are sent as EVENT/ACK, since
/// msgpack carries binary inline and its decoder accepts only types 0–4.
pub fn encode(p: &Packet) -> Frame {
    let kind = match p.kind {
        PacketType::BinaryEvent => PacketType::Event,
        PacketType::BinaryAck => PacketType::Ack,
        k => k,
    };
    let mut map = Vec::with_capacity(4);
    map.push((Mp::from("type"), Mp::from(kind.code())));
    map.push((Mp::from("nsp"), Mp::from(p.nsp.as_str())));
    if let Some(data) = &p.data {
        map.push((Mp::from("data"), json_to_mp(data, &p.attachments)));
    }
    if let Some(id) = p.id {
        map.push((Mp::from("id"), Mp::from(id)));
    }
    let mut buf = Vec::new();
    if let Err(e) = rmpv::encode::write_value(&mut buf, &Mp::Map(map)) {
        // Writing into a Vec cannot fail; log rather than panic if it ever does.
        log::error!("msgpack encode failed: {e}");
    }
    Frame::Binary(Bytes::from(buf))
}

fn json_to_mp(v: &Value, attachments: &[Bytes]) -> Mp {
    if let Some(bin) = placeholder_num(v).and_then(|n| attachments.get(n)) {
        return Mp::Binary(bin.to_vec());
    }
    match v {
        Value::Null => Mp::Nil,
        Value::Bool(b) => Mp::Boolean(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Mp::from(u)
            } else if let Some(i) = n.as_i64() {
                Mp::from(i)
            } else {
                Mp::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => Mp::from(s.as_str()),
        Value::Array(items) => {
            Mp::Array(items.iter().map(|i| json_to_mp(i, attachments)).collect())
        }
        Value::Object(map) => Mp::Map(
            map.iter()
                .map(|(k, v)| (Mp::from(k.as_str()), json_to_mp(v, attachments)))
                .collect(),
        ),
    }
}

/// True for notepack's `undefined` (fixext1 type 0, byte 0).
fn is_undefined(v: &Mp) -> bool {
    matches!(v, Mp::Ext(0, d) if d.as_slice() == [0])
}

fn mp_to_json(v: Mp, attachments: &mut Vec<Bytes>) -> Result<Value, ParseError> {
    Ok(match v {
        Mp::Nil => Value::Null,
        Mp::Boolean(b) => Value::Bool(b),
        Mp::Integer(i) => {
            if let Some(u) = i.as_u64() {
                Value::from(u)
            } else if let Some(s) = i.as_i64() {
                Value::from(s)
            } else {
                return Err(ParseError("invalid integer"));
            }
        }
        Mp::F32(f) => float(f64::from(f)),
        Mp::F64(f) => float(f),
        Mp::String(s) => Value::String(match s.into_str() {
            Some(s) => s,
            None => return Err(ParseError("invalid utf-8 string")),
        }),
        Mp::Binary(b) => bin(Bytes::from(b), attachments),
        ext @ Mp::Ext(..) if is_undefined(&ext) => Value::Null,
        // notepack sends typed arrays / ArrayBuffers as ext type 0: treat any ext as binary.
        Mp::Ext(_, b) => bin(Bytes::from(b), attachments),
        Mp::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| mp_to_json(i, attachments))
                .collect::<Result<_, _>>()?,
        ),
        Mp::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let key = match k {
                    Mp::String(s) => s.into_str().ok_or(ParseError("invalid map key"))?,
                    Mp::Integer(i) => i.to_string(),
                    _ => return Err(ParseError("invalid map key")),
                };
                map.insert(key, mp_to_json(v, attachments)?);
            }
            Value::Object(map)
        }
    })
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn bin(b: Bytes, attachments: &mut Vec<Bytes>) -> Value {
    let v = placeholder(attachments.len());
    attachments.push(b);
    v
}

/// Decodes one binary message into a packet.
pub fn decode(bytes: &[u8]) -> Result<Packet, ParseError> {
    let mut rd = bytes;
    let value = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH)
        .map_err(|_| ParseError("invalid msgpack"))?;
    if !rd.is_empty() {
        return Err(ParseError("trailing bytes"));
    }
    let Mp::Map(entries) = value else {
        return Err(ParseError("packet is not a map"));
    };
    let mut kind = None;
    let mut nsp = None;
    let mut id = None;
    let mut data = None;
    for (k, v) in entries {
        let Mp::String(k) = k else { continue };
        match k.as_str() {
            Some("type") => {
                kind = match v.as_u64() {
                    // The msgpack decoder accepts only types 0–4.
                    Some(c @ 0..=4) => PacketType::from_code(c),
                    _ => return Err(ParseError("invalid packet type")),
                }
            }
            Some("nsp") => match v {
                Mp::String(s) => nsp = Some(s.into_str().ok_or(ParseError("invalid nsp"))?),
                _ => return Err(ParseError("invalid nsp")),
            },
            Some("id") => {
                id = match v {
                    Mp::Nil => None,
                    ref u if is_undefined(u) => None,
                    Mp::Integer(i) => Some(i.as_u64().ok_or(ParseError("invalid ack id"))?),
                    _ => return Err(ParseError("invalid ack id")),
                }
            }
            Some("data") => {
                data = if is_undefined(&v) { None } else { Some(v) };
            }
            _ => {}
        }
    }
    let kind = kind.ok_or(ParseError("missing type"))?;
    let nsp = nsp.ok_or(ParseError("missing nsp"))?;
    let mut attachments = Vec::new();
    let data = match data {
        None => None,
        Some(v) => Some(mp_to_json(v, &mut attachments)?),
    };
    let data = match (kind, data) {
        (PacketType::Connect | PacketType::Disconnect, None | Some(Value::Null)) => None,
        (PacketType::Connect, Some(d @ Value::Object(_))) => Some(d),
        (PacketType::ConnectError, Some(d @ (Value::Object(_) | Value::String(_)))) => Some(d),
        (PacketType::Event | PacketType::Ack, Some(d @ Value::Array(_))) => Some(d),
        _ => return Err(ParseError("invalid payload")),
    };
    Ok(Packet {
        kind,
        nsp,
        id,
        data,
        attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::Payload;
    use serde_json::json;

    fn hex(s: &str) -> Vec<u8> {
        let clean: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..clean.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap())
            .collect()
    }

    fn bytes(f: Frame) -> Bytes {
        match f {
            Frame::Binary(b) => b,
            Frame::Text(_) => panic!("msgpack frames are binary"),
        }
    }

    /// `{k: v, …}` with string keys, in the given order.
    fn map(entries: Vec<(&str, Mp)>) -> Vec<u8> {
        let m = Mp::Map(entries.into_iter().map(|(k, v)| (Mp::from(k), v)).collect());
        let mut buf = Vec::new();
        rmpv::encode::write_value(&mut buf, &m).unwrap();
        buf
    }

    #[test]
    fn decodes_observed_client_connect_frames() {
        // 83 type 00 data {token:"T"} nsp "/"
        let with_auth = hex("83 a474797065 00 a464617461 81 a5746f6b656e a154 a36e7370 a12f");
        let p = decode(&with_auth).unwrap();
        assert_eq!(
            (p.kind, p.nsp.as_str(), p.data, p.id),
            (PacketType::Connect, "/", Some(json!({"token": "T"})), None)
        );
        // data = notepack undefined (d4 00 00) → absent.
        let no_auth = hex("83 a474797065 00 a464617461 d40000 a36e7370 a12f");
        let p = decode(&no_auth).unwrap();
        assert_eq!((p.kind, p.data), (PacketType::Connect, None));
    }

    #[test]
    fn decodes_event_with_options_ext_binary_and_ack_id_zero() {
        // 85 type 02 data ["hello",5,ext8(0,[09])] options {compress:true} id 00 nsp "/"
        let frame = hex("85 a474797065 02 a464617461 93 a568656c6c6f 05 c7010009 \
             a76f7074696f6e73 81 a8636f6d7072657373 c3 a26964 00 a36e7370 a12f");
        let p = decode(&frame).unwrap();
        assert_eq!(p.kind, PacketType::Event);
        assert_eq!(p.id, Some(0));
        assert_eq!(p.data, Some(json!(["hello", 5, placeholder(0)])));
        assert_eq!(p.attachments, vec![Bytes::from_static(&[9])]);
    }

    #[test]
    fn decodes_disconnect_and_ack() {
        let p = decode(&hex("82 a474797065 01 a36e7370 a12f")).unwrap();
        assert_eq!((p.kind, p.data), (PacketType::Disconnect, None));
        let p = decode(&map(vec![
            ("type", Mp::from(3)),
            ("nsp", Mp::from("/x")),
            ("id", Mp::from(7)),
            ("data", Mp::Array(vec![Mp::Binary(vec![1, 2])])),
        ]))
        .unwrap();
        assert_eq!(
            (p.kind, p.nsp.as_str(), p.id),
            (PacketType::Ack, "/x", Some(7))
        );
        assert_eq!(p.attachments, vec![Bytes::from_static(&[1, 2])]);
        let p = decode(&map(vec![
            ("type", Mp::from(4)),
            ("nsp", Mp::from("/")),
            ("data", Mp::from("nope")),
        ]))
        .unwrap();
        assert_eq!(p.data, Some(json!("nope")));
    }

    #[test]
    fn encodes_like_the_reference_without_nil_keys() {
        // S→C EVENT with binary: 83 type 02 nsp "/" data ["srv", bin 010203, "x"]
        let mut payload = Payload::new(vec![]);
        let ph = payload.attach(Bytes::from_static(&[1, 2, 3]));
        payload.args = vec![ph, json!("x")];
        let b = bytes(encode(&Packet::event("/", "srv", &payload, None)));
        assert_eq!(
            b.as_ref(),
            hex("83 a474797065 02 a36e7370 a12f a464617461 93 a3737276 c403010203 a178").as_slice()
        );
        // CONNECT reply: only type, nsp, data{sid}.
        let b = bytes(encode(&Packet::connect("/", "S")));
        assert_eq!(
            b.as_ref(),
            hex("83 a474797065 00 a36e7370 a12f a464617461 81 a3736964 a153").as_slice()
        );
        // DISCONNECT: no data, no id keys at all.
        let b = bytes(encode(&Packet::disconnect("/")));
        assert_eq!(b.as_ref(), hex("82 a474797065 01 a36e7370 a12f").as_slice());
        // ACK id 0 with a map.
        let b = bytes(encode(&Packet::ack(
            "/",
            0,
            Payload::new(vec![json!({"ok": true})]),
        )));
        assert_eq!(
            b.as_ref(),
            hex("84 a474797065 03 a36e7370 a12f a464617461 91 81 a26f6b c3 a26964 00").as_slice()
        );
    }

    #[test]
    fn binary_types_are_sent_as_event_and_ack() {
        let mut payload = Payload::new(vec![]);
        let ph = payload.attach(Bytes::from_static(b"z"));
        payload.args = vec![ph];
        let p = Packet::ack("/", 1, payload);
        assert_eq!(p.kind, PacketType::BinaryAck);
        let d = decode(&bytes(encode(&p))).unwrap();
        assert_eq!(d.kind, PacketType::Ack);
        assert_eq!(d.attachments, vec![Bytes::from_static(b"z")]);
    }

    #[test]
    fn round_trips_every_type() {
        let mut payload = Payload::new(vec![json!(1), json!(-2), json!(1.5), json!(null)]);
        let ph = payload.attach(Bytes::from_static(&[0, 255]));
        payload.args.push(json!({"nested": [ph, "s"]}));
        let packets = vec![
            Packet::connect("/admin", "sid"),
            Packet::disconnect("/admin"),
            Packet::event("/", "e", &payload, Some(42)),
            Packet::ack("/", 9, payload.clone()),
            Packet::connect_error("/", json!({"message": "no", "data": {"code": 401}})),
        ];
        for p in packets {
            let mut d = decode(&bytes(encode(&p))).unwrap();
            // Binary kinds come back as plain EVENT/ACK with the same attachments.
            if d.kind == PacketType::Event && p.kind == PacketType::BinaryEvent {
                d.kind = PacketType::BinaryEvent;
            }
            if d.kind == PacketType::Ack && p.kind == PacketType::BinaryAck {
                d.kind = PacketType::BinaryAck;
            }
            assert_eq!(d, p);
        }
    }

    #[test]
    fn rejects_malformed() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0xc1],
            hex("93 01 02 03"),
            hex("81 a474797065 05"),
            map(vec![("type", Mp::from(5)), ("nsp", Mp::from("/"))]),
            map(vec![("type", Mp::from(2)), ("nsp", Mp::from("/"))]),
            map(vec![("type", Mp::from(0))]),
            map(vec![("nsp", Mp::from("/"))]),
            map(vec![("type", Mp::from(0)), ("nsp", Mp::from(1))]),
            map(vec![("type", Mp::from("0")), ("nsp", Mp::from("/"))]),
            map(vec![
                ("type", Mp::from(2)),
                ("nsp", Mp::from("/")),
                ("data", Mp::Map(vec![])),
            ]),
            map(vec![
                ("type", Mp::from(2)),
                ("nsp", Mp::from("/")),
                ("data", Mp::Array(vec![])),
                ("id", Mp::from(-1)),
            ]),
            map(vec![
                ("type", Mp::from(1)),
                ("nsp", Mp::from("/")),
                ("data", Mp::Array(vec![])),
            ]),
            map(vec![
                ("type", Mp::from(0)),
                ("nsp", Mp::from("/")),
                ("data", Mp::Array(vec![])),
            ]),
            // Truncated: a map header announcing more entries than present.
            hex("85 a474797065 00"),
            // An array header claiming 2^32-1 elements must fail fast, not allocate.
            hex("dd ffffffff"),
        ];
        for c in cases {
            assert!(decode(&c).is_err(), "{c:02x?} must not decode");
        }
        let mut trailing = map(vec![("type", Mp::from(1)), ("nsp", Mp::from("/"))]);
        trailing.push(0);
        assert!(decode(&trailing).is_err());
        // Deep nesting is refused instead of overflowing the stack.
        let mut deep = hex("83 a474797065 02 a36e7370 a12f a464617461");
        deep.extend(std::iter::repeat_n(0x91, 100_000));
        deep.push(0xc0);
        assert!(decode(&deep).is_err());
    }
}
