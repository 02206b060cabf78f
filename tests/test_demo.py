"""`make demo`'s set-up (the demo-data target): the seeds plus a generated
archive with its metadata.csv, imported and indexed into a fresh data
directory by the real commands, as a newcomer would run them."""
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def data_dir(tmp_path):
    """No Django settings here: the commands run in their own processes."""
    return tmp_path


def test_make_demo_data_imports_a_generated_archive_with_metadata(tmp_path):
    if shutil.which("make") is None:
        pytest.fail("make is missing: the README's commands need it", pytrace=False)
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(tmp_path / "data"), "ARCHIVE_CATCH_UP_SECONDS": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    demo = tmp_path / "demo-essays"
    # -o: the venv is taken as installed (its stamp may be older than a fresh checkout's requirements.txt).
    done = subprocess.run(["make", "-s", "-o", ".venv/.installed", "demo-data", "DEMO_COUNT=30",
                           f"DEMO_DIR={demo}", f"PY={sys.executable}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "created 30, updated 0, unchanged 0, failed 0" in done.stdout
    assert (demo / "metadata.csv").is_file()
    with sqlite3.connect(tmp_path / "data" / "db.sqlite3") as db:
        total, dated, sourced = db.execute(
            "SELECT count(*), count(date_start), sum(source != '') FROM essays_essay").fetchone()
        seeds = len([p for p in (ROOT / "seeds").iterdir() if p.suffix == ".txt"])
        assert total == 30 + seeds
        assert dated >= 20 and sourced >= 25  # the manifest's metadata came with them
    assert "index is in step with the database" in done.stdout
