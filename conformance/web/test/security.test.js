"use strict";
// The page's defences: cross-origin POSTs refused (from a real attacker page in the browser
// and from Node with forged headers), the CSP and companion headers, a page with no inline
// script or style that loads without console errors and talks to no other origin.

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const h = require("../lib/server");

let browser;
before(async () => {
  browser = await h.launchBrowser();
});
after(async () => {
  await browser?.close();
});

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** An attacker's site on another loopback port: one page that tries both forgeries. */
function startAttacker(victimUrl, conversationId) {
  const target = `${victimUrl}/web/api/conversations/${conversationId}/messages`;
  // text/plain forms and no-cors fetches are what a foreign page can send without a preflight.
  const html = `<!doctype html><title>cute cats</title>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="${target}" enctype="text/plain" target="sink">
<input name='{"content":"forged by form","x":"' value='"}'>
</form>
<script>
fetch(${JSON.stringify(target)}, {method: "POST", credentials: "include", mode: "no-cors",
  headers: {"Content-Type": "text/plain"}, body: JSON.stringify({content: "forged by fetch"})})
  .catch(() => {})
  .finally(() => { document.getElementById("f").submit(); });
</script>`;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

test("cross-origin POSTs are refused: a real attacker page, and forged headers from Node", { timeout: 40000 }, async (t) => {
  const srv = await h.startServer();
  t.after(() => srv.stop());
  const { client, dm, email, password } = await h.ownedAgent(srv, {
    username: "scout",
    email: "vic@example.com",
    displayName: "Vic Victim",
    greeting: "hello",
  });

  // The victim is signed in in this browser; the attacker's page opens in the same context.
  const context = await h.newContext(browser);
  t.after(() => context.close());
  await h.signInContext(context, srv, email, password);
  const attacker = await startAttacker(srv.url, dm.id);
  t.after(() => attacker.close());
  const page = await context.newPage();
  const hits = [];
  page.on("response", async (r) => {
    if (r.url().includes(`/web/api/conversations/${dm.id}/messages`)) {
      // allHeaders: the headers Chromium really sent, Origin included.
      const headers = await r.request().allHeaders().catch(() => ({}));
      const body = await r.text().catch((e) => `(no body: ${e.message})`);
      hits.push({ method: r.request().method(), type: r.request().resourceType(), status: r.status(), headers, body });
    }
  });
  await page.goto(attacker.url);
  // Both forgeries reach the server …
  await h.until(() => hits.filter((x) => x.method === "POST").length >= 2, "the fetch and the form POST to reach the victim", 8000);
  const posts = hits.filter((x) => x.method === "POST");
  assert.deepEqual(posts.map((p) => p.type).sort(), ["document", "fetch"], "one fetch, one form navigation");
  for (const p of posts) assert.equal(p.status, 403, `forged ${p.type} POST answered ${p.status}, want 403`);
  // The form's request is fully visible to the test (a no-cors fetch's headers and body are
  // not): the browser sent the victim's cookie (same site, other port) and its own Origin,
  // and the refusal is the origin rule, not a missing session.
  const form = posts.find((p) => p.type === "document");
  assert.equal(form.headers.origin, attacker.url.replace(/\/$/, ""), "the browser set the attacker's Origin");
  assert.match(form.headers.cookie || "", new RegExp(`${h.COOKIE}=\\w+`), "the session cookie was sent along");
  assert.equal(JSON.parse(form.body).code, "cross_origin");
  // … and nothing was posted.
  const msgs = await client.messages(dm.id);
  assert.deepEqual(msgs.map((m) => m.content), ["hello"], "only the greeting is in the conversation");

  // The same from Node with a valid cookie and JSON, only the headers differ.
  const cookie = (await context.cookies(srv.url)).find((c) => c.name === h.COOKIE).value;
  const path = `/web/api/conversations/${dm.id}/messages`;
  const evil = await client.post(path, { content: "from evil.example" }, { origin: "http://evil.example", cookie });
  assert.equal(evil.status, 403);
  assert.equal(evil.json.code, "cross_origin");
  const nullOrigin = await client.post(path, { content: "from a sandbox" }, { origin: "null", cookie });
  assert.equal(nullOrigin.status, 403, "Origin: null is not the server's own");
  const marked = await client.post(path, { content: "marked cross-site" }, { origin: null, cookie, headers: { "sec-fetch-site": "cross-site" } });
  assert.equal(marked.status, 403, "no Origin but Sec-Fetch-Site: cross-site");
  const plain = await client.post(path, '{"content":"text/plain body"}', { cookie, headers: { "content-type": "text/plain" } });
  assert.equal(plain.status, 415, "a non-JSON body is refused even from the own origin");
  const logout = await client.post("/web/api/logout", {}, { origin: "http://evil.example", cookie });
  assert.equal(logout.status, 403, "logout is a POST too");
  assert.deepEqual((await client.messages(dm.id)).map((m) => m.content), ["hello"]);

  // Control: the very same request from the own origin is accepted, so the 403s above are the rule.
  const own = await client.post(path, { content: "from the page's origin" }, { cookie });
  assert.equal(own.status, 201, JSON.stringify(own.json));
  assert.equal(own.json.content, "from the page's origin");
});

test("the page: CSP and companion headers, no inline code, no console errors, no other origins", { timeout: 30000 }, async (t) => {
  const srv = await h.startServer();
  t.after(() => srv.stop());
  const { dm, email, password } = await h.ownedAgent(srv, {
    username: "scout",
    email: "cara@example.com",
    displayName: "Cara",
    greeting: "Welcome, Cara.",
  });
  const context = await h.newContext(browser);
  t.after(() => context.close());
  const page = await context.newPage();
  const seen = h.watchPage(page);
  const responses = [];
  page.on("response", (r) => responses.push(r));

  const first = await page.goto(`${srv.url}/`);
  assert.equal(first.status(), 200);
  const headers = first.headers();
  assert.equal(headers["content-security-policy"], CSP);
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.match(headers["content-type"], /^text\/html/);
  await page.getByRole("button", { name: "Log in" }).waitFor();
  await h.delay(300);
  // Signed out, the only error allowed is Chromium's log line for a 401 of the "who am I"
  // probe (GET /web/api/me), which is the page asking, not failing.
  const signedOutErrors = seen.consoleErrors.filter(
    (e) => !(/^Failed to load resource: .*\b401\b/.test(e.text) && e.url.endsWith("/web/api/me")),
  );
  assert.deepEqual(signedOutErrors, [], "no console errors on the login page");
  seen.consoleErrors.length = 0;

  const inline = await page.evaluate(() => ({
    inlineScripts: document.querySelectorAll("script:not([src])").length,
    styleAttrs: document.querySelectorAll("[style]").length,
    handlerAttrs: [...document.querySelectorAll("*")].filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).length,
  }));
  assert.deepEqual(inline, { inlineScripts: 0, styleAttrs: 0, handlerAttrs: 0 });

  // The files the page loaded are served with the right types and nosniff.
  const assets = responses.filter((r) => new URL(r.url()).pathname.startsWith("/assets/"));
  assert.ok(assets.some((r) => r.url().endsWith(".js")), `app.js loaded: ${assets.map((r) => r.url())}`);
  for (const r of assets) {
    assert.equal(r.status(), 200, r.url());
    assert.equal(r.headers()["x-content-type-options"], "nosniff", r.url());
    if (r.url().endsWith(".js")) assert.match(r.headers()["content-type"], /javascript/, r.url());
    if (r.url().endsWith(".css")) assert.match(r.headers()["content-type"], /^text\/css/, r.url());
  }

  // Signed in, with a conversation open (live socket and all): still clean.
  await h.signInContext(context, srv, email, password);
  await h.openConversation(page, srv, dm.id);
  await h.messageWithText(page, "Welcome, Cara.").waitFor();
  await page.goto(`${srv.url}/#/agents`);
  await page.locator(`li[data-agent-id]`).first().waitFor();
  await h.delay(300);
  assert.deepEqual(seen.consoleErrors, [], "no console errors signed in (CSP violations are console errors)");
  assert.deepEqual(seen.pageErrors, []);
  const foreign = seen.requests.filter((u) => !u.startsWith(srv.url) && !u.startsWith(srv.url.replace("http", "ws")) && !u.startsWith("data:"));
  assert.deepEqual(foreign, [], "no request to another origin");

  // The API answers JSON, never HTML a browser could render in the page's origin.
  const jsonHeaders = (await new h.WebClient(srv).get("/web/api/config")).headers;
  assert.match(jsonHeaders.get("content-type"), /^application\/json/);
});
