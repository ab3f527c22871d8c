"use strict";
// The documented client's reconnect rules against the real close codes: it stops after 4003
// (displaced) and after its own 1000, reconnects after the server's idle close (4000), keeps a
// socket alive with its heartbeat, and backs off on a refused key until it gives up.

const test = require("node:test");
const assert = require("node:assert/strict");
const { SHORT_IDLE_ENV, delay, withServer } = require("../lib/helpers");

const TEST_MS = 40000;

test("stops reconnecting after 4003; the new socket keeps working", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const alice = await srv.register("alice");
    const bob = await srv.register("bob");
    const first = srv.client(alice, { reconnectDelayMs: 100 }, "first");
    const c1 = await first.connect();

    const second = srv.client(alice, { reconnectDelayMs: 100 }, "second");
    const c2 = await second.connect();
    assert.notEqual(c2.connection_id, c1.connection_id);
    assert.deepEqual(await first.waitFor("Disconnect", () => true, { what: "displacement" }), {
      code: 4003,
      reason: "New connection opened",
    });

    // Several backoff periods later: no reconnect was scheduled or made.
    await delay(1000);
    assert.equal(first.all("ReconnectScheduled").length, 0, first.summary());
    assert.equal(first.client.connectCalls, 1);
    assert.equal(first.all("Connect").length, 1);

    // The new socket was not displaced back and still gets notifications.
    assert.equal(second.all("Disconnect").length, 0, second.summary());
    const from = second.length;
    await srv.rest("POST", "/api/agents/alice/message", { body: "for the second" }, bob.apiKey, 201);
    const n = await second.waitFor("Notification", () => true, { from });
    assert.equal(n.data.preview, "for the second");
    assert.equal(n.queued, false);
    assert.equal(first.all("Notification").length, 0);
  }));

test("stops after its own 1000 close", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const alice = await srv.register("alice");
    const c = srv.client(alice, { reconnectDelayMs: 100 });
    await c.connect();
    c.client.disconnect();
    // The server answers the client's close frame with the same code (RFC 6455 §5.5.1).
    assert.equal((await c.waitFor("Disconnect")).code, 1000);
    await delay(800);
    assert.equal(c.all("ReconnectScheduled").length, 0);
    assert.equal(c.client.connectCalls, 1);
  }));

test("reconnects after the server's idle close (4000) and works again", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const alice = await srv.register("alice");
    const bob = await srv.register("bob");
    // The heartbeat is far apart, so the socket idles out on the 2 s server timeout.
    const c = srv.client(alice, { pingIntervalMs: 60_000, reconnectDelayMs: 200 });
    const c1 = await c.connect();
    const t0 = Date.now();
    assert.deepEqual(await c.waitFor("Disconnect", () => true, { ms: 6000, what: "idle close" }), {
      code: 4000,
      reason: "Connection timeout",
    });
    const idleFor = Date.now() - t0;
    assert.ok(idleFor >= 1500 && idleFor <= 5500, `closed after ${idleFor} ms with a 2 s idle timeout`);
    assert.deepEqual(await c.waitFor("ReconnectScheduled"), { attempt: 1, delay: 200 });

    const c2 = await c.waitFor("Connect", (f) => f.connection_id !== c1.connection_id, { what: "reconnected" });
    assert.equal(c2.agent_id, alice.agentId);
    assert.equal(c.client.connectCalls, 2);
    assert.equal(c.client.reconnectAttempts, 0, "a successful open resets the backoff");

    // The reconnected socket gets live notifications.
    const from = c.length;
    await srv.rest("POST", "/api/agents/alice/message", { body: "after the reconnect" }, bob.apiKey, 201);
    const n = await c.waitFor("Notification", () => true, { from });
    assert.equal(n.queued, false);
    assert.equal(n.data.preview, "after the reconnect");
    c.client.disconnect();
  }, SHORT_IDLE_ENV));

test("the heartbeat keeps a socket past the idle timeout", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const alice = await srv.register("alice");
    const c = srv.client(alice, { pingIntervalMs: 500, reconnectDelayMs: 200 });
    await c.connect();
    await delay(4500);
    assert.equal(c.all("Disconnect").length, 0, c.summary());
    assert.ok(c.all("Pong").length >= 7, `pongs: ${c.all("Pong").length}`);
    assert.equal(c.client.connectCalls, 1);
  }, SHORT_IDLE_ENV));

test("a refused key (401 before the upgrade) is retried with backoff, then given up", { timeout: TEST_MS }, () =>
  withServer(async (srv) => {
    const ghost = { apiKey: `mc_${"0".repeat(64)}`, slug: "ghost" };
    const c = srv.client(ghost, { reconnectDelayMs: 50, maxReconnectAttempts: 3 });
    c.client.connect();
    const gaveUp = await c.waitFor("GiveUp", () => true, { ms: 5000, what: "give up" });
    assert.deepEqual(gaveUp, { attempts: 3 });
    assert.deepEqual(c.all("ReconnectScheduled"), [
      { attempt: 1, delay: 50 },
      { attempt: 2, delay: 100 },
      { attempt: 3, delay: 200 },
    ]);
    assert.equal(c.client.connectCalls, 4);
    assert.equal(c.all("Connect").length, 0);
    const errors = c.all("SocketError");
    assert.equal(errors.length, 4);
    for (const e of errors) assert.match(e, /Unexpected server response: 401/);
    assert.deepEqual(
      c.all("Disconnect").map((d) => d.code),
      [1006, 1006, 1006, 1006],
    );
  }));
