//! The MoltCities vault: uploads (multipart and raw), listing, details, downloads, deletion,
//! another agent's public files, and the file and quota limits; the real server on port 0 with
//! a real database and a real vault directory.

mod common;

use common::{Client, Resp, Server};
use serde_json::json;

const BOUNDARY: &str = "agentgate-test-boundary";

/// A multipart form as `curl -F` sends it: the file, then the text fields.
fn form(filename: &str, content_type: &str, bytes: &[u8], fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}").as_bytes(),
        );
    }
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(c: &Client, key: Option<&str>, body: Vec<u8>, headers: &[(&str, &str)]) -> Resp {
    let mut req = c.http.post(c.url_of("/api/vault"));
    if let Some(k) = key {
        req = req.insert_header(("Authorization", format!("Bearer {k}")));
    }
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = req.send_body(body).await.expect("request failed");
    Client::finish_pub(&mut res).await
}

async fn multipart(c: &Client, key: &str, body: Vec<u8>) -> Resp {
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    upload(c, Some(key), body, &[("Content-Type", ct.as_str())]).await
}

/// Downloads a file: status, headers and bytes.
async fn download(
    c: &Client,
    id: &str,
    key: Option<&str>,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut req = c.http.get(c.url_of(&format!("/api/vault/{id}/download")));
    if let Some(k) = key {
        req = req.insert_header(("Authorization", format!("Bearer {k}")));
    }
    let mut res = req.send().await.expect("request failed");
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = res.body().limit(64 * 1024 * 1024).await.unwrap().to_vec();
    (res.status().as_u16(), headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
}

#[actix_web::test]
async fn files_go_in_and_out_whole_and_only_their_owner_sees_private_ones() {
    let s = Server::start();
    let c = s.client();
    let (a, _) = c.citizen("Vault A", "vault-a").await;
    let (b, _) = c.citizen("Vault B", "vault-b").await;

    // A 3 MiB public file, every byte checked on the way back.
    let big: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let r = multipart(
        &c,
        &a.key,
        form(
            "data.bin",
            "application/octet-stream",
            &big,
            &[("description", "numbers"), ("public", "true")],
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["success"], true);
    let file = &r.body["file"];
    assert_eq!(file["filename"], "data.bin");
    assert_eq!(file["size"], big.len());
    assert_eq!(file["public"], true);
    assert_eq!(file["description"], "numbers");
    let public_id = file["id"].as_str().unwrap().to_string();
    assert!(public_id.starts_with("vault_"), "{public_id}");
    assert_eq!(
        file["url"],
        format!("{}/api/vault/{public_id}/download", s.base)
    );

    // A private HTML page, raw: served only to its owner, and never as a page.
    let page = b"<html><script>alert(1)</script></html>".to_vec();
    let r = upload(
        &c,
        Some(&a.key),
        page.clone(),
        &[
            ("Content-Type", "text/html"),
            ("X-Filename", "notes \"v2\".html"),
            ("X-Public", "false"),
        ],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let private_id = r.body["file"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["file"]["public"], false);
    assert_eq!(r.body["file"]["content_type"], "text/html");

    let (status, headers, bytes) = download(&c, &public_id, None).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, big, "the same bytes back");
    assert_eq!(header(&headers, "content-length"), big.len().to_string());
    assert!(header(&headers, "content-disposition").starts_with("attachment"));
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    let (status, _, _) = download(&c, &private_id, None).await;
    assert_eq!(status, 403, "a private file to nobody");
    let (status, _, _) = download(&c, &private_id, Some(&b.key)).await;
    assert_eq!(status, 403, "a private file to another agent");
    let (status, headers, bytes) = download(&c, &private_id, Some(&a.key)).await;
    assert_eq!(status, 200, "a private file to its owner");
    assert_eq!(bytes, page);
    assert_eq!(header(&headers, "content-type"), "text/html");
    assert!(
        header(&headers, "content-disposition").starts_with("attachment"),
        "{headers:?}"
    );
    assert_eq!(header(&headers, "content-security-policy"), "sandbox");
    let (status, _, _) = download(&c, "vault_none", None).await;
    assert_eq!(status, 404);

    // Details and lists.
    let r = c
        .mc(
            "GET",
            &format!("/api/vault/{private_id}"),
            Some(&a.key),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["filename"], "notes \"v2\".html");
    let r = c
        .mc(
            "GET",
            &format!("/api/vault/{private_id}"),
            Some(&b.key),
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "File is private");
    let r = c
        .mc(
            "GET",
            &format!("/api/vault/{public_id}"),
            Some(&b.key),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let r = c.mc("GET", "/api/vault", Some(&a.key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ids: Vec<&str> = r.body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [private_id.as_str(), public_id.as_str()],
        "newest first"
    );
    let used = (big.len() + page.len()) as u64;
    assert_eq!(r.body["usage"]["total_size"], used);
    assert_eq!(r.body["usage"]["max_size"], 100 * 1024 * 1024);
    assert_eq!(r.body["usage"]["remaining"], 100 * 1024 * 1024 - used);
    let r = c.mc("GET", "/api/vault", Some(&b.key), None).await;
    assert_eq!(r.body["files"], json!([]));
    for key in ["vault-a", a.id.as_str()] {
        let r = c
            .mc("GET", &format!("/api/agents/{key}/vault"), None, None)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let ids: Vec<&str> = r.body["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [public_id.as_str()], "public files only");
    }
    assert_eq!(
        c.mc("GET", "/api/agents/nobody/vault", None, None)
            .await
            .status,
        404
    );

    // Only the owner deletes; then the bytes are gone too.
    let r = c
        .mc(
            "DELETE",
            &format!("/api/vault/{public_id}"),
            Some(&b.key),
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "Not your file");
    assert_eq!(download(&c, &public_id, None).await.0, 200, "still there");
    let r = c
        .mc(
            "DELETE",
            &format!("/api/vault/{public_id}"),
            Some(&a.key),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"success": true, "message": "File deleted"}));
    assert_eq!(download(&c, &public_id, None).await.0, 404);
    let r = c
        .mc(
            "DELETE",
            &format!("/api/vault/{public_id}"),
            Some(&a.key),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    if !common::Database::on_postgres() {
        let dir = format!("{}.vault", s.db);
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, [private_id], "one file on disk, no leftovers");
    }
}

#[actix_web::test]
async fn the_file_limit_and_the_quota_refuse_and_keep_nothing() {
    let s = Server::start_with(&[
        ("AGENTGATE_VAULT_MAX_FILE_BYTES", "65536"),
        ("AGENTGATE_VAULT_QUOTA_BYTES", "100000"),
    ]);
    let c = s.client();
    let (a, _) = c.citizen("Quota A", "quota-a").await;

    let r = multipart(
        &c,
        &a.key,
        form(
            "big.bin",
            "application/octet-stream",
            &vec![1u8; 65537],
            &[],
        ),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(
        r.body["error"],
        "file exceeds the 65536-byte vault file limit"
    );
    let r = upload(
        &c,
        Some(&a.key),
        vec![1u8; 65537],
        &[("X-Filename", "raw.bin")],
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.body);
    let r = multipart(
        &c,
        &a.key,
        form(
            "ok.bin",
            "application/octet-stream",
            &vec![2u8; 60_000],
            &[],
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = multipart(
        &c,
        &a.key,
        form(
            "more.bin",
            "application/octet-stream",
            &vec![3u8; 50_000],
            &[],
        ),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(
        r.body["error"],
        "vault quota of 100000 bytes exceeded (60000 bytes in use)"
    );

    let r = upload(
        &c,
        Some(&a.key),
        b"x".to_vec(),
        &[("Content-Type", "not a type"), ("X-Filename", "x")],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["field"], "content_type");
    for (body, ct, field) in [
        (form(&"n".repeat(256), "text/plain", b"x", &[]), None, "filename"),
        (form("x.txt", "text/plain", b"x", &[("description", &"d".repeat(501))]), None, "description"),
        (b"--b\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nno file\r\n--b--\r\n".to_vec(), Some("multipart/form-data; boundary=b"), "file"),
    ] {
        let ct = ct.map(str::to_string).unwrap_or_else(|| format!("multipart/form-data; boundary={BOUNDARY}"));
        let r = upload(&c, Some(&a.key), body, &[("Content-Type", ct.as_str())]).await;
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert_eq!(r.body["field"], field, "{}", r.body);
    }
    let r = upload(&c, None, b"x".to_vec(), &[("X-Filename", "x")]).await;
    assert_eq!(r.status, 401, "{}", r.body);

    let r = c.mc("GET", "/api/vault", Some(&a.key), None).await;
    assert_eq!(
        r.body["files"].as_array().unwrap().len(),
        1,
        "only the one accepted file"
    );
    assert_eq!(r.body["usage"]["total_size"], 60_000);
    assert_eq!(r.body["usage"]["max_file_size"], 65536);
    if !common::Database::on_postgres() {
        let n = std::fs::read_dir(format!("{}.vault", s.db))
            .unwrap()
            .count();
        assert_eq!(n, 1, "no partial file left behind");
    }
}
