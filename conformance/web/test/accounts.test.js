"use strict";
// Accounts in the page: sign-up, claiming an agent owner's account from a real bind answer,
// wrong passwords, the per-account login throttle, and logging out.

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

/** A fresh server and browser context for one test, both closed after it. */
async function setup(t, contextOptions) {
  const srv = await h.startServer();
  t.after(() => srv.stop());
  const context = await h.newContext(browser, contextOptions);
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = h.watchPage(page);
  return { srv, context, page, seen };
}

/** Fills and submits the login form; returns the answer of POST /web/api/login. */
async function submitLogin(page, email, password) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/web/api/login") && r.request().method() === "POST"),
    page.getByRole("button", { name: "Log in" }).click(),
  ]);
  return resp;
}

test("sign-up through the page signs in with an HttpOnly session cookie", { timeout: 30000 }, async (t) => {
  const { srv, context, page, seen } = await setup(t);
  const config = await h.webConfig(srv);
  assert.equal(config.signup, "open");
  assert.equal(config.publicUrl, srv.url, "the public URL is derived from the bound address");

  await page.goto(`${srv.url}/#/login`);
  await page.getByRole("link", { name: "Create an account" }).click();
  await h.until(() => page.url().endsWith("#/signup"), "the sign-up route");
  await page.getByLabel("Email").fill("nora@example.com");
  await page.getByLabel("Display name").fill("Nora Human");
  await page.getByLabel("Password", { exact: true }).fill("a long enough password");
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/web/api/signup")),
    page.getByRole("button", { name: "Sign up" }).click(),
  ]);
  assert.equal(resp.status(), 201);

  // In the app: the conversation list and the header, no operator link for a plain human.
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  await page.getByRole("link", { name: "My agents" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Operator" }).count(), 0, "no Operator link for a non-admin");

  const cookie = (await context.cookies(srv.url)).find((c) => c.name === h.COOKIE);
  assert.ok(cookie && cookie.value, "session cookie set");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Lax");
  assert.equal(cookie.path, "/");
  assert.equal(await page.evaluate(() => document.cookie.includes("agentgate_session")), false, "scripts cannot read it");

  // The server knows the human behind that cookie.
  const me = await new h.WebClient(srv).get("/web/api/me", { cookie: cookie.value });
  assert.equal(me.status, 200);
  assert.equal(me.json.email, "nora@example.com");
  assert.equal(me.json.displayName, "Nora Human");
  assert.equal(me.json.isAdmin, false);
  assert.deepEqual(seen.pageErrors, []);
});

test("claim: the claimUrl of a real bind answer opens the page, sets a password, lands in the app", { timeout: 30000 }, async (t) => {
  const { srv, page } = await setup(t);
  const agent = await h.registerAgent(srv, "scout");
  const bound = await h.bindOwner(srv, agent, "olivia@example.com", "Hello Olivia, I am Scout.");
  assert.match(bound.claimUrl, new RegExp(`^${h.escapeRe(srv.url)}/#/claim/[A-Za-z0-9_-]{16,}$`), "claim link in the fragment of the public URL");

  // Before the claim, sign-up with the owner's address is refused and points at the link.
  const node = new h.WebClient(srv);
  const early = await node.post("/web/api/signup", { email: "olivia@example.com", password: "whatever password", displayName: "O" });
  assert.equal(early.status, 409, JSON.stringify(early.json));
  assert.equal(early.json.code, "claim_required");
  const inspect = await node.post("/web/api/claim/inspect", { token: bound.claimToken });
  assert.equal(inspect.status, 200, JSON.stringify(inspect.json));
  assert.equal(inspect.json.email, "olivia@example.com");

  await page.goto(bound.claimUrl);
  await page.getByRole("heading", { name: /olivia@example\.com/ }).waitFor();
  await page.getByLabel("Display name").fill("Olivia Owner");
  await page.getByLabel("Password", { exact: true }).fill("olivia's password");
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/web/api/claim") && r.request().method() === "POST"),
    page.getByRole("button", { name: "Claim account" }).click(),
  ]);
  assert.equal(resp.status(), 200, await resp.text());

  // In the app, with the agent's DM in the list; the token is gone from the address bar.
  const nav = page.getByRole("navigation", { name: "Conversations" });
  await nav.waitFor();
  await nav.getByRole("link", { name: /^scout/ }).waitFor();
  assert.doesNotMatch(page.url(), /#\/claim\//, "the claim route is left after claiming");

  // The link is single-use, and the password works for a normal login.
  const again = await node.post("/web/api/claim/inspect", { token: bound.claimToken });
  assert.equal(again.status, 410);
  assert.equal(again.json.code, "claim_invalid");
  const me = await node.login("olivia@example.com", "olivia's password");
  assert.equal(me.displayName, "Olivia Owner");
  assert.equal(me.id, bound.ownerUserId, "the claimed account is the owner the agent bound");

  // Opening the used link again shows an error, not the form.
  const other = await h.newContext(browser);
  t.after(() => other.close());
  const p2 = await other.newPage();
  await p2.goto(bound.claimUrl);
  await p2.getByRole("alert").filter({ hasText: /\S/ }).waitFor();
  assert.equal(await p2.getByRole("button", { name: "Claim account" }).count(), 0, "no claim form for a used link");
});

test("wrong password: 401 bad_credentials, the page shows the error and stays signed out", { timeout: 30000 }, async (t) => {
  const { srv, context, page } = await setup(t);
  await new h.WebClient(srv).signup("wes@example.com", "the right password", "Wes");

  await page.goto(`${srv.url}/#/login`);
  const resp = await submitLogin(page, "wes@example.com", "the wrong password");
  assert.equal(resp.status(), 401);
  assert.equal((await resp.json()).code, "bad_credentials");
  const alert = page.getByRole("alert").filter({ hasText: /\S/ });
  await alert.waitFor();
  const wrongText = (await alert.textContent()).trim();
  assert.ok(page.url().endsWith("#/login"), `still on the login route: ${page.url()}`);
  assert.equal(
    (await context.cookies(srv.url)).some((c) => c.name === h.COOKIE && c.value),
    false,
    "no session cookie after a failed login",
  );

  // An unknown address gets the same answer, so the page cannot tell which accounts exist.
  const resp2 = await submitLogin(page, "nobody@example.com", "the wrong password");
  assert.equal(resp2.status(), 401);
  await h.until(async () => (await page.getByRole("alert").filter({ hasText: /\S/ }).count()) > 0, "the alert");
  assert.equal((await page.getByRole("alert").filter({ hasText: /\S/ }).first().textContent()).trim(), wrongText);

  // The right password still works from the same form.
  const ok = await submitLogin(page, "wes@example.com", "the right password");
  assert.equal(ok.status(), 200);
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
});

test("throttle: 5 failed logins, then 429 with Retry-After and a message in the page", { timeout: 40000 }, async (t) => {
  const { srv, page } = await setup(t);
  const node = new h.WebClient(srv);
  await node.signup("tess@example.com", "tess's real password", "Tess");
  await node.signup("other@example.com", "other's real password", "Other");

  await page.goto(`${srv.url}/#/login`);
  for (let i = 1; i <= 5; i++) {
    const resp = await submitLogin(page, "tess@example.com", `guess number ${i}`);
    assert.equal(resp.status(), 401, `failure ${i} is an ordinary 401`);
  }
  const firstAlert = (await page.getByRole("alert").filter({ hasText: /\S/ }).first().textContent()).trim();

  const resp = await submitLogin(page, "tess@example.com", "guess number 6");
  assert.equal(resp.status(), 429);
  const retryAfter = Number(resp.headers()["retry-after"]);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 15 * 60, `Retry-After in seconds: ${resp.headers()["retry-after"]}`);
  assert.equal((await resp.json()).code, "throttled");
  await h.until(
    async () => {
      const t = await page.getByRole("alert").first().textContent();
      return t && t.trim() !== firstAlert && /too many|retry|try again|wait|minute|second/i.test(t);
    },
    "the throttle message in the alert",
  );

  // The account is locked, not the password: the right one is refused too; others are not.
  const locked = await node.post("/web/api/login", { email: "tess@example.com", password: "tess's real password" });
  assert.equal(locked.status, 429);
  assert.ok(locked.headers.get("retry-after"));
  const other = await node.post("/web/api/login", { email: "other@example.com", password: "other's real password" });
  assert.equal(other.status, 200, "another account is not throttled");
});

test("log out ends the session: the old cookie gets 401 and the live socket closes", { timeout: 30000 }, async (t) => {
  const { srv, context, page } = await setup(t);
  await new h.WebClient(srv).signup("lou@example.com", "lou's password!", "Lou");

  const live = [];
  page.on("websocket", (ws) => {
    if (!ws.url().endsWith("/web/live")) return;
    const entry = { ws, closed: false };
    ws.on("close", () => {
      entry.closed = true;
    });
    live.push(entry);
  });
  await page.goto(`${srv.url}/#/login`);
  assert.equal((await submitLogin(page, "lou@example.com", "lou's password!")).status(), 200);
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
  await h.until(() => live.length > 0, "the page opening /web/live");
  const cookie = (await context.cookies(srv.url)).find((c) => c.name === h.COOKIE).value;
  const node = new h.WebClient(srv);
  assert.equal((await node.get("/web/api/me", { cookie })).status, 200, "the cookie works before logout");

  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/web/api/logout")),
    page.getByRole("button", { name: "Log out" }).click(),
  ]);
  assert.equal(resp.status(), 204);
  await page.getByRole("button", { name: "Log in" }).waitFor();
  await h.until(() => live.every((e) => e.closed), "every /web/live socket of the page to close");

  const after = await node.get("/web/api/me", { cookie });
  assert.equal(after.status, 401, "the old cookie value is dead");
  assert.equal(after.json.code, "unauthenticated");
  assert.equal(
    (await context.cookies(srv.url)).some((c) => c.name === h.COOKIE && c.value),
    false,
    "the cookie is cleared in the browser",
  );
  // The page does not quietly reconnect with a dead session.
  await h.delay(1500);
  assert.ok(live.every((e) => e.closed), "no live socket open after logout");
});
