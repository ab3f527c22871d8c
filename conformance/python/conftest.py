"""Helpers for the agentgate python-socketio conformance tests.

Every test starts its own agentgate on 127.0.0.1 with a fresh database and stops it at the
end. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import os
import re
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any, Awaitable, Callable

import aiohttp
import pytest
import socketio

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("AGENTGATE_BIN") or str(REPO_ROOT / "target" / "debug" / "agentgate")

WAIT_S = 4.0  # bound for any single wait (ack, push, connect)
QUIET_S = 0.3  # how long "nothing else arrives" is watched after a sentinel arrived
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# The two client configurations: (id, AsyncClient kwargs, connect transports).
VARIANTS = [
    pytest.param({"serializer": "default", "transports": None}, id="json-polling+upgrade"),
    pytest.param({"serializer": "msgpack", "transports": ["websocket"]}, id="msgpack-websocket"),
]


# Servers started here die with this process, however it ends.
_RUNNING: dict[int, str] = {}  # pid -> temporary directory


def _kill_all() -> None:
    for pid, tmpdir in list(_RUNNING.items()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(tmpdir, ignore_errors=True)
    _RUNNING.clear()


def _on_signal(signum: int, _frame: Any) -> None:
    _kill_all()
    os._exit(128 + signum)


atexit.register(_kill_all)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


def bounded(seconds: float) -> Callable:
    """Fail the test if its body runs longer than `seconds` (no pytest-timeout needed)."""

    def deco(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.wait_for(fn(*args, **kwargs), seconds)

        return wrapper

    return deco


class ApiError(AssertionError):
    pass


class Server:
    """A running agentgate plus a REST client for it."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, tmpdir: str) -> None:
        self.proc = proc
        self.url = url
        self.tmpdir = tmpdir
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        self.clients: list[socketio.AsyncClient] = []
        self.drainer: asyncio.Future | None = None
        self.last_conn: Conn | None = None

    async def raw(self, verb: str, body: dict | None, token: str | None = None) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        if token:
            headers["X-Claw-Token"] = token
        async with self.http.post(f"{self.url}/api/claw/{verb}", json=body or {}, headers=headers) as res:
            return res.status, await res.json()

    async def api(self, verb: str, body: dict | None = None, token: str | None = None) -> Any:
        status, js = await self.raw(verb, body, token)
        if status != 200 or js.get("success") is not True or js.get("code") != 200:
            raise ApiError(f"{verb} -> HTTP {status}: {js}")
        return js["data"]

    async def health(self) -> dict:
        async with self.http.get(f"{self.url}/health") as res:
            assert res.status == 200
            return await res.json()

    async def register(self, username: str) -> dict:
        data = await self.api("agents/selfRegister", {"username": username})
        assert data["token"].startswith("claw_")
        assert re.fullmatch(r"[0-9a-f]{24}", data["botUserId"])
        assert data["username"] == username
        return data

    async def create_session(self, creator: dict, others: list[dict], **extra: Any) -> dict:
        data = await self.api(
            "sessions/create", {"participants": [o["botUserId"] for o in others], **extra}, creator["token"]
        )
        assert re.fullmatch(r"session_[0-9a-f]{24}", data["sessionId"])
        return data

    async def send(self, sender: dict, session_id: str, content: str, **extra: Any) -> dict:
        data = await self.api("sessions/send", {"sessionId": session_id, "content": content, **extra}, sender["token"])
        assert data["message"]["content"] == content
        return data["message"]

    async def send_panel(self, sender: dict, panel_id: str, content: str) -> dict:
        data = await self.api("groups/panels/send", {"panelId": panel_id, "content": content}, sender["token"])
        assert data["message"]["content"] == content
        return data["message"]

    async def text_panels(self, agent: dict) -> tuple[dict, list[str], str]:
        data = await self.api("groups/get", {}, agent["token"])
        text = [p for p in data["panels"] if p["type"] == 0]
        by_name = {p["name"]: p for p in text}
        assert "general" in by_name and "town-square" in by_name
        return by_name, [p["id"] for p in text], data["id"]

    async def connect(self, token: str | None, variant: dict, label: str = "sio") -> "Conn":
        sio = socketio.AsyncClient(serializer=variant["serializer"], reconnection=False)
        conn = Conn(sio, label)
        self.clients.append(sio)
        self.last_conn = conn
        kwargs: dict[str, Any] = {"socketio_path": "socket.io", "wait_timeout": WAIT_S}
        if token is not None:
            kwargs["auth"] = {"token": token}
        if variant["transports"] is not None:
            kwargs["transports"] = variant["transports"]
        await asyncio.wait_for(sio.connect(self.url, **kwargs), WAIT_S + 1)
        return conn

    async def stop(self) -> None:
        for sio in self.clients:
            try:
                await asyncio.wait_for(sio.disconnect(), 2)
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        await self.http.close()
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await asyncio.wait_for(self.proc.wait(), 2)
        if self.drainer is not None:
            self.drainer.cancel()
        _RUNNING.pop(self.proc.pid, None)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


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

    async def wait_for(
        self, event: str, pred: Callable[[Any], bool] = lambda d: True, start: int = 0, what: str = ""
    ) -> Any:
        def find() -> Any:
            for e, d in self.log[start:]:
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
            raise AssertionError(
                f"[{self.label}] no '{event}' {what} within {WAIT_S}s; received:\n{self.summary()}"
            ) from None

    async def call(self, event: str, data: Any) -> Any:
        resp = await self.sio.call(event, data, timeout=WAIT_S)
        await self._push(f"$ack:{event}", resp)
        return resp


async def start_server() -> Server:
    if not os.path.exists(BIN):
        raise RuntimeError(f"agentgate binary not found at {BIN} (build it or set AGENTGATE_BIN)")
    tmpdir = tempfile.mkdtemp(prefix="agentgate-conformance-py-")
    env = dict(os.environ)
    env.update(
        AGENTGATE_RATE_LIMIT_PER_MIN="0",
        AGENTGATE_AUTH_FAILURES_PER_WINDOW="0",
        AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR="0",
        AGENTGATE_CHAT_RATE_LIMIT_SECS="0",
        AGENTGATE_LOG=os.environ.get("AGENTGATE_LOG", "warn"),
    )
    proc = await asyncio.create_subprocess_exec(
        BIN,
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database",
        os.path.join(tmpdir, "agentgate.db"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=None if os.environ.get("CONFORMANCE_VERBOSE") else asyncio.subprocess.DEVNULL,
    )

    _RUNNING[proc.pid] = tmpdir

    async def read_url() -> str:
        assert proc.stdout is not None
        while True:
            line = await proc.stdout.readline()
            if not line:
                raise RuntimeError(f"agentgate exited before listening (code {proc.returncode})")
            m = re.search(r"agentgate listening on (http://127\.0\.0\.1:\d+)", line.decode())
            if m:
                return m.group(1)

    try:
        url = await asyncio.wait_for(read_url(), 10)
    except BaseException:
        proc.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise

    async def drain() -> None:  # keep the stdout pipe from filling up
        assert proc.stdout is not None
        while await proc.stdout.read(65536):
            pass

    srv = Server(proc, url, tmpdir)
    srv.drainer = asyncio.ensure_future(drain())
    return srv


@pytest.fixture
async def server():
    srv = await start_server()
    try:
        yield srv
    finally:
        await srv.stop()
