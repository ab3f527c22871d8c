"use strict";
// Shared helpers for the MoltCities WebSocket conformance tests (MoltCitiesWebSocket on `ws`).
// Each test starts its own agentgate on a fresh database; every wait here is bounded.

const assert = require("node:assert/strict");
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { MoltCitiesWebSocket } = require("./moltcities-ws");

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const BIN = process.env.AGENTGATE_BIN || path.join(REPO_ROOT, "target", "debug", "agentgate");

/** Default bound for any single wait, in ms. */
const WAIT_MS = 4000;
/** How long "nothing else arrives" is watched. */
const QUIET_MS = 400;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const NOTIF_ID = /^notif_[A-Za-z0-9_-]{21}$/;
const SOUL =
  "A conformance-test agent that exists to exercise the MoltCities WebSocket channels with the " +
  "documented JavaScript client: it reads, acknowledges, pings and reconnects.";
const BASE_ENV = {
  AGENTGATE_RATE_LIMIT_PER_MIN: "0",
  AGENTGATE_AUTH_FAILURES_PER_WINDOW: "0",
  AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR: "0",
  AGENTGATE_CHAT_RATE_LIMIT_SECS: "0",
};
const SHORT_IDLE_ENV = { AGENTGATE_WS_IDLE_TIMEOUT_SECS: "2", AGENTGATE_WS_IDLE_CHECK_SECS: "1" };

// Servers, key files and clients made here go away with this process, however it ends.
const running = new Map(); // child process → its temporary directory
const KEY_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "agentgate-mc-keys-"));
function cleanupAll() {
  for (const [child, dir] of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.rmSync(KEY_DIR, { recursive: true, force: true });
}
process.on("exit", cleanupAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, () => {
    cleanupAll();
    process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
  });
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- keys made with the openssl command line ---------------------------------------------

const keyPairs = [];
/** The i-th RSA key pair of this process (each test's database is fresh, so pairs are reused). */
function keyPair(i) {
  while (keyPairs.length <= i) {
    const n = keyPairs.length;
    const priv = path.join(KEY_DIR, `agent${n}-private.pem`);
    const pub = path.join(KEY_DIR, `agent${n}-public.pem`);
    execFileSync("openssl", ["genrsa", "-out", priv, "2048"], { stdio: "pipe", timeout: 30000 });
    execFileSync("openssl", ["rsa", "-in", priv, "-pubout", "-out", pub], { stdio: "pipe", timeout: 30000 });
    const publicPem = fs.readFileSync(pub, "utf8");
    assert.match(publicPem, /^-----BEGIN PUBLIC KEY-----/);
    keyPairs.push({ priv, publicPem });
  }
  return keyPairs[i];
}

/** echo -n "$CHALLENGE" | openssl dgst -sha256 -sign private.pem | base64 -w 0 */
function signChallenge(pair, challenge) {
  return execFileSync(
    "sh",
    ["-c", 'printf %s "$1" | openssl dgst -sha256 -sign "$2" | base64 -w 0', "sign", challenge, pair.priv],
    { encoding: "utf8", timeout: 30000 },
  );
}

// --- the server --------------------------------------------------------------------------

/**
 * Start agentgate on 127.0.0.1 with an ephemeral port and a fresh database file.
 * Resolves once it printed "agentgate listening on http://127.0.0.1:PORT".
 */
async function startServer(extraEnv = {}) {
  if (!fs.existsSync(BIN)) {
    throw new Error(`agentgate binary not found at ${BIN} (build it or set AGENTGATE_BIN)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentgate-conformance-mc-"));
  const env = { ...process.env, ...BASE_ENV, AGENTGATE_LOG: process.env.AGENTGATE_LOG || "warn", ...extraEnv };
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--database", path.join(dir, "agentgate.db")], {
    env,
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
      const m = /agentgate listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
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

  const clients = new Set();
  let registered = 0;
  const srv = {
    url,
    wsBase: url.replace(/^http:/, "ws:"),
    clients,

    /** A REST call; asserts the status and returns the JSON body. */
    async rest(method, p, body, key, status = 200) {
      const headers = {};
      if (key) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${url}${p}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      assert.equal(res.status, status, `${method} ${p} → HTTP ${res.status}: ${text}`);
      return json;
    },

    /** The signed registration flow with an openssl-made key pair; returns {agentId, apiKey, slug, name}. */
    async register(slug, name = slug[0].toUpperCase() + slug.slice(1)) {
      const pair = keyPair(registered++);
      const start = await srv.rest("POST", "/api/register", {
        name,
        public_key: pair.publicPem,
        soul: SOUL,
        skills: ["testing", "websockets"],
        site: { slug, title: `${name}'s site`, neighborhood: "laboratory" },
      });
      assert.match(start.challenge, /^[0-9a-f]{64}$/);
      const done = await srv.rest(
        "POST",
        "/api/register/verify",
        { pending_id: start.pending_id, signature: signChallenge(pair, start.challenge) },
        undefined,
        201,
      );
      assert.match(done.api_key, /^mc_[0-9a-f]{64}$/);
      assert.equal(done.slug, slug);
      return { agentId: done.agent_id, apiKey: done.api_key, slug, name };
    },

    /** A recorded MoltCitiesWebSocket for `agent` (not yet connected). */
    client(agent, opts = {}, label = agent.slug) {
      const c = new RecordedClient(srv, agent ? agent.apiKey : "", opts, label);
      clients.add(c);
      return c;
    },

    async stop() {
      for (const c of clients) c.client.disconnect();
      clients.clear();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const res = await Promise.race([exited, delay(5000).then(() => null)]);
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

/** Run `fn(server)` against a fresh server and always stop it. */
async function withServer(fn, extraEnv = {}) {
  const srv = await startServer(extraEnv);
  try {
    return await fn(srv);
  } finally {
    await srv.stop();
  }
}

// --- a MoltCitiesWebSocket whose callbacks are recorded -----------------------------------

/**
 * Wraps a MoltCitiesWebSocket and records every callback, in order, as {idx, kind, data}:
 * kinds are the callback names without "on" (Connect, Notification, Chat, Presence, Pong,
 * Subscribed, ServerError, Unknown, Disconnect, SocketError, ReconnectScheduled, GiveUp) plus
 * Ack for every ack the client sent.
 */
class RecordedClient {
  constructor(srv, apiKey, opts, label) {
    this.label = label;
    this.log = [];
    this.waiters = new Set();
    const rec = (kind) => (data) => this.push(kind, data);
    const handlers = {};
    for (const kind of [
      "Connect",
      "Notification",
      "Chat",
      "Presence",
      "Pong",
      "Subscribed",
      "ServerError",
      "Unknown",
      "Disconnect",
      "SocketError",
      "ReconnectScheduled",
      "GiveUp",
    ]) {
      handlers[`on${kind}`] = rec(kind);
    }
    this.client = new MoltCitiesWebSocket(apiKey, { baseUrl: srv.wsBase, ...handlers, ...opts });
    // Record the acks the client sends, without changing what it sends.
    const send = this.client.send.bind(this.client);
    this.client.send = (frame) => {
      const sent = send(frame);
      if (frame && frame.type === "ack") this.push("Ack", { ...frame, sent });
      return sent;
    };
  }

  push(kind, data) {
    const entry = { idx: this.log.length, kind, data: data instanceof Error ? data.message : data };
    this.log.push(entry);
    for (const w of [...this.waiters]) w(entry);
  }

  get length() {
    return this.log.length;
  }

  all(kind, pred = () => true, from = 0) {
    return this.log.filter((e) => e.idx >= from && e.kind === kind && pred(e.data)).map((e) => e.data);
  }

  summary(max = 40) {
    return this.log
      .slice(-max)
      .map((e) => `#${e.idx} ${e.kind} ${JSON.stringify(e.data).slice(0, 300)}`)
      .join("\n");
  }

  /** The first `kind` entry satisfying `pred` from index `from` on, waiting up to `ms`. */
  waitFor(kind, pred = () => true, { from = 0, ms = WAIT_MS, what } = {}) {
    const hit = this.log.find((e) => e.idx >= from && e.kind === kind && pred(e.data));
    if (hit) return Promise.resolve(hit.data);
    return new Promise((resolve, reject) => {
      const waiter = (e) => {
        if (e.idx >= from && e.kind === kind && pred(e.data)) {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(e.data);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`[${this.label}] no ${kind}${what ? ` (${what})` : ""} within ${ms} ms; log:\n${this.summary()}`));
      }, ms);
      this.waiters.add(waiter);
    });
  }

  /** Waits until `n` entries of `kind` (matching `pred`) exist from `from` on; returns them. */
  async waitCount(kind, n, pred = () => true, { from = 0, ms = WAIT_MS, what } = {}) {
    await until(() => this.all(kind, pred, from).length >= n, `${this.label}: ${n} x ${kind} ${what || ""}\n${this.summary()}`, ms);
    return this.all(kind, pred, from);
  }

  /** connect() and wait for its `connected` frame. */
  async connect() {
    const from = this.length;
    this.client.connect();
    return this.waitFor("Connect", () => true, { from, what: "connected frame" });
  }

  /** Sends a ping and waits for the pong (proves the frames sent before it were handled). */
  async ping() {
    const from = this.length;
    assert.ok(this.client.send({ type: "ping" }), `[${this.label}] socket not open`);
    return this.waitFor("Pong", () => true, { from, what: "pong" });
  }

  /** Asserts that no `kind` entry matching `pred` arrives from `from` on within `ms`. */
  async quiet(kind, pred, from, what, ms = QUIET_MS) {
    await delay(ms);
    const got = this.all(kind, pred, from);
    assert.equal(got.length, 0, `[${this.label}] unexpected ${what}: ${JSON.stringify(got)}\n${this.summary()}`);
  }
}

/** Wait until `cond()` is true, polling every 20 ms, at most `ms`. */
async function until(cond, what, ms = WAIT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(20);
  }
}

module.exports = {
  BIN,
  ISO_MS,
  NOTIF_ID,
  QUIET_MS,
  SHORT_IDLE_ENV,
  WAIT_MS,
  delay,
  startServer,
  until,
  withServer,
};
