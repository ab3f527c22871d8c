//! MoltCities WebSocket client frames: `frames::parse` never panics and classifies a frame
//! exactly by whether it is JSON and by its `type` field.
#![no_main]

use agentgate::wire::moltcities::ws::frames::{parse, Inbound};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let got = parse(&text);
    let Ok(v) = serde_json::from_str::<Value>(&text) else {
        assert_eq!(got, Inbound::InvalidJson);
        return;
    };
    match (v.get("type").and_then(Value::as_str), got) {
        (Some("ping"), Inbound::Ping) => {}
        (Some("ack"), Inbound::Ack(id)) => {
            assert_eq!(
                id.as_deref(),
                v.get("notification_id").and_then(Value::as_str)
            );
        }
        (Some("subscribe"), Inbound::Subscribe(events)) => {
            assert_eq!(&events, v.get("events").unwrap_or(&Value::Null));
        }
        (Some("ping" | "ack" | "subscribe"), other) => panic!("{text:?} read as {other:?}"),
        (_, Inbound::Other) => {}
        (_, other) => panic!("{text:?} read as {other:?}"),
    }
});
