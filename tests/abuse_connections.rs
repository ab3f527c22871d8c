//! Slow and idle connections cannot take the server off the air: request bodies have
//! deadlines (408, connection closed), one address can hold only so many connections, and
//! `/health` stays fast while 2,000 abusive connections are open.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::Server;

/// The server's address, from its base URL.
fn addr(server: &Server) -> SocketAddr {
    server
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("server address")
}

/// A connection from `source` (a loopback address) to `to`.
fn connect_from(source: &str, to: SocketAddr) -> TcpStream {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let from: IpAddr = source.parse().unwrap();
    sock.bind(&SocketAddr::new(from, 0).into()).unwrap();
    sock.connect(&to.into()).unwrap();
    sock.into()
}

/// A complete head whose 100-byte body never comes (one byte of it is sent).
const SLOW_BODY: &[u8] = b"POST /api/claw/agents/selfRegister HTTP/1.1\r\nHost: t\r\n\
content-type: application/json\r\ncontent-length: 100\r\n\r\n{";

/// Everything the server sends until it closes (or `limit` passes).
fn read_all(s: &mut TcpStream, limit: Duration) -> String {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

/// One `GET /health` on a fresh connection: status line and elapsed time.
fn health(to: SocketAddr) -> (String, Duration) {
    let start = Instant::now();
    let mut s = TcpStream::connect(to).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_all(&mut s, Duration::from_secs(5));
    let status = answer.lines().next().unwrap_or("").to_string();
    (status, start.elapsed())
}

#[test]
fn health_stays_fast_under_2000_abusive_connections_and_bodies_are_cut() {
    const SOURCES: usize = 10;
    const PER_SOURCE: usize = 200;
    let need = (SOURCES * PER_SOURCE + 300) as u64;
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    assert!(
        limit >= need,
        "this test needs {need} descriptors; the hard limit allows {limit}"
    );
    let server = Server::start_with(&[
        ("AGENTGATE_BODY_TIMEOUT_SECS", "8"),
        ("AGENTGATE_MAX_CONNECTIONS_PER_IP", "200"),
    ]);
    let to = addr(&server);
    let rss_before = server.rss_kib();

    // Half send a whole head and one byte of the body; half send half a head and stop.
    let opened = Instant::now();
    let mut trickling = Vec::new();
    let mut idle = Vec::new();
    for src in 0..SOURCES {
        let source = format!("127.0.0.{}", src + 2);
        for i in 0..PER_SOURCE {
            let mut s = connect_from(&source, to);
            if i % 2 == 0 {
                s.write_all(SLOW_BODY).unwrap();
                trickling.push(s);
            } else {
                s.write_all(b"GET /health HTTP/1.1\r\nHo").unwrap();
                idle.push(s);
            }
        }
    }
    let open_time = opened.elapsed();
    assert_eq!(trickling.len() + idle.len(), 2000);

    // Over the cap from one address: refused at once; another address still gets in.
    let mut over = connect_from("127.0.0.2", to);
    let refusal = read_all(&mut over, Duration::from_secs(3));
    assert!(
        refusal.starts_with("HTTP/1.1 429 Too Many Requests"),
        "{refusal}"
    );
    assert!(refusal.contains("connection: close"), "{refusal}");
    assert!(
        refusal.contains("too many connections from this address"),
        "{refusal}"
    );

    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let (status, took) = health(to);
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(took < Duration::from_millis(100), "/health took {took:?}");
        worst = worst.max(took);
    }
    let rss_during = server.rss_kib();
    eprintln!(
        "2000 abusive connections opened in {open_time:?}; /health worst of 20: {worst:?}; \
         RSS {rss_before} KiB before, {rss_during} KiB with them open"
    );

    // The slow bodies break the minimum rate 5 s after their head: 408, then closed.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut cut = 0;
    for s in &mut trickling {
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = read_all(s, left.max(Duration::from_millis(1)));
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout"),
            "{answer}"
        );
        assert!(answer.contains("connection: close"), "{answer}");
        assert!(answer.contains("body_min_bytes_per_sec"), "{answer}");
        cut += 1;
    }
    assert_eq!(cut, 1000);
    // Their places are free again: the capped address gets in.
    let (status, _) = health(to);
    assert_eq!(status, "HTTP/1.1 200 OK");
    let mut again = connect_from("127.0.0.2", to);
    again
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_all(&mut again, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    drop(idle);
}

#[test]
fn a_body_that_keeps_the_rate_is_still_cut_at_the_total_deadline() {
    let server = Server::start_with(&[
        ("AGENTGATE_BODY_TIMEOUT_SECS", "2"),
        ("AGENTGATE_BODY_MIN_BYTES_PER_SEC", "1"),
    ]);
    let to = addr(&server);
    let mut s = TcpStream::connect(to).unwrap();
    s.write_all(SLOW_BODY).unwrap();
    let start = Instant::now();
    // Five bytes a second: above the minimum rate, far below the total deadline's needs.
    s.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while start.elapsed() < Duration::from_secs(6) {
        let _ = s.write_all(b" ");
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let took = start.elapsed();
    let answer = String::from_utf8_lossy(&got);
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout"),
        "{answer}"
    );
    let body: serde_json::Value =
        serde_json::from_str(&answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "success": false,
            "code": 408,
            "error": "Request Timeout",
            "name": "RequestTimeout",
            "message": "the request body was not complete within 2 s (body_timeout_secs)",
        })
    );
    assert!(answer.contains("connection: close"), "{answer}");
    assert!(
        took >= Duration::from_millis(1800) && took < Duration::from_secs(4),
        "cut after {took:?}"
    );
}

#[test]
fn a_body_that_arrives_in_time_is_served() {
    let server = Server::start_with(&[("AGENTGATE_BODY_TIMEOUT_SECS", "2")]);
    let to = addr(&server);
    let body = br#"{"username":"slow_but_fine","email":"s@example.com"}"#;
    let mut s = TcpStream::connect(to).unwrap();
    let head = format!(
        "POST /api/claw/agents/selfRegister HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // In two halves, a second apart: slow, but within both limits.
    s.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    s.write_all(&body[10..]).unwrap();
    let answer = read_all(&mut s, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains("\"token\":\"claw_"), "{answer}");
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_5_s() {
    let server = Server::start();
    let mut s = TcpStream::connect(addr(&server)).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
    let idle_from = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let n = s.read(&mut buf).unwrap_or(0);
    let idle = idle_from.elapsed();
    assert_eq!(n, 0, "nothing but the end of the stream");
    assert!(
        idle >= Duration::from_secs(4) && idle < Duration::from_secs(8),
        "closed after {idle:?}"
    );
}

#[test]
fn a_slow_socket_io_polling_post_is_cut_too() {
    let server = Server::start_with(&[
        ("AGENTGATE_BODY_TIMEOUT_SECS", "2"),
        ("AGENTGATE_BODY_MIN_BYTES_PER_SEC", "0"),
    ]);
    let to = addr(&server);
    let mut s = TcpStream::connect(to).unwrap();
    s.write_all(
        b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let open = read_all(&mut s, Duration::from_secs(5));
    let sid = open
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no sid in {open}"))
        .to_string();
    let mut post = TcpStream::connect(to).unwrap();
    let head = format!(
        "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: t\r\n\
         content-type: text/plain;charset=UTF-8\r\ncontent-length: 100\r\n\r\n4"
    );
    post.write_all(head.as_bytes()).unwrap();
    let start = Instant::now();
    let answer = read_all(&mut post, Duration::from_secs(6));
    let took = start.elapsed();
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout"),
        "{answer}"
    );
    assert!(answer.contains("body_timeout_secs"), "{answer}");
    assert!(
        took >= Duration::from_millis(1800) && took < Duration::from_secs(4),
        "cut after {took:?}"
    );
}

/// Opens a MoltCities personal socket from `source` and returns it once the 101 is read; the
/// answer's head when it is not a 101.
fn try_websocket_from(source: &str, to: SocketAddr, token: &str) -> Result<TcpStream, String> {
    let mut s = connect_from(source, to);
    write!(
        s,
        "GET /ws?token={token} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    if head.starts_with("HTTP/1.1 101") {
        Ok(s)
    } else {
        Err(head)
    }
}

/// A socket from `source`, retried for up to 5 s while the address is at its cap: a place
/// given back is given back once the server has seen the connection end.
fn websocket_from(source: &str, to: SocketAddr, token: &str) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match try_websocket_from(source, to, token) {
            Ok(s) => return s,
            Err(head) if head.starts_with("HTTP/1.1 429") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(head) => panic!("{head}"),
        }
    }
}

/// One `GET /health` from `source`: the status line.
fn health_from(source: &str, to: SocketAddr) -> String {
    let mut s = connect_from(source, to);
    s.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_all(&mut s, Duration::from_secs(5));
    answer.lines().next().unwrap_or("").to_string()
}

#[actix_rt::test]
async fn websockets_keep_their_place_under_the_per_address_cap() {
    let s = Server::start_with(&[("AGENTGATE_MAX_CONNECTIONS_PER_IP", "2")]);
    let c = s.client();
    let a = c.register("capped_a").await;
    let b = c.register("capped_b").await;
    let to = addr(&s);
    // The socket takes its own place before its HTTP connection gives one back, so for a
    // moment the address counts two: the second socket may have to wait for that moment.
    let first = websocket_from("127.0.0.21", to, &a.token);
    let _second = websocket_from("127.0.0.21", to, &b.token);
    // The two sockets were handed off from their HTTP connections and still count.
    assert!(
        health_from("127.0.0.21", to).starts_with("HTTP/1.1 429"),
        "a third connection from the address is refused"
    );
    assert!(health_from("127.0.0.22", to).starts_with("HTTP/1.1 200"));
    drop(first);
    // The server notices the closed socket and gives its place back.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = health_from("127.0.0.21", to);
        if status.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the place was not given back: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
