//! TLS of its own: HTTPS and `wss://` with a certificate made at test time by the `openssl`
//! command line, checked by a client that trusts only the test CA; bad files stop start-up.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::Server;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// A CA and a certificate for 127.0.0.1 and localhost signed by it, in `dir`.
struct Certs {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    ca_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command line");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_certs(dir: &Path) -> Certs {
    let subj_ca = "/CN=agentgate test CA";
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", subj_ca,
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "req.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "req.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    Certs {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        ca_key: dir.join("ca.key"),
    }
}

fn tls_server(certs: &Certs) -> Server {
    Server::start_with(&[
        ("AGENTGATE_TLS_CERT", certs.cert.to_str().unwrap()),
        ("AGENTGATE_TLS_KEY", certs.key.to_str().unwrap()),
    ])
}

/// A TLS connection to the server that trusts only the test CA.
async fn connect(server: &Server, ca: &Path) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(ca).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let addr = server.base.trim_start_matches("https://");
    let tcp = TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .expect("TLS handshake with the test CA trusted")
}

/// Sends one HTTP/1.1 request with `Connection: close` and returns status and body.
async fn request(server: &Server, ca: &Path, head: &str, body: &str) -> (u16, String) {
    let mut tls = connect(server, ca).await;
    let req = format!(
        "{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut got)).await;
    let text = String::from_utf8_lossy(&got).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// An unmasked server frame's header length and payload length, once the header is whole.
fn frame_len(b: &[u8]) -> Option<(usize, usize)> {
    match *b.get(1)? & 0x7f {
        126 => Some((4, u16::from_be_bytes([*b.get(2)?, *b.get(3)?]) as usize)),
        127 => None,
        n => Some((2, n as usize)),
    }
}

#[tokio::test]
async fn https_rest_and_a_moltcities_wss_connection() {
    let dir = tempfile::tempdir().unwrap();
    let certs = make_certs(dir.path());
    let server = tls_server(&certs);
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );

    let (status, body) = request(&server, &certs.ca, "GET /health HTTP/1.1", "").await;
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");

    let (status, body) = request(
        &server,
        &certs.ca,
        "POST /api/claw/agents/selfRegister HTTP/1.1",
        r#"{"username":"tls_agent","email":"tls@example.com"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let reg: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = reg["data"]["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("claw_"), "{token}");

    // wss://: the MoltCities personal channel, upgraded on the TLS stream.
    let mut ws = connect(&server, &certs.ca).await;
    let handshake = format!(
        "GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    ws.write_all(handshake.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    // The 101 head, then the first frame (the welcome).
    let frame = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = ws.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
            let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let rest = &got[end + 4..];
            if frame_len(rest).is_some_and(|(h, n)| rest.len() >= h + n) {
                return (
                    String::from_utf8_lossy(&got[..end]).into_owned(),
                    rest.to_vec(),
                );
            }
        }
    })
    .await
    .expect("101 and a first frame within 5 s");
    let (head, rest) = frame;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.contains("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "{head}"
    );
    assert_eq!(rest[0], 0x81, "a text frame");
    let (h, len) = frame_len(&rest).unwrap();
    let welcome: serde_json::Value = serde_json::from_slice(&rest[h..h + len]).unwrap();
    assert!(
        welcome["agent_id"].as_str().is_some_and(|s| !s.is_empty()),
        "{welcome}"
    );
    // A masked close frame (1000) is answered with a close frame.
    let mask = [1u8, 2, 3, 4];
    let payload = [0x03u8, 0xE8];
    let mut close = vec![0x88, 0x80 | 2];
    close.extend_from_slice(&mask);
    close.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    ws.write_all(&close).await.unwrap();
    let mut tail = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), ws.read_to_end(&mut tail)).await;
    assert!(tail.first() == Some(&0x88), "close frame back: {tail:?}");
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let certs = make_certs(dir.path());
    let server = tls_server(&certs);
    let addr = server.base.trim_start_matches("https://");
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut got)).await;
    assert!(
        !String::from_utf8_lossy(&got).contains("200 OK"),
        "plain HTTP answered on the TLS port"
    );
}

/// Runs the binary with these TLS files and returns its exit status and standard error.
fn start_with_files(cert: &Path, key: &Path) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_agentgate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database"])
        .arg(dir.path().join("db"))
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .env("AGENTGATE_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unreadable_or_mismatched_files_stop_start_up_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let certs = make_certs(dir.path());
    let (ok, err) = start_with_files(&certs.cert, &certs.ca_key);
    assert!(!ok);
    assert!(err.contains("does not belong to certificate"), "{err}");
    let (ok, err) = start_with_files(&dir.path().join("missing.pem"), &certs.key);
    assert!(!ok);
    assert!(
        err.contains("TLS certificate") && err.contains("missing.pem"),
        "{err}"
    );
    let (ok, err) = start_with_files(&certs.key, &certs.key);
    assert!(!ok);
    assert!(err.contains("no PEM certificate"), "{err}");
    let (ok, err) = start_with_files(&certs.cert, &dir.path().join("nokey.pem"));
    assert!(!ok);
    assert!(
        err.contains("TLS key") && err.contains("nokey.pem"),
        "{err}"
    );
}
