"""The figures reliability tests measure: `record()` appends them to
test-artifacts/reliability.jsonl, from which tests/reliability_report.py
writes docs/RELIABILITY.md."""
import json
import os
import time

from .processes import ROOT

ARTIFACTS = ROOT / "test-artifacts"
RESULTS = ARTIFACTS / "reliability.jsonl"


def record(test, **figures):
    """Append one test's figures (JSON line) for the report."""
    ARTIFACTS.mkdir(exist_ok=True)
    current = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    line = json.dumps({"test": test, "nodeid": current, "at": time.strftime("%Y-%m-%d %H:%M:%S"), **figures},
                      ensure_ascii=False, sort_keys=True, default=str)
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
