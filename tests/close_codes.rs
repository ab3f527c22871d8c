//! The close codes and errors of docs/protocols.md that no other test file sends: a normal
//! close is echoed (1000), broken framing is 1002, and an expired registration challenge is 410.
//! (The rest are named, with their tests, in docs/protocols.md.)

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::mc::{registration, Keys};
use common::mc_ws::Ws;
use common::{sql, Server};
use serde_json::json;

#[actix_rt::test]
async fn a_client_close_is_echoed_with_1000() {
    let s = Server::start();
    let c = s.client();
    let a = c.register("closer").await;
    for channel in [None, Some("town-square")] {
        let mut ws = Ws::open(&s, &a.token, channel).await;
        ws.json().await;
        assert_eq!(ws.close().await.map(|c| c.0), Some(1000), "{channel:?}");
    }
}

/// One server frame off a raw stream: (opcode, payload). Server frames are never masked.
fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).unwrap();
    let len = match head[1] & 0x7f {
        126 => {
            let mut b = [0u8; 2];
            tcp.read_exact(&mut b).unwrap();
            u16::from_be_bytes(b) as usize
        }
        127 => {
            let mut b = [0u8; 8];
            tcp.read_exact(&mut b).unwrap();
            u64::from_be_bytes(b) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).unwrap();
    (head[0] & 0x0f, payload)
}

/// A MoltCities personal socket of a new agent over a raw TCP stream, its `connected` frame
/// read: frames can be written exactly as a test needs, many in one write.
fn raw_socket(s: &Server, name: &str) -> TcpStream {
    let a = actix_rt::System::new().block_on(async { s.client().register(name).await });
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut tcp = TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        tcp,
        "GET /api/notifications/connect?token={} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
        a.token
    )
    .unwrap();
    // The 101 head, byte by byte up to the blank line, so no frame byte is consumed.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        tcp.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // permessage-deflate was offered; no extension is ever accepted (docs/protocols.md).
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("sec-websocket-extensions"),
        "{head}"
    );
    let (op, connected) = read_frame(&mut tcp);
    assert_eq!(op, 1);
    assert!(String::from_utf8_lossy(&connected).contains("\"connected\""));
    tcp
}

/// A masked client frame (FIN set) with the given opcode.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    fragment(0x80 | opcode, payload)
}

/// A masked client frame whose first byte (FIN and opcode) is `b0`.
fn fragment(b0: u8, payload: &[u8]) -> Vec<u8> {
    const MASK: [u8; 4] = [0x5A, 0x01, 0xC3, 0x7E];
    assert!(payload.len() < 126);
    let mut f = vec![b0, 0x80 | payload.len() as u8];
    f.extend_from_slice(&MASK);
    f.extend(payload.iter().zip(MASK.iter().cycle()).map(|(b, m)| b ^ m));
    f
}

/// Reads frames until a close frame: its (code, reason); panics on a silent server.
fn read_close(tcp: &mut TcpStream) -> (u16, String) {
    loop {
        let (op, payload) = read_frame(tcp);
        if op == 8 {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            return (code, String::from_utf8_lossy(&payload[2..]).to_string());
        }
    }
}

#[test]
fn close_codes_that_may_not_be_sent_are_answered_with_1002_and_valid_ones_echoed() {
    let s = Server::start();
    // RFC 6455 §7.4: 1005, 1006 and 1015 are never sent, 1004 and 1016-2999 are reserved or
    // unassigned, nothing is defined at 5000 or above.
    for (i, code) in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]
        .into_iter()
        .enumerate()
    {
        let mut tcp = raw_socket(&s, &format!("bad{i}"));
        tcp.write_all(&client_frame(8, &code.to_be_bytes()))
            .unwrap();
        assert_eq!(
            read_close(&mut tcp),
            (
                1002,
                "Protocol error: close code not allowed on the wire".into()
            ),
            "code {code}"
        );
    }
    for (i, code) in [1000u16, 1001, 1003, 1007, 1014, 3000, 4999]
        .into_iter()
        .enumerate()
    {
        let mut tcp = raw_socket(&s, &format!("good{i}"));
        tcp.write_all(&client_frame(
            8,
            &[&code.to_be_bytes()[..], b"bye"].concat(),
        ))
        .unwrap();
        assert_eq!(read_close(&mut tcp), (code, String::new()), "code {code}");
    }
}

#[test]
fn a_burst_of_2000_pings_in_one_write_gets_pongs_and_no_slow_consumer_close() {
    // The default outbound queue holds 1,024 frames: the burst is twice that.
    let s = Server::start();
    let mut tcp = raw_socket(&s, "pinger");
    let burst: Vec<u8> = (0u32..2000)
        .flat_map(|n| client_frame(9, &n.to_be_bytes()))
        .collect();
    tcp.write_all(&burst).unwrap();
    // Pongs arrive (at least the one answering the last ping) and nothing closes the socket.
    let mut pongs = 0;
    loop {
        let (op, payload) = read_frame(&mut tcp);
        assert_ne!(op, 8, "closed: {payload:?}");
        if op == 10 {
            pongs += 1;
            assert_eq!(payload.len(), 4);
            if payload == 1999u32.to_be_bytes() {
                break;
            }
        }
    }
    assert!((1..=2000).contains(&pongs), "{pongs} pongs");
    // Still healthy: a ping is answered and a close is echoed.
    tcp.write_all(&client_frame(9, b"again")).unwrap();
    let (op, payload) = read_frame(&mut tcp);
    assert_eq!((op, payload.as_slice()), (10, &b"again"[..]));
    tcp.write_all(&client_frame(8, &1000u16.to_be_bytes()))
        .unwrap();
    assert_eq!(read_close(&mut tcp), (1000, String::new()));
}

#[test]
fn empty_continuations_are_capped_and_bad_utf8_fails_before_the_last_fragment() {
    let s = Server::start();
    // A message that never grows: the 17th empty continuation ends the socket with 1008.
    let mut tcp = raw_socket(&s, "emptier");
    let mut wire = fragment(0x01, b"{");
    for _ in 0..17 {
        wire.extend(fragment(0x00, b""));
    }
    tcp.write_all(&wire).unwrap();
    assert_eq!(
        read_close(&mut tcp),
        (1008, "More than 16 empty continuation frames".into())
    );
    // Invalid UTF-8 in the second of three fragments closes with 1007 at once: the final
    // fragment is never sent.
    let mut tcp = raw_socket(&s, "utf8");
    let mut wire = fragment(0x01, "{\"κόσμε\":".as_bytes());
    wire.extend(fragment(0x00, &[0xF4, 0x90, 0x80, 0x80]));
    tcp.write_all(&wire).unwrap();
    assert_eq!(read_close(&mut tcp), (1007, "Invalid UTF-8".into()));
}

#[test]
fn an_unmasked_client_frame_is_closed_with_1002() {
    let s = Server::start();
    let mut tcp = raw_socket(&s, "framer");
    // RFC 6455 §5.1: a client frame must be masked; this one is not.
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).unwrap();
    // Bounded: the read timeout ends a silent server.
    assert_eq!(
        read_close(&mut tcp),
        (1002, "Protocol error: client frame not masked".into())
    );
}

#[actix_rt::test]
async fn an_expired_challenge_is_410_and_cannot_be_used() {
    let s = Server::start();
    let c = s.client();
    let keys = Keys::new();
    let r = c
        .mc(
            "POST",
            "/api/register",
            None,
            Some(registration("Late", "late-site", &keys.pem)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let challenge = r.body["challenge"].as_str().unwrap().to_string();
    // Ten minutes pass: the challenge's expiry moves into the past.
    sql(&s.db, "UPDATE key_challenges SET expires_at = 1");
    let verify = json!({"pending_id": r.body["pending_id"], "signature": keys.sign(&challenge)});
    let v = c
        .mc("POST", "/api/register/verify", None, Some(verify.clone()))
        .await;
    assert_eq!(v.status, 410, "{}", v.body);
    assert!(
        v.body["error"].as_str().unwrap().contains("expired"),
        "{}",
        v.body
    );
    // Gone for good: asking again changes nothing, and no agent was created.
    let again = c
        .mc("POST", "/api/register/verify", None, Some(verify))
        .await;
    assert_eq!(again.status, 410, "{}", again.body);
    assert_eq!(
        c.mc("GET", "/api/sites/late-site", None, None).await.status,
        404
    );
}

#[test]
fn every_test_docs_protocols_names_exists() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/protocols.md")).unwrap();
    let mut named = 0;
    for part in doc.split('`') {
        let Some((file, test)) = part.split_once("::") else {
            continue;
        };
        if !file.chars().all(|c| c.is_ascii_lowercase() || c == '_') || test.contains(' ') {
            continue;
        }
        let source = std::fs::read_to_string(format!("{root}/tests/{file}.rs"))
            .unwrap_or_else(|_| panic!("docs/protocols.md names tests/{file}.rs"));
        assert!(
            source.contains(&format!("fn {test}(")),
            "docs/protocols.md names {file}::{test}, which does not exist"
        );
        named += 1;
    }
    assert!(named >= 25, "only {named} tests named");
}
