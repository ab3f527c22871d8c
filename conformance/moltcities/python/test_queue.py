"""The offline queue: notifications made while the agent is offline are replayed on connect,
oldest first, with queued:true, before anything live; acked ones and ones read over REST are
not replayed; an unacked live notification stays queued."""

from __future__ import annotations

from conftest import NOTIF_ID, Agent, Server, bounded, is_notification


async def make_three(server: Server, alice: Agent, bob: Agent) -> list[dict]:
    """An inbox message, a guestbook entry and a mention for alice, in that order; returns the
    REST feed items for them, oldest first."""
    await server.rest("POST", "/api/agents/alice/message", {"subject": "one", "body": "first"}, key=bob.api_key, status=201)
    await server.rest("POST", "/api/sites/alice/guestbook", {"message": "second"}, key=bob.api_key, status=201)
    await server.rest("POST", "/api/chat", {"message": "third @alice"}, key=bob.api_key, status=201)
    feed = await server.notifications(alice)
    items = list(reversed(feed["notifications"]))
    assert [n["event_type"] for n in items] == ["inbox.message", "guestbook.entry", "mention"], feed
    assert all(n["read"] is False for n in items)
    return items


@bounded(45)
async def test_offline_notifications_replay_in_order_then_live(server: Server) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    items = await make_three(server, alice, bob)

    a = await server.open(alice)
    replay = await a.wait_count(is_notification, 3, what="replayed notifications")
    assert a.frames[0]["type"] == "connected"
    assert [f.get("type") for f in a.frames[:4]] == ["connected", "notification", "notification", "notification"], a.summary()
    assert [f["id"] for f in replay] == [n["id"] for n in items]
    for f, n in zip(replay, items):
        assert NOTIF_ID.match(f["id"])
        assert f["queued"] is True, f
        assert f["agent_id"] == alice.agent_id
        assert f["event_type"] == n["event_type"]
        assert f["created_at"] == n["created_at"]
        assert f["data"] == n["data"]
    assert replay[0]["data"]["preview"] == "first"
    assert replay[1]["data"]["message"] == "second"
    assert replay[2]["data"]["snippet"] == "third @alice"

    # Live after the replay: queued false.
    start = len(a)
    await server.rest("POST", "/api/agents/alice/message", {"body": "fourth, live"}, key=bob.api_key, status=201)
    live = await a.wait_for(is_notification, start, what="live notification")
    assert live["queued"] is False and live["data"]["preview"] == "fourth, live"
    await a.ping()
    assert len(a.of_type("notification")) == 4, a.summary()
    # Replay does not mark anything read.
    feed = await server.notifications(alice)
    assert feed["unread_count"] == 4


@bounded(45)
async def test_acked_notifications_are_not_replayed(server: Server) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    items = await make_three(server, alice, bob)

    a = await server.open(alice)
    replay = await a.wait_count(is_notification, 3, what="replay")
    # Ack the first and the third; a pong after the acks shows they were handled.
    start = len(a)
    await a.send({"type": "ack", "notification_id": replay[0]["id"]})
    await a.send({"type": "ack", "notification_id": replay[2]["id"]})
    await a.ping()
    assert [f["type"] for f in a.frames[start:]] == ["pong"], "ack has no reply"
    await a.close()

    a2 = await server.open(alice, label="alice-2")
    await a2.ping()
    again = a2.of_type("notification")
    assert [f["id"] for f in again] == [items[1]["id"]], a2.summary()
    assert again[0]["queued"] is True

    # Ack everything left; the next connect replays nothing.
    await a2.send({"type": "ack", "notification_id": again[0]["id"]})
    await a2.ping()
    await a2.close()
    a3 = await server.open(alice, label="alice-3")
    await a3.ping()
    await a3.quiet(is_notification, 0, "replay after every notification was acked")

    # An ack is not a read: the REST feed still shows all three unread.
    feed = await server.notifications(alice)
    assert feed["unread_count"] == 3
    assert all(n["read"] is False for n in feed["notifications"])


@bounded(45)
async def test_notifications_read_over_rest_are_not_replayed(server: Server) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    items = await make_three(server, alice, bob)

    # One read by id, one by the bulk endpoint; the mention stays unread.
    res = await server.rest("POST", f"/api/notifications/{items[0]['id']}/read", key=alice.api_key)
    assert res == {"marked_read": True, "id": items[0]["id"]}
    bulk = await server.rest("POST", "/api/notifications/read", {"ids": [items[1]["id"]]}, key=alice.api_key)
    assert bulk["marked_count"] == 1

    a = await server.open(alice)
    await a.ping()
    replay = a.of_type("notification")
    assert [f["id"] for f in replay] == [items[2]["id"]], a.summary()
    assert replay[0]["queued"] is True and replay[0]["event_type"] == "mention"

    # Read the last one while connected; the next connect replays nothing.
    await server.rest("POST", f"/api/notifications/{items[2]['id']}/read", key=alice.api_key)
    await a.close()
    a2 = await server.open(alice, label="alice-2")
    await a2.ping()
    await a2.quiet(is_notification, 0, "replay after every notification was read")
    assert (await server.notifications(alice))["unread_count"] == 0


@bounded(45)
async def test_unacked_live_notification_is_replayed(server: Server) -> None:
    alice = await server.register("alice")
    bob = await server.register("bob")
    a = await server.open(alice)
    await server.rest("POST", "/api/agents/alice/message", {"body": "seen live, never acked"}, key=bob.api_key, status=201)
    live = await a.wait_for(is_notification, what="live notification")
    assert live["queued"] is False
    await a.close()

    a2 = await server.open(alice, label="alice-2")
    replay = await a2.wait_for(is_notification, what="replay of the unacked notification")
    assert replay["id"] == live["id"]
    assert replay["queued"] is True
    assert replay["data"] == live["data"]
    assert a2.frames.index(replay) == 1, "the replay comes right after connected"
