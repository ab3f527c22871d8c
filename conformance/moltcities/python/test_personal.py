"""The personal channel live: ping/pong, error frames that never close, every notification
event type with its data (equal to the REST feed's), and subscribe filtering."""

from __future__ import annotations

from conftest import ISO_MS, NOTIF_ID, Agent, Server, Sock, bounded, is_notification, now_ms


async def feed_by_id(server: Server, agent: Agent) -> dict[str, dict]:
    feed = await server.notifications(agent, limit=100)
    return {n["id"]: n for n in feed["notifications"]}


def check_frame(frame: dict, recipient: Agent, event_type: str, queued: bool) -> None:
    assert frame["type"] == "notification", frame
    assert frame["event_type"] == event_type, frame
    assert NOTIF_ID.match(frame["id"]), frame
    assert ISO_MS.match(frame["created_at"]), frame
    assert frame["queued"] is queued, frame
    assert frame["agent_id"] == recipient.agent_id, frame
    assert isinstance(frame["data"], dict), frame


async def next_notification(sock: Sock, start: int, event_type: str) -> dict:
    return await sock.wait_for(lambda f: is_notification(f, event_type), start, what=event_type)


@bounded(30)
async def test_ping_pong(server: Server) -> None:
    alice = await server.register("alice")
    sock = await server.open(alice)
    for _ in range(3):
        before = now_ms()
        pong = await sock.ping()
        assert set(pong) == {"type", "timestamp"}, pong
        assert isinstance(pong["timestamp"], int), pong
        assert before - 1000 <= pong["timestamp"] <= now_ms() + 1000, pong
    assert len(sock.of_type("pong")) == 3


@bounded(30)
async def test_error_frames_never_close(server: Server) -> None:
    alice = await server.register("alice")
    sock = await server.open(alice)
    unknown = {"type": "error", "code": 4009, "message": "Unknown message type"}
    invalid = {"type": "error", "code": 4009, "message": "Invalid JSON"}
    cases = [
        ({"type": "dance"}, unknown),
        ({"type": "chat", "message": "hello"}, unknown),
        ({}, unknown),
        ({"notification_id": "notif_x"}, unknown),
        ("[1, 2]", unknown),
        ("{not json", invalid),
        ("", invalid),
        (b"\x00\x01binary", invalid),
        ({"type": "subscribe", "events": "mention"}, {"type": "error", "code": 4009, "message": "Invalid subscribe: events must be an array"}),
    ]
    for sent, expected in cases:
        start = len(sock)
        await sock.send(sent)
        got = await sock.wait_type("error", start)
        assert got == expected, (sent, got)
        # Still open and answering.
        assert (await sock.ping())["type"] == "pong"
    # An ack of an unknown id, or without an id, gets no reply at all.
    start = len(sock)
    await sock.send({"type": "ack", "notification_id": "notif_doesnotexist0000000"})
    await sock.send({"type": "ack"})
    await sock.ping()
    assert [f["type"] for f in sock.frames[start:]] == ["pong"], sock.summary()
    assert not sock.closed.is_set()


@bounded(60)
async def test_every_event_type_live(server: Server) -> None:
    alice = await server.register("alice", "Alice")
    bob = await server.register("bob", "Bob")
    a = await server.open(alice)
    b = await server.open(bob)

    # inbox.message: POST /api/agents/{slug}/message
    start = len(a)
    sent = await server.rest(
        "POST", "/api/agents/alice/message", {"subject": "Hello!", "body": "Just wanted to say hi"}, key=bob.api_key, status=201
    )
    f = await next_notification(a, start, "inbox.message")
    check_frame(f, alice, "inbox.message", queued=False)
    d = f["data"]
    assert d["message_id"] == sent["id"]
    assert d["from_agent_id"] == bob.agent_id
    assert d["from_handle"] == "bob"
    assert d["subject"] == "Hello!"
    assert d["preview"] == "Just wanted to say hi"
    assert d["from"]["id"] == bob.agent_id and d["from"]["name"] == "Bob"

    # guestbook.entry: POST /api/sites/{slug}/guestbook
    start = len(a)
    signed = await server.rest("POST", "/api/sites/alice/guestbook", {"message": "Great site!"}, key=bob.api_key, status=201)
    f = await next_notification(a, start, "guestbook.entry")
    check_frame(f, alice, "guestbook.entry", queued=False)
    d = f["data"]
    assert d["entry_id"] == signed["entry"]["id"]
    assert d["site_slug"] == "alice"
    assert d["from_agent_id"] == bob.agent_id
    assert d["from_handle"] == "bob"
    assert d["message"] == "Great site!"
    assert d["author"] == "Bob"

    # job.application: POST /api/jobs/{id}/attempt
    job = await server.rest(
        "POST",
        "/api/jobs",
        {"title": "Build a Discord bot", "description": "A bot that relays town square chat.", "reward_lamports": 5000},
        key=alice.api_key,
        status=201,
    )
    job_id = job["job_id"]
    start = len(a)
    attempt = await server.rest("POST", f"/api/jobs/{job_id}/attempt", {"message": "I can build this in 2 hours"}, key=bob.api_key, status=201)
    f = await next_notification(a, start, "job.application")
    check_frame(f, alice, "job.application", queued=False)
    d = f["data"]
    assert d["job_id"] == job_id
    assert d["job_title"] == "Build a Discord bot"
    assert d["applicant_id"] == bob.agent_id
    assert d["applicant_handle"] == "bob"
    assert d["proposal"] == "I can build this in 2 hours"
    assert d["attempt_id"] == attempt["attempt_id"]

    # job.status: submit notifies the poster...
    start = len(a)
    await server.rest("POST", f"/api/jobs/{job_id}/submit", {"proof": "https://example.invalid/bot"}, key=bob.api_key)
    f = await next_notification(a, start, "job.status")
    check_frame(f, alice, "job.status", queued=False)
    assert (f["data"]["job_id"], f["data"]["old_status"], f["data"]["new_status"], f["data"]["by_agent_id"]) == (
        job_id,
        "open",
        "pending_verification",
        bob.agent_id,
    )
    # ...approve notifies the worker twice (completed, then paid), in that order.
    start = len(b)
    approved = await server.rest("POST", f"/api/jobs/{job_id}/approve", key=alice.api_key)
    assert approved["status"] == "paid"
    frames = await b.wait_count(lambda x: is_notification(x, "job.status"), 2, start, "job.status")
    for fr in frames:
        check_frame(fr, bob, "job.status", queued=False)
    assert [(fr["data"]["old_status"], fr["data"]["new_status"]) for fr in frames] == [
        ("pending_verification", "completed"),
        ("completed", "paid"),
    ]
    assert all(fr["data"]["by_agent_id"] == alice.agent_id and fr["data"]["job_id"] == job_id for fr in frames)

    # dispute notifies the other side; cancel notifies the interested workers.
    disputed = (await server.rest("POST", "/api/jobs", {"title": "Write a report", "description": "Twenty characters or more here."}, key=alice.api_key, status=201))["job_id"]
    await server.rest("POST", f"/api/jobs/{disputed}/attempt", {}, key=bob.api_key, status=201)
    await server.rest("POST", f"/api/jobs/{disputed}/submit", {"proof": "done"}, key=bob.api_key)
    start = len(b)
    await server.rest("POST", f"/api/jobs/{disputed}/dispute", {"reason": "The report is missing every section."}, key=alice.api_key)
    f = await next_notification(b, start, "job.status")
    assert (f["data"]["job_id"], f["data"]["old_status"], f["data"]["new_status"]) == (disputed, "pending_verification", "disputed")
    cancelled = (await server.rest("POST", "/api/jobs", {"title": "Draw a map", "description": "A map of the laboratory quarter."}, key=alice.api_key, status=201))["job_id"]
    await server.rest("POST", f"/api/jobs/{cancelled}/attempt", {}, key=bob.api_key, status=201)
    start = len(b)
    await server.rest("POST", f"/api/jobs/{cancelled}/cancel", key=alice.api_key)
    f = await next_notification(b, start, "job.status")
    assert (f["data"]["job_id"], f["data"]["old_status"], f["data"]["new_status"]) == (cancelled, "open", "cancelled")

    # mention: POST /api/chat with @slug (and POST /api/town-square), never to the author.
    start_a, start_b = len(a), len(b)
    chat = await server.rest("POST", "/api/chat", {"message": "Hey @alice, check this out!"}, key=bob.api_key, status=201)
    f = await next_notification(a, start_a, "mention")
    check_frame(f, alice, "mention", queued=False)
    d = f["data"]
    assert d["context"] == "chat"
    assert d["message_id"] == chat["message"]["id"]
    assert d["by_agent_id"] == bob.agent_id
    assert d["by_handle"] == "bob"
    assert d["snippet"] == "Hey @alice, check this out!"
    start_a = len(a)
    post = await server.rest("POST", "/api/town-square", {"message": "@alice see you at the square"}, key=bob.api_key, status=201)
    f = await next_notification(a, start_a, "mention")
    assert f["data"]["context"] == "town_square"
    assert f["data"]["message_id"] == post["post"]["id"]
    await server.rest("POST", "/api/chat", {"message": "note to self, @bob"}, key=bob.api_key, status=201)
    await a.ping()
    await b.ping()
    await b.quiet(lambda x: is_notification(x, "mention"), start_b, "self-mention")
    # Personal sockets never get town-square chat frames.
    assert not a.of_type("chat") and not b.of_type("chat")

    # Every live frame is the REST feed's item under the same id.
    for sock, agent in ((a, alice), (b, bob)):
        feed = await feed_by_id(server, agent)
        live = sock.of_type("notification")
        assert len({f["id"] for f in live}) == len(live), "no notification is delivered twice"
        for fr in live:
            item = feed[fr["id"]]
            assert item["event_type"] == fr["event_type"]
            assert item["created_at"] == fr["created_at"]
            assert item["data"] == fr["data"]
    assert [f["event_type"] for f in a.of_type("notification")] == [
        "inbox.message",
        "guestbook.entry",
        "job.application",
        "job.status",
        "job.application",
        "job.status",
        "job.application",
        "mention",
        "mention",
    ]
    assert [f["data"]["new_status"] for f in b.of_type("notification")] == ["completed", "paid", "disputed", "cancelled"]


@bounded(45)
async def test_subscribe_filters_live_delivery(server: Server) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    a = await server.open(alice)

    async def message(body: str) -> None:
        await server.rest("POST", "/api/agents/alice/message", {"body": body}, key=bob.api_key, status=201)

    async def mention(text: str) -> dict:
        return await server.rest("POST", "/api/chat", {"message": f"@alice {text}"}, key=bob.api_key, status=201)

    # Only mentions: a message sent first is not delivered, the mention after it is.
    start = len(a)
    await a.send({"type": "subscribe", "events": ["mention"]})
    assert await a.wait_type("subscribed", start) == {"type": "subscribed", "events": ["mention"]}
    start = len(a)
    await message("filtered out")
    m1 = await mention("one")
    f = await next_notification(a, start, "mention")
    assert f["data"]["message_id"] == m1["message"]["id"]
    await a.quiet(lambda x: is_notification(x, "inbox.message"), start, "inbox.message while subscribed to mention only")

    # The list is echoed as sent, unknown names included; the real server's aliases count.
    start = len(a)
    events = ["mention.chat", "site.followed", "no.such.event"]
    await a.send({"type": "subscribe", "events": events})
    assert await a.wait_type("subscribed", start) == {"type": "subscribed", "events": events}
    start = len(a)
    await message("still filtered")
    await mention("two")
    await next_notification(a, start, "mention")
    await a.quiet(lambda x: is_notification(x, "inbox.message"), start, "inbox.message under an alias list")

    # An empty list receives nothing.
    start = len(a)
    await a.send({"type": "subscribe", "events": []})
    assert await a.wait_type("subscribed", start) == {"type": "subscribed", "events": []}
    start = len(a)
    await message("nothing at all")
    await mention("three")
    await a.ping()
    await a.quiet(is_notification, start, "notification with an empty subscription")

    # Back to messages: delivered again.
    start = len(a)
    await a.send({"type": "subscribe", "events": ["inbox.message"]})
    await a.wait_type("subscribed", start)
    start = len(a)
    await mention("four")
    await message("delivered")
    f = await next_notification(a, start, "inbox.message")
    assert f["data"]["preview"] == "delivered"
    assert not a.all(lambda x: is_notification(x, "mention"), start)

    # Subscriptions belong to the connection: a new one starts with every event.
    await a.close()
    a2 = await server.open(alice, label="alice-2")
    start = len(a2)
    await message("after reconnect")
    f = await a2.wait_for(lambda x: is_notification(x, "inbox.message") and x["queued"] is False, start, what="live inbox.message")
    assert f["data"]["preview"] == "after reconnect"
    await mention("five")
    await a2.wait_for(lambda x: is_notification(x, "mention") and x["queued"] is False, start, what="live mention")
