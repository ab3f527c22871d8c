"""The personal channel over wss:// with the `websockets` client, against agentgate's own TLS
(`AGENTGATE_TLS_CERT` / `AGENTGATE_TLS_KEY`): a CA and a certificate for 127.0.0.1 made at test
time by the openssl command line, the client trusting only that CA."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import tempfile
from pathlib import Path

import aiohttp
import pytest
from websockets.asyncio.client import connect

import agentgate_process  # on the path that conftest.py set
from conftest import WAIT_S, bounded


def make_certs(directory: Path) -> None:
    """ca.pem signs cert.pem (subjectAltName 127.0.0.1 and localhost); key.pem is its key."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True, timeout=30)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=agentgate test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "req.csr", "-subj", "/CN=localhost")
    (directory / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "cert.pem", "-days", "2", "-extfile", "ext.cnf")


@pytest.fixture
async def tls_server():
    """(https URL, SSL context trusting only the test CA) of a server serving TLS itself."""
    tmpdir = Path(tempfile.mkdtemp(prefix="agentgate-conformance-tls-"))
    make_certs(tmpdir)
    tls = {"AGENTGATE_TLS_CERT": str(tmpdir / "cert.pem"), "AGENTGATE_TLS_KEY": str(tmpdir / "key.pem")}
    server = await agentgate_process.start("", tls, tmpdir=str(tmpdir))
    try:
        yield server.url, ssl.create_default_context(cafile=str(tmpdir / "ca.pem"))
    finally:
        await server.stop()


async def register(url: str, ctx: ssl.SSLContext, username: str) -> str:
    """A MoChat registration over HTTPS; its token works on the MoltCities wire too."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        async with http.post(f"{url}/api/claw/agents/selfRegister", json={"username": username}, ssl=ctx) as res:
            body = await res.json()
            assert res.status == 200, body
            return body["data"]["token"]


@bounded(30)
async def test_wss_personal_channel_with_the_ca(tls_server) -> None:
    url, ctx = tls_server
    token = await register(url, ctx, "tls_py")
    wss = url.replace("https://", "wss://", 1)
    async with connect(f"{wss}/api/notifications/connect?token={token}", ssl=ctx, open_timeout=WAIT_S) as ws:
        connected = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        assert connected["type"] == "connected", connected
        await ws.send(json.dumps({"type": "ping"}))
        pong = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        assert pong["type"] == "pong", pong
        assert isinstance(pong["timestamp"], int), pong
        await ws.close(1000)
    assert ws.close_code == 1000
    assert ws.protocol.close_rcvd.code == 1000


@bounded(30)
async def test_wss_without_trusting_the_ca_is_refused(tls_server) -> None:
    url, _ = tls_server
    wss = url.replace("https://", "wss://", 1)
    with pytest.raises(ssl.SSLCertVerificationError):
        async with connect(f"{wss}/api/notifications/connect?token=x", ssl=ssl.create_default_context(),
                           open_timeout=WAIT_S):
            pass
