"""Schemathesis hooks for fuzz.py (loaded through SCHEMATHESIS_HOOKS).

`sessions/watch` long-polls: with no new message it waits for `timeoutMs` (25 s when absent),
and schemathesis reuses real session ids it saw in earlier answers, so a plain run spends most
of its time waiting. Every watch it sends asks for a short wait instead; the long wait itself
is covered by tests/api_watch.rs.
"""

from typing import Any

import schemathesis

WATCH = "/api/claw/sessions/watch"
SHORT_WAIT_MS = 200


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.operation.path == WATCH and isinstance(case.body, dict):
        case.body["timeoutMs"] = SHORT_WAIT_MS
