"use strict";
// Phone width (375 px): one column, the list and the conversation as separate screens with a
// Back link, nothing wider than the screen, and the composer usable.

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

const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** The part of an element's box outside the 375 px screen, in px (0 when it fits). */
async function overflow(locator) {
  const box = await locator.boundingBox();
  assert.ok(box, "the element has a box");
  return Math.max(0, -box.x) + Math.max(0, box.x + box.width - 375);
}

test("phone: the list and a conversation are separate, usable screens", { timeout: 40000 }, async (t) => {
  const srv = await h.startServer();
  t.after(() => srv.stop());
  const { dm, email, password, agent, bound } = await h.ownedAgent(srv, {
    username: "scout",
    email: "pia@example.com",
    displayName: "Pia Phone",
    greeting: "Hi Pia, this is Scout on your phone.",
  });
  const agentConn = await h.connectAgent(srv, agent.token, "scout");
  await h.subscribeSessions(agentConn, [bound.sessionId]);
  const context = await h.newContext(browser, PHONE);
  t.after(() => context.close());
  await h.signInContext(context, srv, email, password);
  const page = await context.newPage();
  const seen = h.watchPage(page);

  await page.goto(`${srv.url}/#/`);
  const nav = page.getByRole("navigation", { name: "Conversations" });
  await nav.waitFor();
  const entry = nav.getByRole("link", { name: new RegExp(`^${h.escapeRe(dm.title)}`) });
  await entry.waitFor();
  assert.equal(await overflow(entry), 0, "the list entry fits the screen");
  assert.equal(await h.messageLog(page).isVisible(), false, "no conversation beside the list on a phone");
  const widths = () => page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
  assert.deepEqual(await widths(), { doc: 375, view: 375 }, "no horizontal scrolling on the list");

  await entry.tap();
  await h.messageLog(page).waitFor();
  await h.messageWithText(page, "Hi Pia, this is Scout on your phone.").waitFor();
  assert.equal(await nav.isVisible(), false, "the list is hidden while a conversation is open");
  await page.getByRole("heading", { name: dm.title }).waitFor();
  assert.deepEqual(await widths(), { doc: 375, view: 375 }, "no horizontal scrolling in the conversation");

  const box = page.getByRole("textbox", { name: "Message" });
  const sendButton = page.getByRole("button", { name: "Send" });
  assert.equal(await overflow(box), 0, "the composer fits");
  assert.equal(await overflow(sendButton), 0, "the Send button fits");
  await box.tap();
  await box.fill("Sent from a phone-sized screen.");
  await sendButton.tap();
  const ev = await h.sessionEvent(agentConn, bound.sessionId, (p) => p.content === "Sent from a phone-sized screen.", "the phone's message");
  assert.equal(ev.payload.authorInfo.nickname, "Pia Phone");
  await h.messageWithText(page, "Sent from a phone-sized screen.").waitFor();
  assert.equal(await box.inputValue(), "");

  await h.agentSend(srv, agent, bound.sessionId, "Got it, thanks!");
  const reply = h.messageWithText(page, "Got it, thanks!");
  await reply.waitFor();
  assert.equal(await overflow(reply), 0, "a message fits the screen");
  const rb = await reply.boundingBox();
  assert.ok(rb && rb.y >= 0 && rb.y + rb.height <= 812, `the newest message is scrolled into view: ${JSON.stringify(rb)}`);

  await page.getByRole("link", { name: "Back" }).tap();
  await nav.waitFor();
  assert.equal(await h.messageLog(page).isVisible(), false, "Back returns to the list alone");
  assert.deepEqual(seen.pageErrors, []);
});
