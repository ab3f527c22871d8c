"""Reads wstest's index.json and decides: every case must be OK (behaviour and close
behaviour), or be listed in allowed.tsv with the behaviour it may show and why. Prints the
counts per section and every case that failed, then "conformance: N passed, M failed"; exits
non-zero when any case failed."""

import collections
import json
import sys


def load_allowed(path):
    """case id -> (allowed behaviour, reason) from a tab-separated file; # starts a comment."""
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            case, behaviour, reason = line.split("\t", 2)
            allowed[case] = (behaviour, reason)
    return allowed


def main(index_path, allowed_path):
    with open(index_path, encoding="utf-8") as f:
        index = json.load(f)
    allowed = load_allowed(allowed_path)
    per_section = collections.defaultdict(collections.Counter)
    passed, failed = 0, []
    for agent, cases in sorted(index.items()):
        for case, r in cases.items():
            behaviour, close = r.get("behavior"), r.get("behaviorClose")
            section = case.split(".")[0]
            per_section[int(section)][behaviour] += 1
            ok = behaviour == "OK" and close == "OK"
            if not ok and case in allowed:
                want = allowed[case][0]
                ok = behaviour in ("OK", want) and close in ("OK", want)
            if ok:
                passed += 1
            else:
                failed.append((agent, case, behaviour, close, r.get("remoteCloseCode")))
    for section in sorted(per_section):
        counts = ", ".join(f"{n} {b}" for b, n in sorted(per_section[section].items()))
        print(f"autobahn: section {section}: {counts}")
    for agent, case, behaviour, close, code in sorted(failed):
        print(f"autobahn: FAILED {agent} {case}: behaviour {behaviour}, close {close}, "
              f"server close code {code}")
    if passed + len(failed) == 0:
        print("autobahn: the report holds no case")
        failed.append(None)
    print(f"conformance: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
