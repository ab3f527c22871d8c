"use strict";
// Benchmark of the web client (not part of the test run):
//  (a) latency from an agent's REST send to the message painted in the page, N messages sent
//      one after another, p50/p99; the page records each new message with a MutationObserver
//      (inserted) and again after the next frame (painted), on the same clock as Node
//      (performance.timeOrigin + performance.now() on both sides, one machine);
//  (b) bytes transferred by a first page load (CDP Network.loadingFinished encodedDataLength)
//      and requests to other origins, which must be 0.
// Prints one JSON summary; exits 1 if a message never showed or another origin was contacted.
//   node bench.js [--messages 100]

const { performance } = require("node:perf_hooks");
const h = require("./lib/server");

const argIndex = process.argv.indexOf("--messages");
const N = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 100;

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    min: s.length ? Math.round(s[0] * 100) / 100 : null,
    max: s.length ? Math.round(s[s.length - 1] * 100) / 100 : null,
  };
}

/** Loads `url` in a fresh page of `context`; sums what the network reports until `ready` resolves. */
async function measureLoad(context, srv, url, ready) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const requests = new Map(); // requestId → url
  let bytes = 0;
  let finished = 0;
  cdp.on("Network.requestWillBeSent", (e) => requests.set(e.requestId, e.request.url));
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    finished += 1;
  });
  const own = new URL(srv.url);
  await page.goto(url, { waitUntil: "load" });
  await ready(page);
  await h.delay(500); // late requests (fonts, icons) still count
  const urls = [...requests.values()];
  const foreign = urls.filter((u) => {
    if (u.startsWith("data:")) return false;
    try {
      return new URL(u).host !== own.host;
    } catch {
      return true;
    }
  });
  await page.close();
  return { requests: urls.length, responses: finished, encodedBytes: bytes, foreignRequests: foreign.length, foreign };
}

async function main() {
  const srv = await h.startServer();
  const browser = await h.launchBrowser();
  const out = { messages: N };
  let ok = true;
  try {
    const owned = await h.ownedAgent(srv, {
      username: "bench_bot",
      email: "bench@example.com",
      displayName: "Bench Human",
      greeting: "ready",
    });

    // (b) first loads: the login page signed out, then the app with a conversation open.
    const cold = await h.newContext(browser);
    out.firstLoadLogin = await measureLoad(cold, srv, `${srv.url}/#/login`, (p) =>
      p.getByRole("button", { name: "Log in" }).waitFor({ timeout: 10000 }),
    );
    await cold.close();
    const warm = await h.newContext(browser);
    await h.signInContext(warm, srv, owned.email, owned.password);
    out.firstLoadApp = await measureLoad(warm, srv, `${srv.url}/#/c/${owned.dm.id}`, (p) =>
      h.messageWithText(p, "ready").waitFor({ timeout: 10000 }),
    );
    if (out.firstLoadLogin.foreignRequests || out.firstLoadApp.foreignRequests) ok = false;

    // (a) send → painted.
    const page = await warm.newPage();
    await h.openConversation(page, srv, owned.dm.id);
    await h.messageWithText(page, "ready").waitFor({ timeout: 10000 });
    await page.evaluate(() => {
      const now = () => performance.timeOrigin + performance.now();
      window.__seen = {};
      const record = (el) => {
        const text = el.querySelector && el.querySelector(".content")?.textContent;
        if (!text || !text.startsWith("bench ") || window.__seen[text]) return;
        const entry = { inserted: now(), insertedDateNow: Date.now(), painted: null };
        window.__seen[text] = entry;
        // After the next frame has been produced: the message is on screen.
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => {
            entry.painted = now();
          };
          ch.port2.postMessage(0);
        });
      };
      const log = document.querySelector('[role="log"]');
      new MutationObserver((muts) => {
        for (const m of muts) {
          for (const n of m.addedNodes) {
            if (n.nodeType !== 1) continue;
            if (n.matches("article")) record(n);
            n.querySelectorAll?.("article").forEach(record);
            const a = n.closest?.("article");
            if (a) record(a);
          }
        }
      }).observe(log, { childList: true, subtree: true, characterData: true });
    });

    const sends = [];
    const missing = [];
    for (let i = 0; i < N; i++) {
      const text = `bench ${i} ${Math.random().toString(36).slice(2, 8)}`;
      const sentAt = performance.timeOrigin + performance.now();
      const sentDateNow = Date.now();
      await h.agentSend(srv, owned.agent, owned.bound.sessionId, text);
      try {
        await page.waitForFunction((t) => window.__seen[t] && window.__seen[t].painted, text, { timeout: 5000 });
        sends.push({ text, sentAt, sentDateNow });
      } catch {
        missing.push(text);
      }
    }
    const seen = await page.evaluate(() => window.__seen);
    const inserted = [];
    const painted = [];
    const insertedDateNow = [];
    for (const s of sends) {
      const e = seen[s.text];
      inserted.push(e.inserted - s.sentAt);
      painted.push(e.painted - s.sentAt);
      insertedDateNow.push(e.insertedDateNow - s.sentDateNow);
    }
    out.sendToPaintedMs = stats(painted);
    out.sendToInsertedMs = stats(inserted);
    out.sendToInsertedDateNowMs = stats(insertedDateNow);
    out.missing = missing.length;
    if (missing.length) ok = false;
    await warm.close();
  } finally {
    await browser.close();
    await srv.stop();
  }
  out.ok = ok;
  console.log(JSON.stringify(out, null, 2));
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
