"""Helpers the Python conformance suites share: a time bound for async tests, the clock, and
RSA key pairs made with the openssl command line (MoltCities registration signs with them)."""

from __future__ import annotations

import asyncio
import functools
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable


def bounded(seconds: float) -> Callable:
    """Fail the test if its body runs longer than `seconds`."""

    def deco(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.wait_for(fn(*args, **kwargs), seconds)

        return wrapper

    return deco


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class KeyPair:
    private_pem: Path
    public_pem: str


def make_keypair(directory: Path, name: str) -> KeyPair:
    """`openssl genrsa -out private.pem 2048 && openssl rsa -in private.pem -pubout -out public.pem`."""
    priv = directory / f"{name}-private.pem"
    pub = directory / f"{name}-public.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(priv), "2048"], check=True, capture_output=True, timeout=30)
    subprocess.run(
        ["openssl", "rsa", "-in", str(priv), "-pubout", "-out", str(pub)], check=True, capture_output=True, timeout=30
    )
    text = pub.read_text()
    assert text.startswith("-----BEGIN PUBLIC KEY-----"), text[:40]
    return KeyPair(priv, text)


def sign_challenge(key: KeyPair, challenge: str) -> str:
    """`echo -n "$CHALLENGE" | openssl dgst -sha256 -sign private.pem | base64 -w 0`."""
    res = subprocess.run(
        ["sh", "-c", 'printf %s "$1" | openssl dgst -sha256 -sign "$2" | base64 -w 0', "sign", challenge, str(key.private_pem)],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return res.stdout


class KeyPool:
    """RSA key pairs made once per pytest session; each test's database is fresh, so a pair can
    register again in the next test."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="agentgate-mc-keys-"))
        self.keys: list[KeyPair] = []

    def get(self, i: int) -> KeyPair:
        while len(self.keys) <= i:
            self.keys.append(make_keypair(self.dir, f"agent{len(self.keys)}"))
        return self.keys[i]

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
