"""The agentgate binary as the Python conformance suites run it: started on 127.0.0.1 port 0
with a fresh database in a temporary folder, its URL read from its first line, its output
drained, and stopped (SIGTERM, then SIGKILL) however the suite ends. One copy for the MoChat,
MoltCities and bridge suites."""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("AGENTGATE_BIN") or str(REPO_ROOT / "target" / "debug" / "agentgate")

# Limits that would trip on test traffic are off unless a suite turns one on.
QUIET_ENV = {
    "AGENTGATE_RATE_LIMIT_PER_MIN": "0",
    "AGENTGATE_AUTH_FAILURES_PER_WINDOW": "0",
    "AGENTGATE_REGISTER_RATE_LIMIT_PER_HOUR": "0",
    "AGENTGATE_CHAT_RATE_LIMIT_SECS": "0",
}

# The line the server prints once it listens.
URL_LINE = re.compile(r"agentgate listening on (https?://127\.0\.0\.1:\d+)")


def command(tmpdir: str) -> list[str]:
    """The server's command line: port 0, its database in `tmpdir`."""
    return [BIN, "serve", "--listen", "127.0.0.1:0", "--database", os.path.join(tmpdir, "agentgate.db")]


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with QUIET_ENV, a quiet log and `env` on top."""
    full_env = dict(os.environ)
    full_env.update(QUIET_ENV)
    full_env["AGENTGATE_LOG"] = os.environ.get("AGENTGATE_LOG", "warn")
    full_env.update(env or {})
    return full_env


def _drain(stream: Any) -> None:
    """Reads a pipe to its end, so that the server never blocks writing to it."""
    while stream.read(65536):
        pass


def start_blocking(tmpdir: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """The same server for a synchronous caller (the OpenAPI run): returns the process and its
    URL once it listens; a thread drains its output. The caller stops it (and removes `tmpdir`)."""
    if not os.path.exists(BIN):
        raise RuntimeError(f"agentgate binary not found at {BIN} (build it or set AGENTGATE_BIN)")
    proc = subprocess.Popen(
        command(tmpdir),
        env=environment(env),
        stdout=subprocess.PIPE,
        stderr=None if os.environ.get("CONFORMANCE_VERBOSE") else subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = URL_LINE.search(line)
        if m:
            threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
            return proc, m.group(1)
    proc.kill()
    raise RuntimeError(f"agentgate did not start (exit code {proc.poll()})")


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


class Process:
    """One running agentgate: its process, URL and temporary folder."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, tmpdir: str) -> None:
        self.proc = proc
        self.url = url
        self.tmpdir = tmpdir
        self.drainer: asyncio.Future | None = None

    async def stop(self) -> None:
        """Stops the process (see `stop`)."""
        await stop(self.proc, self.tmpdir, self.drainer)


async def stop(proc: asyncio.subprocess.Process, tmpdir: str, drainer: asyncio.Future | None) -> None:
    """SIGTERM, up to 5 s for a graceful stop, then SIGKILL; removes the folder."""
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except asyncio.TimeoutError:
            proc.kill()
            await asyncio.wait_for(proc.wait(), 2)
    if drainer is not None:
        drainer.cancel()
    _RUNNING.pop(proc.pid, None)
    shutil.rmtree(tmpdir, ignore_errors=True)


async def start(prefix: str, env: dict[str, str] | None = None, tmpdir: str | None = None) -> Process:
    """Starts agentgate with QUIET_ENV and `env` on top, its database in `tmpdir` (a new
    temporary folder named `prefix…` when None; removed at the stop); returns once it listens."""
    if not os.path.exists(BIN):
        raise RuntimeError(f"agentgate binary not found at {BIN} (build it or set AGENTGATE_BIN)")
    tmpdir = tmpdir or tempfile.mkdtemp(prefix=prefix)
    proc = await asyncio.create_subprocess_exec(
        *command(tmpdir),
        env=environment(env),
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
            m = URL_LINE.search(line.decode())
            if m:
                return m.group(1)

    try:
        url = await asyncio.wait_for(read_url(), 10)
    except BaseException:
        proc.kill()
        _RUNNING.pop(proc.pid, None)
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise

    async def drain() -> None:  # keep the stdout pipe from filling up
        assert proc.stdout is not None
        while await proc.stdout.read(65536):
            pass

    p = Process(proc, url, tmpdir)
    p.drainer = asyncio.ensure_future(drain())
    return p
