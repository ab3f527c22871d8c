"use strict";
// Shared helpers for the agentgate Socket.IO conformance tests (socket.io-client 4.8.x).
// Every wait here is bounded; nothing retries forever.

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { io } = require("socket.io-client");
const msgpackParser = require("socket.io-msgpack-parser");

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const BIN = process.env.AGENTGATE_BIN || path.join(REPO_ROOT, "target", "debug", "agentgate");

/** Default bound for any single wait (ack, push, connect), in ms. */
const WAIT_MS = 4000;
/** How long "nothing else arrives" is watched after a positive sentinel arrived. */
const QUIET_MS = 300;

/** The three client configurations every flow runs under. */
const CONFIGS = [
  {
    name: "polling+upgrade/json",
    opts: {},
    expectUpgrade: true,
  },
  {
    name: "websocket/json",
    opts: { transports: ["websocket"] },
    expectUpgrade: false,
  },
  {
    name: "websocket/msgpack",
    opts: { transports: ["websocket"], parser: msgpackParser },
    expectUpgrade: false,
  },
];

// Servers started here die with this process, however it ends.
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

/**
 * Start agentgate on 127.0.0.1 with an ephemeral port and a fresh database file.
 * Resolves once it printed "agentgate listening on http://127.0.0.1:PORT".
 */
async function startServer(extraEnv = {}) {
  if (!fs.existsSync(BIN)) {
    throw new Error(`agentgate binary not found at ${BIN} (build it or set AGENTGATE_BIN)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentgate-conformance-"));
  const db = path.join(dir, "agentgate.db");
  const env = {
    ...process.env,
    AGENTGATE_RATE_LIMIT_PER_MIN: "0",
    AGENTGATE_AUTH_FAILURES_PER_WINDOW: "0",
    AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR: "0",
    AGENTGATE_CHAT_RATE_LIMIT_SECS: "0",
    AGENTGATE_LOG: process.env.AGENTGATE_LOG || "warn",
    ...extraEnv,
  };
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--database", db], {
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

  const sockets = new Set();
  return {
    url,
    sockets,
    stderr: () => stderrTail.join(""),
    async stop() {
      for (const s of sockets) s.disconnect();
      sockets.clear();
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

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** POST /api/claw/<verb>; asserts the success envelope and returns `data`. */
async function api(srv, verb, body, token) {
  const { status, json } = await rawApi(srv, verb, body, token);
  assert.equal(status, 200, `${verb} → HTTP ${status}: ${JSON.stringify(json)}`);
  assert.equal(json.success, true, `${verb} success: ${JSON.stringify(json)}`);
  assert.equal(json.code, 200, `${verb} code: ${JSON.stringify(json)}`);
  return json.data;
}

async function rawApi(srv, verb, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers["X-Claw-Token"] = token;
  const res = await fetch(`${srv.url}/api/claw/${verb}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body ?? {}),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, json: await res.json() };
}

async function health(srv) {
  const res = await fetch(`${srv.url}/health`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return res.json();
}

/** Register an agent; returns {token, botUserId, groupId, username}. */
async function register(srv, username) {
  const data = await api(srv, "agents/selfRegister", { username });
  assert.match(data.token, /^claw_/);
  assert.match(data.botUserId, /^[0-9a-f]{24}$/);
  assert.equal(data.username, username);
  return data;
}

/** Create a session as `creator` with the other participants; returns the session object. */
async function createSession(srv, creator, others, extra = {}) {
  const data = await api(srv, "sessions/create", { participants: others.map((a) => a.botUserId), ...extra }, creator.token);
  assert.match(data.sessionId, /^session_[0-9a-f]{24}$/);
  return data;
}

/** Send a session message; returns the stored message (REST shape). */
async function sendSession(srv, sender, sessionId, content, extra = {}) {
  const data = await api(srv, "sessions/send", { sessionId, content, ...extra }, sender.token);
  assert.equal(data.message.content, content);
  return data.message;
}

async function sendPanel(srv, sender, panelId, content) {
  const data = await api(srv, "groups/panels/send", { panelId, content }, sender.token);
  assert.equal(data.message.content, content);
  return data.message;
}

/** The caller's text panels (type 0) from groups/get, as {byName, ids, groupId}. */
async function textPanels(srv, agent) {
  const data = await api(srv, "groups/get", {}, agent.token);
  const text = data.panels.filter((p) => p.type === 0);
  const byName = Object.fromEntries(text.map((p) => [p.name, p]));
  assert.ok(byName.general, "default group has a text panel 'general'");
  assert.ok(byName["town-square"], "default group has a text panel 'town-square'");
  return { byName, ids: text.map((p) => p.id), groupId: data.id ?? data.groupId };
}

/**
 * Records everything a socket receives, in arrival order, including acks (recorded
 * synchronously in the ack callback so their position relative to pushes is exact).
 */
class Recorder {
  constructor(socket, label) {
    this.label = label;
    this.log = [];
    this.waiters = new Set();
    socket.onAny((event, ...args) => this.push(event, args[0], args));
    socket.on("connect", () => this.push("$connect", socket.id));
    socket.on("disconnect", (reason) => this.push("$disconnect", reason));
    socket.on("connect_error", (err) => this.push("$connect_error", err && err.message));
  }

  push(event, data, args) {
    const entry = { idx: this.log.length, event, data, args };
    this.log.push(entry);
    for (const w of [...this.waiters]) w(entry);
  }

  get length() {
    return this.log.length;
  }

  /** Entries with `event` (and `pred`) from index `from` on. */
  all(event, pred = () => true, from = 0) {
    return this.log.filter((e) => e.idx >= from && e.event === event && pred(e.data));
  }

  summary(max = 40) {
    return this.log
      .slice(-max)
      .map((e) => `#${e.idx} ${e.event} ${truncate(JSON.stringify(e.data), 300)}`)
      .join("\n");
  }

  /** First entry with `event` satisfying `pred` (index >= from), waiting up to `ms`. */
  waitFor(event, pred = () => true, { ms = WAIT_MS, from = 0, what } = {}) {
    const hit = this.log.find((e) => e.idx >= from && e.event === event && pred(e.data));
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const waiter = (e) => {
        if (e.idx >= from && e.event === event && pred(e.data)) {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(e);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `[${this.label}] no '${event}'${what ? ` (${what})` : ""} within ${ms} ms; received:\n${this.summary()}`,
          ),
        );
      }, ms);
      this.waiters.add(waiter);
    });
  }
}

function truncate(s, n) {
  if (s === undefined) return "undefined";
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * Open a socket for `token` under `cfg`. Resolves {socket, rec} on `connect`; rejects on
 * connect_error or after `ms`. Reconnection is off unless `extra` turns it on.
 */
function connect(srv, token, cfg, label = "socket", extra = {}) {
  const socket = io(srv.url, {
    path: "/socket.io",
    auth: { token },
    forceNew: true,
    reconnection: false,
    timeout: WAIT_MS,
    ...cfg.opts,
    ...extra,
  });
  srv.sockets.add(socket);
  const rec = new Recorder(socket, `${label} ${cfg.name}`);
  const firstTransport = { name: null };
  socket.io.on("open", () => {
    if (firstTransport.name === null) firstTransport.name = socket.io.engine.transport.name;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      socket.disconnect();
      reject(new Error(`[${label} ${cfg.name}] no connect within ${WAIT_MS} ms:\n${rec.summary()}`));
    }, WAIT_MS + 500);
    const onConnect = () => {
      cleanup();
      resolve({ socket, rec, firstTransport });
    };
    const onError = (err) => {
      cleanup();
      socket.disconnect();
      reject(Object.assign(new Error(`[${label} ${cfg.name}] connect_error: ${err && err.message}`), { cause: err }));
    };
    function cleanup() {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    }
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/**
 * Open a socket expected to be refused. Resolves with the connect_error Error; rejects
 * if it connects or nothing happens within the bound.
 */
function connectExpectError(srv, token, cfg, extra = {}) {
  const opts = { path: "/socket.io", forceNew: true, reconnection: false, timeout: WAIT_MS, ...cfg.opts, ...extra };
  if (token !== undefined) opts.auth = { token };
  const socket = io(srv.url, opts);
  srv.sockets.add(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.disconnect();
      reject(new Error(`[${cfg.name}] neither connect nor connect_error within ${WAIT_MS} ms`));
    }, WAIT_MS + 500);
    socket.on("connect", () => {
      clearTimeout(timer);
      socket.disconnect();
      reject(new Error(`[${cfg.name}] connected although the token is bad`));
    });
    socket.on("connect_error", (err) => {
      clearTimeout(timer);
      // Give the client a moment to show whether it retries on its own (it must not).
      resolve({ err, socket });
    });
  });
}

/**
 * Emit with an ack; resolves {resp, entry} where `entry` is the recorder entry of the ack
 * (so its index can be compared with pushes). Rejects if no ack within `ms`.
 */
function emitAck(conn, event, payload, ms = WAIT_MS) {
  const { socket, rec } = conn;
  return new Promise((resolve, reject) => {
    socket.timeout(ms).emit(event, payload, (err, resp) => {
      if (err) {
        reject(new Error(`[${rec.label}] no ack for '${event}' ${JSON.stringify(payload)} within ${ms} ms:\n${rec.summary()}`));
        return;
      }
      rec.push(`$ack:${event}`, resp, [resp]);
      resolve({ resp, entry: rec.log[rec.log.length - 1] });
    });
  });
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

/** For the polling+upgrade configuration: the engine started on polling and upgraded to websocket. */
async function assertUpgraded(conn) {
  assert.equal(conn.firstTransport.name, "polling", "default transports open with HTTP long-polling");
  await until(() => conn.socket.io.engine && conn.socket.io.engine.transport.name === "websocket", "upgrade to websocket");
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

module.exports = {
  BIN,
  CONFIGS,
  ISO_MS,
  QUIET_MS,
  WAIT_MS,
  api,
  assertUpgraded,
  connect,
  connectExpectError,
  createSession,
  delay,
  emitAck,
  health,
  rawApi,
  register,
  sendPanel,
  sendSession,
  startServer,
  textPanels,
  until,
  withServer,
};
