//! The events a MoChat client emits: the seed's `session:`/`panel:` (un)subscribe and the real
//! clients' `com.claw.im.subscribeSessions` / `com.claw.im.subscribePanels`. Each returns the
//! ack to send, when the client asked for one.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::connection::Connection;
use super::payloads::{to_value, Ack};
use super::pushes::encode;
use super::subscriptions::Style;
use super::MochatSockets;
use crate::core::model::{Message, PANEL_TEXT};
use crate::socketio::{AckResponder, Payload, Socket};
use crate::wire::mochat::ids::conversation_id;
use crate::wire::mochat::schema::Watched;

/// Default and largest backlog batch of `subscribeSessions`.
const BATCH_DEFAULT: i64 = 100;
const BATCH_MAX: i64 = 500;
/// Most sessions one `subscribeSessions` may name.
const MAX_SESSIONS: usize = 1000;

/// The id a seed subscription names: `None` for `"*"`.
fn seed_target(arg: &Value, key: &str) -> Result<Option<String>, Ack<'static>> {
    match arg.get(key).and_then(Value::as_str).map(str::trim) {
        Some("*") => Ok(None),
        Some(id) if !id.is_empty() => Ok(Some(id.to_string())),
        _ => Err(Ack::refused(format!("{key} is required (an id or \"*\")"))),
    }
}

/// An integer sent as a number (integral float too) or a numeric string.
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Handles one client event and sends its ack, when the client asked for one.
pub async fn handle(
    live: &MochatSockets,
    socket: &Socket,
    conn: &Connection,
    event: &str,
    arg: Value,
    ack: Option<AckResponder>,
) {
    if !conn.within_rate() {
        let per_sec = live.state.settings.sio_events_per_sec;
        if let Some(ack) = ack {
            let message =
                format!("rate limit exceeded: at most {per_sec} events per second per connection");
            let _ = ack.send(Payload::new(vec![to_value(&Ack::refused(message))]));
        }
        return;
    }
    let answer = match event {
        "com.claw.im.subscribeSessions" => {
            return subscribe_sessions(live, socket, conn, &arg, ack).await
        }
        _ => answer(live, conn, event, arg).await,
    };
    if let Some(ack) = ack {
        let _ = ack.send(Payload::new(vec![to_value(&answer)]));
    }
}

async fn answer(live: &MochatSockets, conn: &Connection, event: &str, arg: Value) -> Ack<'static> {
    let core = &live.state.core;
    let agent = &conn.agent;
    match event {
        "session:subscribe" | "session:unsubscribe" => {
            let on = event == "session:subscribe";
            match seed_target(&arg, "sessionId") {
                Err(e) => e,
                Ok(None) => {
                    conn.subs().seed_session(None, on);
                    Ack::subscribed()
                }
                Ok(Some(sid)) => {
                    let id = conversation_id(&sid).to_string();
                    if on {
                        if let Err(e) = core.session(agent, &id).await {
                            return Ack::refused(e.message());
                        }
                    }
                    conn.subs().seed_session(Some(&id), on);
                    Ack::subscribed()
                }
            }
        }
        "panel:subscribe" | "panel:unsubscribe" => {
            let on = event == "panel:subscribe";
            match seed_target(&arg, "panelId") {
                Err(e) => e,
                Ok(None) => {
                    conn.subs().seed_panel(None, on);
                    Ack::subscribed()
                }
                Ok(Some(id)) => {
                    if on {
                        if let Err(e) = core.panel(agent, &id).await {
                            return Ack::refused(e.message());
                        }
                    }
                    conn.subs().seed_panel(Some(&id), on);
                    Ack::subscribed()
                }
            }
        }
        "com.claw.im.subscribePanels" => subscribe_panels(live, conn, &arg).await,
        other => Ack::refused(format!("unknown event: {other}")),
    }
}

/// Real `subscribeSessions {sessionIds, cursors, limit}`: an ack entry for every requested
/// session (cold ones empty at the latest seq, warm ones with the first `limit` events after
/// their cursor), the rest of the backlog pushed right after the ack, then live.
async fn subscribe_sessions(
    live: &MochatSockets,
    socket: &Socket,
    conn: &Connection,
    arg: &Value,
    ack: Option<AckResponder>,
) {
    let reply = |ack: Option<AckResponder>, v: &Ack| {
        if let Some(ack) = ack {
            let _ = ack.send(Payload::new(vec![to_value(v)]));
        }
    };
    let core = &live.state.core;
    let mut seen = HashSet::new();
    let sids: Vec<String> = arg
        .get("sessionIds")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .filter(|s| seen.insert(s.to_string()))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if sids.len() > MAX_SESSIONS {
        return reply(
            ack,
            &Ack::refused(format!(
                "sessionIds exceeds the limit of {MAX_SESSIONS} per subscribe"
            )),
        );
    }
    let limit = arg
        .get("limit")
        .and_then(int)
        .unwrap_or(BATCH_DEFAULT)
        .clamp(1, BATCH_MAX);
    let cursors = arg.get("cursors").cloned().unwrap_or(Value::Null);
    let ids: Vec<String> = sids
        .iter()
        .map(|s| conversation_id(s).to_string())
        .collect();
    // Live messages for these sessions are held from here until each backlog is sent.
    conn.subs().begin_sync(&ids);

    // Each requested session's first batch: (wire id, cursor, events), in the order asked.
    let mut entries: Vec<(&str, i64, Vec<Message>)> = Vec::with_capacity(sids.len());
    let mut backlog: Vec<(String, Vec<Arc<Message>>)> = Vec::new();
    let mut synced: Vec<(String, i64)> = Vec::new();
    for (sid, id) in sids.iter().zip(&ids) {
        let requested = cursors.get(sid).and_then(int).filter(|c| *c >= 0);
        let first = match requested {
            None => core
                .session(&conn.agent, id)
                .await
                .map(|c| (c.last_seq, Vec::new())),
            Some(c) => core.session_events(&conn.agent, id, c, limit).await,
        };
        let (latest, first) = match first {
            Ok(x) => x,
            Err(_) => {
                // Not readable by this agent: an empty entry, and no subscription.
                conn.subs().forget(id);
                entries.push((sid, requested.unwrap_or(0), Vec::new()));
                continue;
            }
        };
        let mut cursor = match (requested, first.last()) {
            (_, Some(m)) => m.seq,
            (Some(c), None) => c.min(latest),
            (None, None) => latest,
        };
        let first_len = first.len() as i64;
        entries.push((sid, cursor, first));
        // Anything past the first batch follows the ack as pushes.
        let mut more = Vec::new();
        let mut full = first_len == limit;
        while full {
            match core.session_events(&conn.agent, id, cursor, limit).await {
                Ok((_, next)) if !next.is_empty() => {
                    full = next.len() as i64 == limit;
                    cursor = next.last().map_or(cursor, |m| m.seq);
                    more.extend(next.into_iter().map(Arc::new));
                }
                _ => full = false,
            }
        }
        if !more.is_empty() {
            backlog.push((sid.clone(), more));
        }
        synced.push((id.clone(), cursor));
    }

    // The ack goes out before the backlog pushes: a push for a cold session that arrived
    // before its ack entry would be dropped by the client.
    let batches = entries
        .iter()
        .map(|(sid, cursor, list)| Watched::new(*sid, *cursor, list))
        .collect();
    reply(ack, &Ack::sessions(batches));
    for (sid, list) in &backlog {
        for chunk in list.chunks(limit as usize) {
            let cursor = chunk.last().map_or(0, |m| m.seq);
            let data = Watched::new(sid.as_str(), cursor, chunk.iter().map(|m| m.as_ref()));
            let _ = socket.send_encoded(encode(socket.parser(), "claw.session.events", &data));
        }
    }
    let mut subs = conn.subs();
    for (id, cursor) in synced {
        let held: Vec<(Arc<Message>, Style)> = subs
            .finish_sync(&id, cursor)
            .into_iter()
            .map(|m| (m, Style::ClawSession))
            .collect();
        conn.send_all(socket, &live.cache, &held);
    }
}

/// Real `subscribePanels {panelIds}`: the named text panels, or with an empty list every text
/// panel of the agent's group (and those created later).
async fn subscribe_panels(live: &MochatSockets, conn: &Connection, arg: &Value) -> Ack<'static> {
    let core = &live.state.core;
    let asked: Vec<String> = arg
        .get("panelIds")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let (group, all) = match core.text_panels(&conn.agent).await {
        Ok(x) => x,
        Err(e) => return Ack::refused(e.message()),
    };
    if asked.is_empty() {
        conn.subs().claw_panels(&all, true);
        return Ack::panels(all, group);
    }
    let mut accepted = Vec::new();
    for id in asked.into_iter().take(MAX_SESSIONS) {
        if let Ok(p) = core.panel(&conn.agent, &id).await {
            if p.panel_type == PANEL_TEXT && !accepted.contains(&id) {
                accepted.push(id);
            }
        }
    }
    conn.subs().claw_panels(&accepted, false);
    Ack::panels(accepted, group)
}
