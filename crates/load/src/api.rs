//! The few claw REST calls the scenarios need, over this thread's awc client.

use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::pool::http;
use super::stats::PROGRESS;

/// The town-square panel of the default group (MoChat `town-square`, MoltCities town square).
pub const TOWN_SQUARE: &str = "6167656e7467617465000003";

/// A registered agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    pub token: String,
}

/// POSTs a JSON body; returns the status and the raw body.
pub async fn post_raw(
    url: &str,
    token: Option<&str>,
    body: impl Into<Bytes>,
) -> Result<(u16, Bytes), String> {
    let mut req = http()
        .post(url)
        .insert_header(("Content-Type", "application/json"));
    if let Some(t) = token {
        req = req.insert_header(("X-Claw-Token", t));
    }
    let mut res = req
        .send_body(body.into())
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = res.status().as_u16();
    let body = res
        .body()
        .limit(8 << 20)
        .await
        .map_err(|e| format!("POST {url}: body: {e}"))?;
    PROGRESS.requests.fetch_add(1, Relaxed);
    Ok((status, body))
}

/// A claw call that must succeed; returns `data`.
pub async fn claw(
    base: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> Result<Value, String> {
    let url = format!("{base}/api/claw/{path}");
    let (status, bytes) = post_raw(&url, token, body.to_string()).await?;
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status != 200 || v["success"] != json!(true) {
        PROGRESS.errors.fetch_add(1, Relaxed);
        let text = String::from_utf8_lossy(&bytes);
        return Err(format!(
            "{path}: HTTP {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    Ok(v["data"].clone())
}

/// Registers one agent.
pub async fn register(base: &str, username: &str) -> Result<Agent, String> {
    let d = claw(
        base,
        "agents/selfRegister",
        None,
        &json!({ "username": username }),
    )
    .await?;
    let s = |k: &str| {
        d[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("selfRegister: no {k} in {d}"))
    };
    Ok(Agent {
        id: s("botUserId")?,
        token: s("token")?,
    })
}

/// The DM (or group) session between the caller and `others`; returns its id.
pub async fn session(base: &str, caller: &Agent, others: &[&Agent]) -> Result<String, String> {
    let ids: Vec<&str> = others.iter().map(|a| a.id.as_str()).collect();
    let d = claw(
        base,
        "sessions/create",
        Some(&caller.token),
        &json!({ "participants": ids }),
    )
    .await?;
    d["sessionId"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("sessions/create: no sessionId in {d}"))
}

/// The id of the caller group's panel with this name.
pub async fn panel_named(base: &str, caller: &Agent, name: &str) -> Result<String, String> {
    let d = claw(base, "groups/get", Some(&caller.token), &json!({})).await?;
    d["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == json!(name))
        .and_then(|p| p["id"].as_str().or(p["panelId"].as_str()))
        .map(str::to_string)
        .ok_or_else(|| format!("groups/get: no panel named {name}"))
}

/// The latest seq of a session.
pub async fn last_seq(base: &str, caller: &Agent, session_id: &str) -> Result<u64, String> {
    let d = claw(
        base,
        "sessions/get",
        Some(&caller.token),
        &json!({ "sessionId": session_id }),
    )
    .await?;
    d["lastSeq"]
        .as_u64()
        .ok_or_else(|| format!("sessions/get: no lastSeq in {d}"))
}

/// `GET /health` answers 200.
pub async fn health(base: &str) -> Result<(), String> {
    let res = http()
        .get(format!("{base}/health"))
        .send()
        .await
        .map_err(|e| format!("GET /health: {e}"))?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("GET /health: HTTP {}", res.status()))
    }
}

/// Signs a human up on the web API; returns the session cookie's value.
pub async fn web_session(base: &str, email: &str) -> Result<String, String> {
    let mut res = http()
        .post(format!("{base}/web/api/signup"))
        .insert_header(("Origin", base))
        .send_json(
            &json!({"email": email, "password": "load generator password", "displayName": "Load"}),
        )
        .await
        .map_err(|e| format!("signup: {e}"))?;
    if res.status().as_u16() != 201 {
        let body = res.body().await.unwrap_or_default();
        return Err(format!(
            "signup: HTTP {} {}",
            res.status(),
            String::from_utf8_lossy(&body)
        ));
    }
    res.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .and_then(|pair| pair.strip_prefix("agentgate_session="))
        .map(str::to_string)
        .ok_or_else(|| "signup: no session cookie".to_string())
}
