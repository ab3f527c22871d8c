"use strict";
// Seed dialect (MoChat onboarding guide, Step 5): session:subscribe / panel:subscribe with "*"
// and specific ids, acks, notify:session / notify:panel pushes, unsubscribe, and isolation.

const { test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/helpers");

const OK_ACK = { result: true, success: true };

function assertOkAck(resp, what) {
  assert.equal(resp && resp.result, true, `${what}: ack.result (got ${JSON.stringify(resp)})`);
  assert.equal(resp.success, true, `${what}: ack.success (got ${JSON.stringify(resp)})`);
}

/** A notify:session push must carry the stored message and its sender. */
function assertSessionPush(push, sessionId, sent, sender) {
  assert.equal(push.sessionId, sessionId);
  const m = push.message;
  assert.equal(m.id, sent.messageId);
  assert.equal(m.messageId, sent.messageId);
  assert.equal(m.content, sent.content);
  assert.equal(m.senderId, sender.botUserId);
  assert.equal(m.author, sender.botUserId);
  assert.equal(m.type, "text");
  assert.deepEqual(m.mentions, sent.mentions);
  assert.equal(m.createdAt, sent.createdAt);
  assert.match(m.createdAt, h.ISO_MS);
  assert.deepEqual(m.authorInfo, sent.authorInfo);
  assertSender(push.sender, sender);
}

function assertSender(s, agent) {
  assert.equal(s.id, agent.botUserId);
  assert.equal(s.username, agent.username);
  assert.equal(s.displayName, agent.displayName);
  assert.equal(s.type, "agent");
}

function assertPanelPush(push, panel, sent, sender) {
  assert.equal(push.panelId, panel.id);
  assert.equal(push.groupId, panel.groupId);
  const m = push.message;
  assert.equal(m.id, sent.messageId);
  assert.equal(m.messageId, sent.messageId);
  assert.equal(m.content, sent.content);
  assert.equal(m.senderId, sender.botUserId);
  assert.equal(m.author, sender.botUserId);
  assert.equal(m.type, "text");
  assert.deepEqual(m.mentions, sent.mentions);
  assert.equal(m.createdAt, sent.createdAt);
  assertSender(push.sender, sender);
}

for (const cfg of h.CONFIGS) {
  test(`seed flow [${cfg.name}]`, { timeout: 45000 }, () =>
    h.withServer(async (srv) => {
      const alice = await h.register(srv, "alice");
      const bob = await h.register(srv, "bob");
      const carol = await h.register(srv, "carol");
      const dm = await h.createSession(srv, bob, [alice]);
      const bobCarol = await h.createSession(srv, bob, [carol]); // alice is not in it
      const { byName, groupId } = await h.textPanels(srv, alice);
      const general = byName.general;
      const town = byName["town-square"];
      assert.equal(general.groupId, groupId);
      assert.equal(alice.groupId, groupId);

      // --- "*" subscriptions, acks -------------------------------------------------------
      const all = await h.connect(srv, alice.token, cfg, "alice*");
      assert.equal(typeof all.socket.id, "string");
      if (cfg.expectUpgrade) await h.assertUpgraded(all);

      assert.deepEqual((await h.emitAck(all, "session:subscribe", { sessionId: "*" })).resp, OK_ACK);
      assert.deepEqual((await h.emitAck(all, "panel:subscribe", { panelId: "*" })).resp, OK_ACK);

      // A session the agent is not in: refused.
      const refused = (await h.emitAck(all, "session:subscribe", { sessionId: bobCarol.sessionId })).resp;
      assert.equal(refused.result, false, `subscribe to a foreign session: ${JSON.stringify(refused)}`);
      assert.equal(refused.success, false, `subscribe to a foreign session: ${JSON.stringify(refused)}`);
      const noPanel = (await h.emitAck(all, "panel:subscribe", { panelId: "0".repeat(24) })).resp;
      assert.equal(noPanel.result, false, `subscribe to a panel that does not exist: ${JSON.stringify(noPanel)}`);

      // --- session push ------------------------------------------------------------------
      // A message in a foreign session goes first; it must never reach alice.
      const secret = await h.sendSession(srv, bob, bobCarol.sessionId, "secret for carol");
      const m1 = await h.sendSession(srv, bob, dm.sessionId, "hello @alice from bob");
      assert.deepEqual(m1.mentions, [alice.botUserId, "alice"]);
      const p1 = await all.rec.waitFor("notify:session", (d) => d.message && d.message.messageId === m1.messageId, {
        what: "bob's DM message",
      });
      assertSessionPush(p1.data, dm.sessionId, m1, bob);

      // --- "*" covers sessions created after subscribing ---------------------------------
      const trio = await h.createSession(srv, bob, [alice, carol], { type: "group", name: "trio" });
      const m2 = await h.sendSession(srv, carol, trio.sessionId, "carol in trio");
      const p2 = await all.rec.waitFor("notify:session", (d) => d.message && d.message.messageId === m2.messageId, {
        what: "message in a session created after subscribe '*'",
      });
      assertSessionPush(p2.data, trio.sessionId, m2, carol);

      // --- panel pushes ------------------------------------------------------------------
      const g1 = await h.sendPanel(srv, bob, general.id, "general hello @alice");
      const t1 = await h.sendPanel(srv, carol, town.id, "town square hello");
      const pg = await all.rec.waitFor("notify:panel", (d) => d.message && d.message.messageId === g1.messageId, {
        what: "general panel message",
      });
      assertPanelPush(pg.data, general, g1, bob);
      assert.deepEqual(pg.data.message.mentions, [alice.botUserId, "alice"]);
      const pt = await all.rec.waitFor("notify:panel", (d) => d.message && d.message.messageId === t1.messageId, {
        what: "town-square panel message",
      });
      assertPanelPush(pt.data, town, t1, carol);

      // "*" covers a panel created after subscribing.
      const later = await h.api(srv, "groups/panels/create", { name: "later", type: 0 }, carol.token);
      assert.equal(later.panel.type, 0);
      const laterPanel = { id: later.panel.id, groupId };
      const l1 = await h.sendPanel(srv, bob, laterPanel.id, "in a panel created later");
      const pl = await all.rec.waitFor("notify:panel", (d) => d.message && d.message.messageId === l1.messageId, {
        what: "message in a panel created after subscribe '*'",
      });
      assertPanelPush(pl.data, laterPanel, l1, bob);

      await h.delay(h.QUIET_MS);
      const sessionPushes = all.rec.all("notify:session");
      assert.deepEqual(
        sessionPushes.map((e) => e.data.message.messageId),
        [m1.messageId, m2.messageId],
        "exactly the two session messages, in order, and not the foreign one",
      );
      assert.ok(!sessionPushes.some((e) => e.data.message.messageId === secret.messageId));
      assert.deepEqual(
        all.rec.all("notify:panel").map((e) => e.data.message.messageId),
        [g1.messageId, t1.messageId, l1.messageId],
      );
      // A socket that used only the seed dialect gets only seed-style pushes.
      assert.equal(all.rec.log.filter((e) => e.event.startsWith("claw.")).length, 0, all.rec.summary());

      // --- specific ids ------------------------------------------------------------------
      const one = await h.connect(srv, alice.token, cfg, "alice-one");
      if (cfg.expectUpgrade) await h.assertUpgraded(one);
      assert.deepEqual((await h.emitAck(one, "session:subscribe", { sessionId: dm.sessionId })).resp, OK_ACK);
      assert.deepEqual((await h.emitAck(one, "panel:subscribe", { panelId: general.id })).resp, OK_ACK);
      const beforeOne = one.rec.length;
      const beforeAll = all.rec.length;
      const x1 = await h.sendSession(srv, bob, trio.sessionId, "trio again"); // not subscribed on `one`
      const x2 = await h.sendPanel(srv, bob, town.id, "town again"); // not subscribed on `one`
      const y1 = await h.sendSession(srv, bob, dm.sessionId, "dm again");
      const y2 = await h.sendPanel(srv, bob, general.id, "general again");
      const oy1 = await one.rec.waitFor("notify:session", (d) => d.message.messageId === y1.messageId, {
        from: beforeOne,
      });
      assertSessionPush(oy1.data, dm.sessionId, y1, bob);
      const oy2 = await one.rec.waitFor("notify:panel", (d) => d.message.messageId === y2.messageId, {
        from: beforeOne,
      });
      assertPanelPush(oy2.data, general, y2, bob);
      for (const m of [x1, y1]) {
        await all.rec.waitFor("notify:session", (d) => d.message.messageId === m.messageId, { from: beforeAll });
      }
      for (const m of [x2, y2]) {
        await all.rec.waitFor("notify:panel", (d) => d.message.messageId === m.messageId, { from: beforeAll });
      }
      await h.delay(h.QUIET_MS);
      assert.deepEqual(
        one.rec.all("notify:session", undefined, beforeOne).map((e) => e.data.message.messageId),
        [y1.messageId],
        "a socket subscribed to one session gets only that session",
      );
      assert.deepEqual(
        one.rec.all("notify:panel", undefined, beforeOne).map((e) => e.data.message.messageId),
        [y2.messageId],
        "a socket subscribed to one panel gets only that panel",
      );

      // --- unsubscribe -------------------------------------------------------------------
      assert.deepEqual((await h.emitAck(one, "session:unsubscribe", { sessionId: dm.sessionId })).resp, OK_ACK);
      assert.deepEqual((await h.emitAck(one, "panel:unsubscribe", { panelId: general.id })).resp, OK_ACK);
      assert.deepEqual((await h.emitAck(all, "session:unsubscribe", { sessionId: "*" })).resp, OK_ACK);
      assert.deepEqual((await h.emitAck(all, "panel:unsubscribe", { panelId: "*" })).resp, OK_ACK);
      // A fresh "*" socket is the sentinel that tells when delivery has happened.
      const sentinel = await h.connect(srv, alice.token, cfg, "alice-sentinel");
      assert.deepEqual((await h.emitAck(sentinel, "session:subscribe", { sessionId: "*" })).resp, OK_ACK);
      assert.deepEqual((await h.emitAck(sentinel, "panel:subscribe", { panelId: "*" })).resp, OK_ACK);
      const afterOne = one.rec.length;
      const afterAll = all.rec.length;
      const z1 = await h.sendSession(srv, bob, dm.sessionId, "after unsubscribe (dm)");
      const z2 = await h.sendPanel(srv, bob, general.id, "after unsubscribe (general)");
      const sz1 = await sentinel.rec.waitFor("notify:session", (d) => d.message.messageId === z1.messageId);
      assertSessionPush(sz1.data, dm.sessionId, z1, bob);
      const sz2 = await sentinel.rec.waitFor("notify:panel", (d) => d.message.messageId === z2.messageId);
      assertPanelPush(sz2.data, general, z2, bob);
      await h.delay(h.QUIET_MS);
      assert.deepEqual(one.rec.log.slice(afterOne).map((e) => e.event), [], "nothing after unsubscribe (specific ids)");
      assert.deepEqual(all.rec.log.slice(afterAll).map((e) => e.event), [], "nothing after unsubscribe ('*')");
      assert.ok(all.socket.connected && one.socket.connected && sentinel.socket.connected);
    }),
  );
}
