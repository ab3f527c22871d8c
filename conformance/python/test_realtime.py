"""python-socketio AsyncClient against agentgate: seed dialect, real dialect (with cursors),
a REST reply with replyTo, and refused tokens.

Two client configurations (see conftest.VARIANTS): the default JSON serializer with default
transports (polling, then the upgrade to websocket), and serializer="msgpack" over websocket
only (what the nanobot channel uses).
"""

from __future__ import annotations

import asyncio

import pytest
import socketio

from conftest import ISO_MS, QUIET_S, VARIANTS, Server, bounded

OK_ACK = {"result": True, "success": True}
AUTH_ERROR = "Authentication error: Invalid token"


def check_transport(conn, variant: dict) -> None:
    if variant["transports"] is None:
        # Default transports: polling handshake, then python-engineio upgrades during connect.
        assert conn.sio.transport() == "websocket", "default transports upgrade to websocket"
    else:
        assert conn.sio.transport() == "websocket"


def assert_session_push(push: dict, session_id: str, sent: dict, sender: dict) -> None:
    assert push["sessionId"] == session_id
    m = push["message"]
    assert m["id"] == sent["messageId"]
    assert m["messageId"] == sent["messageId"]
    assert m["content"] == sent["content"]
    assert m["senderId"] == sender["botUserId"]
    assert m["author"] == sender["botUserId"]
    assert m["type"] == "text"
    assert m["mentions"] == sent["mentions"]
    assert m["createdAt"] == sent["createdAt"]
    assert ISO_MS.match(m["createdAt"])
    s = push["sender"]
    assert s["id"] == sender["botUserId"]
    assert s["username"] == sender["username"]
    assert s["displayName"] == sender["displayName"]
    assert s["type"] == "agent"


@pytest.mark.parametrize("variant", VARIANTS)
@bounded(40)
async def test_seed_flow(server: Server, variant: dict) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    carol = await server.register("carol")
    dm = await server.create_session(bob, [alice])
    foreign = await server.create_session(bob, [carol])
    panels, _, group_id = await server.text_panels(alice)
    general = panels["general"]

    c = await server.connect(alice["token"], variant, "alice")
    check_transport(c, variant)
    assert await c.call("session:subscribe", {"sessionId": "*"}) == OK_ACK
    assert await c.call("panel:subscribe", {"panelId": "*"}) == OK_ACK
    refused = await c.call("session:subscribe", {"sessionId": foreign["sessionId"]})
    assert refused["result"] is False, refused

    secret = await server.send(bob, foreign["sessionId"], "not for alice")
    m1 = await server.send(bob, dm["sessionId"], "hi @alice")
    assert m1["mentions"] == [alice["botUserId"], "alice"]
    p1 = await c.wait_for("notify:session", lambda d: d["message"]["messageId"] == m1["messageId"])
    assert_session_push(p1, dm["sessionId"], m1, bob)

    # "*" covers a session created after subscribing.
    trio = await server.create_session(bob, [alice, carol], type="group", name="trio")
    m2 = await server.send(carol, trio["sessionId"], "carol in trio")
    p2 = await c.wait_for("notify:session", lambda d: d["message"]["messageId"] == m2["messageId"])
    assert_session_push(p2, trio["sessionId"], m2, carol)

    g1 = await server.send_panel(bob, general["id"], "panel hello @alice")
    pg = await c.wait_for("notify:panel", lambda d: d["message"]["messageId"] == g1["messageId"])
    assert pg["panelId"] == general["id"]
    assert pg["groupId"] == group_id
    assert pg["message"]["content"] == "panel hello @alice"
    assert pg["message"]["senderId"] == bob["botUserId"]
    assert pg["message"]["mentions"] == [alice["botUserId"], "alice"]
    assert pg["sender"]["id"] == bob["botUserId"]
    assert pg["sender"]["username"] == "bob"

    await asyncio.sleep(QUIET_S)
    assert [d["message"]["messageId"] for d in c.all("notify:session")] == [m1["messageId"], m2["messageId"]]
    assert secret["messageId"] not in [d["message"]["messageId"] for d in c.all("notify:session")]
    assert [d["message"]["messageId"] for d in c.all("notify:panel")] == [g1["messageId"]]
    assert [e for (e, _) in c.log if e.startswith("claw.")] == []

    # Unsubscribe: nothing more arrives; a second socket is the delivery sentinel.
    assert await c.call("session:unsubscribe", {"sessionId": "*"}) == OK_ACK
    assert await c.call("panel:unsubscribe", {"panelId": "*"}) == OK_ACK
    sentinel = await server.connect(alice["token"], variant, "sentinel")
    assert await sentinel.call("session:subscribe", {"sessionId": dm["sessionId"]}) == OK_ACK
    mark = len(c.log)
    m3 = await server.send(bob, dm["sessionId"], "after unsubscribe")
    p3 = await sentinel.wait_for("notify:session", lambda d: d["message"]["messageId"] == m3["messageId"])
    assert_session_push(p3, dm["sessionId"], m3, bob)
    await asyncio.sleep(QUIET_S)
    assert [e for (e, _) in c.log[mark:]] == []


@pytest.mark.parametrize("variant", VARIANTS)
@bounded(40)
async def test_real_flow(server: Server, variant: dict) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    carol = await server.register("carol")
    cold = await server.create_session(bob, [alice])
    warm = await server.create_session(bob, [alice, carol], type="group", name="warm")
    for i in range(1, 3):
        await server.send(bob, cold["sessionId"], f"cold {i}")
    warm_msgs = [await server.send(bob, warm["sessionId"], f"warm {i} @alice") for i in range(1, 5)]
    assert [m["seq"] for m in warm_msgs] == [1, 2, 3, 4]
    panels, text_ids, group_id = await server.text_panels(alice)

    c = await server.connect(alice["token"], variant, "alice")
    check_transport(c, variant)
    ack = await c.call(
        "com.claw.im.subscribeSessions",
        {
            "sessionIds": [cold["sessionId"], warm["sessionId"]],
            "cursors": {warm["sessionId"]: 1, panels["general"]["id"]: 5},
            "limit": 100,
        },
    )
    assert ack["result"] is True, ack
    entries = {e["sessionId"]: e for e in ack["data"]["sessions"]}
    assert len(ack["data"]["sessions"]) == 2
    assert entries[cold["sessionId"]] == {"sessionId": cold["sessionId"], "cursor": 2, "events": []}
    w = entries[warm["sessionId"]]
    assert w["cursor"] == 4
    assert [e["seq"] for e in w["events"]] == [2, 3, 4]
    for ev, sent in zip(w["events"], warm_msgs[1:]):
        assert isinstance(ev["seq"], int)
        assert ev["sessionId"] == warm["sessionId"]
        assert ev["type"] == "message.add"
        assert ISO_MS.match(ev["timestamp"])
        p = ev["payload"]
        assert p["messageId"] == sent["messageId"]
        assert p["author"] == bob["botUserId"]
        assert p["authorInfo"]["userId"] == bob["botUserId"]
        assert p["authorInfo"]["agentId"] == "bob"
        assert p["content"] == sent["content"]
        assert p["meta"]["mentions"] == [alice["botUserId"]]
        assert p["converseId"] == warm["converseId"]
        assert "groupId" not in p

    # Live push, cursor continues.
    live = await server.send(bob, cold["sessionId"], "live @alice")
    push = await c.wait_for(
        "claw.session.events",
        lambda d: d["sessionId"] == cold["sessionId"] and any(e["payload"]["messageId"] == live["messageId"] for e in d["events"]),
    )
    assert push["cursor"] == 3
    assert [e["seq"] for e in push["events"]] == [3]
    assert push["events"][0]["payload"]["meta"]["mentions"] == [alice["botUserId"]]
    assert "groupId" not in push["events"][0]["payload"]

    # A brand-new session is announced at once, then its first message follows.
    fresh = await server.create_session(carol, [alice])
    ann = await c.wait_for("claw.session.events", lambda d: d["sessionId"] == fresh["sessionId"])
    assert ann == {"sessionId": fresh["sessionId"], "cursor": 0, "events": []}
    f1 = await server.send(carol, fresh["sessionId"], "hello fresh")
    pf = await c.wait_for(
        "claw.session.events", lambda d: d["sessionId"] == fresh["sessionId"] and len(d["events"]) > 0
    )
    assert pf["cursor"] == 1
    assert [e["payload"]["messageId"] for e in pf["events"]] == [f1["messageId"]]

    # Panels.
    pa = await c.call("com.claw.im.subscribePanels", {"panelIds": []})
    assert pa["result"] is True, pa
    assert pa["data"]["groupId"] == group_id
    assert sorted(pa["data"]["panelIds"]) == sorted(text_ids)
    town = panels["town-square"]
    t1 = await server.send_panel(bob, town["id"], "town one")
    t2 = await server.send_panel(carol, town["id"], "town two")
    for seq, sent, author in ((1, t1, bob), (2, t2, carol)):
        pp = await c.wait_for(
            "claw.panel.events",
            lambda d, sent=sent: d["sessionId"] == town["id"]
            and any(e["payload"]["messageId"] == sent["messageId"] for e in d["events"]),
        )
        assert pp["cursor"] == seq
        assert len(pp["events"]) == 1
        ev = pp["events"][0]
        assert ev["seq"] == seq
        assert ev["type"] == "message.add"
        assert ev["payload"]["groupId"] == group_id
        assert ev["payload"]["author"] == author["botUserId"]
        assert ev["payload"]["content"] == sent["content"]

    await asyncio.sleep(QUIET_S)
    assert [(d["sessionId"], [e["seq"] for e in d["events"]]) for d in c.all("claw.session.events")] == [
        (cold["sessionId"], [3]),
        (fresh["sessionId"], []),
        (fresh["sessionId"], [1]),
    ]
    assert [[e["seq"] for e in d["events"]] for d in c.all("claw.panel.events")] == [[1], [2]]
    assert [e for (e, _) in c.log if e.startswith("notify:")] == []


@pytest.mark.parametrize("variant", VARIANTS)
@bounded(30)
async def test_reply_with_reply_to(server: Server, variant: dict) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    dm = await server.create_session(bob, [alice])
    a = await server.connect(alice["token"], variant, "alice")
    b = await server.connect(bob["token"], variant, "bob")
    assert await a.call("session:subscribe", {"sessionId": "*"}) == OK_ACK
    assert await b.call("session:subscribe", {"sessionId": "*"}) == OK_ACK
    sub = await b.call("com.claw.im.subscribeSessions", {"sessionIds": [dm["sessionId"]], "cursors": {}, "limit": 100})
    assert sub == {"result": True, "data": {"sessions": [{"sessionId": dm["sessionId"], "cursor": 0, "events": []}]}}

    question = await server.send(bob, dm["sessionId"], "@alice what time is it?")
    got = await a.wait_for("notify:session", lambda d: d["message"]["messageId"] == question["messageId"])
    assert got["sender"]["id"] == bob["botUserId"]  # not our own message: reply to it
    reply = await server.send(alice, dm["sessionId"], "noon", replyTo=got["message"]["messageId"])
    assert reply["replyTo"] == question["messageId"]

    # Bob sees the reply in both styles, pointing at his question.
    seed = await b.wait_for("notify:session", lambda d: d["message"]["messageId"] == reply["messageId"])
    assert seed["message"]["replyTo"] == question["messageId"]
    assert seed["sender"]["id"] == alice["botUserId"]
    real = await b.wait_for(
        "claw.session.events", lambda d: any(e["payload"]["messageId"] == reply["messageId"] for e in d["events"])
    )
    assert real["cursor"] == 2
    assert real["events"][0]["seq"] == 2
    assert real["events"][0]["payload"]["replyTo"] == question["messageId"]

    # The stored message keeps replyTo.
    hist = await server.api("sessions/messages", {"sessionId": dm["sessionId"], "limit": 10}, bob["token"])
    assert [(m["messageId"], m["replyTo"]) for m in hist["messages"]] == [
        (reply["messageId"], question["messageId"]),
        (question["messageId"], None),
    ]
    # An unknown replyTo is dropped, never an error.
    odd = await server.send(alice, dm["sessionId"], "odd", replyTo="0" * 24)
    assert odd["replyTo"] is None


@pytest.mark.parametrize("variant", VARIANTS)
@bounded(30)
async def test_bad_token_refused(server: Server, variant: dict) -> None:
    alice = await server.register("alice")
    for token in ("not-a-token", "claw_" + "0" * 48):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await server.connect(token, variant, "bad")
        bad = server.last_conn
        errors = bad.all("$connect_error")
        assert len(errors) == 1, bad.summary()
        assert errors[0]["message"] == AUTH_ERROR
    rotated = await server.api("agents/rotateToken", {}, alice["token"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        await server.connect(alice["token"], variant, "rotated")
    assert [e["message"] for e in server.last_conn.all("$connect_error")] == [AUTH_ERROR]
    ok = await server.connect(rotated["token"], variant, "new")
    assert await ok.call("session:subscribe", {"sessionId": "*"}) == OK_ACK
    assert (await server.health())["connectedUsers"] == 1
