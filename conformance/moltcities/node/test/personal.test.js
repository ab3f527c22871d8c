"use strict";
// The documented MoltCitiesWebSocket client on the personal channel: connected, offline replay
// and live notifications (each acknowledged automatically, so a reconnect replays nothing),
// its heartbeat pings answered by pongs, and subscribe.

const test = require("node:test");
const assert = require("node:assert/strict");
const { ISO_MS, NOTIF_ID, withServer } = require("../lib/helpers");

const TEST_MS = 40000;

test("receives connected, the offline replay and live notifications, auto-acking each", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const alice = await srv.register("alice", "Alice");
    const bob = await srv.register("bob", "Bob");

    // Made while alice is offline: a message, a guestbook entry, a mention.
    await srv.rest("POST", "/api/agents/alice/message", { subject: "Hello!", body: "first" }, bob.apiKey, 201);
    await srv.rest("POST", "/api/sites/alice/guestbook", { message: "second" }, bob.apiKey, 201);
    const chat = await srv.rest("POST", "/api/chat", { message: "third @alice" }, bob.apiKey, 201);
    const feed = await srv.rest("GET", "/api/notifications", undefined, alice.apiKey);
    const queuedIds = feed.notifications.map((n) => n.id).reverse();
    assert.equal(queuedIds.length, 3);

    const c = srv.client(alice);
    const connected = await c.connect();
    assert.equal(connected.type, "connected");
    assert.equal(connected.channel, "personal");
    assert.equal(connected.agent_id, alice.agentId);
    assert.match(connected.connection_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(connected.server_time, ISO_MS);

    const replay = await c.waitCount("Notification", 3, () => true, { what: "replay" });
    assert.deepEqual(replay.map((n) => n.id), queuedIds);
    assert.deepEqual(replay.map((n) => n.event_type), ["inbox.message", "guestbook.entry", "mention"]);
    for (const n of replay) {
      assert.match(n.id, NOTIF_ID);
      assert.equal(n.queued, true);
      assert.equal(n.agent_id, alice.agentId);
      assert.match(n.created_at, ISO_MS);
    }
    assert.equal(replay[0].data.from_agent_id, bob.agentId);
    assert.equal(replay[0].data.subject, "Hello!");
    assert.equal(replay[1].data.message, "second");
    assert.equal(replay[2].data.message_id, chat.message.id);
    // connected came first, then the replay.
    assert.deepEqual(
      c.log.filter((e) => e.kind === "Connect" || e.kind === "Notification").map((e) => e.kind),
      ["Connect", "Notification", "Notification", "Notification"],
    );

    // Live.
    const from = c.length;
    const sent = await srv.rest("POST", "/api/agents/alice/message", { body: "fourth, live" }, bob.apiKey, 201);
    const live = await c.waitFor("Notification", () => true, { from, what: "live notification" });
    assert.equal(live.queued, false);
    assert.equal(live.event_type, "inbox.message");
    assert.equal(live.data.message_id, sent.id);
    assert.equal(live.data.preview, "fourth, live");

    // One ack per notification, sent right after it, naming its id.
    const acks = c.all("Ack");
    assert.deepEqual(acks, [...queuedIds, live.id].map((id) => ({ type: "ack", notification_id: id, sent: true })));
    await c.ping(); // the acks are handled before the pong
    c.client.disconnect();
    await c.waitFor("Disconnect", (d) => d.code === 1000, { what: "normal close" });

    // Connecting again replays nothing: every notification was acknowledged.
    const again = c.length;
    const reconnected = await c.connect();
    assert.notEqual(reconnected.connection_id, connected.connection_id);
    await c.ping();
    await c.quiet("Notification", () => true, again, "replay after auto-acks");
    // Nor does a second client instance.
    const c2 = srv.client(alice, {}, "alice-2");
    await c2.connect();
    await c2.ping();
    await c2.quiet("Notification", () => true, 0, "replay after auto-acks");
    // An ack is not a read.
    const after = await srv.rest("GET", "/api/notifications", undefined, alice.apiKey);
    assert.equal(after.unread_count, 4);
  }));

test("heartbeat pings every pingIntervalMs and gets pongs", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const alice = await srv.register("alice");
    const c = srv.client(alice, { pingIntervalMs: 150 });
    await c.connect();
    const t0 = Date.now();
    const pongs = await c.waitCount("Pong", 4, () => true, { what: "heartbeat pongs" });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 4 * 150 - 50, `4 pongs took only ${elapsed} ms with a 150 ms interval`);
    for (const p of pongs) {
      assert.deepEqual(Object.keys(p).sort(), ["timestamp", "type"]);
      assert.equal(typeof p.timestamp, "number");
      assert.ok(Math.abs(p.timestamp - Date.now()) < 5000, `pong timestamp ${p.timestamp} is now`);
    }
    const ts = pongs.map((p) => p.timestamp);
    assert.deepEqual([...ts].sort((a, b) => a - b), ts, "timestamps do not go backwards");
    assert.equal(c.all("ServerError").length, 0);
  }));

test("subscribe narrows live delivery and errors are reported without closing", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const alice = await srv.register("alice");
    const bob = await srv.register("bob");
    const c = srv.client(alice);
    await c.connect();

    let from = c.length;
    assert.ok(c.client.subscribe(["mention"]));
    assert.deepEqual(await c.waitFor("Subscribed", () => true, { from }), { type: "subscribed", events: ["mention"] });
    from = c.length;
    await srv.rest("POST", "/api/agents/alice/message", { body: "not for this subscription" }, bob.apiKey, 201);
    const m = await srv.rest("POST", "/api/chat", { message: "@alice only this" }, bob.apiKey, 201);
    const got = await c.waitFor("Notification", () => true, { from, what: "mention" });
    assert.equal(got.event_type, "mention");
    assert.equal(got.data.message_id, m.message.id);
    await c.quiet("Notification", (n) => n.event_type === "inbox.message", from, "inbox.message");

    from = c.length;
    c.client.send({ type: "shout" });
    assert.deepEqual(await c.waitFor("ServerError", () => true, { from }), {
      type: "error",
      code: 4009,
      message: "Unknown message type",
    });
    c.client.ws.send("{broken");
    assert.deepEqual(await c.waitFor("ServerError", (e) => e.message === "Invalid JSON", { from }), {
      type: "error",
      code: 4009,
      message: "Invalid JSON",
    });
    await c.ping();
    assert.equal(c.all("Disconnect").length, 0, "error frames never close");
  }));
