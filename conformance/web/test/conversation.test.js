"use strict";
// A human and an agent talking: the greeting of the bind in the DM, the human's reply reaching
// the agent's socket.io-client live with the human as sender, the agent's answer painted
// without a reload, history after a reload, two tabs, mention autocomplete reaching the agent
// as a MoChat mention, and markup shown as text.

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const h = require("../lib/server");

let browser;
before(async () => {
  browser = await h.launchBrowser();
});
after(async () => {
  await browser?.close();
});

const GREETING = "Hello Olivia, I am Scout. Ask me anything.";

/**
 * A server, an agent `username` bound to olivia@example.com (claimed over the API), its
 * socket subscribed to the DM, and a signed-in browser context.
 */
async function setup(t, { username = "scout", greeting = GREETING } = {}) {
  const srv = await h.startServer();
  t.after(() => srv.stop());
  const owned = await h.ownedAgent(srv, {
    username,
    email: "olivia@example.com",
    displayName: "Olivia Owner",
    greeting,
  });
  const agentConn = await h.connectAgent(srv, owned.agent.token, username);
  const ack = await h.subscribeSessions(agentConn, [owned.bound.sessionId]);
  assert.equal(ack.result, true, `subscribeSessions: ${JSON.stringify(ack)}`);
  const context = await h.newContext(browser);
  t.after(() => context.close());
  await h.signInContext(context, srv, owned.email, owned.password);
  return { srv, ...owned, agentConn, context };
}

/** Types into the composer and sends with Enter. */
async function send(page, text) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

test("the agent's greeting is the first message of the DM", { timeout: 30000 }, async (t) => {
  const { srv, context, dm, client, agent } = await setup(t);
  const page = await context.newPage();
  const seen = h.watchPage(page);

  const stored = await client.messages(dm.id);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].content, GREETING);
  assert.equal(stored[0].author.kind, "agent");

  await page.goto(`${srv.url}/#/`);
  const nav = page.getByRole("navigation", { name: "Conversations" });
  const entry = nav.getByRole("link", { name: new RegExp(`^${h.escapeRe(dm.title)}`) });
  await entry.waitFor();
  await entry.click();
  await h.until(() => page.url().endsWith(`#/c/${dm.id}`), `the route #/c/${dm.id}`);
  await page.getByRole("heading", { name: dm.title }).waitFor();
  await h.messageWithText(page, GREETING).waitFor();

  const shown = await h.articles(page);
  assert.equal(shown.length, 1, JSON.stringify(shown));
  assert.deepEqual(shown[0], {
    seq: "1",
    id: stored[0].id,
    author: stored[0].author.name,
    kind: "agent",
    content: GREETING,
    quote: null,
    time: true,
  });
  assert.equal(stored[0].author.id, agent.botUserId);
  assert.deepEqual(seen.pageErrors, []);
});

test("the human's reply reaches the agent live; the answer is painted within 1 s and survives a reload", { timeout: 40000 }, async (t) => {
  const { srv, context, dm, human, agent, bound, agentConn, client } = await setup(t);
  const page = await context.newPage();
  const seen = h.watchPage(page);
  await h.openConversation(page, srv, dm.id);
  await h.messageWithText(page, GREETING).waitFor();
  // A mark that a reload would wipe: the answer must arrive in this same document.
  await page.evaluate(() => {
    window.__sameDocument = true;
  });

  const question = "Thanks! Can you check whether the nightly build passed?";
  await send(page, question);
  const ev = await h.sessionEvent(agentConn, bound.sessionId, (p) => p.content === question, "the human's message");
  assert.equal(ev.type, "message.add");
  assert.equal(ev.seq, 2);
  assert.equal(ev.payload.author, human.id, "sender is the human's user id");
  assert.equal(ev.payload.authorInfo.userId, human.id);
  assert.equal(ev.payload.authorInfo.nickname, "Olivia Owner");
  assert.equal(ev.payload.converseId, bound.converseId);
  assert.equal(await page.getByRole("textbox", { name: "Message" }).inputValue(), "", "the composer is emptied");
  await h.messageWithText(page, question).waitFor();

  // The agent answers over REST, replying to the question.
  const answer = "The nightly build passed: 412 tests, 0 failures.";
  const t0 = Date.now();
  const sent = await h.agentSend(srv, agent, bound.sessionId, answer, { replyTo: ev.payload.messageId });
  await page.waitForSelector(`[role="log"] article:has(.content:text-is("${answer}"))`, { timeout: 5000 });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 1000, `painted ${elapsed} ms after the send (must be < 1000)`);
  assert.equal(await page.evaluate(() => window.__sameDocument === true), true, "no reload happened");

  const live = await h.articles(page);
  assert.deepEqual(
    live.map((a) => [a.seq, a.kind, a.content]),
    [
      ["1", "agent", GREETING],
      ["2", "human", question],
      ["3", "agent", answer],
    ],
  );
  assert.equal(live[2].id, sent.messageId, "the article is the stored message");
  assert.ok(live[2].quote && live[2].quote.includes(question), `reply quote shows the question: ${live[2].quote}`);
  assert.equal(live[1].author, "Olivia Owner");

  // History after a reload: the same three, same order, same quote.
  await page.reload();
  await h.messageWithText(page, answer).waitFor();
  const reloaded = await h.articles(page);
  assert.deepEqual(reloaded, live);
  const api = await client.messages(dm.id);
  assert.deepEqual(api.map((m) => m.seq), [1, 2, 3]);
  assert.equal(api[2].replyTo.id, ev.payload.messageId);
  assert.deepEqual(seen.pageErrors, []);
});

test("two tabs of one session both update, from the agent and from each other", { timeout: 40000 }, async (t) => {
  const { srv, context, dm, agent, bound, agentConn } = await setup(t);
  const tab1 = await context.newPage();
  const tab2 = await context.newPage();
  await h.openConversation(tab1, srv, dm.id);
  await h.openConversation(tab2, srv, dm.id);
  await h.messageWithText(tab1, GREETING).waitFor();
  await h.messageWithText(tab2, GREETING).waitFor();

  await h.agentSend(srv, agent, bound.sessionId, "One update for both tabs.");
  await h.messageWithText(tab1, "One update for both tabs.").waitFor({ timeout: 3000 });
  await h.messageWithText(tab2, "One update for both tabs.").waitFor({ timeout: 3000 });

  await send(tab1, "Typed in tab one.");
  await h.messageWithText(tab2, "Typed in tab one.").waitFor({ timeout: 3000 });
  await h.messageWithText(tab1, "Typed in tab one.").waitFor({ timeout: 3000 });
  await h.sessionEvent(agentConn, bound.sessionId, (p) => p.content === "Typed in tab one.", "tab one's message");
  // Long enough for a second copy (the POST's answer and the live echo) to show up.
  await h.delay(500);

  // Each message once in each tab, in the same order (no duplicate from the echo).
  for (const tab of [tab1, tab2]) {
    const shown = await h.articles(tab);
    assert.deepEqual(
      shown.map((a) => [a.seq, a.content]),
      [
        ["1", GREETING],
        ["2", "One update for both tabs."],
        ["3", "Typed in tab one."],
      ],
    );
  }
});

test("mention autocomplete: @hel → @helper_bot, Enter inserts it, the agent gets a MoChat mention", { timeout: 40000 }, async (t) => {
  const { srv, context, dm, bound, agentConn, agent, client } = await setup(t, {
    username: "helper_bot",
    greeting: "Hi, helper_bot here.",
  });
  // Another name with the same prefix, so picking is a real choice.
  await h.registerAgent(srv, "hello_world");
  const page = await context.newPage();
  await h.openConversation(page, srv, dm.id);
  await h.messageWithText(page, "Hi, helper_bot here.").waitFor();

  const box = page.getByRole("textbox", { name: "Message" });
  await box.click();
  await box.pressSequentially("@hel", { delay: 30 });
  const list = page.getByRole("listbox", { name: "Mention suggestions" });
  await list.waitFor();
  const option = list.getByRole("option", { name: "@helper_bot" });
  await option.waitFor();
  const names = (await list.getByRole("option").allTextContents()).map((s) => s.trim());
  assert.ok(names.every((n) => n.startsWith("@")), `options read @username: ${names}`);
  assert.ok(names.includes("@hello_world"), `both agents with the prefix are offered: ${names}`);

  // Move the highlight to @helper_bot with the arrow keys (the first one is active at start).
  const active = () =>
    page.evaluate(() => {
      const box = document.querySelector('textarea[aria-activedescendant]');
      const byId = box && document.getElementById(box.getAttribute("aria-activedescendant"));
      const el = byId || document.querySelector('[role="option"][aria-selected="true"]');
      return el ? el.textContent.trim() : null;
    });
  for (let i = 0; i < names.length && (await active()) !== "@helper_bot"; i++) {
    if ((await active()) === null && names[0] === "@helper_bot") break;
    await box.press("ArrowDown");
  }
  const current = await active();
  assert.ok(
    current === "@helper_bot" || (current === null && names[0] === "@helper_bot"),
    `@helper_bot is highlighted before Enter (aria-selected or aria-activedescendant), got ${current}`,
  );
  await box.press("Enter");
  assert.equal(await box.inputValue(), "@helper_bot ", "Enter inserts '@username ' and sends nothing");
  await list.waitFor({ state: "hidden" });

  await box.pressSequentially("please review PR 7", { delay: 5 });
  await box.press("Enter");
  const text = "@helper_bot please review PR 7";
  const ev = await h.sessionEvent(agentConn, bound.sessionId, (p) => p.content === text, "the mention");
  assert.deepEqual(ev.payload.meta.mentions, [agent.botUserId], "a MoChat mention of helper_bot");
  await h.messageWithText(page, text).waitFor();
  const stored = (await client.messages(dm.id)).find((m) => m.content === text);
  assert.deepEqual(stored.mentions, ["helper_bot"]);
});

test("markup in messages is shown as text and runs nothing", { timeout: 30000 }, async (t) => {
  const { srv, context, dm, agent, bound, agentConn } = await setup(t);
  const page = await context.newPage();
  const seen = h.watchPage(page);
  await h.openConversation(page, srv, dm.id);
  await h.messageWithText(page, GREETING).waitFor();

  const payload = "<img src=x onerror=alert(1)>";
  await h.agentSend(srv, agent, bound.sessionId, payload);
  const fromHuman = '<script>alert(2)</script><b onmouseover="alert(3)">bold?</b>';
  await send(page, fromHuman);
  await h.sessionEvent(agentConn, bound.sessionId, (p) => p.content === fromHuman, "the human's markup, verbatim");
  await h.until(async () => (await h.articles(page)).length === 3, "three messages in the log");
  // Time for an onerror to fire if an element had been made.
  await h.delay(500);

  const shown = await h.articles(page);
  assert.equal(shown[1].content, payload, "the agent's text, literally");
  assert.equal(shown[2].content, fromHuman, "the human's text, literally");
  const log = h.messageLog(page);
  assert.equal(await log.locator("img").count(), 0, "no img element in the log");
  assert.equal(await log.locator("script").count(), 0, "no script element in the log");
  assert.equal(await log.locator("b").count(), 0, "no b element in the log");
  assert.deepEqual(seen.dialogs, [], "no dialog opened");
  assert.ok(!seen.requests.some((u) => /\/x$/.test(u)), "the img source was never requested");
  // After a reload (the history path renders too).
  await page.reload();
  await h.messageWithText(page, payload).waitFor();
  assert.equal(await log.locator("img").count(), 0);
  assert.deepEqual(seen.dialogs, []);
});
