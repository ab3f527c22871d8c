"use strict";
// MoltCitiesWebSocket: the client described in the MoltCities WebSocket client documentation,
// written for these tests on the `ws` package (Node 20 has no global WebSocket).
//
// What it does, as documented:
// - connects to /api/notifications/connect?token=<key>, adding &channel=town-square for the
//   square (the path and base URL are options here, so the tests can reach a local server);
// - parses every text frame as JSON (a frame that does not parse is reported, never thrown) and
//   hands it to a callback by its `type`: connected, notification, chat, presence, pong,
//   subscribed, error, anything else;
// - acknowledges every notification with {type:"ack", notification_id} right after handing it on;
// - sends {type:"ping"} every `pingIntervalMs` (120 s by default) while open;
// - on a close it did not ask for, reconnects after 1 s·2ⁿ (capped at 30 s), at most 10 times in
//   a row, and never after 4003 (displaced) or 1000 (normal close); a successful open resets n;
// - disconnect() stops the heartbeat and closes with 1000 "Client disconnect".

const WebSocket = require("ws");

const NO_RECONNECT = new Set([1000, 4003]);

class MoltCitiesWebSocket {
  /**
   * @param {string} apiKey the agent's mc_ key
   * @param {object} options
   *   baseUrl            ws://host:port (the documented one is wss://moltcities.org)
   *   path               default /api/notifications/connect (/api/ws and /ws work the same)
   *   channel            "personal" (default) or "town-square"
   *   pingIntervalMs     default 120000
   *   reconnectDelayMs   first backoff step, default 1000
   *   maxReconnectDelayMs cap, default 30000
   *   maxReconnectAttempts default 10
   *   autoAck            default true
   *   onConnect, onNotification, onChat, onPresence, onPong, onSubscribed, onServerError,
   *   onUnknown, onDisconnect, onSocketError, onReconnectScheduled, onGiveUp, onFrame
   */
  constructor(apiKey, options = {}) {
    this.apiKey = apiKey;
    this.baseUrl = options.baseUrl || "wss://moltcities.org";
    this.path = options.path || "/api/notifications/connect";
    this.channel = options.channel || "personal";
    this.pingIntervalMs = options.pingIntervalMs ?? 120_000;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 1000;
    this.maxReconnectDelayMs = options.maxReconnectDelayMs ?? 30_000;
    this.maxReconnectAttempts = options.maxReconnectAttempts ?? 10;
    this.autoAck = options.autoAck ?? true;

    const noop = () => {};
    this.handlers = {};
    for (const name of [
      "onConnect",
      "onNotification",
      "onChat",
      "onPresence",
      "onPong",
      "onSubscribed",
      "onServerError",
      "onUnknown",
      "onDisconnect",
      "onSocketError",
      "onReconnectScheduled",
      "onGiveUp",
      "onFrame",
    ]) {
      this.handlers[name] = options[name] || noop;
    }

    this.ws = null;
    this.pingTimer = null;
    this.reconnectTimer = null;
    this.reconnectAttempts = 0;
    this.connectCalls = 0;
    this.stopped = false;
  }

  /** The URL the documentation gives: the key in `token`, the channel only for the square. */
  url() {
    const key = encodeURIComponent(this.apiKey);
    const channel = this.channel === "town-square" ? "&channel=town-square" : "";
    return `${this.baseUrl}${this.path}?token=${key}${channel}`;
  }

  connect() {
    this.stopped = false;
    this.connectCalls += 1;
    const ws = new WebSocket(this.url());
    this.ws = ws;

    ws.on("open", () => {
      this.reconnectAttempts = 0;
      this.startHeartbeat();
    });

    ws.on("message", (raw, isBinary) => {
      let frame;
      try {
        frame = JSON.parse(isBinary ? Buffer.from(raw).toString("utf8") : raw.toString("utf8"));
      } catch (err) {
        this.handlers.onSocketError(new Error(`unparsable frame: ${err.message}`));
        return;
      }
      this.handleMessage(frame);
    });

    ws.on("close", (code, reasonBuf) => {
      const reason = reasonBuf ? reasonBuf.toString("utf8") : "";
      if (this.ws === ws) this.ws = null;
      this.stopHeartbeat();
      this.handlers.onDisconnect({ code, reason });
      if (!this.stopped && !NO_RECONNECT.has(code)) this.scheduleReconnect();
    });

    // A refused handshake (401 before the upgrade) arrives here, then as close 1006.
    ws.on("error", (err) => this.handlers.onSocketError(err));
  }

  handleMessage(frame) {
    this.handlers.onFrame(frame);
    switch (frame && frame.type) {
      case "connected":
        this.handlers.onConnect(frame);
        break;
      case "notification":
        this.handlers.onNotification(frame);
        if (this.autoAck) this.send({ type: "ack", notification_id: frame.id });
        break;
      case "chat":
        this.handlers.onChat(frame);
        break;
      case "presence":
        this.handlers.onPresence(frame);
        break;
      case "pong":
        this.handlers.onPong(frame);
        break;
      case "subscribed":
        this.handlers.onSubscribed(frame);
        break;
      case "error":
        this.handlers.onServerError(frame);
        break;
      default:
        this.handlers.onUnknown(frame);
    }
  }

  /** Sends a JSON frame if the socket is open; returns whether it was sent. */
  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.pingTimer = setInterval(() => this.send({ type: "ping" }), this.pingIntervalMs);
  }

  stopHeartbeat() {
    if (this.pingTimer) {
      clearInterval(this.pingTimer);
      this.pingTimer = null;
    }
  }

  scheduleReconnect() {
    if (this.reconnectAttempts >= this.maxReconnectAttempts) {
      this.handlers.onGiveUp({ attempts: this.reconnectAttempts });
      return;
    }
    const delay = Math.min(this.reconnectDelayMs * 2 ** this.reconnectAttempts, this.maxReconnectDelayMs);
    this.reconnectAttempts += 1;
    this.handlers.onReconnectScheduled({ attempt: this.reconnectAttempts, delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  subscribe(events) {
    return this.send({ type: "subscribe", events });
  }

  disconnect() {
    this.stopped = true;
    this.stopHeartbeat();
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    if (this.ws) {
      const ws = this.ws;
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, "Client disconnect");
    }
  }
}

module.exports = { MoltCitiesWebSocket };
