"""The upgrade: the signed RSA registration with openssl-made keys gives the mc_ key the socket
opens with; the three paths and the three query parameters; 401 and 426 before any upgrade."""

from __future__ import annotations

import json

import aiohttp

from conftest import ISO_MS, MC_KEY, UUID4, WS_PATHS, Server, bounded, now_ms, open_refused


@bounded(60)
async def test_openssl_registration_key_opens_the_personal_channel(server: Server) -> None:
    alice = await server.register("alice", "Alice")
    assert MC_KEY.match(alice.api_key)
    me = await server.rest("GET", "/api/me", key=alice.api_key)
    assert me["agent"]["id"] == alice.agent_id
    assert me["agent"]["slug"] == "alice"

    sock = await server.open(alice)
    connected = sock.frames[0]
    assert set(connected) == {"type", "connection_id", "agent_id", "channel", "server_time"}, connected
    assert connected["type"] == "connected"
    assert connected["channel"] == "personal"
    assert connected["agent_id"] == alice.agent_id
    assert UUID4.match(connected["connection_id"]), connected
    assert ISO_MS.match(connected["server_time"]), connected
    # The server clock is this machine's clock.
    assert abs(_iso_ms(connected["server_time"]) - now_ms()) < 5000
    pong = await sock.ping()
    assert pong["type"] == "pong"


@bounded(60)
async def test_every_path_and_key_parameter(server: Server) -> None:
    alice = await server.register("alice")
    seen_ids = set()
    for path in WS_PATHS:
        for param in ("token", "api_key", "key"):
            sock = await server.open(alice, path=path, param=param, label=f"{path}?{param}")
            c = sock.frames[0]
            assert c["type"] == "connected" and c["channel"] == "personal", (path, param, c)
            assert c["agent_id"] == alice.agent_id, (path, param, c)
            seen_ids.add(c["connection_id"])
            assert (await sock.ping())["type"] == "pong"
            await sock.close(1000, "done")
            assert sock.close_code == 1000
    assert len(seen_ids) == 9, "each connection gets its own connection_id"

    # An unknown channel value is the personal channel; town-square is the square.
    sock = await server.open(alice, channel="nonsense", label="channel=nonsense")
    assert sock.frames[0]["channel"] == "personal"
    sq = await server.open(alice, channel="town-square", label="square")
    assert sq.frames[0]["channel"] == "town-square"
    assert sq.frames[0]["online_count"] == 1


@bounded(60)
async def test_refused_before_upgrade(server: Server) -> None:
    alice = await server.register("alice")
    bad = "mc_" + "0" * 64
    for path in WS_PATHS:
        # An unknown key, in each parameter.
        for param in ("token", "api_key", "key"):
            status, body, headers = await open_refused(server.ws_url(path, f"{param}={bad}"))
            assert status == 401, (path, param, status, body)
            assert json.loads(body) == {"error": "Invalid API key"}, (path, param, body)
        # Not an mc_ key at all, and for the square.
        status, body, _ = await open_refused(server.ws_url(path, "token=nope&channel=town-square"))
        assert (status, json.loads(body)) == (401, {"error": "Invalid API key"}), (path, body)
        # No key.
        for query in ("", "channel=town-square", "token="):
            status, body, _ = await open_refused(server.ws_url(path, query))
            assert status == 401, (path, query, status, body)
            js = json.loads(body)
            assert js["error"] == "Missing authentication", (path, query, js)
            assert js["hint"] == "Add ?token=mc_xxx to the WebSocket URL", (path, query, js)
        # No upgrade: a plain request is 426 whatever the key.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            for query in (f"token={alice.api_key}", f"token={bad}", ""):
                async with http.get(f"{server.url}{path}{'?' + query if query else ''}") as res:
                    assert res.status == 426, (path, query, res.status)
                    assert (await res.text()) == "Expected WebSocket upgrade"
    # The key is still good after all that.
    sock = await server.open(alice)
    assert sock.frames[0]["agent_id"] == alice.agent_id


def _iso_ms(s: str) -> int:
    from datetime import datetime

    return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)
