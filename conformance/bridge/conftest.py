"""Helpers for the agentgate bridge conformance tests: one agent on the MoChat wire
(claw REST + python-socketio), one on the MoltCities wire (REST + the `websockets` package),
talking to each other through the same server.

Every test starts its own agentgate on 127.0.0.1 with a fresh database and stops it at the
end. MoltCities agents register through the signed challenge flow with RSA keys made by the
`openssl` command line. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import aiohttp
import pytest
import socketio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pysupport"))
import agentgate_process  # noqa: E402  (the shared start and stop of the binary)
from agentgate_testing import KeyPair, KeyPool, bounded, make_keypair, now_ms, sign_challenge  # noqa: E402,F401

BIN = agentgate_process.BIN

WAIT_S = 4.0  # bound for any single wait (ack, push, frame, connect)
QUIET_S = 0.4  # how long "nothing else arrives" is watched
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
HEX24 = re.compile(r"^[0-9a-f]{24}$")
NOTIF_ID = re.compile(r"^notif_[A-Za-z0-9_-]{21}$")
MC_KEY = re.compile(r"^mc_[0-9a-f]{64}$")
TOWN_SQUARE = "6167656e7467617465000003"  # the MoChat `town-square` panel
SOUL = (
    "A conformance-test agent of the MoltCities wire that writes to a MoChat agent through "
    "agentgate: direct messages, the town square and mentions, then it reconnects."
)

# The environment every server gets; `chat_limit=False` leaves the chat rate limit at its default.


@pytest.fixture(scope="session")
def keys():
    pool = KeyPool()
    try:
        yield pool
    finally:
        pool.close()


# --- the two agents ---------------------------------------------------------------------------


@dataclass
class MoChatAgent:
    """Registered with `agents/selfRegister`."""

    id: str
    token: str
    username: str
    display_name: str


@dataclass
class CityAgent:
    """Registered with the MoltCities signed challenge flow."""

    id: str
    api_key: str
    slug: str
    name: str


class ApiError(AssertionError):
    pass


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


# --- the server -------------------------------------------------------------------------------


class Server:
    """A running agentgate plus clients for both wires."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, tmpdir: str, keys: KeyPool) -> None:
        self.proc = proc
        self.url = url
        self.ws_base = url.replace("http://", "ws://", 1)
        self.tmpdir = tmpdir
        self.keys = keys
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        self.clients: list[socketio.AsyncClient] = []
        self.sockets: list[Sock] = []
        self.drainer: asyncio.Future | None = None
        self._registered = 0

    # MoChat claw REST

    async def claw_raw(self, verb: str, body: dict | None, token: str | None = None) -> Reply:
        headers = {"content-type": "application/json"}
        if token:
            headers["X-Claw-Token"] = token
        async with self.http.post(f"{self.url}/api/claw/{verb}", json=body or {}, headers=headers) as res:
            return Reply(res.status, await res.json(), dict(res.headers))

    async def claw(self, verb: str, body: dict | None = None, token: str | None = None) -> Any:
        r = await self.claw_raw(verb, body, token)
        if r.status != 200 or r.body.get("success") is not True or r.body.get("code") != 200:
            raise ApiError(f"POST /api/claw/{verb} {body} -> HTTP {r.status}: {r.body}")
        return r.body["data"]

    async def mochat_register(self, username: str) -> MoChatAgent:
        data = await self.claw("agents/selfRegister", {"username": username})
        assert data["token"].startswith("claw_"), data
        assert HEX24.match(data["botUserId"]), data
        assert data["username"] == username, data
        return MoChatAgent(data["botUserId"], data["token"], username, data["displayName"])

    # MoltCities REST

    async def mc_raw(self, method: str, path: str, body: Any = None, key: str | None = None) -> Reply:
        headers = {}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        async with self.http.request(method, f"{self.url}{path}", **kwargs) as res:
            text = await res.text()
            try:
                js: Any = json.loads(text)
            except ValueError:
                js = text
            return Reply(res.status, js, dict(res.headers))

    async def mc(self, method: str, path: str, body: Any = None, key: str | None = None, status: int = 200) -> Any:
        r = await self.mc_raw(method, path, body, key)
        if r.status != status:
            raise ApiError(f"{method} {path} {body} -> HTTP {r.status} (expected {status}): {r.body}")
        return r.body

    async def city_register(self, slug: str, name: str) -> CityAgent:
        """The signed registration flow with a key pair made by openssl."""
        pair = self.keys.get(self._registered)
        self._registered += 1
        start = await self.mc(
            "POST",
            "/api/register",
            {
                "name": name,
                "public_key": pair.public_pem,
                "soul": SOUL,
                "skills": ["testing", "bridging"],
                "site": {"slug": slug, "title": f"{name}'s site", "neighborhood": "downtown"},
            },
        )
        assert re.fullmatch(r"[0-9a-f]{64}", start["challenge"]), start
        assert start["site_reserved"]["slug"] == slug, start
        done = await self.mc(
            "POST",
            "/api/register/verify",
            {"pending_id": start["pending_id"], "signature": sign_challenge(pair, start["challenge"])},
            status=201,
        )
        assert MC_KEY.match(done["api_key"]), done
        assert done["slug"] == slug and done["name"] == name, done
        return CityAgent(done["agent_id"], done["api_key"], slug, name)

    # Socket.IO (websocket transport, as the real MoChat clients connect)

    async def sio(self, token: str, serializer: str, label: str) -> "Conn":
        sio = socketio.AsyncClient(serializer=serializer, reconnection=False)
        conn = Conn(sio, label)
        self.clients.append(sio)
        await asyncio.wait_for(
            sio.connect(
                self.url,
                auth={"token": token},
                transports=["websocket"],
                socketio_path="socket.io",
                wait_timeout=WAIT_S,
            ),
            WAIT_S + 1,
        )
        assert sio.transport() == "websocket"
        return conn

    # MoltCities WebSocket

    async def ws(self, key: str, label: str, channel: str | None = None) -> "Sock":
        """Opens `/api/notifications/connect?token=…[&channel=…]` and waits for `connected`."""
        query = f"token={key}" + (f"&channel={channel}" if channel else "")
        sock = await Sock.open(f"{self.ws_base}/api/notifications/connect?{query}", label)
        self.sockets.append(sock)
        await sock.wait_for(lambda f: isinstance(f, dict) and f.get("type") == "connected", what="connected")
        return sock

    async def stop(self) -> None:
        for s in self.sockets:
            await s.close()
        for sio in self.clients:
            try:
                await asyncio.wait_for(sio.disconnect(), 2)
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        await self.http.close()
        await agentgate_process.stop(self.proc, self.tmpdir, self.drainer)


async def start_server(keys: KeyPool, chat_limit: bool = False) -> Server:
    """Starts agentgate; without `chat_limit` the town-square limit is off (0 s)."""
    p = await agentgate_process.start("agentgate-conformance-bridge-", {"AGENTGATE_CHAT_RATE_LIMIT_SECS": "10" if chat_limit else "0"})
    srv = Server(p.proc, p.url, p.tmpdir, keys)
    srv.drainer = p.drainer
    return srv


@pytest.fixture
async def server(keys):
    """A server with the chat rate limit off."""
    srv = await start_server(keys)
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def limited_server(keys):
    """A server with the default chat rate limit (one town-square post per agent per 10 s)."""
    srv = await start_server(keys, chat_limit=True)
    try:
        yield srv
    finally:
        await srv.stop()


# --- a recording Socket.IO client -------------------------------------------------------------


class Conn:
    """A python-socketio AsyncClient that records everything it receives, in order."""

    def __init__(self, sio: socketio.AsyncClient, label: str) -> None:
        self.sio = sio
        self.label = label
        self.log: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()

        @sio.on("*")
        async def _any(event: str, *args: Any) -> None:
            await self._push(event, args[0] if args else None)

        @sio.event
        async def connect_error(data: Any = None) -> None:
            await self._push("$connect_error", data)

        @sio.event
        async def disconnect(reason: Any = None) -> None:
            await self._push("$disconnect", reason)

    async def _push(self, event: str, data: Any) -> None:
        async with self._changed:
            self.log.append((event, data))
            self._changed.notify_all()

    def all(self, event: str, pred: Callable[[Any], bool] = lambda d: True, start: int = 0) -> list[Any]:
        return [d for (e, d) in self.log[start:] if e == event and pred(d)]

    def summary(self) -> str:
        return "\n".join(f"#{i} {e} {str(d)[:300]}" for i, (e, d) in enumerate(self.log[-40:]))

    async def wait_for(self, event: str, pred: Callable[[Any], bool] = lambda d: True, what: str = "") -> Any:
        def find() -> Any:
            for e, d in self.log:
                if e == event and pred(d):
                    return (d,)
            return None

        async def wait() -> Any:
            async with self._changed:
                hit = await self._changed.wait_for(find)
                return hit[0]

        try:
            return await asyncio.wait_for(wait(), WAIT_S)
        except asyncio.TimeoutError:
            raise AssertionError(f"[{self.label}] no '{event}' {what} within {WAIT_S}s; received:\n{self.summary()}") from None

    async def call(self, event: str, data: Any) -> Any:
        resp = await self.sio.call(event, data, timeout=WAIT_S)
        await self._push(f"$ack:{event}", resp)
        return resp

    async def disconnect(self) -> None:
        await asyncio.wait_for(self.sio.disconnect(), WAIT_S)


# --- a recording WebSocket client -------------------------------------------------------------


class Sock:
    """A `websockets` client connection that records every frame it receives, in order."""

    def __init__(self, conn: ClientConnection, label: str) -> None:
        self.conn = conn
        self.label = label
        self.frames: list[Any] = []
        self.closed = asyncio.Event()
        self._changed = asyncio.Condition()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, url: str, label: str) -> "Sock":
        conn = await asyncio.wait_for(connect(url, open_timeout=WAIT_S, max_size=2**20), WAIT_S + 1)
        return cls(conn, label)

    async def _read(self) -> None:
        try:
            async for msg in self.conn:
                frame = json.loads(msg) if isinstance(msg, str) else {"$binary": bytes(msg)}
                async with self._changed:
                    self.frames.append(frame)
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._changed:
                self.closed.set()
                self._changed.notify_all()

    def __len__(self) -> int:
        return len(self.frames)

    def summary(self) -> str:
        lines = [f"#{i} {json.dumps(f)[:300]}" for i, f in enumerate(self.frames[-40:])]
        if self.closed.is_set():
            lines.append(f"(closed {self.conn.close_code} {self.conn.close_reason!r})")
        return "\n".join(lines)

    def of_type(self, type_: str) -> list[dict]:
        return [f for f in self.frames if isinstance(f, dict) and f.get("type") == type_]

    async def wait_for(self, pred: Callable[[Any], bool], start: int = 0, what: str = "") -> Any:
        def find() -> Any:
            for f in self.frames[start:]:
                if pred(f):
                    return (f,)
            return None

        async def wait() -> Any:
            async with self._changed:
                hit = await self._changed.wait_for(lambda: find() or self.closed.is_set())
                if hit is True:
                    hit = find()
                if not hit:
                    raise AssertionError(f"[{self.label}] closed before {what}:\n{self.summary()}")
                return hit[0]

        try:
            return await asyncio.wait_for(wait(), WAIT_S)
        except asyncio.TimeoutError:
            raise AssertionError(f"[{self.label}] no {what or 'matching frame'} within {WAIT_S}s:\n{self.summary()}") from None

    async def send(self, frame: Any) -> None:
        await self.conn.send(json.dumps(frame))

    async def ping(self) -> dict:
        """`{"type":"ping"}` → `pong`. On the personal channel acks are handled in order and
        awaited, so a pong after acks proves they are stored."""
        start = len(self.frames)
        await self.send({"type": "ping"})
        return await self.wait_for(lambda f: isinstance(f, dict) and f.get("type") == "pong", start, "pong")

    async def close(self) -> None:
        if not self.closed.is_set():
            try:
                await asyncio.wait_for(self.conn.close(), 3)
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        try:
            await asyncio.wait_for(self._reader, 3)
        except Exception:  # noqa: BLE001
            self._reader.cancel()
