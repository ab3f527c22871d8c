//! What both Socket.IO parser targets compare packets by.

use agentgate::socketio::packet::placeholder_num;
use bytes::Bytes;
use serde_json::Value;

/// Placeholders replaced by the bytes they refer to, so that two packets carrying the same
/// data with differently numbered attachments compare equal.
pub fn resolved(v: &Value, attachments: &[Bytes]) -> Value {
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
