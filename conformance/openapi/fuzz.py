"""Schemathesis against agentgate's own OpenAPI document (`GET /api/openapi.json`).

Starts agentgate on 127.0.0.1 port 0 with a fresh database and the rate limits off, registers
MoChat agents (a claw token authenticates on MoltCities routes too, as `Bearer`), gives them
sessions, a panel, an invite, an inbox message and jobs, and runs the schemathesis CLI on every
documented operation with the checks below; half the time an id in a request is one of those
(a config file of dictionaries), so requests reach past "not found". Token rotation revokes
the token it is called with, so `agents/rotateToken` gets its own run with its own agent.

Exits non-zero on any failure and ends with one line: "schemathesis: N passed, M failed",
counting operations.

    python fuzz.py [--max-examples N] [--seed N] [-- extra schemathesis arguments]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema_rs

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "conformance" / "pysupport"))
from agentgate_process import BIN, start_blocking  # noqa: E402  (the suites' one start-up)
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
ROTATE = "claw.agents.rotateToken"


def call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{base}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def register(base: str, username: str) -> str:
    answer = call(base, "POST", "/api/claw/agents/selfRegister", {"username": username})
    return answer["data"]["token"]


# The default group and its built-in panels (fixed by the first migration).
GROUP = "6167656e7467617465000001"
PANELS = ["6167656e7467617465000002", "6167656e7467617465000003"]


def seed(base: str, me: str, peer: str, third: str) -> dict[str, list[str]]:
    """Things for the fuzzed agent (`me`) to find: a DM and a group session with messages, a
    panel it created, an invite, an inbox message and its notification, jobs of both agents.
    Returns the ids by kind, for schemathesis's dictionaries."""

    def claw(token: str, verb: str, body: dict) -> dict:
        return call(base, "POST", f"/api/claw/{verb}", body, token)["data"]

    me_id = claw(me, "agents/get", {})["botUserId"]
    peer_id = claw(peer, "agents/get", {})["botUserId"]
    third_id = claw(third, "agents/get", {})["botUserId"]
    dm = claw(me, "sessions/create", {"participants": [peer_id]})["sessionId"]
    group = claw(me, "sessions/create", {"participants": [peer_id], "type": "group"})["sessionId"]
    for session in (dm, group):
        claw(peer, "sessions/send", {"sessionId": session, "content": "hello @fuzz_main"})
    panel = claw(me, "groups/panels/create", {"name": "fuzz-panel"})["panelId"]
    invite = claw(me, "groups/createInvite", {})["code"]
    sent = call(base, "POST", f"/api/agents/{me_id}/message", {"subject": "hi", "body": "hello"}, peer)
    notifications = call(base, "GET", "/api/notifications", None, me)["notifications"]
    job = {"description": "a job for the fuzzer to find, long enough"}
    jobs = [
        call(base, "POST", "/api/jobs", dict(job, title="peer's job"), peer)["job_id"],
        call(base, "POST", "/api/jobs", dict(job, title="fuzzer's job"), me)["job_id"],
    ]
    slugs = [call(base, "GET", "/api/me", None, t)["agent"]["sites"][0]["slug"] for t in (me, peer)]
    return {
        "sessions": [dm, group],
        "users": [peer_id, third_id],
        "recipients": [peer_id, "fuzz_peer"],
        "panels": [panel, *PANELS],
        "groups": [GROUP],
        "invites": [invite],
        "slugs": slugs,
        "ids": [sent["id"], *jobs, *(n["id"] for n in notifications)],
    }


# Where each kind of id goes; the other half of the time schemathesis makes its own values.
BINDINGS = {
    "body.sessionId": "sessions",
    "body.participants[*]": "users",
    "body.participantIds[*]": "users",
    "body.userIds[*]": "users",
    "body.botUserId": "users",
    "body.panelId": "panels",
    "body.groupId": "groups",
    "body.code": "invites",
    "path.to": "recipients",
    "path.slug": "slugs",
    "path.id": "ids",
}


def config_file(path: str, found: dict[str, list[str]]) -> str:
    lines = ["[dictionaries]"]
    for name, values in found.items():
        lines.append(f"{name} = {{ values = {json.dumps(values)} }}")
    lines.append("")
    lines.append("[parameters]")
    for key, name in BINDINGS.items():
        lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def schemathesis(
    base: str, token: str, config: str, args: argparse.Namespace, label: str, *selection: str
) -> tuple[int, str]:
    exe = shutil.which("schemathesis", path=os.path.dirname(sys.executable)) or "schemathesis"
    cmd = [
        exe,
        "--config-file",
        config,
        "run",
        f"{base}/api/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(args.max_examples),
        "--workers",
        str(args.workers),
        "--request-timeout",
        "40",
        "--generation-database",
        "none",
        "--no-color",
        "-H",
        f"X-Claw-Token: {token}",
        "-H",
        f"Authorization: Bearer {token}",
        *selection,
    ]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    if args.har_dir:
        cmd += ["--report", "har", "--report-har-path", os.path.join(args.har_dir, f"{label}.har")]
    cmd += args.extra
    secret = ("X-Claw-Token:", "Authorization:")
    print("$", " ".join(c.split(":")[0] + ": …" if c.startswith(secret) else c for c in cmd), flush=True)
    env = dict(os.environ, SCHEMATHESIS_HOOKS=str(Path(__file__).with_name("hooks.py")))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    print(out.stdout, flush=True)
    return out.returncode, out.stdout


# --- answers schemathesis cannot reach: the signed registration and recovery flows ------------


def raw_call(base: str, method: str, path: str, data: bytes | None, token: str | None = None) -> tuple[int, str, object]:
    req = urllib.request.Request(f"{base}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), json.load(resp)
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), json.loads(e.read() or b"null")


def keypair(directory: str) -> tuple[str, str]:
    """An RSA key pair made with the openssl command line: (private key file, public PEM)."""
    private = os.path.join(directory, "flow-private.pem")
    public = os.path.join(directory, "flow-public.pem")
    subprocess.run(["openssl", "genrsa", "-out", private, "2048"], check=True, capture_output=True, timeout=30)
    subprocess.run(["openssl", "rsa", "-in", private, "-pubout", "-out", public], check=True, capture_output=True, timeout=30)
    return private, Path(public).read_text()


def sign(private: str, challenge: str) -> str:
    """RSASSA-PKCS1-v1_5 / SHA-256 over the challenge, base64, as the API docs say to."""
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", private], input=challenge.encode(), check=True, capture_output=True, timeout=30
    )
    return base64.b64encode(out.stdout).decode()


def flows(base: str, tmpdir: str) -> tuple[int, int]:
    """Registers and recovers a MoltCities agent with a real key and checks each answer against
    the document (status declared, JSON, body valid against the declared schema)."""
    with urllib.request.urlopen(f"{base}/api/openapi.json", timeout=10) as resp:
        doc = json.load(resp)
    passed = failed = 0

    def check(method: str, path: str, template: str, expect: int, body: object, token: str | None = None) -> object:
        nonlocal passed, failed
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        status, ctype, answer = raw_call(base, method, path, data, token)
        declared = doc["paths"][template][method.lower()]["responses"]
        problems = []
        if status != expect:
            problems.append(f"status {status}, expected {expect}: {answer}")
        if str(status) not in declared:
            problems.append(f"status {status} is not declared")
        else:
            content = declared[str(status)].get("content", {})
            if not ctype.startswith("application/json") or "application/json" not in content:
                problems.append(f"content type {ctype!r}")
            else:
                schema = dict(content["application/json"]["schema"], components=doc["components"])
                problems += [e.message for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(answer)]
        if problems:
            failed += 1
            print(f"flow: FAILED {method} {path}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"flow: ok {method} {path} -> {status}")
        return answer

    def get(answer: object, key: str) -> str:
        return str(answer.get(key, "")) if isinstance(answer, dict) else ""

    private, public = keypair(tmpdir)
    registration = {
        "name": "Flow Agent",
        "public_key": public,
        "soul": "A test agent that registers with a real key so that every answer of the flow can be checked against the document.",
        "skills": ["testing", "fuzzing"],
        "site": {"slug": "flow-agent", "title": "Flow Agent", "neighborhood": "laboratory"},
    }
    ch = check("POST", "/api/register", "/api/register", 200, registration)
    pending = {"pending_id": get(ch, "pending_id"), "signature": sign(private, get(ch, "challenge"))}
    made = check("POST", "/api/register/verify", "/api/register/verify", 201, pending)
    key = get(made, "api_key")
    check("POST", "/api/check-registration", "/api/check-registration", 200, public.encode())
    check("POST", "/api/check-registration", "/api/check-registration", 200, {"public_key": public})
    check("GET", "/api/me", "/api/me", 200, None, key)
    rc = check("POST", "/api/recover", "/api/recover", 200, {"public_key": public})
    pending = {"pending_id": get(rc, "pending_id"), "signature": sign(private, get(rc, "challenge"))}
    back = check("POST", "/api/recover/verify", "/api/recover/verify", 200, pending)
    key = get(back, "api_key") or key
    check("PATCH", "/api/me", "/api/me", 200, {"status": "checking"}, key)
    check("POST", "/api/sites/flow-agent/guestbook", "/api/sites/{slug}/guestbook", 201, {"author_name": "a visitor", "message": "signed anonymously"})
    return passed, failed


def tally(output: str) -> tuple[int, int]:
    """Operations passed and failed: those tested, less those with a failure."""
    tested = sum(int(n) for n in re.findall(r"^\s*Tested:\s*(\d+)", output, re.M))
    failing = set(re.findall(r"^_+ ((?:GET|POST|PUT|PATCH|DELETE) \S+) _+$", output, re.M))
    return tested - len(failing), len(failing)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10")))
    # One worker: with two threads, hypothesis parses lambda sources concurrently and CPython
    # 3.11's ast.parse can then fail with "AST constructor recursion depth mismatch", a tool
    # error that is not the server's (seen once in a full run).
    parser.add_argument("--workers", default=os.environ.get("SCHEMATHESIS_WORKERS", "1"))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--har-dir", help="write each run's requests and responses here (HAR)")
    parser.add_argument("extra", nargs="*", help="passed on to schemathesis run")
    args = parser.parse_args()

    if not os.path.exists(BIN):
        print(f"schemathesis: agentgate binary not found at {BIN}", file=sys.stderr)
        return 1
    tmpdir = tempfile.mkdtemp(prefix="agentgate-schemathesis-")
    proc = None
    started = time.monotonic()
    try:
        proc, base = start_blocking(tmpdir)
        token = register(base, "fuzz_main")
        peer = register(base, "fuzz_peer")
        third = register(base, "fuzz_third")
        found = seed(base, token, peer, third)
        config = config_file(os.path.join(tmpdir, "schemathesis.toml"), found)
        rotating = register(base, "fuzz_rotate")
        status_all, out_all = schemathesis(
            base, token, config, args, "main", "--exclude-operation-id", ROTATE, "--exclude-tag", "payments"
        )
        status_rot, out_rot = schemathesis(
            base, rotating, config, args, "rotate", "--include-operation-id", ROTATE
        )
        flow_passed, flow_failed = flows(base, tmpdir)
        if proc.poll() is not None:
            print(f"schemathesis: agentgate exited during the run (code {proc.returncode})")
            status_all = status_all or 1
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(2)
        shutil.rmtree(tmpdir, ignore_errors=True)
    counts = [tally(out_all), tally(out_rot), (flow_passed, flow_failed)]
    passed, failed = sum(c[0] for c in counts), sum(c[1] for c in counts)
    status = 1 if status_all or status_rot or flow_failed else 0
    if status and failed == 0:
        failed = 1  # a run that failed without a summary still counts
    print(f"schemathesis: {time.monotonic() - started:.1f}s in all")
    print(f"schemathesis: {passed} passed, {failed} failed")
    return status


if __name__ == "__main__":
    sys.exit(main())
