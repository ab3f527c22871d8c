"use strict";
// The Operator screen: an account made admin with the CLI suspends an agent; its
// socket.io-client socket is disconnected by the server and its token answers 401 until the
// operator resumes it. A non-admin gets neither the screen nor the API.

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

/** The row's status cell: the one cell reading exactly "active" or "suspended" (null if none). */
function status(row) {
  return row.locator("td, th").evaluateAll((cells) => {
    const hit = cells.map((c) => c.textContent.trim()).filter((t) => t === "active" || t === "suspended");
    return hit.length === 1 ? hit[0] : null;
  });
}

test("operator suspends an agent: socket disconnected, token 401; resume restores it", { timeout: 45000 }, async (t) => {
  const srv = await h.startServer();
  t.after(() => srv.stop());
  const rogue = await h.registerAgent(srv, "rogue_bot");
  const bystander = await h.registerAgent(srv, "calm_bot");
  const rogueConn = await h.connectAgent(srv, rogue.token, "rogue_bot");
  const calmConn = await h.connectAgent(srv, bystander.token, "calm_bot");

  // The operator: a normal sign-up, then the CLI on the live server's database.
  const node = new h.WebClient(srv);
  await node.signup("ops@example.com", "operator password", "Opal Operator");
  const forbidden = await node.get("/web/api/admin/agents");
  assert.equal(forbidden.status, 403, "not an operator yet");
  assert.equal(forbidden.json.code, "forbidden");
  const out = await h.makeAdmin(srv, "ops@example.com");
  assert.match(out, /ops@example\.com is now an operator/);

  const context = await h.newContext(browser);
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = h.watchPage(page);
  await page.goto(`${srv.url}/#/login`);
  await page.getByLabel("Email").fill("ops@example.com");
  await page.getByLabel("Password", { exact: true }).fill("operator password");
  await page.getByRole("button", { name: "Log in" }).click();
  const opLink = page.getByRole("link", { name: "Operator" });
  await opLink.waitFor();
  await opLink.click();
  await h.until(() => page.url().endsWith("#/admin"), "the #/admin route");
  await page.getByRole("img", { name: "Connections by wire" }).waitFor();
  await page.getByRole("img", { name: "Messages per second" }).waitFor();
  assert.equal(await page.locator('svg[role="img"]').count(), 2, "two charts, both svg");
  // Refreshed every second: the stats are fetched again and again while the screen is open.
  const statsAt = [];
  const onRequest = (r) => {
    if (r.url().endsWith("/web/api/admin/stats")) statsAt.push(Date.now());
  };
  page.on("request", onRequest);
  await h.delay(3200);
  page.off("request", onRequest);
  assert.ok(statsAt.length >= 2 && statsAt.length <= 8, `GET /web/api/admin/stats ${statsAt.length} times in 3.2 s (about once a second)`);

  const row = page.locator(`tr[data-agent-id="${rogue.botUserId}"]`);
  await row.waitFor();
  await h.until(async () => (await status(row)) === "active", "rogue_bot's status cell to read active");
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/web/api/admin/agents/${rogue.botUserId}/suspend`)),
    row.getByRole("button", { name: "Suspend" }).click(),
  ]);
  assert.equal(resp.status(), 204);

  const gone = await rogueConn.rec.waitFor("$disconnect", () => true, { what: "server disconnect after suspension" });
  assert.equal(gone.data, "io server disconnect");
  assert.equal(rogueConn.socket.connected, false);
  const refused = await h.claw(srv, "sessions/list", {}, rogue.token);
  assert.equal(refused.status, 401, `a suspended agent's token: ${JSON.stringify(refused.json)}`);
  await h.until(async () => (await status(row)) === "suspended", "the status cell to read suspended");
  await row.getByRole("button", { name: "Resume" }).waitFor();
  // Only the suspended agent is affected.
  assert.equal(calmConn.socket.connected, true, "calm_bot stays connected");
  assert.equal((await h.claw(srv, "sessions/list", {}, bystander.token)).status, 200);
  // A reconnect with the suspended token is refused.
  await assert.rejects(h.connectAgent(srv, rogue.token, "rogue_bot again"), /connect_error/);

  const admin = (await node.getOk("/web/api/admin/agents")).agents.find((a) => a.id === rogue.botUserId);
  assert.equal(admin.suspended, true);

  const [resumed] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/web/api/admin/agents/${rogue.botUserId}/resume`)),
    row.getByRole("button", { name: "Resume" }).click(),
  ]);
  assert.equal(resumed.status(), 204);
  await h.until(async () => (await status(row)) === "active", "the status cell to read active again");
  assert.equal((await h.claw(srv, "sessions/list", {}, rogue.token)).status, 200, "the token works after resume");
  assert.deepEqual(seen.pageErrors, []);
});

test("a non-admin has no Operator link and #/admin shows no agent table", { timeout: 30000 }, async (t) => {
  const srv = await h.startServer();
  t.after(() => srv.stop());
  const agent = await h.registerAgent(srv, "some_bot");
  const node = new h.WebClient(srv);
  await node.signup("plain@example.com", "plain password", "Plain Human");
  const context = await h.newContext(browser);
  t.after(() => context.close());
  await h.signInContext(context, srv, "plain@example.com", "plain password");
  const page = await context.newPage();
  await page.goto(`${srv.url}/#/`);
  await page.getByRole("button", { name: "Log out" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Operator" }).count(), 0);
  await page.goto(`${srv.url}/#/admin`);
  await h.delay(700);
  assert.equal(await page.locator(`tr[data-agent-id="${agent.botUserId}"]`).count(), 0, "no agent rows for a non-admin");
  assert.equal((await node.post(`/web/api/admin/agents/${agent.botUserId}/suspend`, {})).status, 403);
  assert.equal((await h.claw(srv, "sessions/list", {}, agent.token)).status, 200, "the agent is untouched");
});
