"""Tests that need PostgreSQL never pass silently where it cannot run:
without the server binaries they skip saying so, with the install command,
and under CI=true they fail instead (a pytest run in a fresh process, the
binaries hidden with PG_BINDIR)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items() if k not in {"CI", "PG_BINDIR"}}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--postgres",
                           "tests/test_stable_addresses.py", "-x"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**environ, "PG_BINDIR": str(tmp_path / "no-postgres-here"), **env})


def test_without_the_server_the_tests_skip_loudly_with_the_install_command(tmp_path):
    done = _run(tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "SKIPPED LOUDLY" in done.stdout and "apt-get install -y postgresql-15" in done.stdout, done.stdout[-2000:]
    assert " passed" not in done.stdout.splitlines()[-1], done.stdout[-500:]


def test_under_ci_they_fail_instead(tmp_path):
    done = _run(tmp_path, CI="true")
    assert done.returncode != 0, done.stdout[-2000:]
    assert "CI=true: failing rather than skipping" in done.stdout and "postgresql-15" in done.stdout, done.stdout[-2000:]
