// The reference peer of agentgate's load generator (scenarios 2 and 3): the same relay done by a
// minimal socket.io 4.8 server, so both can be measured by one client in one run.
//
//   node server.js [--port N] [--parser json|msgpack]
//
// - Socket.IO at /socket.io/ (WebSocket or polling, one parser per process as socket.io
//   requires). Any CONNECT is accepted; no authentication, no rooms, no persistence.
// - POST /post {"content": "..."} emits `chat` {content} to every connected socket, then answers
//   200 {"ok":true,"sockets":N}. This mirrors agentgate's town square, minus the durable write.
// - GET /health answers {"status":"ok","sockets":N}.
//
// It listens on 127.0.0.1 only and prints "reference listening on http://127.0.0.1:PORT".
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg("port", "0"));
const parserName = arg("parser", "json");
const options = {
  // The same heartbeat and payload limits agentgate uses by default.
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
};
if (parserName === "msgpack") {
  options.parser = require("socket.io-msgpack-parser");
} else if (parserName !== "json") {
  console.error(`unknown parser ${parserName}`);
  process.exit(2);
}

const MAX_BODY = 1 << 20;

const httpServer = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", sockets: io.engine.clientsCount }));
    return;
  }
  if (req.method === "POST" && req.url === "/post") {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch (e) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "invalid JSON" }));
        return;
      }
      if (typeof body.content !== "string" || body.content.length === 0) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "content must be a non-empty string" }));
        return;
      }
      io.emit("chat", { content: body.content });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, sockets: io.engine.clientsCount }));
    });
    return;
  }
  // socket.io handles its own path; everything else is 404.
  if (!req.url.startsWith("/socket.io/")) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "not found" }));
  }
});

const io = new Server(httpServer, options);

httpServer.listen(port, "127.0.0.1", () => {
  const { port: bound } = httpServer.address();
  console.log(`reference listening on http://127.0.0.1:${bound}`);
});

function stop() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
