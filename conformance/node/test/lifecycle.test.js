"use strict";
// Connection lifecycle: refused tokens, reconnect with the last cursor, token rotation
// disconnecting old sockets, and /health connectedUsers.

const { test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/helpers");

const AUTH_ERROR = "Authentication error: Invalid token";
const OK_ACK = { result: true, success: true };

for (const cfg of h.CONFIGS) {
  test(`connect_error for bad tokens [${cfg.name}]`, { timeout: 30000 }, () =>
    h.withServer(async (srv) => {
      const alice = await h.register(srv, "alice");
      const cases = [
        ["malformed token", "not-a-token"],
        ["well-formed unknown token", `claw_${"0".repeat(48)}`],
        ["empty token", ""],
        ["no auth at all", undefined],
      ];
      for (const [what, token] of cases) {
        const { err, socket } = await h.connectExpectError(srv, token, cfg);
        assert.equal(err.message, AUTH_ERROR, what);
        assert.equal(socket.connected, false, what);
      }
      // A rotated token is refused; the new one works.
      const rotated = await h.api(srv, "agents/rotateToken", {}, alice.token);
      assert.equal(rotated.botUserId, alice.botUserId);
      assert.notEqual(rotated.token, alice.token);
      const { err } = await h.connectExpectError(srv, alice.token, cfg);
      assert.equal(err.message, AUTH_ERROR, "rotated token");
      const ok = await h.connect(srv, rotated.token, cfg, "alice-new");
      assert.deepEqual((await h.emitAck(ok, "session:subscribe", { sessionId: "*" })).resp, OK_ACK);
      assert.equal((await h.health(srv)).connectedUsers, 1, "refused attempts do not count as connected");
    }),
  );

  test(`reconnect with last cursor gets exactly the missed messages [${cfg.name}]`, { timeout: 30000 }, () =>
    h.withServer(async (srv) => {
      const alice = await h.register(srv, "alice");
      const bob = await h.register(srv, "bob");
      const s = await h.createSession(srv, bob, [alice]);
      await h.sendSession(srv, bob, s.sessionId, "old 1");
      await h.sendSession(srv, bob, s.sessionId, "old 2");

      const c = await h.connect(srv, alice.token, cfg, "alice");
      const sub = (await h.emitAck(c, "com.claw.im.subscribeSessions", { sessionIds: [s.sessionId], cursors: {}, limit: 100 }))
        .resp;
      assert.deepEqual(sub, { result: true, data: { sessions: [{ sessionId: s.sessionId, cursor: 2, events: [] }] } });
      const m3 = await h.sendSession(srv, bob, s.sessionId, "live 3");
      const p3 = await c.rec.waitFor("claw.session.events", (d) => d.events.some((e) => e.payload.messageId === m3.messageId));
      assert.equal(p3.data.cursor, 3);
      let lastCursor = p3.data.cursor; // what a client persists

      // Disconnect; bob sends three messages meanwhile.
      c.socket.disconnect();
      await h.until(async () => (await h.health(srv)).connectedUsers === 0, "server saw the disconnect");
      const missed = [];
      for (let i = 4; i <= 6; i++) missed.push(await h.sendSession(srv, bob, s.sessionId, `missed ${i}`));
      assert.deepEqual(missed.map((m) => m.seq), [4, 5, 6]);

      // Reconnect (a new Engine.IO session) and resubscribe with the last cursor.
      const mark = c.rec.length;
      const reconnected = c.rec.waitFor("$connect", () => true, { from: mark, what: "reconnect" });
      c.socket.connect();
      await reconnected;
      const { resp, entry } = await h.emitAck(c, "com.claw.im.subscribeSessions", {
        sessionIds: [s.sessionId],
        cursors: { [s.sessionId]: lastCursor },
        limit: 100,
      });
      assert.equal(resp.result, true);
      assert.equal(resp.data.sessions.length, 1);
      const got = resp.data.sessions[0];
      assert.equal(got.sessionId, s.sessionId);
      assert.deepEqual(got.events.map((e) => e.seq), [4, 5, 6], "exactly the missed seqs, in order");
      assert.deepEqual(got.events.map((e) => e.payload.messageId), missed.map((m) => m.messageId));
      assert.deepEqual(got.events.map((e) => e.payload.content), ["missed 4", "missed 5", "missed 6"]);
      assert.equal(got.cursor, 6);
      lastCursor = got.cursor;

      // Nothing is replayed as pushes, and the live stream resumes once.
      await h.delay(h.QUIET_MS);
      assert.deepEqual(c.rec.all("claw.session.events", undefined, entry.idx).map((e) => e.data), [], "no duplicate pushes");
      const m7 = await h.sendSession(srv, bob, s.sessionId, "live 7");
      await c.rec.waitFor("claw.session.events", (d) => d.events.some((e) => e.payload.messageId === m7.messageId), {
        from: mark,
      });
      await h.delay(h.QUIET_MS);
      const after = c.rec.all("claw.session.events", undefined, mark);
      assert.deepEqual(
        after.map((e) => [e.data.cursor, e.data.events.map((x) => x.seq)]),
        [[7, [7]]],
        "after reconnect: only seq 7, once",
      );
    }),
  );

  test(`token rotation disconnects sockets on the old token [${cfg.name}]`, { timeout: 30000 }, () =>
    h.withServer(async (srv) => {
      const alice = await h.register(srv, "alice");
      const bob = await h.register(srv, "bob");
      const a1 = await h.connect(srv, alice.token, cfg, "alice-1");
      const a2 = await h.connect(srv, alice.token, cfg, "alice-2");
      const b = await h.connect(srv, bob.token, cfg, "bob");
      if (cfg.expectUpgrade) await h.assertUpgraded(a1);
      const dm = await h.createSession(srv, bob, [alice]);
      assert.deepEqual((await h.emitAck(a1, "session:subscribe", { sessionId: "*" })).resp, OK_ACK);
      assert.equal(
        (await h.emitAck(a2, "com.claw.im.subscribeSessions", { sessionIds: [dm.sessionId], cursors: {}, limit: 100 }))
          .resp.result,
        true,
      );
      assert.equal((await h.health(srv)).connectedUsers, 2);

      const mark1 = a1.rec.length;
      const mark2 = a2.rec.length;
      const rotated = await h.api(srv, "agents/rotateToken", {}, alice.token);
      assert.notEqual(rotated.token, alice.token);
      const d1 = await a1.rec.waitFor("$disconnect", () => true, { from: mark1, what: "disconnect after rotation" });
      const d2 = await a2.rec.waitFor("$disconnect", () => true, { from: mark2, what: "disconnect after rotation" });
      assert.equal(d1.data, "io server disconnect");
      assert.equal(d2.data, "io server disconnect");
      assert.equal(a1.socket.connected, false);

      // Other agents are untouched.
      assert.equal(b.socket.connected, true);
      assert.deepEqual((await h.emitAck(b, "session:subscribe", { sessionId: "*" })).resp, OK_ACK);
      assert.equal(b.rec.all("$disconnect").length, 0);

      // REST and socket both refuse the old token; the new one works and gets pushes.
      const old = await h.rawApi(srv, "agents/get", {}, alice.token);
      assert.equal(old.status, 401);
      const { err } = await h.connectExpectError(srv, alice.token, cfg);
      assert.equal(err.message, AUTH_ERROR);
      const fresh = await h.connect(srv, rotated.token, cfg, "alice-new");
      assert.deepEqual((await h.emitAck(fresh, "session:subscribe", { sessionId: "*" })).resp, OK_ACK);
      const m = await h.sendSession(srv, bob, dm.sessionId, "after rotation");
      const p = await fresh.rec.waitFor("notify:session", (d) => d.message.messageId === m.messageId);
      assert.equal(p.data.sessionId, dm.sessionId);
      await h.until(async () => (await h.health(srv)).connectedUsers === 2, "alice (new socket) and bob");
    }),
  );

  test(`health connectedUsers counts distinct agents [${cfg.name}]`, { timeout: 30000 }, () =>
    h.withServer(async (srv) => {
      const alice = await h.register(srv, "alice");
      const bob = await h.register(srv, "bob");
      const count = async () => (await h.health(srv)).connectedUsers;
      const first = await h.health(srv);
      assert.equal(first.status, "ok");
      assert.equal(first.connectedUsers, 0);

      const a1 = await h.connect(srv, alice.token, cfg, "alice-1");
      if (cfg.expectUpgrade) await h.assertUpgraded(a1);
      await h.until(async () => (await count()) === 1, "connectedUsers 1");
      const a2 = await h.connect(srv, alice.token, cfg, "alice-2");
      await h.delay(h.QUIET_MS);
      assert.equal(await count(), 1, "a second socket of the same agent is not a second user");
      const b = await h.connect(srv, bob.token, cfg, "bob");
      await h.until(async () => (await count()) === 2, "connectedUsers 2");

      a1.socket.disconnect();
      await h.delay(h.QUIET_MS);
      assert.equal(await count(), 2, "alice still has a socket");
      a2.socket.disconnect();
      await h.until(async () => (await count()) === 1, "connectedUsers back to 1");
      b.socket.disconnect();
      await h.until(async () => (await count()) === 0, "connectedUsers back to 0");
    }),
  );
}
