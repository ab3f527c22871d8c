//! The close codes and errors of docs/protocols.md that no other test file sends: a normal
//! close is echoed (1000), broken framing is 1002, and an expired registration challenge is 410.
//! (The rest are named, with their tests, in docs/protocols.md.)

mod common;
mod mc_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::mc::{registration, Keys};
use common::Server;
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use mc_support::Ws;
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

#[test]
fn an_unmasked_client_frame_is_closed_with_1002() {
    let s = Server::start();
    let a = actix_rt::System::new().block_on(async { s.client().register("framer").await });
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut tcp = TcpStream::connect(&addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        tcp,
        "GET /api/notifications/connect?token={} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
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
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let (op, connected) = read_frame(&mut tcp);
    assert_eq!(op, 1);
    assert!(String::from_utf8_lossy(&connected).contains("\"connected\""));
    // RFC 6455 §5.1: a client frame must be masked; this one is not.
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).unwrap();
    // Bounded: the read timeout ends a silent server.
    loop {
        let (op, payload) = read_frame(&mut tcp);
        if op == 8 {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            assert_eq!(code, 1002);
            assert_eq!(&payload[2..], b"Protocol error");
            break;
        }
    }
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
    let mut db = SqliteConnection::establish(s.db.to_str().unwrap()).unwrap();
    db.batch_execute("UPDATE key_challenges SET expires_at = 1")
        .unwrap();
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
