"""search.backends.whoosh.internals reaches below Whoosh's public API (the
postings layout, the segment writer's fields): tied to one release. This
fails loudly when the installed whoosh-reloaded is not that release, and
the pin in requirements.txt says the same."""
import importlib.metadata
from pathlib import Path

from search.backends.whoosh import internals

ROOT = Path(__file__).resolve().parent.parent


def test_installed_whoosh_is_the_release_the_internals_were_written_for():
    installed = importlib.metadata.version("whoosh-reloaded")
    assert installed == internals.WHOOSH_VERSION, (
        f"whoosh-reloaded {installed} is installed, but search.backends.whoosh.internals was written for "
        f"{internals.WHOOSH_VERSION}: check the postings layout and writer fields it uses "
        "(tests/test_writer.py, tests/test_ranking.py) before changing WHOOSH_VERSION")


def test_requirements_pin_that_release():
    pins = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert f"whoosh-reloaded=={internals.WHOOSH_VERSION}" in pins
