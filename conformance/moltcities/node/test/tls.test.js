"use strict";
// The MoltCities personal channel over wss:// with the `ws` client, against agentgate's own
// TLS: a certificate made at test time by the openssl command line, the test CA passed as `ca`.

const { test } = require("node:test");
const assert = require("node:assert/strict");
const https = require("node:https");
const WebSocket = require("ws");
const h = require("../lib/helpers");
const { makeCerts } = require("../../../test-ca");

/** Registers a MoChat agent over HTTPS (its token works on the MoltCities wire too). */
function register(url, username, ca) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${url}/api/claw/agents/selfRegister`,
      { method: "POST", ca, agent: false, headers: { "content-type": "application/json" }, timeout: 5000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode, json: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.end(JSON.stringify({ username }));
  });
}

const certs = makeCerts();

test("wss:// personal channel with the CA passed: welcome, ping/pong, clean close", { timeout: 30000 }, () =>
  h.withServer(async (srv) => {
    assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const { status, json } = await register(srv.url, "tls_mc", certs.ca);
    assert.equal(status, 200, JSON.stringify(json));
    const wssUrl = `${srv.url.replace(/^https:/, "wss:")}/ws?token=${json.data.token}`;
    const ws = new WebSocket(wssUrl, { ca: certs.ca });
    const first = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no welcome within 4 s")), h.WAIT_MS);
      ws.once("message", (data) => {
        clearTimeout(timer);
        resolve(JSON.parse(data.toString()));
      });
      ws.once("error", reject);
    });
    assert.equal(typeof first.agent_id, "string");
    assert.ok(first.agent_id.length > 0, JSON.stringify(first));
    const pong = new Promise((resolve) => ws.once("pong", (data) => resolve(data.toString())));
    ws.ping("tls-ping");
    assert.equal(await pong, "tls-ping");
    const closed = new Promise((resolve) => ws.once("close", (code) => resolve(code)));
    ws.close(1000);
    assert.equal(await closed, 1000);
  }, certs.env),
);

test("wss:// without trusting the CA fails the handshake", { timeout: 30000 }, () =>
  h.withServer(async (srv) => {
    const ws = new WebSocket(`${srv.url.replace(/^https:/, "wss:")}/ws?token=x`);
    const err = await new Promise((resolve) => ws.once("error", resolve));
    assert.match(err.code, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  }, certs.env),
);
