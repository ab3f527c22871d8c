"""The town-square channel: online counts and presence with three agents, chat frames for
POST /api/chat and POST /api/town-square (the poster's own included), client frames, and the
separation from the personal channel."""

from __future__ import annotations

from conftest import ISO_MS, Server, bounded, is_notification

SQ = "town-square"


def presence(f: object, event: str | None = None, agent_id: str | None = None) -> bool:
    return (
        isinstance(f, dict)
        and f.get("type") == "presence"
        and (event is None or f.get("event") == event)
        and (agent_id is None or f.get("agent", {}).get("id") == agent_id)
    )


@bounded(45)
async def test_presence_counts_with_three_agents(server: Server) -> None:
    alice = await server.register("alice", "Alice")
    bob = await server.register("bob", "Bob")
    carol = await server.register("carol", "Carol")

    a = await server.open(alice, channel=SQ)
    c0 = a.frames[0]
    assert set(c0) == {"type", "channel", "online_count", "server_time"}, c0
    assert (c0["type"], c0["channel"], c0["online_count"]) == ("connected", "town-square", 1)
    assert ISO_MS.match(c0["server_time"])

    b = await server.open(bob, channel=SQ)
    assert b.frames[0]["online_count"] == 2
    joined = await a.wait_for(lambda f: presence(f, "joined"), what="bob joined")
    assert joined == {"type": "presence", "event": "joined", "agent": {"id": bob.agent_id, "handle": "bob"}, "online_count": 2}

    start_a, start_b = len(a), len(b)
    c = await server.open(carol, channel=SQ)
    assert c.frames[0]["online_count"] == 3
    for sock in (a, b):
        j = await sock.wait_for(lambda f: presence(f, "joined"), sock is a and start_a or start_b, what="carol joined")
        assert j == {"type": "presence", "event": "joined", "agent": {"id": carol.agent_id, "handle": "carol"}, "online_count": 3}

    # Nobody hears of their own arrival.
    await c.ping()
    for sock, me in ((a, alice), (b, bob), (c, carol)):
        assert not sock.all(lambda f: presence(f, agent_id=me.agent_id)), sock.summary()

    # Carol leaves: the other two see left with count 2.
    start_a, start_b = len(a), len(b)
    await c.close(1000, "bye")
    for sock, start in ((a, start_a), (b, start_b)):
        left = await sock.wait_for(lambda f: presence(f, "left"), start, what="carol left")
        assert left == {"type": "presence", "event": "left", "agent": {"id": carol.agent_id, "handle": "carol"}, "online_count": 2}

    # Bob leaves: alice alone.
    start_a = len(a)
    await b.close()
    left = await a.wait_for(lambda f: presence(f, "left"), start_a, what="bob left")
    assert left["agent"]["id"] == bob.agent_id and left["online_count"] == 1

    # Carol comes back: count 2 again; /api/ws/status agrees.
    start_a = len(a)
    c2 = await server.open(carol, channel=SQ, label="carol-2")
    assert c2.frames[0]["online_count"] == 2
    j = await a.wait_for(lambda f: presence(f, "joined"), start_a, what="carol rejoined")
    assert j["online_count"] == 2
    status = await server.rest("GET", "/api/ws/status", key=alice.api_key)
    assert status["websocket_status"]["town_square"]["connections"] == 2, status
    assert status["websocket_status"]["personal_notifiers"]["total_connections"] == 0, status
    assert [f["event"] for f in a.of_type("presence")] == ["joined", "joined", "left", "left", "joined"]


@bounded(45)
async def test_chat_frames_from_both_endpoints(server: Server) -> None:
    alice = await server.register("alice", "Alice Liddell")
    bob = await server.register("bob", "Bob")
    a = await server.open(alice, channel=SQ)
    b = await server.open(bob, channel=SQ)

    res = await server.rest("POST", "/api/chat", {"message": "Hello everyone! 👋"}, key=alice.api_key, status=201)
    msg = res["message"]
    for sock in (a, b):  # the poster's own socket too
        f = await sock.wait_type("chat", id=msg["id"])
        assert f == {
            "type": "chat",
            "id": msg["id"],
            "agent_id": alice.agent_id,
            "agent_name": "Alice Liddell",
            "agent_handle": "alice",
            "message": "Hello everyone! 👋",
            "created_at": msg["created_at"],
        }, f

    res = await server.rest("POST", "/api/town-square", {"message": "Posted the other way"}, key=bob.api_key, status=201)
    post = res["post"]
    for sock in (a, b):
        f = await sock.wait_type("chat", id=post["id"])
        assert (f["agent_id"], f["agent_name"], f["agent_handle"], f["message"], f["created_at"]) == (
            bob.agent_id,
            "Bob",
            "bob",
            "Posted the other way",
            post["created_at"],
        )

    # Order is posting order, on every socket; a refused post sends nothing.
    await server.rest("POST", "/api/chat", {"message": ""}, key=bob.api_key, status=400)
    for i in range(3):
        await server.rest("POST", "/api/chat", {"message": f"n{i}"}, key=bob.api_key, status=201)
    for sock in (a, b):
        await sock.wait_type("chat", message="n2")
        assert [f["message"] for f in sock.of_type("chat")] == ["Hello everyone! 👋", "Posted the other way", "n0", "n1", "n2"]
    # The REST history has the same ids.
    hist = await server.rest("GET", "/api/chat?limit=10")
    assert [m["id"] for m in hist["messages"]] == [f["id"] for f in a.of_type("chat")]


@bounded(30)
async def test_square_client_frames(server: Server) -> None:
    alice = await server.register("alice")
    a = await server.open(alice, channel=SQ)
    pong = await a.ping()
    assert set(pong) == {"type", "timestamp"} and isinstance(pong["timestamp"], int)
    refused = {"type": "error", "code": 4009, "message": "Chat messages must be sent via POST /api/chat"}
    for sent in (
        {"type": "chat", "message": "hi"},
        {"type": "ack", "notification_id": "notif_x"},
        {"type": "subscribe", "events": ["mention"]},
        {"message": "no type"},
    ):
        start = len(a)
        await a.send(sent)
        assert await a.wait_type("error", start) == refused, sent
    start = len(a)
    await a.send("{oops")
    assert await a.wait_type("error", start) == {"type": "error", "code": 4009, "message": "Invalid JSON"}
    assert (await a.ping())["type"] == "pong"
    assert not a.closed.is_set()
    assert not a.of_type("chat"), "nothing sent over the socket is posted"


@bounded(45)
async def test_channels_are_separate_and_coexist(server: Server) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    sq = await server.open(alice, channel=SQ, label="alice-square")
    # Only the square open: a message to alice reaches no socket but is queued.
    await server.rest("POST", "/api/agents/alice/message", {"body": "while on the square"}, key=bob.api_key, status=201)
    await server.rest("POST", "/api/chat", {"message": "@alice hi from the square"}, key=bob.api_key, status=201)
    await sq.wait_type("chat", message="@alice hi from the square")
    await sq.ping()
    assert not sq.all(is_notification), sq.summary()

    # A personal socket next to the square one: neither displaces the other.
    p = await server.open(alice, label="alice-personal")
    replay = await p.wait_count(is_notification, 2, what="replay")
    assert [f["event_type"] for f in replay] == ["inbox.message", "mention"]
    assert all(f["queued"] is True for f in replay)
    start_p, start_sq = len(p), len(sq)
    await server.rest("POST", "/api/chat", {"message": "both open, @alice"}, key=bob.api_key, status=201)
    await sq.wait_type("chat", start_sq, message="both open, @alice")
    n = await p.wait_for(lambda f: is_notification(f, "mention"), start_p, what="mention")
    assert n["queued"] is False
    await p.ping()
    await sq.ping()
    assert not p.of_type("chat"), "the personal socket gets no chat frames"
    assert not sq.all(is_notification), "the square socket gets no notifications"
    assert not p.closed.is_set() and not sq.closed.is_set()
