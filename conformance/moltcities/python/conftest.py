"""Helpers for the MoltCities WebSocket conformance tests (the `websockets` package).

Every test starts its own agentgate on 127.0.0.1 with a fresh database and stops it at the
end. Agents register through the signed challenge flow with RSA keys made by the `openssl`
command line. Every wait is bounded.
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
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pysupport"))
import agentgate_process  # noqa: E402  (the shared start and stop of the binary)
from agentgate_testing import KeyPair, KeyPool, bounded, make_keypair, now_ms, sign_challenge  # noqa: E402,F401

BIN = agentgate_process.BIN

WAIT_S = 4.0  # bound for any single wait (frame, close, connect)
QUIET_S = 0.4  # how long "nothing else arrives" is watched
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
NOTIF_ID = re.compile(r"^notif_[A-Za-z0-9_-]{21}$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MC_KEY = re.compile(r"^mc_[0-9a-f]{64}$")
WS_PATHS = ["/api/notifications/connect", "/api/ws", "/ws"]
SOUL = (
    "A conformance-test agent that exists to exercise the MoltCities WebSocket channels: it "
    "reads its notifications, pings, acknowledges and watches the town square."
)

# The environment every server gets; tests add to it (e.g. the idle timeout).
SHORT_IDLE_ENV = {"AGENTGATE_WS_IDLE_TIMEOUT_SECS": "2", "AGENTGATE_WS_IDLE_CHECK_SECS": "1"}


@pytest.fixture(scope="session")
def keys():
    pool = KeyPool()
    try:
        yield pool
    finally:
        pool.close()


# --- the server and its REST API ---------------------------------------------------------------


@dataclass
class Agent:
    agent_id: str
    api_key: str
    slug: str
    name: str


class Rest(AssertionError):
    pass


class Server:
    """A running agentgate plus a REST client and WebSocket opener for it."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, tmpdir: str, keys: KeyPool) -> None:
        self.proc = proc
        self.url = url
        self.ws_base = url.replace("http://", "ws://", 1)
        self.tmpdir = tmpdir
        self.keys = keys
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        self.sockets: list[Sock] = []
        self.drainer: asyncio.Future | None = None
        self._registered = 0

    async def raw(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
        headers = {}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        async with self.http.request(method, f"{self.url}{path}", **kwargs) as res:
            text = await res.text()
            try:
                return res.status, json.loads(text)
            except ValueError:
                return res.status, text

    async def rest(self, method: str, path: str, body: Any = None, key: str | None = None, status: int = 200) -> Any:
        got, js = await self.raw(method, path, body, key)
        if got != status:
            raise Rest(f"{method} {path} -> HTTP {got} (expected {status}): {js}")
        return js

    async def register(self, slug: str, name: str | None = None) -> Agent:
        """The signed registration flow with a key pair made by openssl; returns the mc_ key."""
        name = name or slug.capitalize()
        pair = self.keys.get(self._registered)
        self._registered += 1
        start = await self.rest(
            "POST",
            "/api/register",
            {
                "name": name,
                "public_key": pair.public_pem,
                "soul": SOUL,
                "skills": ["testing", "websockets"],
                "site": {"slug": slug, "title": f"{name}'s site", "neighborhood": "laboratory"},
            },
        )
        assert re.fullmatch(r"[0-9a-f]{64}", start["challenge"]), start
        assert start["site_reserved"]["slug"] == slug
        done = await self.rest(
            "POST",
            "/api/register/verify",
            {"pending_id": start["pending_id"], "signature": sign_challenge(pair, start["challenge"])},
            status=201,
        )
        assert MC_KEY.match(done["api_key"]), done
        assert done["slug"] == slug and done["name"] == name
        return Agent(done["agent_id"], done["api_key"], slug, name)

    async def notifications(self, agent: Agent, **query: Any) -> dict:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        return await self.rest("GET", f"/api/notifications{'?' + qs if qs else ''}", key=agent.api_key)

    def ws_url(self, path: str = "/api/notifications/connect", query: str = "") -> str:
        return f"{self.ws_base}{path}{'?' + query if query else ''}"

    async def open(
        self,
        agent: Agent | None,
        *,
        channel: str | None = None,
        path: str = "/api/notifications/connect",
        param: str = "token",
        label: str | None = None,
    ) -> "Sock":
        """Opens a socket and waits for its `connected` frame."""
        query = []
        if agent is not None:
            query.append(f"{param}={agent.api_key}")
        if channel is not None:
            query.append(f"channel={channel}")
        sock = await Sock.open(self.ws_url(path, "&".join(query)), label or (agent.slug if agent else "anon"))
        self.sockets.append(sock)
        await sock.wait_for(lambda f: f.get("type") == "connected", what="connected")
        return sock

    async def stop(self) -> None:
        for s in self.sockets:
            await s.close()
        await self.http.close()
        await agentgate_process.stop(self.proc, self.tmpdir, self.drainer)


async def start_server(keys: KeyPool, extra_env: dict[str, str] | None = None) -> Server:
    p = await agentgate_process.start("agentgate-conformance-mc-", extra_env)
    srv = Server(p.proc, p.url, p.tmpdir, keys)
    srv.drainer = p.drainer
    return srv


@pytest.fixture
async def server(keys):
    srv = await start_server(keys)
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def idle_server(keys):
    """A server that closes sockets idle for 2 s, checking every second."""
    srv = await start_server(keys, SHORT_IDLE_ENV)
    try:
        yield srv
    finally:
        await srv.stop()


# --- a recording WebSocket client --------------------------------------------------------------


class Sock:
    """A `websockets` client connection that records every frame it receives, in order, and the
    close code and reason the server sent."""

    def __init__(self, conn: ClientConnection, label: str) -> None:
        self.conn = conn
        self.label = label
        self.frames: list[Any] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.closed = asyncio.Event()
        self._changed = asyncio.Condition()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, url: str, label: str) -> "Sock":
        # No library keepalive: the idle-timeout tests decide themselves when frames are sent.
        conn = await asyncio.wait_for(connect(url, ping_interval=None, open_timeout=WAIT_S, max_size=2**20), WAIT_S + 1)
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
            self.close_code = self.conn.close_code
            self.close_reason = self.conn.close_reason
            async with self._changed:
                self.closed.set()
                self._changed.notify_all()

    def __len__(self) -> int:
        return len(self.frames)

    def summary(self) -> str:
        lines = [f"#{i} {json.dumps(f)[:300]}" for i, f in enumerate(self.frames[-40:])]
        if self.closed.is_set():
            lines.append(f"(closed {self.close_code} {self.close_reason!r})")
        return "\n".join(lines)

    def all(self, pred: Callable[[Any], bool] = lambda f: True, start: int = 0) -> list[Any]:
        return [f for f in self.frames[start:] if pred(f)]

    def of_type(self, type_: str, start: int = 0) -> list[dict]:
        return self.all(lambda f: isinstance(f, dict) and f.get("type") == type_, start)

    async def wait_for(
        self, pred: Callable[[Any], bool], start: int = 0, what: str = "", timeout: float = WAIT_S
    ) -> Any:
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
            return await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"[{self.label}] no {what or 'matching frame'} within {timeout}s:\n{self.summary()}") from None

    async def wait_type(self, type_: str, start: int = 0, timeout: float = WAIT_S, **fields: Any) -> dict:
        def pred(f: Any) -> bool:
            return isinstance(f, dict) and f.get("type") == type_ and all(f.get(k) == v for k, v in fields.items())

        return await self.wait_for(pred, start, what=f"'{type_}' {fields or ''}", timeout=timeout)

    async def wait_count(self, pred: Callable[[Any], bool], n: int, start: int = 0, what: str = "") -> list[Any]:
        await self.wait_for(lambda _f: len(self.all(pred, start)) >= n, start, what=f"{n} x {what}")
        return self.all(pred, start)

    async def wait_closed(self, timeout: float = WAIT_S) -> tuple[int | None, str | None]:
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"[{self.label}] still open after {timeout}s:\n{self.summary()}") from None
        return self.close_code, self.close_reason

    async def send(self, frame: Any) -> None:
        await self.conn.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def ping(self) -> dict:
        """Sends `{"type":"ping"}` and returns the `pong`; every frame received before the pong
        was sent by the server before it handled the ping."""
        start = len(self.frames)
        await self.send({"type": "ping"})
        return await self.wait_type("pong", start)

    async def quiet(self, pred: Callable[[Any], bool], start: int, what: str, secs: float = QUIET_S) -> None:
        """Asserts that no frame matching `pred` arrives from index `start` on within `secs`."""
        await asyncio.sleep(secs)
        got = self.all(pred, start)
        assert not got, f"[{self.label}] unexpected {what}: {got}\n{self.summary()}"

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if not self.closed.is_set():
            try:
                await asyncio.wait_for(self.conn.close(code, reason), 3)
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        try:
            await asyncio.wait_for(self._reader, 3)
        except Exception:  # noqa: BLE001
            self._reader.cancel()


async def open_refused(url: str, headers: dict | None = None) -> tuple[int, str, dict]:
    """Tries a WebSocket handshake expected to be refused; returns (status, body, headers)."""
    try:
        conn = await asyncio.wait_for(connect(url, ping_interval=None, open_timeout=WAIT_S, additional_headers=headers), WAIT_S + 1)
    except InvalidStatus as e:
        r = e.response
        return r.status_code, (r.body or b"").decode(), dict(r.headers)
    await conn.close()
    raise AssertionError(f"handshake to {url} was accepted")


def is_notification(f: Any, event_type: str | None = None) -> bool:
    return isinstance(f, dict) and f.get("type") == "notification" and (event_type is None or f.get("event_type") == event_type)
