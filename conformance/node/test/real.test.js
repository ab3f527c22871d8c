"use strict";
// Real dialect (openclaw plugin, claude-code adapter, nanobot): com.claw.im.subscribeSessions
// with cold and warm cursors, live claw.session.events, new-session announcements,
// com.claw.im.subscribePanels and claw.panel.events, backlog beyond `limit`, and a socket that
// uses both dialects.

const { test } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/helpers");

/** The session's events after `cursor`, as sessions/watch returns them (the reference shape). */
async function watch(srv, agent, sessionId, cursor) {
  const data = await h.api(srv, "sessions/watch", { sessionId, cursor, timeoutMs: 1000, limit: 500 }, agent.token);
  return data.events;
}

/** One session event: fields per the contract, and the whole event equal to the watch log's. */
function assertSessionEvent(ev, { sessionId, converseId, seq, sent, author }, reference) {
  assert.equal(ev.seq, seq);
  assert.ok(Number.isInteger(ev.seq), "seq is an integer");
  assert.equal(ev.sessionId, sessionId);
  assert.equal(ev.type, "message.add");
  assert.match(ev.timestamp, h.ISO_MS);
  const p = ev.payload;
  assert.equal(p.messageId, sent.messageId);
  assert.equal(p.author, author.botUserId);
  assert.equal(p.authorInfo.userId, author.botUserId);
  assert.equal(p.authorInfo.agentId, author.username);
  assert.equal(p.content, sent.content);
  assert.deepEqual(p.meta.mentions, sent.meta.mentions);
  assert.equal(p.converseId, converseId);
  assert.equal("groupId" in p, false, `session payloads have no groupId: ${JSON.stringify(p)}`);
  if (reference) assert.deepEqual(ev, reference, "socket event equals the sessions/watch event");
}

function assertPanelEvent(ev, { panel, seq, sent, author }) {
  assert.equal(ev.seq, seq);
  assert.ok(Number.isInteger(ev.seq));
  assert.equal(ev.type, "message.add");
  assert.match(ev.timestamp, h.ISO_MS);
  const p = ev.payload;
  assert.equal(p.messageId, sent.messageId);
  assert.equal(p.author, author.botUserId);
  assert.equal(p.authorInfo.userId, author.botUserId);
  assert.equal(p.content, sent.content);
  assert.deepEqual(p.meta.mentions, sent.meta.mentions);
  assert.equal(p.groupId, panel.groupId);
  assert.equal(p.converseId, panel.id);
}

/** Find the single claw.session.events push for `sessionId` that carries message `messageId`. */
function pushWith(rec, event, sessionId, messageId, opts = {}) {
  return rec.waitFor(
    event,
    (d) => d.sessionId === sessionId && Array.isArray(d.events) && d.events.some((e) => e.payload.messageId === messageId),
    { what: `${sessionId} / ${messageId}`, ...opts },
  );
}

for (const cfg of h.CONFIGS) {
  test(`real-client flow [${cfg.name}]`, { timeout: 45000 }, () =>
    h.withServer(async (srv) => {
      const alice = await h.register(srv, "alice");
      const bob = await h.register(srv, "bob");
      const carol = await h.register(srv, "carol");
      const s1 = await h.createSession(srv, bob, [alice]); // cold
      const s2 = await h.createSession(srv, bob, [alice, carol], { type: "group", name: "warm" }); // warm
      const s3 = await h.createSession(srv, carol, [alice]); // cold and empty
      const foreign = await h.createSession(srv, bob, [carol]); // alice is not in it
      const s1Msgs = [];
      for (let i = 1; i <= 3; i++) s1Msgs.push(await h.sendSession(srv, bob, s1.sessionId, `s1 m${i}`));
      const s2Msgs = [];
      for (let i = 1; i <= 5; i++) s2Msgs.push(await h.sendSession(srv, bob, s2.sessionId, `s2 m${i} @alice`));
      assert.deepEqual(s2Msgs.map((m) => m.seq), [1, 2, 3, 4, 5]);
      const { byName, ids: textPanelIds, groupId } = await h.textPanels(srv, alice);

      // Real clients discover their sessions with sessions/list {} and subscribe to those.
      const listed = (await h.api(srv, "sessions/list", {}, alice.token)).sessions.map((x) => x.sessionId);
      assert.deepEqual([...listed].sort(), [s1.sessionId, s2.sessionId, s3.sessionId].sort());
      const unknownSid = `session_${"0".repeat(24)}`;

      const c = await h.connect(srv, alice.token, cfg, "alice");
      if (cfg.expectUpgrade) await h.assertUpgraded(c);

      // --- subscribeSessions: cold, warm, empty, foreign, unknown --------------------------
      const { resp } = await h.emitAck(c, "com.claw.im.subscribeSessions", {
        sessionIds: [s1.sessionId, s2.sessionId, s3.sessionId, foreign.sessionId, unknownSid],
        // Real clients send every cursor they know, panels included; only cursors[sid] counts.
        cursors: { [s2.sessionId]: 2, [byName.general.id]: 9 },
        limit: 100,
      });
      assert.equal(resp.result, true, JSON.stringify(resp));
      const entries = resp.data.sessions;
      assert.equal(entries.length, 5, JSON.stringify(entries));
      assert.deepEqual(
        entries.map((e) => e.sessionId).sort(),
        [s1.sessionId, s2.sessionId, s3.sessionId, foreign.sessionId, unknownSid].sort(),
        "one entry for every requested session",
      );
      const entry = Object.fromEntries(entries.map((e) => [e.sessionId, e]));
      for (const sid of [foreign.sessionId, unknownSid]) {
        assert.deepEqual(entry[sid].events, [], `no events for a session alice may not read: ${sid}`);
        assert.ok(Number.isInteger(entry[sid].cursor), `integer cursor for ${sid}`);
      }
      assert.deepEqual(entry[s1.sessionId], { sessionId: s1.sessionId, cursor: 3, events: [] }, "cold: latest seq");
      assert.deepEqual(entry[s3.sessionId], { sessionId: s3.sessionId, cursor: 0, events: [] }, "cold, empty");
      const warm = entry[s2.sessionId];
      assert.equal(warm.cursor, 5);
      assert.deepEqual(warm.events.map((e) => e.seq), [3, 4, 5], "warm: seq > cursor, ascending");
      const ref2 = await watch(srv, alice, s2.sessionId, 2);
      warm.events.forEach((ev, i) =>
        assertSessionEvent(
          ev,
          { sessionId: s2.sessionId, converseId: s2.converseId, seq: 3 + i, sent: s2Msgs[2 + i], author: bob },
          ref2[i],
        ),
      );
      assert.deepEqual(warm.events[0].payload.meta.mentions, [alice.botUserId]);

      // --- live pushes ---------------------------------------------------------------------
      const mark = c.rec.length;
      await h.sendSession(srv, bob, foreign.sessionId, "not for alice");
      const live1 = await h.sendSession(srv, bob, s1.sessionId, "live @alice");
      const p1 = await pushWith(c.rec, "claw.session.events", s1.sessionId, live1.messageId, { from: mark });
      assert.equal(p1.data.cursor, 4);
      assert.equal(p1.data.events.length, 1);
      assertSessionEvent(
        p1.data.events[0],
        { sessionId: s1.sessionId, converseId: s1.converseId, seq: 4, sent: live1, author: bob },
        (await watch(srv, alice, s1.sessionId, 3))[0],
      );
      assert.deepEqual(p1.data.events[0].payload.meta.mentions, [alice.botUserId]);

      const live2 = await h.sendSession(srv, carol, s3.sessionId, "first in s3");
      const p2 = await pushWith(c.rec, "claw.session.events", s3.sessionId, live2.messageId, { from: mark });
      assert.equal(p2.data.cursor, 1);
      assert.equal(p2.data.events.length, 1);
      assertSessionEvent(p2.data.events[0], {
        sessionId: s3.sessionId,
        converseId: s3.converseId,
        seq: 1,
        sent: live2,
        author: carol,
      });
      const live3 = await h.sendSession(srv, carol, s2.sessionId, "warm live");
      const p3 = await pushWith(c.rec, "claw.session.events", s2.sessionId, live3.messageId, { from: mark });
      assert.equal(p3.data.cursor, 6);
      assert.deepEqual(p3.data.events.map((e) => e.seq), [6]);

      // --- a brand-new session is announced at once, then its messages follow ---------------
      const unrelated = await h.createSession(srv, carol, [bob], { type: "group", name: "no alice" });
      const fresh = await h.createSession(srv, carol, [alice, bob], { type: "group", name: "fresh" });
      const ann = await c.rec.waitFor("claw.session.events", (d) => d.sessionId === fresh.sessionId, {
        from: mark,
        what: "announcement of a new session",
      });
      assert.deepEqual(ann.data, { sessionId: fresh.sessionId, cursor: 0, events: [] });
      const f1 = await h.sendSession(srv, carol, fresh.sessionId, "welcome to fresh");
      const pf = await pushWith(c.rec, "claw.session.events", fresh.sessionId, f1.messageId, { from: mark });
      assert.equal(pf.data.cursor, 1);
      assert.deepEqual(pf.data.events.map((e) => e.seq), [1]);
      assert.ok(pf.idx > ann.idx, "the announcement comes before the first message");

      // --- panels ------------------------------------------------------------------------
      const pr = (await h.emitAck(c, "com.claw.im.subscribePanels", { panelIds: [] })).resp;
      assert.equal(pr.result, true, JSON.stringify(pr));
      assert.equal(pr.data.groupId, groupId);
      assert.deepEqual([...pr.data.panelIds].sort(), [...textPanelIds].sort(), "every text panel of the group");
      const general = byName.general;
      const town = byName["town-square"];
      const g1 = await h.sendPanel(srv, bob, general.id, "general one @alice");
      const g2 = await h.sendPanel(srv, carol, general.id, "general two");
      const t1 = await h.sendPanel(srv, bob, town.id, "town one");
      const expected = [
        [general, 1, g1, bob],
        [general, 2, g2, carol],
        [town, 1, t1, bob],
      ];
      for (const [panel, seq, sent, author] of expected) {
        const pp = await pushWith(c.rec, "claw.panel.events", panel.id, sent.messageId, { from: mark });
        assert.equal(pp.data.sessionId, panel.id);
        assert.equal(pp.data.cursor, seq);
        assert.equal(pp.data.events.length, 1);
        assertPanelEvent(pp.data.events[0], { panel, seq, sent, author });
      }
      assert.deepEqual(
        c.rec.all("claw.panel.events", (d) => d.sessionId === general.id).map((e) => e.data.events.map((x) => x.seq)),
        [[1], [2]],
        "general: seq 1 then 2, no duplicates",
      );
      // An empty panelIds list also covers text panels created later.
      const later = await h.api(srv, "groups/panels/create", { name: "later", type: 0 }, carol.token);
      const laterPanel = { id: later.panel.id, groupId };
      const l1 = await h.sendPanel(srv, bob, laterPanel.id, "in a panel created later");
      const pl = await pushWith(c.rec, "claw.panel.events", laterPanel.id, l1.messageId, {
        from: mark,
        what: "panel created after subscribePanels([])",
      });
      assert.equal(pl.data.cursor, 1);
      assert.equal(pl.data.events.length, 1);
      assertPanelEvent(pl.data.events[0], { panel: laterPanel, seq: 1, sent: l1, author: bob });

      // --- isolation -----------------------------------------------------------------------
      await h.delay(h.QUIET_MS);
      const sessionPushes = c.rec.all("claw.session.events");
      const seenSessions = new Set(sessionPushes.map((e) => e.data.sessionId));
      assert.ok(!seenSessions.has(foreign.sessionId), "no push for a session alice is not in");
      assert.ok(!seenSessions.has(unrelated.sessionId), "no announcement for a session without alice");
      assert.deepEqual(
        sessionPushes.map((e) => [e.data.sessionId, e.data.events.map((x) => x.seq)]),
        [
          [s1.sessionId, [4]],
          [s3.sessionId, [1]],
          [s2.sessionId, [6]],
          [fresh.sessionId, []],
          [fresh.sessionId, [1]],
        ],
        "exactly the expected session pushes, in order",
      );
      // A socket that used only the real dialect gets no seed-style pushes.
      assert.equal(c.rec.log.filter((e) => e.event.startsWith("notify:")).length, 0, c.rec.summary());
    }),
  );

  test(`real-client backlog beyond limit [${cfg.name}]`, { timeout: 30000 }, () =>
    h.withServer(async (srv) => {
      const alice = await h.register(srv, "alice");
      const bob = await h.register(srv, "bob");
      const s = await h.createSession(srv, bob, [alice]);
      const sent = [];
      for (let i = 1; i <= 7; i++) sent.push(await h.sendSession(srv, bob, s.sessionId, `backlog ${i}`));
      const c = await h.connect(srv, alice.token, cfg, "alice");
      const { resp, entry: ackEntry } = await h.emitAck(c, "com.claw.im.subscribeSessions", {
        sessionIds: [s.sessionId],
        cursors: { [s.sessionId]: 0 },
        limit: 3,
      });
      assert.equal(resp.result, true);
      assert.equal(resp.data.sessions.length, 1);
      const first = resp.data.sessions[0];
      assert.equal(first.sessionId, s.sessionId);
      assert.deepEqual(first.events.map((e) => e.seq), [1, 2, 3], "ack holds the first `limit` events");
      assert.equal(first.cursor, 3, "cursor = last seq returned");
      assert.deepEqual(first.events.map((e) => e.payload.messageId), sent.slice(0, 3).map((m) => m.messageId));

      // The rest follows as pushes, in order, after the ack.
      await c.rec.waitFor(
        "claw.session.events",
        (d) => d.sessionId === s.sessionId && d.events.some((e) => e.seq === 7),
        { what: "backlog up to seq 7" },
      );
      const pushes = c.rec.all("claw.session.events", (d) => d.sessionId === s.sessionId);
      for (const p of pushes) {
        assert.ok(p.idx > ackEntry.idx, "backlog pushes come after the ack");
        assert.ok(p.data.events.length >= 1, "a backlog push is not empty");
        assert.equal(p.data.cursor, p.data.events[p.data.events.length - 1].seq, "push cursor = its last seq");
      }
      const seqs = pushes.flatMap((p) => p.data.events.map((e) => e.seq));
      assert.deepEqual(seqs, [4, 5, 6, 7], "exactly the backlog beyond the ack, in order");
      assert.deepEqual(
        pushes.flatMap((p) => p.data.events.map((e) => e.payload.messageId)),
        sent.slice(3).map((m) => m.messageId),
      );

      // Live continues right after the backlog, once.
      const live = await h.sendSession(srv, bob, s.sessionId, "after backlog");
      await pushWith(c.rec, "claw.session.events", s.sessionId, live.messageId);
      await h.delay(h.QUIET_MS);
      const all = c.rec
        .all("claw.session.events", (d) => d.sessionId === s.sessionId)
        .flatMap((p) => p.data.events.map((e) => e.seq));
      assert.deepEqual(all, [4, 5, 6, 7, 8]);
    }),
  );

  test(`both dialects on one socket [${cfg.name}]`, { timeout: 30000 }, () =>
    h.withServer(async (srv) => {
      const alice = await h.register(srv, "alice");
      const bob = await h.register(srv, "bob");
      const s = await h.createSession(srv, bob, [alice]);
      const { byName } = await h.textPanels(srv, alice);
      const c = await h.connect(srv, alice.token, cfg, "alice");
      if (cfg.expectUpgrade) await h.assertUpgraded(c);
      assert.deepEqual((await h.emitAck(c, "session:subscribe", { sessionId: "*" })).resp, { result: true, success: true });
      assert.deepEqual((await h.emitAck(c, "panel:subscribe", { panelId: "*" })).resp, { result: true, success: true });
      const sub = (await h.emitAck(c, "com.claw.im.subscribeSessions", { sessionIds: [s.sessionId], cursors: {}, limit: 100 }))
        .resp;
      assert.deepEqual(sub, { result: true, data: { sessions: [{ sessionId: s.sessionId, cursor: 0, events: [] }] } });
      const pan = (await h.emitAck(c, "com.claw.im.subscribePanels", { panelIds: [] })).resp;
      assert.equal(pan.result, true);
      // Any event with an ack id is answered, unknown ones with result:false (docs/api/mochat-realtime.md).
      const unknown = (await h.emitAck(c, "no.such.event", {})).resp;
      assert.equal(unknown.result, false);
      assert.equal(unknown.message, "unknown event: no.such.event");

      const m = await h.sendSession(srv, bob, s.sessionId, "both styles");
      const seed = await c.rec.waitFor("notify:session", (d) => d.message.messageId === m.messageId);
      assert.equal(seed.data.sessionId, s.sessionId);
      assert.equal(seed.data.message.content, "both styles");
      assert.equal(seed.data.sender.id, bob.botUserId);
      const real = await pushWith(c.rec, "claw.session.events", s.sessionId, m.messageId);
      assert.equal(real.data.cursor, 1);
      assert.deepEqual(real.data.events.map((e) => e.seq), [1]);
      assert.equal(real.data.events[0].payload.content, "both styles");

      const pm = await h.sendPanel(srv, bob, byName.general.id, "panel both styles");
      const seedP = await c.rec.waitFor("notify:panel", (d) => d.message.messageId === pm.messageId);
      assert.equal(seedP.data.panelId, byName.general.id);
      assert.equal(seedP.data.groupId, alice.groupId);
      const realP = await pushWith(c.rec, "claw.panel.events", byName.general.id, pm.messageId);
      assert.equal(realP.data.cursor, 1);
      assert.equal(realP.data.events[0].payload.groupId, alice.groupId);

      await h.delay(h.QUIET_MS);
      assert.equal(c.rec.all("notify:session").length, 1, "one seed-style session push");
      assert.equal(c.rec.all("claw.session.events").length, 1, "one real-style session push");
      assert.equal(c.rec.all("notify:panel").length, 1, "one seed-style panel push");
      assert.equal(c.rec.all("claw.panel.events").length, 1, "one real-style panel push");
    }),
  );
}
