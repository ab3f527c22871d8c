"""A MoltCities command-line flow against agentgate, through `curl`.

The public MoltCities skill ships a bash helper that wraps one `curl` call per command
(register, publish, status, browse, random, search, sign, follow, rings, join-ring, me), and its
documents give `curl` recipes for the rest (ring navigation, the vault, governance). `Cli` makes
each of those calls the way they do: the same method, path, query string, headers and JSON body
text, sent by the `curl` binary, so what is tested is what such an agent sends. Every call is
bounded in time; every server is this suite's own, on 127.0.0.1 with a fresh database.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pysupport"))
import agentgate_process  # noqa: E402
from agentgate_testing import KeyPool, sign_challenge  # noqa: E402

CURL_TIMEOUT_S = 10
SOUL = (
    "A command-line agent that publishes a small site, browses its neighbours, joins a web ring, "
    "keeps files in its vault and takes part in the city's governance."
)


@dataclass
class Reply:
    status: int
    body: Any
    text: str
    headers: dict[str, str]


def curl(args: list[str], out: Path | None = None) -> Reply:
    """Runs `curl -s <args>` and returns the status, headers and body (JSON when it parses)."""
    with tempfile.NamedTemporaryFile() as head:
        cmd = ["curl", "-s", "--max-time", str(CURL_TIMEOUT_S), "-D", head.name]
        if out is not None:
            cmd += ["-o", str(out)]
        cmd += ["-w", "\n%{http_code}", *args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=CURL_TIMEOUT_S + 5)
        assert res.returncode == 0, f"curl failed ({res.returncode}): {res.stderr}"
        headers = {}
        for line in Path(head.name).read_text(errors="replace").splitlines()[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
    text, _, code = res.stdout.rpartition("\n")
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    return Reply(int(code), body, text, headers)


class Cli:
    """One agent's command line: `api` is the server's `/api` base, `key` its MoltCities key."""

    def __init__(self, api: str, key: str | None = None) -> None:
        self.api = api
        self.key = key

    def _auth(self) -> list[str]:
        return ["-H", f"Authorization: Bearer {self.key}"] if self.key else []

    def _json(self, method: str, path: str, body: str) -> Reply:
        return curl(
            ["-X", method, f"{self.api}{path}", *self._auth(), "-H", "Content-Type: application/json", "-d", body]
        )

    # --- the helper's commands -------------------------------------------------------------

    def publish(self, slug: str, title: str, hood: str = "laboratory", template: str = "agent-card") -> Reply:
        return self._json(
            "POST",
            "/sites",
            f'{{"slug": "{slug}", "title": "{title}", "neighborhood": "{hood}", "template": "{template}"}}',
        )

    def status(self, message: str) -> Reply:
        return self._json("PATCH", "/me", f'{{"status": "{message}"}}')

    def browse(self, hood: str = "", limit: str = "10") -> Reply:
        return curl([f"{self.api}/sites?neighborhood={hood}&limit={limit}"])

    def random(self) -> Reply:
        return curl([f"{self.api}/sites/random"])

    def search(self, query: str) -> Reply:
        return curl([f"{self.api}/search?q={query}"])

    def sign(self, slug: str, name: str, message: str) -> Reply:
        return self._json("POST", f"/sites/{slug}/guestbook", f'{{"author_name": "{name}", "message": "{message}"}}')

    def follow(self, slug: str) -> Reply:
        # The helper sends no body and no Content-Type.
        return curl(["-X", "POST", f"{self.api}/sites/{slug}/follow", *self._auth()])

    def rings(self) -> Reply:
        return curl([f"{self.api}/rings"])

    def join_ring(self, ring: str, site: str) -> Reply:
        return self._json("POST", f"/rings/{ring}/join", f'{{"site_slug": "{site}"}}')

    def me(self) -> Reply:
        return curl([f"{self.api}/me", *self._auth()])

    # --- the documents' recipes ----------------------------------------------------------

    def get(self, path: str) -> Reply:
        return curl([f"{self.api}{path}", *self._auth()])

    def post(self, path: str, body: str) -> Reply:
        return self._json("POST", path, body)

    def delete(self, path: str) -> Reply:
        return curl(["-X", "DELETE", f"{self.api}{path}", *self._auth()])

    def upload(self, path: Path, description: str, public: bool) -> Reply:
        """A multipart upload, as `curl -F file=@...` sends it."""
        return curl(
            [
                "-X",
                "POST",
                f"{self.api}/vault",
                *self._auth(),
                "-F",
                f"file=@{path}",
                "-F",
                f"description={description}",
                "-F",
                f"public={'true' if public else 'false'}",
            ]
        )

    def download(self, file_id: str, out: Path) -> Reply:
        return curl([f"{self.api}/vault/{file_id}/download", *self._auth()], out=out)


class City:
    """A running agentgate and the agents registered on it."""

    def __init__(self, url: str, keys: KeyPool) -> None:
        self.url = url
        self.api = f"{url}/api"
        self.keys = keys
        self.count = 0

    def register(self, name: str, slug: str, hood: str = "laboratory") -> Cli:
        """The documented two-step registration: a challenge, signed with `openssl`."""
        key = self.keys.get(self.count)
        self.count += 1
        body = json.dumps(
            {
                "name": name,
                "soul": SOUL,
                "skills": ["cli", "testing"],
                "public_key": key.public_pem,
                "site": {"slug": slug, "title": f"{name} at home", "neighborhood": hood},
            }
        )
        anon = Cli(self.api)
        r = anon.post("/register", body)
        assert r.status == 200, r.text
        signature = sign_challenge(key, r.body["challenge"])
        v = anon.post("/register/verify", json.dumps({"pending_id": r.body["pending_id"], "signature": signature}))
        assert v.status == 201, v.text
        return Cli(self.api, v.body["api_key"])


@pytest.fixture(scope="session")
def keys():
    pool = KeyPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def city(keys):
    tmpdir = tempfile.mkdtemp(prefix="agentgate-mc-cli-")
    proc, url = agentgate_process.start_blocking(tmpdir)
    try:
        yield City(url, keys)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmpdir, ignore_errors=True)
