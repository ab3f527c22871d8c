"""One conversation across both wires of agentgate.

M is a MoChat agent (claw REST, python-socketio over websocket in the real-client dialect);
C is a MoltCities agent (RSA registration, REST, a personal WebSocket and a town-square
WebSocket). They exchange direct messages both ways, meet in the town square, mention each
other, then both reconnect and must receive exactly what they missed, once, in order.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conftest import (
    ISO_MS,
    NOTIF_ID,
    QUIET_S,
    TOWN_SQUARE,
    CityAgent,
    Conn,
    MoChatAgent,
    Server,
    Sock,
    bounded,
)

SERIALIZERS = [
    pytest.param("default", id="json-websocket"),
    pytest.param("msgpack", id="msgpack-websocket"),
]


# --- expected shapes ----------------------------------------------------------------------------


def author_of(agent: MoChatAgent | CityAgent) -> dict:
    """What MoChat shows as `authorInfo` for either kind of agent."""
    if isinstance(agent, MoChatAgent):
        name, nick = agent.username, agent.display_name
    else:
        name, nick = agent.slug, agent.name
    return {"userId": agent.id, "agentId": name, "nickname": nick, "username": name, "avatar": None, "type": "agent"}


def meta(mentions: list[str], subject: str | None = None) -> dict:
    m: dict[str, Any] = {"mentions": mentions}
    if subject is not None:
        m["subject"] = subject
    return m


def check_event(ev: dict, *, seq: int, target: str, message_id: str, author: Any, content: str, meta_: dict, panel: str | None = None, group: str | None = None) -> None:
    """One `message.add` event of a `claw.*.events` push or a subscribe ack."""
    assert ev["seq"] == seq, ev
    assert isinstance(ev["seq"], int), ev
    assert ev["sessionId"] == target, ev
    assert ev["type"] == "message.add", ev
    assert ISO_MS.match(ev["timestamp"]), ev
    p = ev["payload"]
    assert p["messageId"] == message_id, ev
    assert p["author"] == author.id, ev
    assert p["authorInfo"] == author_of(author), ev
    assert p["content"] == content, ev
    assert p["meta"] == meta_, ev
    assert p["type"] == "text", ev
    assert p["replyTo"] is None, ev
    assert p["createdAt"] == ev["timestamp"], ev
    if panel is None:
        assert p["converseId"] == target.removeprefix("session_"), ev
        assert "groupId" not in p and "panelId" not in p, ev
    else:
        assert p["converseId"] == panel, ev
        assert p["panelId"] == panel and p["groupId"] == group, ev


def claw_pushes(conn: Conn, event: str) -> list[tuple[str, int, list[int], list[str]]]:
    """Every `claw.*.events` push of a kind: (target, cursor, seqs, message ids)."""
    return [
        (d["sessionId"], d["cursor"], [e["seq"] for e in d["events"]], [e["payload"]["messageId"] for e in d["events"]])
        for d in conn.all(event)
    ]


def has_message(message_id: str):
    return lambda d: any(e["payload"]["messageId"] == message_id for e in d["events"])


def from_mochat(m: MoChatAgent) -> dict:
    """`data.from` of an `inbox.message` sent by a MoChat agent (no avatar)."""
    return {"agent_id": m.id, "id": m.id, "handle": m.username, "display_name": m.display_name, "name": m.display_name, "avatar": None}


def inbox_data(message_id: str, sender: MoChatAgent, subject: str | None, text: str) -> dict:
    return {
        "message_id": message_id,
        "from_agent_id": sender.id,
        "from_handle": sender.username,
        "subject": subject,
        "preview": text,
        "from": from_mochat(sender),
    }


def mention_data(context: str, message_id: str, by: MoChatAgent | CityAgent, text: str) -> dict:
    handle, name = (by.username, by.display_name) if isinstance(by, MoChatAgent) else (by.slug, by.name)
    return {
        "context": context,
        "message_id": message_id,
        "by_agent_id": by.id,
        "by_handle": handle,
        "snippet": text,
        "author_id": by.id,
        "author_name": name,
        "message_preview": text,
    }


def notifications(sock: Sock) -> list[dict]:
    return sock.of_type("notification")


def brief(frames: list[dict]) -> list[tuple[str, str | None, Any]]:
    """(event_type, data.message_id, queued) of notification frames."""
    return [(f["event_type"], f["data"].get("message_id"), f["queued"]) for f in frames]


async def wait_notification(sock: Sock, event_type: str, message_id: str, start: int = 0) -> dict:
    return await sock.wait_for(
        lambda f: isinstance(f, dict)
        and f.get("type") == "notification"
        and f.get("event_type") == event_type
        and f["data"].get("message_id") == message_id,
        start,
        what=f"{event_type} for {message_id}",
    )


def check_notification(frame: dict, recipient: CityAgent, event_type: str, queued: bool, data: dict) -> None:
    assert frame["type"] == "notification", frame
    assert NOTIF_ID.match(frame["id"]), frame
    assert frame["event_type"] == event_type, frame
    assert frame["queued"] is queued, frame
    assert frame["agent_id"] == recipient.id, frame
    assert ISO_MS.match(frame["created_at"]), frame
    assert frame["data"] == data, frame


async def wait_chat(sock: Sock, message_id: str) -> dict:
    return await sock.wait_for(
        lambda f: isinstance(f, dict) and f.get("type") == "chat" and f.get("id") == message_id, what=f"chat {message_id}"
    )


def chat_frame(message_id: str, author: MoChatAgent | CityAgent, text: str, created_at: str) -> dict:
    handle, name = (author.username, author.display_name) if isinstance(author, MoChatAgent) else (author.slug, author.name)
    return {
        "type": "chat",
        "id": message_id,
        "agent_id": author.id,
        "agent_name": name,
        "agent_handle": handle,
        "message": text,
        "created_at": created_at,
    }


async def ack_all(sock: Sock, ids: list[str]) -> None:
    for i in ids:
        await sock.send({"type": "ack", "notification_id": i})
    await sock.ping()  # acks are stored before the pong is sent


# --- the conversation ---------------------------------------------------------------------------

SUBJ1 = "Hello from the city"
BODY1 = "First direct message, sent by Carl over MoltCities"
BODY2 = "Mira answers over MoChat"
BODY3 = "@city-carl did you see the town square?"
CHAT1 = "Hello square, Carl here"
PANEL2 = "Hello square, Mira here"
PANEL3 = "@city-carl welcome to the square"
CHAT4 = "@mira nice to meet you"
# while both are offline
SUBJ5 = "While you were away"
BODY5 = "Carl writes while Mira is offline"
BODY6 = "@city-carl are you still there?"
CHAT7 = "@mira back in a minute"
PANEL8 = "@city-carl the square misses you"
# after both came back
BODY9 = "Carl is back"
PANEL10 = "@city-carl welcome back"


@pytest.mark.parametrize("serializer", SERIALIZERS)
@bounded(90)
async def test_conversation_across_wires(server: Server, serializer: str) -> None:
    m = await server.mochat_register("mira")
    c = await server.city_register("city-carl", "Carl")

    # --- M online, as the real MoChat clients subscribe ------------------------------------
    ms = await server.sio(m.token, serializer, "M")
    assert await server.claw("sessions/list", {}, m.token) == {"sessions": []}
    ack = await ms.call("com.claw.im.subscribeSessions", {"sessionIds": [], "cursors": {}, "limit": 100})
    assert ack == {"result": True, "data": {"sessions": []}}
    pa = await ms.call("com.claw.im.subscribePanels", {"panelIds": []})
    assert pa["result"] is True, pa
    assert TOWN_SQUARE in pa["data"]["panelIds"], pa
    group = pa["data"]["groupId"]

    # --- C online: personal channel and town square --------------------------------------------
    cp = await server.ws(c.api_key, "C personal")
    hello = cp.frames[0]
    assert (hello["type"], hello["channel"], hello["agent_id"]) == ("connected", "personal", c.id), hello
    ct = await server.ws(c.api_key, "C square", channel="town-square")
    hello = ct.frames[0]
    assert (hello["type"], hello["channel"], hello["online_count"]) == ("connected", "town-square", 1), hello

    # --- DM 1: C → M over the inbox --------------------------------------------------------------
    r1 = await server.mc("POST", f"/api/agents/{m.username}/message", {"subject": SUBJ1, "body": BODY1}, c.api_key, 201)
    dm1 = r1["id"]
    assert r1 == {"success": True, "message": "Message sent", "id": dm1, "to": m.display_name, "to_slug": m.username}
    # The DM session is new: announced first, then its first message.
    announced = await ms.wait_for("claw.session.events", lambda d: d["events"] == [], "announcement")
    sid = announced["sessionId"]
    assert sid.startswith("session_"), announced
    assert announced == {"sessionId": sid, "cursor": 0, "events": []}
    push = await ms.wait_for("claw.session.events", has_message(dm1), "dm1")
    assert push["sessionId"] == sid and push["cursor"] == 1 and len(push["events"]) == 1, push
    check_event(push["events"][0], seq=1, target=sid, message_id=dm1, author=c, content=BODY1, meta_=meta([], SUBJ1))
    listed = await server.claw("sessions/list", {}, m.token)
    assert [s["sessionId"] for s in listed["sessions"]] == [sid], listed
    s = listed["sessions"][0]
    assert (s["type"], sorted(s["participants"]), s["lastSeq"]) == ("dm", sorted([m.id, c.id]), 1), s

    # --- DM 2: M → C in the same session ---------------------------------------------------------
    msg2 = (await server.claw("sessions/send", {"sessionId": sid, "content": BODY2}, m.token))["message"]
    dm2 = msg2["messageId"]
    assert (msg2["sessionId"], msg2["seq"], msg2["meta"]) == (sid, 2, meta([])), msg2
    n2 = await wait_notification(cp, "inbox.message", dm2)
    check_notification(n2, c, "inbox.message", False, inbox_data(dm2, m, None, BODY2))
    push = await ms.wait_for("claw.session.events", has_message(dm2), "dm2")
    check_event(push["events"][0], seq=2, target=sid, message_id=dm2, author=m, content=BODY2, meta_=meta([]))

    # --- DM 3: M mentions C in the session -------------------------------------------------------
    msg3 = (await server.claw("sessions/send", {"sessionId": sid, "content": BODY3}, m.token))["message"]
    dm3 = msg3["messageId"]
    assert (msg3["seq"], msg3["meta"], msg3["mentions"]) == (3, meta([c.id]), [c.id, c.slug]), msg3
    n3 = await wait_notification(cp, "inbox.message", dm3)
    check_notification(n3, c, "inbox.message", False, inbox_data(dm3, m, None, BODY3))
    n3m = await wait_notification(cp, "mention", dm3)
    check_notification(n3m, c, "mention", False, mention_data("session", dm3, m, BODY3))
    push = await ms.wait_for("claw.session.events", has_message(dm3), "dm3")
    check_event(push["events"][0], seq=3, target=sid, message_id=dm3, author=m, content=BODY3, meta_=meta([c.id]))

    # --- the town square: C over /api/chat, M over panels/send -----------------------------------
    p1 = (await server.mc("POST", "/api/chat", {"message": CHAT1}, c.api_key, 201))["message"]
    chat1 = p1["id"]
    assert (p1["message"], p1["agent"]["id"], p1["agent"]["handle"]) == (CHAT1, c.id, c.slug), p1
    assert await wait_chat(ct, chat1) == chat_frame(chat1, c, CHAT1, p1["created_at"])
    push = await ms.wait_for("claw.panel.events", has_message(chat1), "chat1")
    assert (push["sessionId"], push["cursor"], len(push["events"])) == (TOWN_SQUARE, 1, 1), push
    check_event(push["events"][0], seq=1, target=TOWN_SQUARE, message_id=chat1, author=c, content=CHAT1, meta_=meta([]), panel=TOWN_SQUARE, group=group)

    sent = await server.claw("groups/panels/send", {"panelId": TOWN_SQUARE, "content": PANEL2}, m.token)
    assert (sent["panelId"], sent["groupId"]) == (TOWN_SQUARE, group), sent
    msgp2 = sent["message"]
    panel2 = msgp2["messageId"]
    assert await wait_chat(ct, panel2) == chat_frame(panel2, m, PANEL2, msgp2["createdAt"])
    push = await ms.wait_for("claw.panel.events", has_message(panel2), "panel2")
    check_event(push["events"][0], seq=2, target=TOWN_SQUARE, message_id=panel2, author=m, content=PANEL2, meta_=meta([]), panel=TOWN_SQUARE, group=group)

    # --- mentions: M writes @city-carl in the panel; C writes @mira in chat ----------------------
    msgp3 = (await server.claw("groups/panels/send", {"panelId": TOWN_SQUARE, "content": PANEL3}, m.token))["message"]
    panel3 = msgp3["messageId"]
    assert (msgp3["seq"], msgp3["meta"], msgp3["mentions"]) == (3, meta([c.id]), [c.id, c.slug]), msgp3
    n_p3 = await wait_notification(cp, "mention", panel3)
    check_notification(n_p3, c, "mention", False, mention_data("panel", panel3, m, PANEL3))
    assert await wait_chat(ct, panel3) == chat_frame(panel3, m, PANEL3, msgp3["createdAt"])
    push = await ms.wait_for("claw.panel.events", has_message(panel3), "panel3")
    check_event(push["events"][0], seq=3, target=TOWN_SQUARE, message_id=panel3, author=m, content=PANEL3, meta_=meta([c.id]), panel=TOWN_SQUARE, group=group)

    p4 = (await server.mc("POST", "/api/chat", {"message": CHAT4}, c.api_key, 201))["message"]
    chat4 = p4["id"]
    assert await wait_chat(ct, chat4) == chat_frame(chat4, c, CHAT4, p4["created_at"])
    push = await ms.wait_for("claw.panel.events", has_message(chat4), "chat4")
    check_event(push["events"][0], seq=4, target=TOWN_SQUARE, message_id=chat4, author=c, content=CHAT4, meta_=meta([m.id]), panel=TOWN_SQUARE, group=group)

    # --- exactly one copy of everything, in order, on every socket --------------------------------
    await asyncio.sleep(QUIET_S)
    assert claw_pushes(ms, "claw.session.events") == [
        (sid, 0, [], []),
        (sid, 1, [1], [dm1]),
        (sid, 2, [2], [dm2]),
        (sid, 3, [3], [dm3]),
    ], ms.summary()
    assert claw_pushes(ms, "claw.panel.events") == [
        (TOWN_SQUARE, 1, [1], [chat1]),
        (TOWN_SQUARE, 2, [2], [panel2]),
        (TOWN_SQUARE, 3, [3], [panel3]),
        (TOWN_SQUARE, 4, [4], [chat4]),
    ], ms.summary()
    assert [e for (e, _) in ms.log if not e.startswith("$ack:")] == ["claw.session.events"] * 4 + ["claw.panel.events"] * 4, ms.summary()
    assert brief(notifications(cp)) == [
        ("inbox.message", dm2, False),
        ("inbox.message", dm3, False),
        ("mention", dm3, False),
        ("mention", panel3, False),
    ], cp.summary()
    assert [f["type"] for f in cp.frames] == ["connected"] + ["notification"] * 4, cp.summary()
    assert [(f["type"], f.get("id")) for f in ct.frames[1:]] == [
        ("chat", chat1),
        ("chat", panel2),
        ("chat", panel3),
        ("chat", chat4),
    ], ct.summary()
    assert ct.frames[0]["type"] == "connected" and len(ct.frames) == 5, ct.summary()

    # --- C's REST views: inbox, sent, feed, chat, town square --------------------------------------
    inbox = await server.mc("GET", "/api/inbox", key=c.api_key)
    assert (inbox["unread_count"], inbox["total"]) == (2, 2), inbox
    assert [(x["id"], x["from"]["id"], x["from"]["handle"], x["from_agent_id"], x["subject"], x["body"], x["read"], x["read_at"]) for x in inbox["messages"]] == [
        (dm3, m.id, m.username, m.id, None, BODY3, False, None),
        (dm2, m.id, m.username, m.id, None, BODY2, False, None),
    ], inbox
    assert [x["created_at"] for x in inbox["messages"]] == [msg3["createdAt"], msg2["createdAt"]], inbox
    out = await server.mc("GET", "/api/inbox/sent", key=c.api_key)
    assert out["total"] == 1, out
    assert [(x["id"], x["to"], x["subject"], x["body"], x["read"]) for x in out["messages"]] == [
        (dm1, {"id": m.id, "slug": m.username, "name": m.display_name}, SUBJ1, BODY1, False)
    ], out
    assert await server.mc("GET", "/api/inbox/stats", key=c.api_key) == {"unread": 2, "total": 2, "sent": 1}
    feed = await server.mc("GET", "/api/notifications", key=c.api_key)
    live = notifications(cp)
    assert (feed["count"], feed["unread_count"], feed["has_more"]) == (4, 4, False), feed
    assert [
        (n["id"], n["type"], n["event_type"], n["read"], n["read_at"], n["created_at"], n["data"]) for n in feed["notifications"]
    ] == [
        (f["id"], "message" if f["event_type"] == "inbox.message" else "mention", f["event_type"], False, None, f["created_at"], f["data"])
        for f in reversed(live)
    ], feed
    chat = await server.mc("GET", "/api/chat", key=c.api_key)
    assert [(x["id"], x["message"], x["agent"]["id"]) for x in chat["messages"]] == [
        (chat1, CHAT1, c.id),
        (panel2, PANEL2, m.id),
        (panel3, PANEL3, m.id),
        (chat4, CHAT4, c.id),
    ], chat
    assert (chat["count"], chat["latest"]) == (4, p4["created_at"]), chat
    square = await server.mc("GET", "/api/town-square", key=c.api_key)
    assert [x["id"] for x in square["messages"]] == [chat4, panel3, panel2, chat1], square
    assert square["pagination"]["has_more"] is False, square

    # --- M's REST views: the DM in seq order, the panel, and its own MoltCities side --------------
    hist = await server.claw("sessions/messages", {"sessionId": sid, "limit": 50}, m.token)
    assert [(x["messageId"], x["seq"], x["author"], x["content"], x["meta"]) for x in hist["messages"]] == [
        (dm3, 3, m.id, BODY3, meta([c.id])),
        (dm2, 2, m.id, BODY2, meta([])),
        (dm1, 1, c.id, BODY1, meta([], SUBJ1)),
    ], hist
    assert (hist["hasMore"], hist["nextCursor"]) == (False, None), hist
    ph = await server.claw("groups/panels/messages", {"panelId": TOWN_SQUARE, "limit": 50}, m.token)
    assert [(x["messageId"], x["seq"], x["author"], x["meta"], x["mentions"]) for x in ph["messages"]] == [
        (chat4, 4, c.id, meta([m.id]), [m.id, m.username]),
        (panel3, 3, m.id, meta([c.id]), [c.id, c.slug]),
        (panel2, 2, m.id, meta([]), []),
        (chat1, 1, c.id, meta([]), []),
    ], ph
    m_inbox = await server.mc("GET", "/api/inbox", key=m.token)  # a claw_ token as Bearer
    assert [(x["id"], x["from_agent_id"], x["subject"], x["body"]) for x in m_inbox["messages"]] == [(dm1, c.id, SUBJ1, BODY1)], m_inbox
    m_feed = await server.mc("GET", "/api/notifications", key=m.token)
    assert [(n["event_type"], n["data"]["message_id"], n["data"].get("context"), n["data"].get("subject")) for n in m_feed["notifications"]] == [
        ("mention", chat4, "chat", None),
        ("inbox.message", dm1, None, SUBJ1),
    ], m_feed

    # --- both go away ------------------------------------------------------------------------------
    # C acknowledges everything but the inbox notification of dm3, which must come back.
    unacked = n3["id"]
    await ack_all(cp, [n2["id"], n3m["id"], n_p3["id"]])
    last_chat_seen = ct.frames[-1]["created_at"]
    await cp.close()
    await ct.close()
    # M remembers its cursors: the session at 3, the town square at 4.
    cursors = {sid: claw_pushes(ms, "claw.session.events")[-1][1], TOWN_SQUARE: claw_pushes(ms, "claw.panel.events")[-1][1]}
    assert cursors == {sid: 3, TOWN_SQUARE: 4}
    await ms.disconnect()

    # --- what happens while both are offline -----------------------------------------------------
    r5 = await server.mc("POST", f"/api/agents/{m.username}/message", {"subject": SUBJ5, "body": BODY5}, c.api_key, 201)
    dm5 = r5["id"]
    msg6 = (await server.claw("sessions/send", {"sessionId": sid, "content": BODY6}, m.token))["message"]
    dm6 = msg6["messageId"]
    assert msg6["seq"] == 5, msg6
    p7 = (await server.mc("POST", "/api/chat", {"message": CHAT7}, c.api_key, 201))["message"]
    chat7 = p7["id"]
    msgp8 = (await server.claw("groups/panels/send", {"panelId": TOWN_SQUARE, "content": PANEL8}, m.token))["message"]
    panel8 = msgp8["messageId"]
    assert msgp8["seq"] == 6, msgp8

    # --- M comes back with its cursors --------------------------------------------------------------
    ms2 = await server.sio(m.token, serializer, "M again")
    listed = await server.claw("sessions/list", {}, m.token)
    assert [(x["sessionId"], x["lastSeq"]) for x in listed["sessions"]] == [(sid, 5)], listed
    ack = await ms2.call("com.claw.im.subscribeSessions", {"sessionIds": [sid], "cursors": {sid: cursors[sid]}, "limit": 100})
    assert ack["result"] is True, ack
    entries = ack["data"]["sessions"]
    assert [(e["sessionId"], e["cursor"], [ev["seq"] for ev in e["events"]]) for e in entries] == [(sid, 5, [4, 5])], ack
    check_event(entries[0]["events"][0], seq=4, target=sid, message_id=dm5, author=c, content=BODY5, meta_=meta([], SUBJ5))
    check_event(entries[0]["events"][1], seq=5, target=sid, message_id=dm6, author=m, content=BODY6, meta_=meta([c.id]))
    pa = await ms2.call("com.claw.im.subscribePanels", {"panelIds": []})
    assert pa["result"] is True and TOWN_SQUARE in pa["data"]["panelIds"], pa
    # The panel's missed messages come from its history, after the cursor.
    ph = await server.claw("groups/panels/messages", {"panelId": TOWN_SQUARE, "limit": 50}, m.token)
    missed = [x for x in reversed(ph["messages"]) if x["seq"] > cursors[TOWN_SQUARE]]
    assert [(x["messageId"], x["seq"], x["author"], x["content"], x["meta"]) for x in missed] == [
        (chat7, 5, c.id, CHAT7, meta([m.id])),
        (panel8, 6, m.id, PANEL8, meta([c.id])),
    ], ph
    assert [x["seq"] for x in ph["messages"]] == [6, 5, 4, 3, 2, 1], ph

    # --- C comes back: the personal socket replays only what was not acknowledged ------------------
    cp2 = await server.ws(c.api_key, "C personal again")
    await cp2.wait_for(lambda f: len(notifications(cp2)) >= 4, what="4 replayed notifications")
    replay = notifications(cp2)
    assert brief(replay) == [
        ("inbox.message", dm3, True),
        ("inbox.message", dm6, True),
        ("mention", dm6, True),
        ("mention", panel8, True),
    ], cp2.summary()
    assert replay[0]["id"] == unacked and replay[0]["created_at"] == n3["created_at"], replay[0]
    check_notification(replay[0], c, "inbox.message", True, inbox_data(dm3, m, None, BODY3))
    check_notification(replay[1], c, "inbox.message", True, inbox_data(dm6, m, None, BODY6))
    check_notification(replay[2], c, "mention", True, mention_data("session", dm6, m, BODY6))
    check_notification(replay[3], c, "mention", True, mention_data("panel", panel8, m, PANEL8))
    ct2 = await server.ws(c.api_key, "C square again", channel="town-square")
    # The town square has no replay: what C missed is in /api/chat after the last post it saw.
    caught_up = await server.mc("GET", f"/api/chat?after={last_chat_seen}", key=c.api_key)
    assert [(x["id"], x["message"], x["agent"]["id"]) for x in caught_up["messages"]] == [
        (chat7, CHAT7, c.id),
        (panel8, PANEL8, m.id),
    ], caught_up

    # --- live again, after the backlog: each new message once ------------------------------------
    await ack_all(cp2, [n["id"] for n in replay])
    r9 = await server.mc("POST", f"/api/agents/{m.username}/message", {"body": BODY9}, c.api_key, 201)
    dm9 = r9["id"]
    push = await ms2.wait_for("claw.session.events", has_message(dm9), "dm9")
    assert (push["sessionId"], push["cursor"], len(push["events"])) == (sid, 6, 1), push
    check_event(push["events"][0], seq=6, target=sid, message_id=dm9, author=c, content=BODY9, meta_=meta([]))
    msgp10 = (await server.claw("groups/panels/send", {"panelId": TOWN_SQUARE, "content": PANEL10}, m.token))["message"]
    panel10 = msgp10["messageId"]
    n10 = await wait_notification(cp2, "mention", panel10)
    check_notification(n10, c, "mention", False, mention_data("panel", panel10, m, PANEL10))
    assert await wait_chat(ct2, panel10) == chat_frame(panel10, m, PANEL10, msgp10["createdAt"])
    push = await ms2.wait_for("claw.panel.events", has_message(panel10), "panel10")
    check_event(push["events"][0], seq=7, target=TOWN_SQUARE, message_id=panel10, author=m, content=PANEL10, meta_=meta([c.id]), panel=TOWN_SQUARE, group=group)

    await asyncio.sleep(QUIET_S)
    assert claw_pushes(ms2, "claw.session.events") == [(sid, 6, [6], [dm9])], ms2.summary()
    assert claw_pushes(ms2, "claw.panel.events") == [(TOWN_SQUARE, 7, [7], [panel10])], ms2.summary()
    assert [e for (e, _) in ms2.log if not e.startswith("$ack:")] == ["claw.session.events", "claw.panel.events"], ms2.summary()
    assert brief(notifications(cp2)) == [
        ("inbox.message", dm3, True),
        ("inbox.message", dm6, True),
        ("mention", dm6, True),
        ("mention", panel8, True),
        ("mention", panel10, False),
    ], cp2.summary()
    assert [(f["type"], f.get("id")) for f in ct2.frames] == [("connected", None), ("chat", panel10)], ct2.summary()

    # Everything acknowledged: the next personal socket replays nothing.
    await ack_all(cp2, [n10["id"]])
    await cp2.close()
    cp3 = await server.ws(c.api_key, "C personal third")
    await cp3.ping()
    await asyncio.sleep(QUIET_S)
    assert [f["type"] for f in cp3.frames] == ["connected", "pong"], cp3.summary()

    # --- read state is one state: inbox ⇔ notification ------------------------------------------
    by_message = {
        (n["event_type"], n["data"]["message_id"]): n for n in (await server.mc("GET", "/api/notifications", key=c.api_key))["notifications"]
    }
    assert len(by_message) == 8, by_message
    await server.mc("PATCH", f"/api/inbox/{dm2}", {"read": True}, c.api_key)
    notif6 = by_message[("inbox.message", dm6)]["id"]
    assert await server.mc("POST", f"/api/notifications/{notif6}/read", key=c.api_key) == {"marked_read": True, "id": notif6}
    inbox = await server.mc("GET", "/api/inbox", key=c.api_key)
    assert [(x["id"], x["read"]) for x in inbox["messages"]] == [(dm6, True), (dm3, False), (dm2, True)], inbox
    assert inbox["unread_count"] == 1, inbox
    feed = await server.mc("GET", "/api/notifications", key=c.api_key)
    read = {(n["event_type"], n["data"]["message_id"]): n["read"] for n in feed["notifications"]}
    assert read[("inbox.message", dm2)] is True and read[("inbox.message", dm6)] is True, feed
    assert sorted(k for k, v in read.items() if v) == sorted([("inbox.message", dm2), ("inbox.message", dm6)]), feed
    assert feed["unread_count"] == 6, feed
    assert await server.mc("GET", "/api/inbox/stats", key=c.api_key) == {"unread": 1, "total": 3, "sent": 3}

    # --- each message exists once in the store -----------------------------------------------------
    hist = await server.claw("sessions/messages", {"sessionId": sid, "limit": 50}, m.token)
    assert [x["messageId"] for x in hist["messages"]] == [dm9, dm6, dm5, dm3, dm2, dm1], hist
    assert [x["seq"] for x in hist["messages"]] == [6, 5, 4, 3, 2, 1], hist
    sent_c = await server.mc("GET", "/api/inbox/sent", key=c.api_key)
    assert sorted([x["id"] for x in inbox["messages"]] + [x["id"] for x in sent_c["messages"]]) == sorted([dm9, dm6, dm5, dm3, dm2, dm1])
    chat = await server.mc("GET", "/api/chat", key=c.api_key)
    ph = await server.claw("groups/panels/messages", {"panelId": TOWN_SQUARE, "limit": 50}, m.token)
    assert [x["id"] for x in chat["messages"]] == [x["messageId"] for x in reversed(ph["messages"])] == [
        chat1, panel2, panel3, chat4, chat7, panel8, panel10
    ], (chat, ph)


# --- the chat rate limit is per agent across both wires --------------------------------------------


@bounded(40)
async def test_chat_rate_limit_spans_both_wires(limited_server: Server) -> None:
    server = limited_server
    m = await server.mochat_register("mira")
    c = await server.city_register("city-carl", "Carl")

    first = (await server.mc("POST", "/api/chat", {"message": "Carl posts first"}, c.api_key, 201))["message"]
    # The same agent at once over MoChat (its mc_ key as X-Claw-Token): its turn is used up.
    r = await server.claw_raw("groups/panels/send", {"panelId": TOWN_SQUARE, "content": "Carl again, via MoChat"}, c.api_key)
    assert r.status == 429, (r.status, r.body)
    assert (r.body["success"], r.body["code"], r.body["name"]) == (False, 429, "RATE_LIMITED"), r.body
    assert isinstance(r.body["retryAfter"], int) and 1 <= r.body["retryAfter"] <= 10, r.body
    assert r.headers.get("Retry-After") == str(r.body["retryAfter"]), r.headers

    # Another agent is not held back; then the limit holds for it the other way round.
    second = await server.claw("groups/panels/send", {"panelId": TOWN_SQUARE, "content": "Mira over MoChat"}, m.token)
    r = await server.mc_raw("POST", "/api/chat", {"message": "Mira again, via MoltCities"}, m.token)
    assert r.status == 429, (r.status, r.body)
    assert r.body["error"] == "Rate limit exceeded. 1 message per 10 seconds.", r.body
    assert isinstance(r.body["retry_after"], int) and 1 <= r.body["retry_after"] <= 10, r.body
    assert r.headers.get("Retry-After") == str(r.body["retry_after"]), r.headers

    # Refused posts are not stored.
    chat = await server.mc("GET", "/api/chat", key=c.api_key)
    assert [x["id"] for x in chat["messages"]] == [first["id"], second["message"]["messageId"]], chat


# --- one identity, one namespace -------------------------------------------------------------------


@bounded(40)
async def test_one_identity_on_both_wires(server: Server) -> None:
    m = await server.mochat_register("mira")
    c = await server.city_register("city-carl", "Carl")

    # C's mc_ key on the MoChat wire: REST and Socket.IO.
    me = await server.claw("agents/get", {}, c.api_key)
    assert (me["botUserId"], me["username"], me["displayName"]) == (c.id, c.slug, c.name), me
    cs = await server.sio(c.api_key, "msgpack", "C on MoChat")
    pa = await cs.call("com.claw.im.subscribePanels", {"panelIds": []})
    assert pa["result"] is True and TOWN_SQUARE in pa["data"]["panelIds"], pa
    # M's claw_ token on the MoltCities wire: REST (Bearer) and the WebSocket (?token=).
    me = await server.mc("GET", "/api/me", key=m.token)
    assert (me["agent"]["id"], me["agent"]["handle"]) == (m.id, m.username), me
    mw = await server.ws(m.token, "M on MoltCities")
    assert (mw.frames[0]["type"], mw.frames[0]["agent_id"]) == ("connected", m.id), mw.summary()

    # One namespace: a MoChat username is a taken slug, and a slug a taken username.
    check = await server.mc("GET", f"/api/check?slug={m.username}")
    assert (check["slug"], check["available"]) == (m.username, False), check
    pair = server.keys.get(server._registered)
    server._registered += 1
    r = await server.mc_raw(
        "POST",
        "/api/register",
        {
            "name": "Mira Two",
            "public_key": pair.public_pem,
            "soul": "x" * 120,
            "skills": ["testing"],
            "site": {"slug": m.username, "title": "Another Mira"},
        },
    )
    assert (r.status, r.body.get("error")) == (409, "Slug already taken"), (r.status, r.body)
    carl = await server.city_register("carl", "Carl Two")
    for name in ("carl", "CARL"):
        r = await server.claw_raw("agents/selfRegister", {"username": name})
        assert (r.status, r.body.get("error")) == (409, "Username already exists"), (name, r.status, r.body)
    # The inbox finds a MoChat agent by username or id, a MoltCities agent by slug (any case).
    for to, who in ((m.username, m), (m.id, m), ("CITY-CARL", c)):
        r = await server.mc("POST", f"/api/agents/{to}/message", {"body": f"to {to}"}, carl.api_key, 201)
        assert (r["to_slug"], r["to"]) == ((who.username, who.display_name) if who is m else (c.slug, c.name)), (to, r)
