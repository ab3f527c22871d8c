"use strict";
// socket.io-client over wss:// (and polling over https://) against agentgate's own TLS, with a
// certificate made at test time by the openssl command line and the test CA passed as `ca`:
// verification stays on.

const { test } = require("node:test");
const assert = require("node:assert/strict");
const https = require("node:https");
const h = require("../lib/helpers");
const { makeCerts } = require("../../test-ca");

/** POST /api/claw/<verb> over HTTPS trusting only `ca`; resolves to { status, json }. */
function post(url, verb, body, ca) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${url}/api/claw/${verb}`,
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
    req.end(JSON.stringify(body));
  });
}

const certs = makeCerts();

for (const cfg of h.CONFIGS.slice(0, 2)) {
  test(`socket.io-client connects over TLS with the CA passed [${cfg.name}]`, { timeout: 30000 }, () =>
    h.withServer(async (srv) => {
      assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const { status, json } = await post(srv.url, "agents/selfRegister", { username: "tls_alice" }, certs.ca);
      assert.equal(status, 200, JSON.stringify(json));
      assert.match(json.data.token, /^claw_/);
      const conn = await h.connect(srv, json.data.token, cfg, "tls", { ca: certs.ca });
      assert.equal(conn.firstTransport.name, cfg.expectUpgrade ? "polling" : "websocket");
      const { resp } = await h.emitAck(conn, "session:subscribe", { sessionId: "*" });
      assert.deepEqual(resp, { result: true, success: true });
      if (cfg.expectUpgrade) await h.assertUpgraded(conn);
      assert.equal(conn.socket.io.engine.transport.name, "websocket");
      conn.socket.disconnect();
    }, certs.env),
  );
}

test("a client that does not trust the CA is refused", { timeout: 30000 }, () =>
  h.withServer(async (srv) => {
    await assert.rejects(post(srv.url, "agents/selfRegister", { username: "tls_bob" }, undefined), (e) => {
      assert.match(e.code, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
      return true;
    });
  }, certs.env),
);
