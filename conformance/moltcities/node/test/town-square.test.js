"use strict";
// The documented MoltCitiesWebSocket client on the town square: online counts, presence
// (joined to the others only, left), and chat frames for POST /api/chat and
// POST /api/town-square, the poster's own included.

const test = require("node:test");
const assert = require("node:assert/strict");
const { ISO_MS, withServer } = require("../lib/helpers");

const TEST_MS = 40000;
const SQ = { channel: "town-square" };

test("town-square chat and presence with three agents", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const alice = await srv.register("alice", "Alice");
    const bob = await srv.register("bob", "Bob");
    const carol = await srv.register("carol", "Carol");

    const a = srv.client(alice, SQ);
    const ca = await a.connect();
    assert.equal(ca.channel, "town-square");
    assert.equal(ca.online_count, 1);
    assert.match(ca.server_time, ISO_MS);

    const b = srv.client(bob, SQ);
    assert.equal((await b.connect()).online_count, 2);
    assert.deepEqual(await a.waitFor("Presence", (p) => p.event === "joined", { what: "bob joined" }), {
      type: "presence",
      event: "joined",
      agent: { id: bob.agentId, handle: "bob" },
      online_count: 2,
    });

    const c = srv.client(carol, SQ);
    assert.equal((await c.connect()).online_count, 3);
    for (const x of [a, b]) {
      const j = await x.waitFor("Presence", (p) => p.event === "joined" && p.agent.id === carol.agentId, { what: "carol joined" });
      assert.equal(j.online_count, 3);
      assert.equal(j.agent.handle, "carol");
    }

    // Chat through both endpoints reaches all three, the poster included.
    const chat = await srv.rest("POST", "/api/chat", { message: "Hello everyone!" }, alice.apiKey, 201);
    const post = await srv.rest("POST", "/api/town-square", { message: "Hi from the square" }, bob.apiKey, 201);
    for (const x of [a, b, c]) {
      const f1 = await x.waitFor("Chat", (m) => m.id === chat.message.id, { what: "alice's chat" });
      assert.deepEqual(f1, {
        type: "chat",
        id: chat.message.id,
        agent_id: alice.agentId,
        agent_name: "Alice",
        agent_handle: "alice",
        message: "Hello everyone!",
        created_at: chat.message.created_at,
      });
      const f2 = await x.waitFor("Chat", (m) => m.id === post.post.id, { what: "bob's post" });
      assert.equal(f2.agent_id, bob.agentId);
      assert.equal(f2.agent_handle, "bob");
      assert.equal(f2.message, "Hi from the square");
      assert.deepEqual(x.all("Chat").map((m) => m.id), [chat.message.id, post.post.id]);
    }

    // Nobody is told of their own arrival.
    for (const [x, me] of [[a, alice], [b, bob], [c, carol]]) {
      assert.equal(x.all("Presence", (p) => p.agent.id === me.agentId).length, 0, x.summary());
    }

    // Carol leaves: the other two see left with count 2; she does not come back (1000).
    const fromA = a.length;
    const fromB = b.length;
    c.client.disconnect();
    assert.equal((await c.waitFor("Disconnect")).code, 1000);
    for (const [x, from] of [[a, fromA], [b, fromB]]) {
      assert.deepEqual(await x.waitFor("Presence", (p) => p.event === "left", { from, what: "carol left" }), {
        type: "presence",
        event: "left",
        agent: { id: carol.agentId, handle: "carol" },
        online_count: 2,
      });
    }
    await c.quiet("Connect", () => true, 1, "a reconnect after disconnect()");
    assert.equal(c.client.connectCalls, 1);

    // Sending anything but ping over the square is refused with an error frame.
    const from = a.length;
    a.client.send({ type: "chat", message: "over the socket" });
    assert.deepEqual(await a.waitFor("ServerError", () => true, { from }), {
      type: "error",
      code: 4009,
      message: "Chat messages must be sent via POST /api/chat",
    });
    await a.ping();
    assert.equal(a.all("Chat").length, 2, "nothing sent over the socket is posted");
  }));
