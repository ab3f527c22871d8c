"use strict";
// Helpers for the browser tests of agentgate's web client: the real server binary on a fresh
// database, MoChat agents (REST and the real socket.io-client), a cookie-carrying web API
// client in Node, the operator CLI, and Chromium through playwright-core.
// Every wait is bounded; every process started here is killed when the test process ends.

const assert = require("node:assert/strict");
const { spawn, execFile } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { io } = require("socket.io-client");
const { chromium } = require("playwright-core");

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const BIN = process.env.AGENTGATE_BIN
  ? path.resolve(process.env.AGENTGATE_BIN)
  : path.join(REPO_ROOT, "target", "debug", "agentgate");
// A relative AGENTGATE_WEB_DIR is read from the repository root, as in web/CONTRACT.md (`web`).
const WEB_DIR = process.env.AGENTGATE_WEB_DIR ? path.resolve(REPO_ROOT, process.env.AGENTGATE_WEB_DIR) : "";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** Default bound for one wait (an answer, a push, an element), in ms. */
const WAIT_MS = 5000;

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

const running = new Map(); // child process → its temporary directory
function killAll() {
  for (const [child, dir] of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => {
    killAll();
    process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
  });
}

/** The environment of the server and of the CLI: only the settings a test chose. */
function serverEnv(extraEnv = {}) {
  const env = {};
  // Settings inherited from the caller's shell would make runs differ; AGENTGATE_LOG may pass.
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("AGENTGATE_") || k === "AGENTGATE_LOG") env[k] = v;
  }
  Object.assign(env, {
    // The REST limits are off so that setup and the benchmark are not throttled; the
    // per-account login limit stays at its default (5 per 15 min), which a test checks.
    AGENTGATE_RATE_LIMIT_PER_MIN: "0",
    AGENTGATE_AUTH_FAILURES_PER_WINDOW: "0",
    AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR: "0",
    AGENTGATE_CHAT_RATE_LIMIT_SECS: "0",
    AGENTGATE_LOG: process.env.AGENTGATE_LOG || "warn",
  });
  if (WEB_DIR) env.AGENTGATE_WEB_DIR = WEB_DIR;
  // AGENTGATE_PUBLIC_URL stays unset: the server derives it from the bound address.
  return { ...env, ...extraEnv };
}

/**
 * Starts `agentgate serve --listen 127.0.0.1:0` on a fresh SQLite file; resolves once it
 * printed "agentgate listening on http://127.0.0.1:PORT" with {url, dbPath, stop(), stderr()}.
 */
async function startServer(extraEnv = {}) {
  if (!fs.existsSync(BIN)) {
    throw new Error(`agentgate binary not found at ${BIN} (build it or set AGENTGATE_BIN)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentgate-web-"));
  const dbPath = path.join(dir, "db.sqlite");
  const env = serverEnv(extraEnv);
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--database", dbPath], {
    env,
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.set(child, dir);
  const stderrTail = [];
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    if (process.env.CONFORMANCE_VERBOSE) process.stderr.write(chunk);
    stderrTail.push(chunk);
    if (stderrTail.length > 50) stderrTail.shift();
  });
  child.stdout.setEncoding("utf8");
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      reject(new Error(`agentgate did not report listening within 10 s; stdout=${out} stderr=${stderrTail.join("")}`));
    }, 10000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /agentgate listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`agentgate exited early (code ${code}, signal ${signal}): ${stderrTail.join("")}`));
    });
  });

  const sockets = new Set();
  const srv = {
    url,
    dbPath,
    env,
    sockets,
    stderr: () => stderrTail.join(""),
    async stop() {
      for (const s of sockets) s.disconnect();
      sockets.clear();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        // A graceful stop waits for idle keep-alive connections (the browser's, undici's) for
        // seconds; the database is thrown away, so a short grace is enough.
        const res = await Promise.race([exited, delay(1500).then(() => null)]);
        if (res === null) {
          child.kill("SIGKILL");
          await Promise.race([exited, delay(2000)]);
        }
      }
      running.delete(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return srv;
}

/** Resolves once `GET /web/api/config` answers JSON (the web wire is in this binary). */
async function webConfig(srv) {
  const res = await fetch(`${srv.url}/web/api/config`, { signal: AbortSignal.timeout(WAIT_MS) });
  const text = await res.text();
  assert.equal(res.status, 200, `GET /web/api/config → ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/** `agentgate users admin EMAIL --database PATH` on the server's database; returns stdout. */
function makeAdmin(srv, email) {
  return new Promise((resolve, reject) => {
    execFile(
      BIN,
      ["users", "admin", email, "--database", srv.dbPath],
      { env: srv.env, cwd: REPO_ROOT, timeout: 15000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`agentgate users admin ${email}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

// ---------------------------------------------------------------------------------------
// MoChat agents
// ---------------------------------------------------------------------------------------

/** POST /api/claw/<verb> as an agent; {status, json}. */
async function claw(srv, verb, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers["X-Claw-Token"] = token;
  const res = await fetch(`${srv.url}/api/claw/${verb}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body ?? {}),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}

/** Like `claw`, asserting MoChat's success envelope; returns `data`. */
async function clawOk(srv, verb, body, token) {
  const { status, json } = await claw(srv, verb, body, token);
  assert.equal(status, 200, `${verb} → HTTP ${status}: ${JSON.stringify(json)}`);
  assert.equal(json.success, true, `${verb}: ${JSON.stringify(json)}`);
  return json.data;
}

/** Registers an agent; {token, botUserId, username, …}. */
async function registerAgent(srv, username) {
  const data = await clawOk(srv, "agents/selfRegister", { username });
  assert.match(data.token, /^claw_/);
  assert.equal(data.username, username);
  return data;
}

/**
 * Binds the agent to its owner's email with a greeting: {claimUrl, sessionId, converseId,
 * ownerUserId, claimToken} (claimToken is the fragment of claimUrl).
 */
async function bindOwner(srv, agent, email, greeting) {
  const data = await clawOk(srv, "agents/bind", { email, greeting_msg: greeting }, agent.token);
  assert.match(data.sessionId, /^session_[0-9a-f]{24}$/, JSON.stringify(data));
  assert.equal(typeof data.converseId, "string", JSON.stringify(data));
  const token = typeof data.claimUrl === "string" ? (/#\/claim\/(.+)$/.exec(data.claimUrl) || [])[1] : undefined;
  return { ...data, claimToken: token };
}

/** The agent sends to a session over REST; returns the stored message. */
async function agentSend(srv, agent, sessionId, content, extra = {}) {
  const data = await clawOk(srv, "sessions/send", { sessionId, content, ...extra }, agent.token);
  assert.equal(data.message.content, content);
  return data.message;
}

/** Records what an agent's socket receives; waits are bounded. */
class Recorder {
  constructor(socket, label) {
    this.label = label;
    this.log = [];
    this.waiters = new Set();
    socket.onAny((event, ...args) => this.push(event, args[0]));
    socket.on("connect", () => this.push("$connect", socket.id));
    socket.on("disconnect", (reason) => this.push("$disconnect", reason));
    socket.on("connect_error", (err) => this.push("$connect_error", err && err.message));
  }

  push(event, data) {
    const entry = { idx: this.log.length, event, data, at: Date.now() };
    this.log.push(entry);
    for (const w of [...this.waiters]) w(entry);
  }

  summary(max = 20) {
    return this.log
      .slice(-max)
      .map((e) => `#${e.idx} ${e.event} ${JSON.stringify(e.data)?.slice(0, 300)}`)
      .join("\n");
  }

  waitFor(event, pred = () => true, { ms = WAIT_MS, what } = {}) {
    const hit = this.log.find((e) => e.event === event && pred(e.data));
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const waiter = (e) => {
        if (e.event === event && pred(e.data)) {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(e);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`[${this.label}] no '${event}'${what ? ` (${what})` : ""} within ${ms} ms; received:\n${this.summary()}`));
      }, ms);
      this.waiters.add(waiter);
    });
  }
}

/**
 * Connects an agent the way MoChat's real clients do (websocket only, token in `auth`);
 * resolves {socket, rec} on connect, rejects on connect_error or after WAIT_MS.
 */
function connectAgent(srv, token, label = "agent") {
  const socket = io(srv.url, {
    path: "/socket.io/",
    transports: ["websocket"],
    auth: { token },
    forceNew: true,
    reconnection: false,
    timeout: WAIT_MS,
  });
  srv.sockets.add(socket);
  const rec = new Recorder(socket, label);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.disconnect();
      reject(new Error(`[${label}] no connect within ${WAIT_MS} ms:\n${rec.summary()}`));
    }, WAIT_MS + 500);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve({ socket, rec });
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      socket.disconnect();
      reject(new Error(`[${label}] connect_error: ${err && err.message}`));
    });
  });
}

/** `com.claw.im.subscribeSessions` for these sessions; returns the ack. */
function subscribeSessions(conn, sessionIds) {
  return new Promise((resolve, reject) => {
    conn.socket.timeout(WAIT_MS).emit("com.claw.im.subscribeSessions", { sessionIds, limit: 100 }, (err, resp) => {
      if (err) reject(new Error(`[${conn.rec.label}] no ack for subscribeSessions within ${WAIT_MS} ms`));
      else resolve(resp);
    });
  });
}

/** The first `claw.session.events` event of `sessionId` whose payload satisfies `pred`. */
async function sessionEvent(conn, sessionId, pred, what, ms = WAIT_MS) {
  const entry = await conn.rec.waitFor(
    "claw.session.events",
    (d) => d && d.sessionId === sessionId && Array.isArray(d.events) && d.events.some((e) => pred(e.payload || {})),
    { ms, what },
  );
  return { ...entry.data.events.find((e) => pred(e.payload || {})), receivedAt: entry.at };
}

// ---------------------------------------------------------------------------------------
// The web API from Node (a one-cookie jar)
// ---------------------------------------------------------------------------------------

const COOKIE = "agentgate_session";

class WebClient {
  constructor(srv) {
    this.srv = srv;
    this.cookie = null;
  }

  /**
   * One request: JSON body, the server's own Origin on POSTs (what the page's fetch sends)
   * unless `origin` says otherwise (null: none), the session cookie when there is one.
   * Returns {status, headers, json}.
   */
  async request(method, p, body, { origin = this.srv.url, headers = {}, cookie = this.cookie } = {}) {
    const h = { ...headers };
    if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === "content-type")) {
      h["content-type"] = "application/json";
    }
    if (method !== "GET" && origin !== null) h.origin = origin;
    if (cookie) h.cookie = `${COOKIE}=${cookie}`;
    const res = await fetch(`${this.srv.url}${p}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(WAIT_MS),
    });
    for (const line of res.headers.getSetCookie()) {
      const m = new RegExp(`^${COOKIE}=([^;]*)`).exec(line);
      if (m) this.cookie = m[1] && !/max-age=0/i.test(line) ? m[1] : null;
    }
    const text = await res.text();
    let json = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = { raw: text };
      }
    }
    return { status: res.status, headers: res.headers, json };
  }

  get(p, opts) {
    return this.request("GET", p, undefined, opts);
  }

  post(p, body = {}, opts) {
    return this.request("POST", p, body, opts);
  }

  /** GET that must answer 200; returns the JSON. */
  async getOk(p) {
    const r = await this.get(p);
    assert.equal(r.status, 200, `GET ${p} → ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  }

  async signup(email, password, displayName) {
    const r = await this.post("/web/api/signup", { email, password, displayName });
    assert.equal(r.status, 201, `signup ${email} → ${r.status}: ${JSON.stringify(r.json)}`);
    assert.ok(this.cookie, "signup sets the session cookie");
    return r.json;
  }

  async login(email, password) {
    const r = await this.post("/web/api/login", { email, password });
    assert.equal(r.status, 200, `login ${email} → ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  }

  async claim(token, password, displayName) {
    const body = { token, password };
    if (displayName) body.displayName = displayName;
    const r = await this.post("/web/api/claim", body);
    assert.equal(r.status, 200, `claim → ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json;
  }

  async conversations() {
    return (await this.getOk("/web/api/conversations")).conversations;
  }

  /** The DM with the agent `username`, from the conversation list. */
  async dmWith(username) {
    const list = await this.conversations();
    const dm = list.find((c) => c.kind === "dm" && c.peer && c.peer.username === username);
    assert.ok(dm, `a DM with ${username} in ${JSON.stringify(list)}`);
    return dm;
  }

  async messages(conversationId) {
    return (await this.getOk(`/web/api/conversations/${conversationId}/messages?limit=100`)).messages;
  }
}

/**
 * An agent bound to a human who claimed the account (over the API): the usual starting
 * point of the conversation tests. Returns {agent, bound, human, client, dm, email, password}.
 */
async function ownedAgent(srv, { username, email, password = "correct horse battery", displayName, greeting }) {
  const agent = await registerAgent(srv, username);
  const bound = await bindOwner(srv, agent, email, greeting);
  assert.ok(bound.claimToken, `bind answers a claimUrl with #/claim/TOKEN: ${JSON.stringify(bound)}`);
  const client = new WebClient(srv);
  const human = await client.claim(bound.claimToken, password, displayName);
  const dm = await client.dmWith(username);
  return { agent, bound, human, client, dm, email, password };
}

// ---------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------

function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: 30000 });
}

/** A fresh context whose pages fail fast: every wait of theirs is bounded by WAIT_MS. */
async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(10000);
  return context;
}

/** Collects what a page reports that a test may want to forbid. */
function watchPage(page) {
  const seen = { consoleErrors: [], pageErrors: [], dialogs: [], requests: [] };
  page.on("console", (m) => {
    // The url tells a failed resource (Chromium logs those as errors) from a script's error.
    if (m.type() === "error") seen.consoleErrors.push({ text: m.text(), url: m.location().url || "" });
  });
  page.on("pageerror", (e) => seen.pageErrors.push(String(e)));
  page.on("dialog", (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on("request", (r) => seen.requests.push(r.url()));
  return seen;
}

/** Signs the browser context in over the API (the cookie lands in the context's jar). */
async function signInContext(context, srv, email, password) {
  const res = await context.request.post(`${srv.url}/web/api/login`, {
    data: { email, password },
    headers: { origin: srv.url },
    timeout: WAIT_MS,
  });
  assert.equal(res.status(), 200, `login ${email} → ${res.status()}: ${await res.text()}`);
  const cookies = await context.cookies(srv.url);
  assert.ok(cookies.some((c) => c.name === COOKIE && c.value), "the context holds the session cookie");
}

/** The page's message log and its articles. */
function messageLog(page) {
  return page.getByRole("log", { name: "Messages" });
}

/** The article whose `.content` reads exactly `text`. */
function messageWithText(page, text) {
  return messageLog(page)
    .locator("article")
    .filter({ has: page.locator(".content", { hasText: text }) });
}

/** Opens the app at `#/c/ID` and waits for the conversation's log. */
async function openConversation(page, srv, conversationId) {
  await page.goto(`${srv.url}/#/c/${conversationId}`);
  await messageLog(page).waitFor({ state: "visible" });
}

/** What every article of the log says, in document order. */
function articles(page) {
  return messageLog(page)
    .locator("article")
    .evaluateAll((els) =>
      els.map((el) => ({
        seq: el.getAttribute("data-seq"),
        id: el.getAttribute("data-id"),
        author: el.querySelector(".author")?.textContent.trim() ?? null,
        kind: el.querySelector(".kind")?.textContent.trim() ?? null,
        content: el.querySelector(".content")?.textContent ?? null,
        quote: el.querySelector(".reply-quote")?.textContent ?? null,
        time: !!el.querySelector("time"),
      })),
    );
}

/** Waits until `cond()` is truthy, polling every 25 ms, at most `ms`. */
async function until(cond, what, ms = WAIT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(25);
  }
}

/** `s` as a literal inside a RegExp. */
function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

module.exports = {
  BIN,
  CHROMIUM,
  COOKIE,
  REPO_ROOT,
  WAIT_MS,
  WebClient,
  agentSend,
  articles,
  bindOwner,
  claw,
  clawOk,
  connectAgent,
  delay,
  escapeRe,
  launchBrowser,
  makeAdmin,
  messageLog,
  messageWithText,
  newContext,
  openConversation,
  ownedAgent,
  registerAgent,
  sessionEvent,
  signInContext,
  startServer,
  subscribeSessions,
  until,
  watchPage,
  webConfig,
};
