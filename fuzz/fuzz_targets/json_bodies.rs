//! Request bodies of both REST wires through `body::decode`, and `body::optional_time`:
//! never panic; a blank body is `{}`; only a JSON object decodes.
#![no_main]

use agentgate::wire::body::{decode, optional_time};
use agentgate::wire::mochat::bodies as claw;
use agentgate::wire::moltcities::bodies as mc;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes `bytes` as `T` and checks what holds for every body type (all default to empty).
fn body<T: DeserializeOwned>(bytes: &[u8]) {
    let blank = bytes.iter().all(u8::is_ascii_whitespace);
    match decode::<T>(bytes) {
        Ok((_, empty)) => {
            assert_eq!(empty, blank);
            if !blank {
                let v: Value = serde_json::from_slice(bytes)
                    .unwrap_or_else(|e| panic!("decoded a body that is not JSON: {e}"));
                assert!(v.is_object());
            }
        }
        Err(_) => assert!(!blank, "a blank body must decode as {{}}"),
    }
}

fuzz_target!(|data: &[u8]| {
    body::<claw::SelfRegister>(data);
    body::<claw::Bind>(data);
    body::<claw::Rotate>(data);
    body::<claw::Resolve>(data);
    body::<claw::GetGroup>(data);
    body::<claw::CreatePanel>(data);
    body::<claw::SendPanel>(data);
    body::<claw::ModifyPanel>(data);
    body::<claw::DeletePanel>(data);
    body::<claw::CreateInvite>(data);
    body::<claw::JoinByInvite>(data);
    body::<claw::Create>(data);
    body::<claw::Send>(data);
    body::<claw::History>(data);
    body::<claw::List>(data);
    body::<claw::One>(data);
    body::<claw::Members>(data);
    body::<claw::Watch>(data);
    body::<mc::Register>(data);
    body::<mc::SiteBody>(data);
    body::<mc::Verify>(data);
    body::<mc::Recover>(data);
    body::<mc::PatchMe>(data);
    body::<mc::Bulk>(data);
    body::<mc::Sign>(data);
    body::<mc::Send>(data);
    body::<mc::Patch>(data);
    body::<mc::JobPost>(data);
    body::<mc::Attempt>(data);
    body::<mc::Submit>(data);
    body::<mc::Dispute>(data);
    body::<mc::ChatPost>(data);
    body::<Value>(data);

    let text = String::from_utf8_lossy(data);
    match optional_time("t", Some(&text)) {
        Ok(None) => assert!(text.trim().is_empty()),
        Ok(Some(ms)) => {
            if let Ok(n) = text.trim().parse::<i64>() {
                assert_eq!(ms, n);
            }
        }
        Err(_) => assert!(!text.trim().is_empty()),
    }
    assert_eq!(optional_time("t", None).ok(), Some(None));
});
