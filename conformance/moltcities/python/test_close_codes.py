"""Close codes: 4003 "New connection opened" when the same agent opens a second socket on the
same channel (the new one keeps working; the square sends no false presence), and 4000
"Connection timeout" after the idle timeout (2 s here, checked every second)."""

from __future__ import annotations

import asyncio
import time

from conftest import QUIET_S, Server, bounded, is_notification

SQ = "town-square"


@bounded(45)
async def test_displacement_on_the_personal_channel(server: Server) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    first = await server.open(alice, path="/ws", label="first")
    second = await server.open(alice, path="/api/ws", label="second")
    assert await first.wait_closed() == (4003, "New connection opened")
    assert second.frames[0]["type"] == "connected"
    assert second.frames[0]["connection_id"] != first.frames[0]["connection_id"]
    assert not second.closed.is_set()

    # The new socket keeps working: pong and live notifications.
    assert (await second.ping())["type"] == "pong"
    start = len(second)
    await server.rest("POST", "/api/agents/alice/message", {"body": "to the new socket"}, key=bob.api_key, status=201)
    n = await second.wait_for(is_notification, start, what="notification on the new socket")
    assert n["queued"] is False and n["data"]["preview"] == "to the new socket"
    assert not first.all(is_notification)

    # A third socket displaces the second in turn.
    third = await server.open(alice, label="third")
    assert await second.wait_closed() == (4003, "New connection opened")
    start = len(third)
    await server.rest("POST", "/api/agents/alice/message", {"body": "to the third"}, key=bob.api_key, status=201)
    n = await third.wait_for(lambda f: is_notification(f) and f["queued"] is False, start, what="live notification")
    assert n["data"]["preview"] == "to the third"
    status = await server.rest("GET", "/api/ws/status", key=alice.api_key)
    assert status["websocket_status"]["personal_notifiers"]["total_connections"] == 1, status

    # Another agent's socket is not displaced by alice's.
    b = await server.open(bob, label="bob")
    await server.open(alice, label="fourth")
    assert await third.wait_closed() == (4003, "New connection opened")
    await asyncio.sleep(QUIET_S)
    assert not b.closed.is_set()
    assert (await b.ping())["type"] == "pong"


@bounded(45)
async def test_displacement_on_the_square_sends_no_false_presence(server: Server) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    b = await server.open(bob, channel=SQ, label="bob")
    a1 = await server.open(alice, channel=SQ, label="alice-1")
    assert a1.frames[0]["online_count"] == 2
    await b.wait_for(lambda f: f.get("type") == "presence" and f.get("event") == "joined", what="alice joined")
    start_b = len(b)

    a2 = await server.open(alice, channel=SQ, label="alice-2")
    assert await a1.wait_closed() == (4003, "New connection opened")
    assert a2.frames[0]["online_count"] == 2, "a displacement does not change who is online"
    await b.quiet(lambda f: f.get("type") == "presence", start_b, "presence for a displacement", secs=QUIET_S * 2)

    # The new socket gets chat; the count is still right when bob leaves.
    res = await server.rest("POST", "/api/chat", {"message": "after displacement"}, key=bob.api_key, status=201)
    f = await a2.wait_type("chat", id=res["message"]["id"])
    assert f["message"] == "after displacement"
    assert not a1.of_type("chat")
    start = len(a2)
    await b.close()
    left = await a2.wait_for(lambda f: f.get("type") == "presence", start, what="bob left")
    assert (left["event"], left["agent"]["id"], left["online_count"]) == ("left", bob.agent_id, 1)


@bounded(30)
async def test_idle_personal_socket_is_closed_with_4000(idle_server: Server) -> None:
    server = idle_server
    alice = await server.register("alice")
    t0 = time.monotonic()
    a = await server.open(alice)
    code, reason = await a.wait_closed(timeout=6)
    elapsed = time.monotonic() - t0
    assert (code, reason) == (4000, "Connection timeout")
    assert 1.5 <= elapsed <= 5.5, f"closed after {elapsed:.2f}s with a 2 s idle timeout checked every 1 s"


@bounded(30)
async def test_pings_keep_a_socket_open(idle_server: Server) -> None:
    server = idle_server
    alice = await server.register("alice")
    bob = await server.register("bob")
    a = await server.open(alice)
    quiet = await server.open(bob, label="bob-idle")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5:
        assert (await a.ping())["type"] == "pong"
        await asyncio.sleep(0.5)
    assert not a.closed.is_set(), a.summary()
    assert quiet.closed.is_set(), "the socket that sent nothing timed out meanwhile"
    assert (quiet.close_code, quiet.close_reason) == (4000, "Connection timeout")


@bounded(30)
async def test_idle_square_socket_times_out_with_presence(idle_server: Server) -> None:
    server = idle_server
    alice = await server.register("alice")
    bob = await server.register("bob")
    b = await server.open(bob, channel=SQ, label="bob")
    a = await server.open(alice, channel=SQ, label="alice-idle")
    await b.wait_for(lambda f: f.get("type") == "presence" and f.get("event") == "joined", what="alice joined")

    async def keep_pinging() -> None:
        while not a.closed.is_set():
            await b.ping()
            await asyncio.sleep(0.5)

    pinger = asyncio.ensure_future(keep_pinging())
    try:
        assert await a.wait_closed(timeout=6) == (4000, "Connection timeout")
        t = await b.wait_for(
            lambda f: f.get("type") == "presence" and f.get("event") == "timeout", what="alice timeout presence"
        )
        assert t == {"type": "presence", "event": "timeout", "agent": {"id": alice.agent_id, "handle": "alice"}, "online_count": 1}
        await b.quiet(lambda f: f.get("type") == "presence" and f.get("event") == "left", 0, "a 'left' besides the 'timeout'")
    finally:
        pinger.cancel()
    assert not b.closed.is_set()
