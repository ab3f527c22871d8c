//! Socket.IO v5 over the real server: both parsers (sniffed per connection), namespaces,
//! auth, binary attachments, acks both ways, disconnect reasons, bounded queues.
mod common;

use agentgate::socketio::{
    connect_error_data, encode_event, AckError, AckResponder, BoxFuture, DisconnectReason,
    NamespaceHandler, ParserKind, Payload, SendError, Socket, SocketIo, SocketIoConfig,
};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use common::engine::*;
use rmpv::Value as Mp;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SIO: &str = "/socket.io/";

#[derive(Default)]
struct Recorder {
    disconnects: Mutex<Vec<(String, DisconnectReason)>>,
}

impl Recorder {
    fn reasons(&self) -> Vec<DisconnectReason> {
        self.disconnects
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.1)
            .collect()
    }
}

/// The token the client authenticated with, stored in the socket's extension slot.
struct Token(String);

struct TestNs(Arc<Recorder>);

impl NamespaceHandler for TestNs {
    fn on_connect(&self, socket: Socket, auth: Option<Value>) -> BoxFuture<Result<(), Value>> {
        Box::pin(async move {
            let token = auth
                .as_ref()
                .and_then(|a| a["token"].as_str())
                .unwrap_or("")
                .to_owned();
            if token == "bad" {
                return Err(connect_error_data(
                    "not authorized",
                    Some(json!({"code": 401})),
                ));
            }
            socket.insert_ext(Arc::new(Token(token)));
            // Emitted before on_connect resolves: must arrive right after the CONNECT reply.
            let _ = socket.emit("auth", auth.unwrap_or_else(|| json!({})));
            Ok(())
        })
    }

    fn on_event(
        &self,
        socket: Socket,
        event: String,
        args: Payload,
        ack: Option<AckResponder>,
    ) -> BoxFuture<()> {
        Box::pin(async move {
            match event.as_str() {
                "echo" => {
                    let _ = socket.emit("echo-back", args);
                }
                "ack" => {
                    if let Some(ack) = ack {
                        let _ = ack.send(args);
                    }
                }
                "ask" => {
                    let answer = socket.emit_with_ack("question", args, None).await;
                    let reply = match answer {
                        Ok(p) => p,
                        Err(AckError::Timeout) => Payload::from(json!("timeout")),
                        Err(e) => Payload::from(json!(e.to_string())),
                    };
                    let _ = socket.emit("answer", reply);
                }
                "bye" => socket.disconnect(),
                "close-me" => socket.close_connection(),
                // "drop-ack" and anything else: the responder is dropped unanswered.
                _ => drop(ack),
            }
        })
    }

    fn on_disconnect(&self, socket: Socket, reason: DisconnectReason) {
        self.0
            .disconnects
            .lock()
            .unwrap()
            .push((socket.id().to_owned(), reason));
    }
}

fn serve(config: SocketIoConfig) -> (TestServer, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let r2 = Arc::clone(&rec);
    let srv = start(config, move |io: &SocketIo| {
        io.ns("/", Arc::new(TestNs(Arc::clone(&r2))));
        io.ns("/custom", Arc::new(TestNs(r2)));
    });
    (srv, rec)
}

async fn ws_open(srv: &TestServer) -> WsClient {
    let mut ws = WsClient::connect(&srv.url(SIO, "EIO=4&transport=websocket")).await;
    assert!(ws.recv_text().await.starts_with("0{"));
    ws
}

/// Connects the JSON way; returns the socket id.
async fn json_connect(ws: &mut WsClient, auth: &str) -> String {
    ws.send_text(&format!("40{auth}")).await;
    let reply = ws.recv_text().await;
    let data: Value = serde_json::from_str(reply.strip_prefix("40").unwrap()).unwrap();
    assert_eq!(data.as_object().unwrap().len(), 1, "{reply}");
    let expected_auth = if auth.is_empty() { "{}" } else { auth };
    assert_eq!(
        ws.recv_text().await,
        format!("42[\"auth\",{expected_auth}]")
    );
    data["sid"].as_str().unwrap().to_owned()
}

fn ph(n: usize) -> String {
    format!("{{\"_placeholder\":true,\"num\":{n}}}")
}

// ----- msgpack helpers (the wire as socket.io-msgpack-parser / notepack write it) -----

fn mp_encode(entries: Vec<(&str, Mp)>) -> Vec<u8> {
    let m = Mp::Map(entries.into_iter().map(|(k, v)| (Mp::from(k), v)).collect());
    let mut buf = Vec::new();
    rmpv::encode::write_value(&mut buf, &m).unwrap();
    buf
}

/// Decodes a server frame into (key, value) pairs, asserting string keys.
fn mp_decode(b: &[u8]) -> Vec<(String, Mp)> {
    let v = rmpv::decode::read_value(&mut &b[..]).unwrap();
    let Mp::Map(entries) = v else {
        panic!("not a map: {v}")
    };
    entries
        .into_iter()
        .map(|(k, v)| (k.as_str().expect("string key").to_owned(), v))
        .collect()
}

fn field<'a>(m: &'a [(String, Mp)], key: &str) -> Option<&'a Mp> {
    m.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn keys(m: &[(String, Mp)]) -> Vec<&str> {
    let mut k: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
    k.sort_unstable();
    k
}

fn undefined() -> Mp {
    Mp::Ext(0, vec![0])
}

async fn mp_connect(ws: &mut WsClient, token: &str) -> String {
    ws.send_binary(mp_encode(vec![
        ("type", Mp::from(0)),
        ("data", Mp::Map(vec![(Mp::from("token"), Mp::from(token))])),
        ("nsp", Mp::from("/")),
    ]))
    .await;
    let reply = mp_decode(&ws.recv_binary().await);
    assert_eq!(
        keys(&reply),
        vec!["data", "nsp", "type"],
        "no nil id/data keys"
    );
    assert_eq!(field(&reply, "type"), Some(&Mp::from(0)));
    let sid = field(&reply, "data").unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = mp_decode(&ws.recv_binary().await);
    assert_eq!(keys(&auth), vec!["data", "nsp", "type"]);
    assert_eq!(
        field(&auth, "data"),
        Some(&Mp::Array(vec![
            Mp::from("auth"),
            Mp::Map(vec![(Mp::from("token"), Mp::from(token))])
        ]))
    );
    sid
}

#[actix_rt::test]
async fn json_connect_emit_order_and_echo() {
    let (srv, _) = serve(fast_config());
    let mut ws = ws_open(&srv).await;
    let sid = json_connect(&mut ws, "{\"token\":\"123\"}").await;
    let socket = srv.io.socket(&sid).expect("registered by id");
    assert_eq!(
        (socket.namespace(), socket.parser()),
        ("/", ParserKind::Json)
    );
    assert_eq!(socket.ext::<Token>().unwrap().0, "123");
    assert_ne!(
        socket.engine_sid(),
        sid,
        "socket id differs from the engine sid"
    );
    assert_eq!(srv.io.socket_count(), 1);
    ws.send_text("42[\"echo\",1,\"2\",{\"3\":[true]}]").await;
    assert_eq!(
        ws.recv_text().await,
        "42[\"echo-back\",1,\"2\",{\"3\":[true]}]"
    );
    ws.send_text("420[\"ack\",\"zero id\"]").await;
    assert_eq!(ws.recv_text().await, "430[\"zero id\"]");
    ws.send_text("42456[\"ack\",1,\"2\",{\"3\":[false]}]").await;
    assert_eq!(ws.recv_text().await, "43456[1,\"2\",{\"3\":[false]}]");
    // A dropped responder still answers, with no arguments.
    ws.send_text("4277[\"drop-ack\"]").await;
    assert_eq!(ws.recv_text().await, "4377[]");
}

#[actix_rt::test]
async fn json_binary_attachments_round_trip() {
    let (srv, _) = serve(fast_config());
    let mut ws = ws_open(&srv).await;
    json_connect(&mut ws, "").await;
    ws.send_text(&format!("452-[\"echo\",{},{}]", ph(0), ph(1)))
        .await;
    ws.send_binary(vec![1u8, 2, 3]).await;
    ws.send_binary(vec![4u8, 5, 6]).await;
    assert_eq!(
        ws.recv_text().await,
        format!("452-[\"echo-back\",{},{}]", ph(0), ph(1))
    );
    assert_eq!(ws.recv_binary().await.as_ref(), &[1, 2, 3]);
    assert_eq!(ws.recv_binary().await.as_ref(), &[4, 5, 6]);
    ws.send_text(&format!("452-789[\"ack\",{},{{\"x\":{}}}]", ph(0), ph(1)))
        .await;
    ws.send_binary(vec![9u8]).await;
    ws.send_binary(vec![8u8]).await;
    assert_eq!(
        ws.recv_text().await,
        format!("462-789[{},{{\"x\":{}}}]", ph(0), ph(1))
    );
    assert_eq!(ws.recv_binary().await.as_ref(), &[9]);
    assert_eq!(ws.recv_binary().await.as_ref(), &[8]);
    // An attachment without a header is a protocol error.
    ws.send_binary(vec![1u8]).await;
    ws.expect_closed().await;
}

#[actix_rt::test]
async fn msgpack_and_json_side_by_side() {
    let (srv, _) = serve(fast_config());
    let mut js = ws_open(&srv).await;
    let js_sid = json_connect(&mut js, "").await;
    let mut mp = ws_open(&srv).await;
    let mp_sid = mp_connect(&mut mp, "T").await;
    assert_eq!(
        srv.io.socket(&mp_sid).unwrap().parser(),
        ParserKind::Msgpack
    );
    assert_eq!(srv.io.socket(&js_sid).unwrap().parser(), ParserKind::Json);
    assert_eq!(srv.io.socket_count(), 2);

    // Client event as socket.io-client sends it: extra `options`, ack id 0, ext-0 binary.
    mp.send_binary(mp_encode(vec![
        ("type", Mp::from(2)),
        (
            "data",
            Mp::Array(vec![Mp::from("ack"), Mp::from("x"), Mp::Ext(0, vec![9, 9])]),
        ),
        (
            "options",
            Mp::Map(vec![(Mp::from("compress"), Mp::Boolean(true))]),
        ),
        ("id", Mp::from(0)),
        ("nsp", Mp::from("/")),
    ]))
    .await;
    let ack = mp_decode(&mp.recv_binary().await);
    assert_eq!(keys(&ack), vec!["data", "id", "nsp", "type"]);
    assert_eq!(field(&ack, "type"), Some(&Mp::from(3)));
    assert_eq!(field(&ack, "id"), Some(&Mp::from(0)));
    assert_eq!(
        field(&ack, "data"),
        Some(&Mp::Array(vec![Mp::from("x"), Mp::Binary(vec![9, 9])]))
    );

    // Binary echo comes back as native bin, exactly.
    mp.send_binary(mp_encode(vec![
        ("type", Mp::from(2)),
        ("nsp", Mp::from("/")),
        (
            "data",
            Mp::Array(vec![
                Mp::from("echo"),
                Mp::Binary(vec![1, 2, 3]),
                Mp::Map(vec![
                    (Mp::from("n"), Mp::from(-5)),
                    (Mp::from("f"), Mp::F64(1.5)),
                ]),
                undefined(),
            ]),
        ),
    ]))
    .await;
    let echo = mp_decode(&mp.recv_binary().await);
    assert_eq!(keys(&echo), vec!["data", "nsp", "type"]);
    assert_eq!(
        field(&echo, "data"),
        Some(&Mp::Array(vec![
            Mp::from("echo-back"),
            Mp::Binary(vec![1, 2, 3]),
            Mp::Map(vec![
                (Mp::from("f"), Mp::F64(1.5)),
                (Mp::from("n"), Mp::from(-5))
            ]),
            Mp::Nil,
        ]))
    );

    // One event rendered once per parser, shared by sockets of that parser.
    let mut payload = Payload::new(vec![json!({"seq": 1})]);
    let bin = payload.attach(Bytes::from_static(b"\x00\x01"));
    payload.args.push(bin);
    let enc_json = encode_event(ParserKind::Json, "/", "news", &payload);
    let enc_mp = encode_event(ParserKind::Msgpack, "/", "news", &payload);
    let js_socket = srv.io.socket(&js_sid).unwrap();
    let mp_socket = srv.io.socket(&mp_sid).unwrap();
    assert_eq!(
        js_socket.send_encoded(Arc::clone(&enc_mp)),
        Err(SendError::Mismatch)
    );
    assert_eq!(
        js_socket.send_encoded(encode_event(ParserKind::Json, "/custom", "news", &payload)),
        Err(SendError::Mismatch)
    );
    js_socket.send_encoded(enc_json).unwrap();
    mp_socket.send_encoded(enc_mp).unwrap();
    assert_eq!(
        js.recv_text().await,
        format!("451-[\"news\",{{\"seq\":1}},{}]", ph(0))
    );
    assert_eq!(js.recv_binary().await.as_ref(), b"\x00\x01");
    let news = mp_decode(&mp.recv_binary().await);
    assert_eq!(
        field(&news, "data"),
        Some(&Mp::Array(vec![
            Mp::from("news"),
            Mp::Map(vec![(Mp::from("seq"), Mp::from(1))]),
            Mp::Binary(vec![0, 1]),
        ]))
    );
    // Text on a msgpack connection is a protocol error.
    mp.send_text("42[\"echo\"]").await;
    mp.expect_closed().await;
    wait_until(|| srv.io.socket_count() == 1).await;
}

#[actix_rt::test]
async fn server_emit_with_ack_and_timeout() {
    let (srv, _) = serve(fast_config());
    let mut ws = ws_open(&srv).await;
    json_connect(&mut ws, "").await;
    ws.send_text("42[\"ask\",5]").await;
    let q = ws.recv_text().await;
    let rest = q.strip_prefix("42").unwrap();
    let id: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    assert!(!id.is_empty(), "server emit carries an ack id: {q}");
    assert_eq!(&rest[id.len()..], "[\"question\",5]");
    ws.send_text(&format!("43{id}[{{\"ok\":1}}]")).await;
    assert_eq!(ws.recv_text().await, "42[\"answer\",{\"ok\":1}]");
    // No answer: the ack times out (500 ms in these settings).
    let t = Instant::now();
    ws.send_text("42[\"ask\",6]").await;
    assert!(ws.recv_text().await.ends_with("[\"question\",6]"));
    assert_eq!(ws.recv_text().await, "42[\"answer\",\"timeout\"]");
    assert!(t.elapsed() >= Duration::from_millis(450));

    // msgpack: the ack comes back as a map with an integer id.
    let mut mp = ws_open(&srv).await;
    mp_connect(&mut mp, "m").await;
    mp.send_binary(mp_encode(vec![
        ("type", Mp::from(2)),
        ("nsp", Mp::from("/")),
        (
            "data",
            Mp::Array(vec![Mp::from("ask"), Mp::Binary(vec![7])]),
        ),
    ]))
    .await;
    let q = mp_decode(&mp.recv_binary().await);
    let id = field(&q, "id").and_then(Mp::as_u64).expect("id");
    assert_eq!(
        field(&q, "data"),
        Some(&Mp::Array(vec![Mp::from("question"), Mp::Binary(vec![7])]))
    );
    mp.send_binary(mp_encode(vec![
        ("type", Mp::from(3)),
        ("nsp", Mp::from("/")),
        ("id", Mp::from(id)),
        ("data", Mp::Array(vec![Mp::Binary(vec![8])])),
    ]))
    .await;
    let answer = mp_decode(&mp.recv_binary().await);
    assert_eq!(
        field(&answer, "data"),
        Some(&Mp::Array(vec![Mp::from("answer"), Mp::Binary(vec![8])]))
    );
}

#[actix_rt::test]
async fn namespaces_and_connect_errors() {
    let (srv, _) = serve(fast_config());
    let mut ws = ws_open(&srv).await;
    ws.send_text("40/random").await;
    assert_eq!(
        ws.recv_text().await,
        "44/random,{\"message\":\"Invalid namespace\"}"
    );
    ws.send_text("40/custom,{\"token\":\"bad\"}").await;
    let refusal = ws.recv_text().await;
    let data: Value = serde_json::from_str(refusal.strip_prefix("44/custom,").unwrap()).unwrap();
    assert_eq!(
        data,
        json!({"message": "not authorized", "data": {"code": 401}})
    );
    // The connection stays usable after refusals.
    ws.send_text("40/custom,{\"token\":\"good\"}").await;
    assert!(ws.recv_text().await.starts_with("40/custom,{\"sid\":"));
    assert_eq!(
        ws.recv_text().await,
        "42/custom,[\"auth\",{\"token\":\"good\"}]"
    );
    ws.send_text("40").await;
    assert!(ws.recv_text().await.starts_with("40{\"sid\":"));
    assert_eq!(ws.recv_text().await, "42[\"auth\",{}]");
    ws.send_text("42/custom,[\"echo\",\"c\"]").await;
    assert_eq!(ws.recv_text().await, "42/custom,[\"echo-back\",\"c\"]");
    assert_eq!(srv.io.socket_count(), 2);
    // A packet for a namespace that is not joined breaks the state rules.
    ws.send_text("42/other,[\"echo\"]").await;
    ws.expect_closed().await;
    wait_until(|| srv.io.socket_count() == 0).await;

    // msgpack CONNECT_ERROR is a map with string data fields.
    let mut mp = ws_open(&srv).await;
    mp.send_binary(mp_encode(vec![
        ("type", Mp::from(0)),
        ("data", undefined()),
        ("nsp", Mp::from("/random")),
    ]))
    .await;
    let err = mp_decode(&mp.recv_binary().await);
    assert_eq!(keys(&err), vec!["data", "nsp", "type"]);
    assert_eq!(field(&err, "type"), Some(&Mp::from(4)));
    assert_eq!(
        field(&err, "data"),
        Some(&Mp::Map(vec![(
            Mp::from("message"),
            Mp::from("Invalid namespace")
        )]))
    );
}

#[actix_rt::test]
async fn disconnect_reasons() {
    let (srv, rec) = serve(fast_config());
    // Client namespace disconnect: the engine stays open (next frame is a ping).
    let mut ws = ws_open(&srv).await;
    json_connect(&mut ws, "").await;
    ws.send_text("41").await;
    assert_eq!(ws.recv().await, WsMsg::Text("2".into()));
    assert_eq!(
        rec.reasons(),
        vec![DisconnectReason::ClientNamespaceDisconnect]
    );
    // Server namespace disconnect: the client gets DISCONNECT and may join again.
    ws.send_text("3").await;
    json_connect(&mut ws, "").await;
    ws.send_text("42[\"bye\"]").await;
    assert_eq!(ws.recv_text().await, "41");
    wait_until(|| rec.reasons().len() == 2).await;
    assert_eq!(
        rec.reasons()[1],
        DisconnectReason::ServerNamespaceDisconnect
    );
    json_connect(&mut ws, "").await;
    // Server closes the connection.
    ws.send_text("42[\"close-me\"]").await;
    ws.expect_closed().await;
    wait_until(|| rec.reasons().len() == 3).await;
    assert_eq!(rec.reasons()[2], DisconnectReason::ServerClose);
    // The client goes away.
    let mut ws = ws_open(&srv).await;
    json_connect(&mut ws, "").await;
    ws.close().await;
    wait_until(|| rec.reasons().len() == 4).await;
    assert_eq!(rec.reasons()[3], DisconnectReason::TransportClose);
    // Invalid packets.
    for bad in ["4abc", "42{}", "42abc[\"x\"]", "40"] {
        let mut ws = ws_open(&srv).await;
        json_connect(&mut ws, "").await;
        let n = rec.reasons().len();
        ws.send_text(bad).await;
        ws.expect_closed().await;
        wait_until(|| rec.reasons().len() == n + 1).await;
        assert_eq!(rec.reasons()[n], DisconnectReason::ParseError, "{bad}");
    }
    // Ping timeout.
    let mut ws = ws_open(&srv).await;
    json_connect(&mut ws, "").await;
    let n = rec.reasons().len();
    ws.expect_closed().await;
    wait_until(|| rec.reasons().len() == n + 1).await;
    assert_eq!(rec.reasons()[n], DisconnectReason::PingTimeout);
    assert_eq!(srv.io.socket_count(), 0);
}

#[actix_rt::test]
async fn close_by_id_from_outside() {
    let (srv, rec) = serve(fast_config());
    let mut ws = ws_open(&srv).await;
    let sid = json_connect(&mut ws, "{\"token\":\"old\"}").await;
    assert!(srv.io.close_connection(&sid));
    ws.expect_closed().await;
    wait_until(|| rec.reasons() == vec![DisconnectReason::ServerClose]).await;
    assert!(srv.io.socket(&sid).is_none());
    assert!(!srv.io.close_connection(&sid));
    let mut ws = ws_open(&srv).await;
    let sid = json_connect(&mut ws, "").await;
    assert!(srv.io.disconnect_socket(&sid));
    assert_eq!(ws.recv_text().await, "41");
    assert_eq!(srv.io.socket_count(), 0);
}

#[actix_rt::test]
async fn connect_timeout_closes_the_connection() {
    let config = SocketIoConfig {
        connect_timeout: Duration::from_millis(300),
        ping_interval: Duration::from_secs(5),
        ping_timeout: Duration::from_secs(5),
        ..fast_config()
    };
    let (srv, _) = serve(config);
    let t = Instant::now();
    let mut ws = ws_open(&srv).await;
    ws.expect_closed().await;
    let e = t.elapsed();
    assert!(
        e >= Duration::from_millis(250) && e < Duration::from_secs(2),
        "{e:?}"
    );
    // Polling: the close packet is delivered on the next GET.
    let (sid, _) = polling_open(&srv, SIO).await;
    let r = get(&srv.url(SIO, &format!("EIO=4&transport=polling&sid={sid}"))).await;
    assert_eq!(r.body, "1");
    wait_until(|| srv.io.connection_count() == 0).await;
}

#[actix_rt::test]
async fn polling_with_both_parsers() {
    let (srv, _) = serve(fast_config());
    // JSON over polling, binary attachments spread over the payload.
    let (sid, _) = polling_open(&srv, SIO).await;
    let url = srv.url(SIO, &format!("EIO=4&transport=polling&sid={sid}"));
    assert_eq!(post(&url, "40").await.status, 200);
    let r = get(&url).await;
    let parts: Vec<&str> = r.body.split('\x1e').collect();
    assert!(parts[0].starts_with("40{\"sid\":"), "{}", r.body);
    assert_eq!(parts[1], "42[\"auth\",{}]");
    let body = format!("452-[\"echo\",{},{}]\x1ebAQID\x1ebBAUG", ph(0), ph(1));
    assert_eq!(post(&url, body.clone()).await.status, 200);
    assert_eq!(
        get(&url).await.body,
        body.replace("\"echo\"", "\"echo-back\"")
    );

    // msgpack over polling: `b` + base64 of the map.
    let (sid, _) = polling_open(&srv, SIO).await;
    let url = srv.url(SIO, &format!("EIO=4&transport=polling&sid={sid}"));
    let connect = mp_encode(vec![
        ("type", Mp::from(0)),
        ("nsp", Mp::from("/")),
        ("data", Mp::Map(vec![(Mp::from("token"), Mp::from("P"))])),
    ]);
    assert_eq!(
        post(&url, format!("b{}", B64.encode(connect))).await.status,
        200
    );
    let r = get(&url).await;
    let frames: Vec<Vec<u8>> = r
        .body
        .split('\x1e')
        .map(|p| {
            B64.decode(p.strip_prefix('b').expect("binary record"))
                .unwrap()
        })
        .collect();
    assert_eq!(frames.len(), 2, "{}", r.body);
    assert_eq!(field(&mp_decode(&frames[0]), "type"), Some(&Mp::from(0)));
    let event = mp_encode(vec![
        ("type", Mp::from(2)),
        ("nsp", Mp::from("/")),
        (
            "data",
            Mp::Array(vec![Mp::from("echo"), Mp::Binary(vec![4])]),
        ),
    ]);
    assert_eq!(
        post(&url, format!("b{}", B64.encode(event))).await.status,
        200
    );
    let r = get(&url).await;
    let echo = mp_decode(&B64.decode(r.body.strip_prefix('b').unwrap()).unwrap());
    assert_eq!(
        field(&echo, "data"),
        Some(&Mp::Array(vec![Mp::from("echo-back"), Mp::Binary(vec![4])]))
    );
}

#[actix_rt::test]
async fn full_client_flow_polling_then_upgrade() {
    let (srv, _) = serve(fast_config());
    let (sid, _) = polling_open(&srv, SIO).await;
    let url = srv.url(SIO, &format!("EIO=4&transport=polling&sid={sid}"));
    assert_eq!(post(&url, "40{\"token\":\"u\"}").await.status, 200);
    assert!(get(&url)
        .await
        .body
        .contains("42[\"auth\",{\"token\":\"u\"}]"));
    let pending = actix_rt::spawn({
        let url = url.clone();
        async move { get(&url).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut ws =
        WsClient::connect(&srv.url(SIO, &format!("EIO=4&transport=websocket&sid={sid}"))).await;
    ws.send_text("2probe").await;
    assert_eq!(ws.recv().await, WsMsg::Text("3probe".into()));
    assert_eq!(pending.await.unwrap().body, "6");
    ws.send_text("5").await;
    ws.send_text("42[\"echo\",\"over ws\"]").await;
    assert_eq!(ws.recv_text().await, "42[\"echo-back\",\"over ws\"]");
    let socket = srv.io.sockets().pop().unwrap();
    assert_eq!(
        socket.transport(),
        agentgate::socketio::TransportKind::Websocket
    );
}

#[actix_rt::test]
async fn slow_consumer_is_closed_with_a_distinct_reason() {
    let config = SocketIoConfig {
        outbound_capacity: 4,
        ping_interval: Duration::from_secs(5),
        ping_timeout: Duration::from_secs(5),
        ..fast_config()
    };
    let (srv, rec) = serve(config);
    let (sid, _) = polling_open(&srv, SIO).await;
    let url = srv.url(SIO, &format!("EIO=4&transport=polling&sid={sid}"));
    assert_eq!(post(&url, "40").await.status, 200);
    let first = get(&url).await.body;
    let socket_id = serde_json::from_str::<Value>(
        first
            .split('\x1e')
            .next()
            .unwrap()
            .strip_prefix("40")
            .unwrap(),
    )
    .unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let socket = srv.io.socket(&socket_id).unwrap();
    // Nobody polls: the queue fills, then the connection is closed.
    let results: Vec<Result<(), SendError>> =
        (0..6).map(|i| socket.emit("flood", json!(i))).collect();
    assert_eq!(&results[..4], &[Ok(()), Ok(()), Ok(()), Ok(())]);
    assert_eq!(results[4], Err(SendError::Full));
    assert_eq!(results[5], Err(SendError::Closed));
    wait_until(|| rec.reasons() == vec![DisconnectReason::SlowConsumer]).await;
    assert_eq!(get(&url).await.status, 400);
    assert_eq!(srv.io.socket_count(), 0);
    assert_eq!(srv.io.connection_count(), 0);
}
