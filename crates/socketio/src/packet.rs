//! Socket.IO v5 packet model and the payload representation shared by both parsers.
//!
//! Binary data is kept out of the JSON tree: each buffer is replaced by
//! `{"_placeholder":true,"num":i}` and stored in `attachments[i]`. The default parser sends
//! exactly that on the wire; the msgpack parser turns placeholders back into `bin` values.

use bytes::Bytes;
use serde_json::{json, Map, Value};
use std::fmt;

/// Socket.IO packet types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// 0: connect to a namespace (client auth / server `{sid}`).
    Connect,
    /// 1: leave a namespace.
    Disconnect,
    /// 2: an event.
    Event,
    /// 3: an acknowledgement.
    Ack,
    /// 4: a refused connect.
    ConnectError,
    /// 5: an event with binary attachments (default parser).
    BinaryEvent,
    /// 6: an ack with binary attachments (default parser).
    BinaryAck,
}

impl PacketType {
    /// The wire number.
    pub fn code(self) -> u8 {
        match self {
            PacketType::Connect => 0,
            PacketType::Disconnect => 1,
            PacketType::Event => 2,
            PacketType::Ack => 3,
            PacketType::ConnectError => 4,
            PacketType::BinaryEvent => 5,
            PacketType::BinaryAck => 6,
        }
    }

    /// From the wire number.
    pub fn from_code(c: u64) -> Option<PacketType> {
        Some(match c {
            0 => PacketType::Connect,
            1 => PacketType::Disconnect,
            2 => PacketType::Event,
            3 => PacketType::Ack,
            4 => PacketType::ConnectError,
            5 => PacketType::BinaryEvent,
            6 => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// Event or binary event.
    pub fn is_event(self) -> bool {
        matches!(self, PacketType::Event | PacketType::BinaryEvent)
    }

    /// Ack or binary ack.
    pub fn is_ack(self) -> bool {
        matches!(self, PacketType::Ack | PacketType::BinaryAck)
    }
}

/// One decoded or to-be-encoded Socket.IO packet.
#[derive(Clone, Debug, PartialEq)]
pub struct Packet {
    /// Packet type.
    pub kind: PacketType,
    /// Namespace (`/` by default).
    pub nsp: String,
    /// Ack id, if any (0 is a valid id).
    pub id: Option<u64>,
    /// JSON data with binary placeholders, absent when the packet has none.
    pub data: Option<Value>,
    /// Binary attachments referenced by placeholders in `data`.
    pub attachments: Vec<Bytes>,
}

/// Arguments of an event or ack: JSON values plus the binary buffers their placeholders
/// (`{"_placeholder":true,"num":i}`) refer to. Attachment numbers are shared by all args,
/// as on the wire.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Payload {
    /// The arguments, in order.
    pub args: Vec<Value>,
    /// Binary attachments.
    pub attachments: Vec<Bytes>,
}

impl Payload {
    /// Arguments without binary data.
    pub fn new(args: Vec<Value>) -> Payload {
        Payload {
            args,
            attachments: Vec::new(),
        }
    }

    /// No arguments.
    pub fn empty() -> Payload {
        Payload::default()
    }

    /// Adds a binary buffer and returns the placeholder value to put in an argument.
    pub fn attach(&mut self, data: Bytes) -> Value {
        let num = self.attachments.len();
        self.attachments.push(data);
        placeholder(num)
    }

    /// The buffer a placeholder value refers to, if `v` is one.
    pub fn binary(&self, v: &Value) -> Option<&Bytes> {
        placeholder_num(v).and_then(|n| self.attachments.get(n))
    }
}

impl From<Value> for Payload {
    /// One argument (an array stays one argument).
    fn from(v: Value) -> Payload {
        Payload::new(vec![v])
    }
}

impl From<Vec<Value>> for Payload {
    /// Several arguments.
    fn from(args: Vec<Value>) -> Payload {
        Payload::new(args)
    }
}

impl From<()> for Payload {
    /// No arguments.
    fn from(_: ()) -> Payload {
        Payload::empty()
    }
}

/// The placeholder object for attachment `num`.
pub fn placeholder(num: usize) -> Value {
    json!({"_placeholder": true, "num": num})
}

/// The attachment number if `v` is exactly a placeholder object.
pub fn placeholder_num(v: &Value) -> Option<usize> {
    let obj = v.as_object()?;
    if obj.len() != 2 || obj.get("_placeholder") != Some(&Value::Bool(true)) {
        return None;
    }
    obj.get("num")?
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
}

/// Calls `f` on every placeholder number in `v`, depth first.
pub(crate) fn for_each_placeholder(v: &Value, f: &mut impl FnMut(usize)) {
    if let Some(n) = placeholder_num(v) {
        f(n);
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| for_each_placeholder(i, f)),
        Value::Object(map) => map.values().for_each(|i| for_each_placeholder(i, f)),
        _ => {}
    }
}

/// A packet that does not follow the Socket.IO grammar of its parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub &'static str);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "socket.io parse error: {}", self.0)
    }
}

impl std::error::Error for ParseError {}

/// Event names the client library reserves; an EVENT using one is invalid.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

impl Packet {
    /// Server CONNECT reply `{"sid": …}`.
    pub fn connect(nsp: &str, sid: &str) -> Packet {
        Packet::plain(PacketType::Connect, nsp, None, Some(json!({ "sid": sid })))
    }

    /// CONNECT_ERROR with the given data (usually `{"message": …}`).
    pub fn connect_error(nsp: &str, data: Value) -> Packet {
        Packet::plain(PacketType::ConnectError, nsp, None, Some(data))
    }

    /// DISCONNECT of a namespace.
    pub fn disconnect(nsp: &str) -> Packet {
        Packet::plain(PacketType::Disconnect, nsp, None, None)
    }

    /// EVENT (BINARY_EVENT when there are attachments).
    pub fn event(nsp: &str, event: &str, payload: &Payload, id: Option<u64>) -> Packet {
        let mut data = Vec::with_capacity(payload.args.len() + 1);
        data.push(Value::String(event.to_owned()));
        data.extend(payload.args.iter().cloned());
        let kind = if payload.attachments.is_empty() {
            PacketType::Event
        } else {
            PacketType::BinaryEvent
        };
        Packet {
            kind,
            nsp: nsp.to_owned(),
            id,
            data: Some(Value::Array(data)),
            attachments: payload.attachments.clone(),
        }
    }

    /// ACK (BINARY_ACK when there are attachments).
    pub fn ack(nsp: &str, id: u64, payload: Payload) -> Packet {
        let kind = if payload.attachments.is_empty() {
            PacketType::Ack
        } else {
            PacketType::BinaryAck
        };
        Packet {
            kind,
            nsp: nsp.to_owned(),
            id: Some(id),
            data: Some(Value::Array(payload.args)),
            attachments: payload.attachments,
        }
    }

    fn plain(kind: PacketType, nsp: &str, id: Option<u64>, data: Option<Value>) -> Packet {
        Packet {
            kind,
            nsp: nsp.to_owned(),
            id,
            data,
            attachments: Vec::new(),
        }
    }

    /// Splits an EVENT into its name and arguments; `None` if it has no valid name.
    pub fn into_event(self) -> Option<(String, Payload)> {
        let Some(Value::Array(mut items)) = self.data else {
            return None;
        };
        if items.is_empty() {
            return None;
        }
        let name = match items.remove(0) {
            Value::String(s) => s,
            // The reference accepts numeric event names.
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        if RESERVED_EVENTS.contains(&name.as_str()) {
            return None;
        }
        Some((
            name,
            Payload {
                args: items,
                attachments: self.attachments,
            },
        ))
    }

    /// The arguments of an ACK (no data means no arguments).
    pub fn into_ack_payload(self) -> Option<Payload> {
        let args = match self.data {
            None => Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => return None,
        };
        Some(Payload {
            args,
            attachments: self.attachments,
        })
    }
}

/// `{"message": …}` plus `data` when given: the reference's CONNECT_ERROR shape.
pub fn connect_error_data(message: &str, data: Option<Value>) -> Value {
    let mut map = Map::new();
    map.insert("message".into(), Value::String(message.to_owned()));
    if let Some(d) = data {
        map.insert("data".into(), d);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised_exactly() {
        assert_eq!(placeholder_num(&placeholder(3)), Some(3));
        assert_eq!(placeholder_num(&json!({"_placeholder": true})), None);
        assert_eq!(
            placeholder_num(&json!({"_placeholder": true, "num": 1, "x": 0})),
            None
        );
        assert_eq!(
            placeholder_num(&json!({"_placeholder": false, "num": 1})),
            None
        );
        assert_eq!(
            placeholder_num(&json!({"_placeholder": true, "num": -1})),
            None
        );
        let mut seen = Vec::new();
        for_each_placeholder(
            &json!([placeholder(0), {"a": [placeholder(2)]}, placeholder(1)]),
            &mut |n| seen.push(n),
        );
        assert_eq!(seen, vec![0, 2, 1]);
    }

    #[test]
    fn event_constructor_picks_binary_type() {
        let mut p = Payload::new(vec![json!(1)]);
        assert_eq!(Packet::event("/", "e", &p, None).kind, PacketType::Event);
        let ph = p.attach(Bytes::from_static(b"x"));
        p.args.push(ph.clone());
        let pkt = Packet::event("/", "e", &p, Some(4));
        assert_eq!(pkt.kind, PacketType::BinaryEvent);
        assert_eq!(pkt.data, Some(json!(["e", 1, ph])));
        assert_eq!(p.binary(&p.args[1]), Some(&Bytes::from_static(b"x")));
    }

    #[test]
    fn into_event_validates_the_name() {
        let ok = Packet {
            kind: PacketType::Event,
            nsp: "/".into(),
            id: None,
            data: Some(json!(["a", 1])),
            attachments: vec![],
        };
        let (name, payload) = ok.clone().into_event().unwrap();
        assert_eq!(name, "a");
        assert_eq!(payload.args, vec![json!(1)]);
        for bad in [json!([]), json!({}), json!([null]), json!(["disconnect"])] {
            let mut p = ok.clone();
            p.data = Some(bad);
            assert!(p.into_event().is_none());
        }
        let mut num = ok;
        num.data = Some(json!([7, "x"]));
        assert_eq!(num.into_event().unwrap().0, "7");
    }
}
