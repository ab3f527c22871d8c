"""Helpers for the agentgate python-socketio conformance tests.

Every test starts its own agentgate on 127.0.0.1 with a fresh database and stops it at the
end. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Callable

import aiohttp
import pytest
import socketio

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pysupport"))
import agentgate_process  # noqa: E402  (the shared start and stop of the binary)
from agentgate_testing import bounded  # noqa: E402,F401

BIN = agentgate_process.BIN

WAIT_S = 4.0  # bound for any single wait (ack, push, connect)
QUIET_S = 0.3  # how long "nothing else arrives" is watched after a sentinel arrived
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# The two client configurations: (id, AsyncClient kwargs, connect transports).
VARIANTS = [
    pytest.param({"serializer": "default", "transports": None}, id="json-polling+upgrade"),
    pytest.param({"serializer": "msgpack", "transports": ["websocket"]}, id="msgpack-websocket"),
]


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
        await agentgate_process.stop(self.proc, self.tmpdir, self.drainer)


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
    p = await agentgate_process.start("agentgate-conformance-py-", None)
    srv = Server(p.proc, p.url, p.tmpdir)
    srv.drainer = p.drainer
    return srv


@pytest.fixture
async def server():
    srv = await start_server()
    try:
        yield srv
    finally:
        await srv.stop()
