"use strict";
// A throw-away CA and a certificate for 127.0.0.1 / localhost signed by it, made by the openssl
// command line, for the suites that run agentgate with its own TLS (both Node suites use it).

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** Returns the server's environment (AGENTGATE_TLS_CERT / _KEY) and the CA to trust. */
function makeCerts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentgate-tls-"));
  const run = (args) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe", timeout: 30000 });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=agentgate test CA"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "req.csr", "-subj", "/CN=localhost"]);
  fs.writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  run(["x509", "-req", "-in", "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf"]);
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    env: { AGENTGATE_TLS_CERT: path.join(dir, "cert.pem"), AGENTGATE_TLS_KEY: path.join(dir, "key.pem") },
    ca: fs.readFileSync(path.join(dir, "ca.pem")),
  };
}

module.exports = { makeCerts };
